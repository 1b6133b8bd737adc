/* pg_tls_audit--1.0--1.1.sql: every session's TLS state, the connection log, the audit */

\echo Use "ALTER EXTENSION pg_tls_audit UPDATE TO '1.1'" to load this file. \quit

-- tls_sessions: every client backend and WAL sender, with the TLS state the
-- server recorded at authentication (shared memory, with
-- shared_preload_libraries) or, without it, what pg_stat_ssl knows; the
-- source and unavailable columns say which.  Rows and details are visible
-- as in pg_stat_activity and pg_stat_ssl: TLS details only for the caller's
-- own roles, or every role with pg_read_all_stats.
CREATE FUNCTION tls_get_sessions(
	OUT pid integer,
	OUT backend_start timestamptz,
	OUT ssl boolean,
	OUT protocol text,
	OUT cipher text,
	OUT cipher_bits integer,
	OUT client_subject text,
	OUT client_issuer text,
	OUT client_serial numeric,
	OUT client_not_after timestamptz,
	OUT sni text,
	OUT hba_line integer,
	OUT auth_method text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tls_get_sessions'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE VIEW tls_sessions AS
SELECT a.pid,
	   a.usename,
	   a.datname,
	   a.client_addr,
	   a.client_port,
	   a.application_name,
	   a.backend_start,
	   CASE WHEN t.pid IS NOT NULL THEN t.ssl ELSE s.ssl END AS ssl,
	   CASE WHEN t.pid IS NOT NULL THEN t.protocol ELSE s.version END AS protocol,
	   CASE WHEN t.pid IS NOT NULL THEN t.cipher ELSE s.cipher END AS cipher,
	   CASE WHEN t.pid IS NOT NULL THEN t.cipher_bits ELSE s.bits END AS cipher_bits,
	   t.client_subject,
	   t.client_issuer,
	   CASE WHEN t.pid IS NOT NULL THEN t.client_serial ELSE s.client_serial END AS client_serial,
	   t.client_not_after,
	   t.sni,
	   t.hba_line,
	   t.auth_method,
	   CASE WHEN t.pid IS NOT NULL THEN 'pg_tls_audit'
			WHEN s.pid IS NOT NULL THEN 'pg_stat_ssl' END AS source,
	   CASE WHEN t.pid IS NOT NULL THEN '{}'::text[]
			WHEN s.pid IS NOT NULL THEN
				'{client_subject,client_issuer,client_not_after,sni,hba_line,auth_method}'::text[]
	   END AS unavailable
FROM pg_catalog.pg_stat_activity a
LEFT JOIN pg_catalog.pg_stat_ssl s ON s.pid = a.pid
LEFT JOIN tls_get_sessions() t ON t.pid = a.pid AND t.backend_start = a.backend_start
WHERE a.backend_type IN ('client backend', 'walsender');

-- tls_connection_log: the recent connection attempts the server saw, oldest
-- first (needs shared_preload_libraries).  ssl says whether the client asked
-- for TLS; protocol and cipher are set when the handshake completed.
CREATE FUNCTION tls_get_connection_log(
	OUT id bigint,
	OUT "time" timestamptz,
	OUT pid integer,
	OUT usename text,
	OUT datname text,
	OUT client_addr inet,
	OUT client_port integer,
	OUT ssl boolean,
	OUT protocol text,
	OUT cipher text,
	OUT cipher_bits integer,
	OUT sni text,
	OUT client_subject text,
	OUT client_serial numeric,
	OUT hba_line integer,
	OUT auth_method text,
	OUT outcome text,
	OUT reason text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tls_get_connection_log'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 1000;

CREATE VIEW tls_connection_log AS
SELECT * FROM tls_get_connection_log();

CREATE FUNCTION tls_connection_log_stats(
	OUT recorded bigint,
	OUT overwritten bigint,
	OUT capacity integer,
	OUT stats_reset timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'tls_connection_log_stats'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION tls_connection_log_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'tls_connection_log_reset'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

-- tls_audit(): findings about the server's TLS configuration.  It runs with
-- the caller's privileges and says which checks those did not allow.
CREATE FUNCTION tls_audit(
	OUT severity text,
	OUT "check" text,
	OUT detail text,
	OUT hint text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tls_audit'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 20;

-- Sessions and the audit filter what they show by the caller's privileges;
-- the connection log shows every role's attempts: superusers and
-- pg_read_all_stats only, and resetting it is for superusers.
GRANT EXECUTE ON FUNCTION tls_get_sessions(), tls_audit() TO PUBLIC;
GRANT SELECT ON tls_sessions TO PUBLIC;
REVOKE ALL ON FUNCTION
	tls_get_connection_log(),
	tls_connection_log_stats(),
	tls_connection_log_reset()
FROM PUBLIC;
REVOKE ALL ON tls_connection_log FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tls_get_connection_log(), tls_connection_log_stats()
TO pg_read_all_stats;
GRANT SELECT ON tls_connection_log TO pg_read_all_stats;

-- Without shared_preload_libraries the policy and the log are inactive:
-- say so now rather than let it go unnoticed.
DO $$
DECLARE
	message text;
	detail text;
	hint text;
BEGIN
	PERFORM * FROM tls_connection_log_stats();
EXCEPTION WHEN object_not_in_prerequisite_state THEN
	GET STACKED DIAGNOSTICS message = MESSAGE_TEXT,
		detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RAISE WARNING '%', message USING DETAIL = detail, HINT = hint;
END
$$;
