--
-- Set-up shared by the suite: the extensions under test and beside it
-- (sslinfo is one of the independent sources), and helper functions in a
-- schema every test role can use.
--
\set VERBOSITY terse
CREATE EXTENSION pg_tls_audit;
CREATE EXTENSION sslinfo;
CREATE SCHEMA regress_tls;
GRANT USAGE ON SCHEMA regress_tls TO PUBLIC;

-- A check row, a hex serial as numeric, and a
-- subjectAltName line printed by openssl as arrays.
CREATE FUNCTION regress_tls.chk(what text, actual anyelement, expected anyelement)
RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN actual IS NOT DISTINCT FROM expected THEN what || ': ok'
		ELSE what || ': MISMATCH ' || coalesce(actual::text, 'NULL') || ' <> ' || coalesce(expected::text, 'NULL') END
$$;
CREATE FUNCTION regress_tls.hex_to_numeric(h text) RETURNS numeric LANGUAGE sql AS $$
	WITH RECURSIVE d(i, v) AS (
		SELECT 0, 0::numeric
		UNION ALL
		SELECT i + 1, v * 16 + (strpos('0123456789ABCDEF', upper(substr(h, i + 1, 1))) - 1)
		FROM d WHERE i < length(h))
	SELECT v FROM d ORDER BY i DESC LIMIT 1
$$;
CREATE FUNCTION regress_tls.san(line text, prefix text) RETURNS text[] LANGUAGE sql AS $$
	SELECT coalesce(array_agg(substr(x, length(prefix) + 1) ORDER BY n), '{}')
	FROM unnest(string_to_array(line, ', ')) WITH ORDINALITY AS t(x, n)
	WHERE x LIKE prefix || '%'
$$;
-- The SHA-256 of the DER inside a PEM block, formatted as openssl prints it.
CREATE FUNCTION regress_tls.pem_fingerprint(pem text) RETURNS text LANGUAGE sql AS $$
	SELECT upper(string_agg(substr(h, 2 * i + 1, 2), ':' ORDER BY i))
	FROM (SELECT encode(sha256(decode(regexp_replace(pem, '-----[A-Z ]+-----|\s', '', 'g'), 'base64')), 'hex') AS h) x,
		generate_series(0, 31) AS i
$$;

-- The extension block of "openssl x509 -text" as (name, value, critical)
-- rows: names are indented 12 spaces, their value lines 16.
CREATE FUNCTION regress_tls.openssl_extensions(block text)
RETURNS TABLE (name text, value text, critical boolean) LANGUAGE sql AS $$
	WITH lines AS (
		SELECT l, n, count(*) FILTER (WHERE l ~ '^ {12}\S') OVER (ORDER BY n) AS ext
		FROM regexp_split_to_table(block, E'\n') WITH ORDINALITY AS t(l, n)
		WHERE l ~ '^ {12}')
	SELECT regexp_replace(min(l) FILTER (WHERE l ~ '^ {12}\S'), '^ *(.*?): ?(critical)?$', '\1'),
	       string_agg(btrim(l), E'\n' ORDER BY n) FILTER (WHERE l ~ '^ {16}'),
	       bool_or(l ~ '^ {12}\S.*: critical$')
	FROM lines GROUP BY ext ORDER BY ext
$$;

