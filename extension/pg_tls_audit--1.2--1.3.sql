/* pg_tls_audit--1.2--1.3.sql: the server's outbound links (tls_links()) */

\echo Use "ALTER EXTENSION pg_tls_audit UPDATE TO '1.3'" to load this file. \quit

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
