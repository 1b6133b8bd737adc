/* pg_tls_audit--1.0.sql: the current session's TLS state and certificates */

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
