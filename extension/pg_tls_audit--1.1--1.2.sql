/* pg_tls_audit--1.1--1.2.sql: the server's certificates and CRLs from their files, outcome counters */

\echo Use "ALTER EXTENSION pg_tls_audit UPDATE TO '1.2'" to load this file. \quit

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
