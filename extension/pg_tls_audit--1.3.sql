/* pg_tls_audit--1.3.sql: TLS state and certificates of the current session and of every
 * session, the connection log, the TLS configuration audit, the server's
 * certificates and CRLs from their files, and the server's outbound links */

\echo Use "CREATE EXTENSION pg_tls_audit" to load this file. \quit

-- One certificate, as tls_peer_certificate() and tls_server_certificate()
-- return it.
CREATE TYPE tls_certificate AS (
	subject				text,			-- RFC 2253, full length
	issuer				text,			-- RFC 2253, full length
	serial				numeric,
	serial_hex			text,
	not_before			timestamptz,
	not_after			timestamptz,
	sha256_fingerprint	text,			-- "AB:CD:...", as openssl x509 -fingerprint
	san_dns				text[],
	san_ip				inet[],
	san_email			text[],
	key_algorithm		text,			-- RSA, EC, Ed25519, ...
	key_bits			integer,
	signature_algorithm	text,
	pem					text
);

CREATE FUNCTION tls_session(
	OUT ssl boolean,
	OUT protocol text,
	OUT cipher text,
	OUT cipher_bits integer,
	OUT sni text,
	OUT alpn text,
	OUT key_exchange_group text,
	OUT peer_certificate_present boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'tls_session'
LANGUAGE C STABLE PARALLEL RESTRICTED;

CREATE FUNCTION tls_peer_certificate()
RETURNS SETOF tls_certificate
AS 'MODULE_PATHNAME', 'tls_peer_certificate'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1;

CREATE FUNCTION tls_server_certificate()
RETURNS SETOF tls_certificate
AS 'MODULE_PATHNAME', 'tls_server_certificate'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1;

CREATE FUNCTION tls_peer_subject_field(field text)
RETURNS text
AS 'MODULE_PATHNAME', 'tls_peer_subject_field'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;

CREATE FUNCTION tls_peer_issuer_field(field text)
RETURNS text
AS 'MODULE_PATHNAME', 'tls_peer_issuer_field'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;

CREATE FUNCTION tls_peer_extensions(
	OUT name text,
	OUT value text,
	OUT critical boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tls_peer_extensions'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 10;

-- Each function shows only the caller's own session.
GRANT EXECUTE ON FUNCTION
	tls_session(),
	tls_peer_certificate(),
	tls_server_certificate(),
	tls_peer_subject_field(text),
	tls_peer_issuer_field(text),
	tls_peer_extensions()
TO PUBLIC;

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

-- tls_server_certificates(): the certificates of ssl_cert_file (the server
-- certificate, then the chain it carries) and of ssl_ca_file, read from the
-- files, for monitoring that has no TLS session of its own.  sent: whether
-- the server sends the certificate to clients (ssl_cert_file's chain, or
-- what OpenSSL adds from ssl_ca_file); served: whether the newest TLS
-- session was given this server certificate (NULL until one was seen, and
-- for chain and CA certificates; served_detail says why).
CREATE FUNCTION tls_server_certificates(
	OUT role text,
	OUT subject text,
	OUT issuer text,
	OUT serial numeric,
	OUT serial_hex text,
	OUT not_before timestamptz,
	OUT not_after timestamptz,
	OUT sha256_fingerprint text,
	OUT san_dns text[],
	OUT san_ip inet[],
	OUT san_email text[],
	OUT key_algorithm text,
	OUT key_bits integer,
	OUT signature_algorithm text,
	OUT pem text,
	OUT days_left integer,
	OUT source text,
	OUT sent boolean,
	OUT served boolean,
	OUT served_detail text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tls_server_certificates'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 3;

-- tls_crls(): each CRL of ssl_crl_file and ssl_crl_dir.
CREATE FUNCTION tls_crls(
	OUT issuer text,
	OUT this_update timestamptz,
	OUT next_update timestamptz,
	OUT revoked integer,
	OUT source text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tls_crls'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 2;

-- File paths and the server's certificates are for monitoring: superusers
-- and pg_monitor.
REVOKE ALL ON FUNCTION tls_server_certificates(), tls_crls() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tls_server_certificates(), tls_crls() TO pg_monitor;

-- tls_connection_outcomes(): how many connection attempts ended with each
-- outcome since the last tls_connection_log_reset() or the server's start,
-- one row per outcome (zero included).  Counted as each attempt's outcome
-- becomes final, not from the ring, so the counts only go down at a reset:
-- a monitoring system may treat them as counters.  Read like
-- tls_connection_log_stats(): superusers and pg_read_all_stats.
CREATE FUNCTION tls_connection_outcomes(
	OUT outcome text,
	OUT recorded bigint,
	OUT stats_reset timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tls_connection_outcomes'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 5;

REVOKE ALL ON FUNCTION tls_connection_outcomes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tls_connection_outcomes() TO pg_read_all_stats;

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

-- tls_links(): every connection string the server itself uses or stores as
-- a libpq client (primary_conninfo, the WAL receiver's, subscriptions, the
-- foreign servers of postgres_fdw and dblink_fdw in this database and
-- their user mappings), judged on its TLS settings by the libpq the
-- server loads.  conninfo is re-printed without its secrets.  It reads
-- with the caller's own privileges: a string the caller may not read is
-- left NULL, with the reason, so it is granted to PUBLIC like tls_audit().
CREATE FUNCTION tls_links(
	OUT kind text,
	OUT database text,
	OUT name text,
	OUT source text,
	OUT conninfo text,
	OUT sslmode text,
	OUT sslrootcert text,
	OUT root text,
	OUT channel_binding text,
	OUT require_auth text,
	OUT libpq_version integer,
	OUT verdict text,
	OUT severity text,
	OUT reason text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tls_links'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 4;

GRANT EXECUTE ON FUNCTION tls_links() TO PUBLIC;
