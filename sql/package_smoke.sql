--
-- What a package build can check without the TLS test bed (debian/rules
-- runs it through pg_buildext on pg_virtualenv's throwaway server, whose
-- TLS settings are the distribution's, not ours): the extension installs
-- from the package's files, tls_session() agrees with pg_stat_ssl whatever
-- the session is, and tls_audit() runs and says the library is not
-- preloaded.  The installed package's version is checked by
-- harness/t/test_package.sh; the full suite is make test.
--
\set VERBOSITY terse
CREATE EXTENSION pg_tls_audit;
SELECT count(*) AS installed FROM pg_catalog.pg_extension WHERE extname = 'pg_tls_audit';
SELECT t.ssl = p.ssl AS ssl_agrees,
       t.protocol IS NOT DISTINCT FROM p.version AS protocol_agrees,
       t.cipher IS NOT DISTINCT FROM p.cipher AS cipher_agrees
FROM tls_session() t, pg_catalog.pg_stat_ssl p
WHERE p.pid = pg_catalog.pg_backend_pid();
SELECT count(*) AS peer_certificates FROM tls_peer_certificate();
SELECT severity, "check" FROM tls_audit() WHERE "check" = 'policy_inactive';
DROP EXTENSION pg_tls_audit;
