--
-- The current session over verified TLS (password, no client certificate),
-- then over plaintext.  Every value is checked against an independent
-- source from the same run: pg_stat_ssl, contrib/sslinfo, and the openssl
-- command reading the PKI files the test bed made.  Results are "ok" or a
-- "MISMATCH" line that shows both sides.
--
\set VERBOSITY terse
\getenv pki PG_TLS_PROBE_PKI

-- tls_session() on a verified TLS session, against pg_stat_ssl and sslinfo.
\getenv pghost PGHOST
SELECT unnest(ARRAY[
       regress_tls.chk('ssl', s.ssl, p.ssl),
       regress_tls.chk('protocol', s.protocol, p.version),
       regress_tls.chk('protocol (sslinfo)', s.protocol, ssl_version()),
       regress_tls.chk('cipher', s.cipher, p.cipher),
       regress_tls.chk('cipher (sslinfo)', s.cipher, ssl_cipher()),
       regress_tls.chk('cipher_bits', s.cipher_bits, p.bits),
       -- libpq sends the host name as SNI, and none for an IP address
       regress_tls.chk('sni', s.sni, CASE WHEN :'pghost' !~ '^[0-9.:]+$' THEN :'pghost' END),
       regress_tls.chk('alpn', s.alpn,
                   CASE WHEN current_setting('server_version_num')::int >= 170000 THEN 'postgresql' END),
       -- the groups the server offers: ssl_groups from 18 (where ssl_ecdh_curve
       -- is only an alias of it), ssl_ecdh_curve before
       regress_tls.chk('key_exchange_group is a configured group',
                   s.key_exchange_group = ANY (string_to_array(coalesce(current_setting('ssl_groups', true),
                                                                        current_setting('ssl_ecdh_curve')), ':')), true),
       regress_tls.chk('peer_certificate_present', s.peer_certificate_present, ssl_client_cert_present())
       ]) AS tls_session
FROM tls_session() s, pg_stat_ssl p
WHERE p.pid = pg_backend_pid();

-- PostgreSQL 18 reports each loaded module's name and version
-- (PG_MODULE_MAGIC_EXT, see extension/compat.h); earlier majors report
-- none, so there the check compares the extension's version with itself.
SELECT current_setting('server_version_num')::int >= 180000 AS reports_modules \gset
\if :reports_modules
SELECT version AS module_version FROM pg_get_loaded_modules() WHERE module_name = 'pg_tls_audit' \gset
\else
SELECT extversion AS module_version FROM pg_extension WHERE extname = 'pg_tls_audit' \gset
\endif
SELECT regress_tls.chk('module version (reported from 18)', :'module_version', extversion) AS module_magic
FROM pg_extension WHERE extname = 'pg_tls_audit';

-- No client certificate on this session.
SELECT count(*) AS peer_certificates FROM tls_peer_certificate();
SELECT count(*) AS peer_extensions FROM tls_peer_extensions();
SELECT tls_peer_subject_field('CN') IS NULL AS no_subject_cn,
       tls_peer_issuer_field('commonName') IS NULL AS no_issuer_cn;

-- tls_server_certificate() against the file the server was configured with.
SELECT count(*) AS server_certificates FROM tls_server_certificate();
\set cert server.crt
\set source 'tls_server_certificate()'
\i sql/x509_check.inc

-- The fixture's server certificate covers every address the test bed
-- listens on; these literals are the fixture's, not the run's.
SELECT san_dns, san_ip, key_algorithm, key_bits FROM tls_server_certificate();

-- An unprivileged role sees its own session: EXECUTE is granted to PUBLIC.
CREATE ROLE regress_tls_unprivileged;
SET ROLE regress_tls_unprivileged;
SELECT ssl, protocol IS NOT NULL AS has_protocol FROM tls_session();
SELECT count(*) AS server_certificates FROM tls_server_certificate();
SELECT count(*) AS peer_certificates FROM tls_peer_certificate();
RESET ROLE;
DROP ROLE regress_tls_unprivileged;

-- A plaintext session: ssl is false, everything else NULL or no row.
\connect -reuse-previous=on "sslmode=disable"
SELECT ssl AS pg_stat_ssl_ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();
SELECT * FROM tls_session();
SELECT count(*) AS server_certificates FROM tls_server_certificate();
SELECT count(*) AS peer_certificates FROM tls_peer_certificate();
SELECT count(*) AS peer_extensions FROM tls_peer_extensions();
SELECT tls_peer_subject_field('CN') IS NULL AS no_subject_cn,
       tls_peer_issuer_field('O') IS NULL AS no_issuer_o;
