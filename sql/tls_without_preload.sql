--
-- pg_tls_audit 1.1 on a server that did not preload the library (the test
-- bed's first cluster): tls_sessions falls back on pg_stat_ssl and says
-- which columns it cannot give, and the connection log refuses to pretend
-- it exists.
--
\set VERBOSITY terse

-- This session, against tls_session() and pg_stat_activity.
SELECT s.source, s.unavailable,
       unnest(ARRAY[
       regress_tls.chk('usename', s.usename, current_user::name),
       regress_tls.chk('datname', s.datname, current_database()::name),
       regress_tls.chk('client_addr', s.client_addr, inet_client_addr()),
       regress_tls.chk('client_port', s.client_port, inet_client_port()),
       regress_tls.chk('application_name', s.application_name, current_setting('application_name')),
       regress_tls.chk('backend_start', s.backend_start, a.backend_start),
       regress_tls.chk('ssl', s.ssl, t.ssl),
       regress_tls.chk('protocol', s.protocol, t.protocol),
       regress_tls.chk('cipher', s.cipher, t.cipher),
       regress_tls.chk('cipher_bits', s.cipher_bits, t.cipher_bits)
       ]) AS tls_sessions
FROM tls_sessions s, tls_session() t, pg_stat_activity a
WHERE s.pid = pg_backend_pid() AND a.pid = s.pid;
SELECT client_subject, client_issuer, client_serial, client_not_after, sni,
       hba_line, auth_method
FROM tls_sessions WHERE pid = pg_backend_pid();

-- One row per client backend, none for background processes.
SELECT count(*) = (SELECT count(*) FROM pg_stat_activity
                   WHERE backend_type IN ('client backend', 'walsender')) AS one_row_per_client
FROM tls_sessions;

-- Without shared memory there are no slots; the view still works.
SELECT count(*) AS slots FROM tls_get_sessions();

-- Sessions are visible as in pg_stat_ssl: a role that has not the
-- privileges of a session's login role (here, SET ROLE in a superuser's
-- session) sees neither.  Logins as other roles are in the preloaded
-- suite (sql/preload_sessions.sql).
CREATE ROLE regress_tls_fallback;
SET ROLE regress_tls_fallback;
SELECT (SELECT count(*) FROM tls_sessions WHERE pid = pg_backend_pid()) AS tls_sessions,
       (SELECT count(*) FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS pg_stat_ssl;
RESET ROLE;
DROP ROLE regress_tls_fallback;

-- The connection log needs shared_preload_libraries: 55000, never an
-- empty log that looks like a quiet server.
SELECT * FROM tls_connection_log;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tls_connection_log_stats();
\echo :LAST_ERROR_SQLSTATE
SELECT tls_connection_log_reset();
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT * FROM tls_connection_log;
\set VERBOSITY terse

-- The policy settings exist (SHOW works) but do nothing here; tls_audit()
-- says so.
SHOW pg_tls_audit.require_tls;
SHOW pg_tls_audit.exempt_local;
SELECT severity, "check" FROM tls_audit() WHERE "check" LIKE 'policy%';

-- The settings' checks, which also run when the postmaster reads the
-- configuration file.
SET pg_tls_audit.require_tls = on;
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
ALTER SYSTEM SET pg_tls_audit.exempt_roles = 'regress_a,,regress_b';
ALTER SYSTEM SET pg_tls_audit.require_client_certificate = 'regress_a, +';
ALTER SYSTEM SET pg_tls_audit.min_protocol = 'SSLv3';
SET pg_tls_audit.no_such_setting = on;
\set VERBOSITY terse
-- (test_* settings exist only in test builds: see the Makefile.)
SELECT name, setting, unit, context, vartype FROM pg_settings
WHERE name LIKE 'pg_tls_audit.%' AND name NOT LIKE 'pg_tls_audit.test\_%' ORDER BY name;
