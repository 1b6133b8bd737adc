--
-- Set-up of the suite that runs on the test bed's second cluster, which
-- preloads pg_tls_audit (harness/t/testbed_preload.sh): the extension, dblink
-- for sessions of other roles, and the check helper.
--
\set VERBOSITY terse
-- Preloaded: no warning.
CREATE EXTENSION pg_tls_audit;
CREATE EXTENSION dblink;
CREATE SCHEMA regress_tls;
GRANT USAGE ON SCHEMA regress_tls TO PUBLIC;
CREATE FUNCTION regress_tls.chk(what text, actual anyelement, expected anyelement)
RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN actual IS NOT DISTINCT FROM expected THEN what || ': ok'
		ELSE what || ': MISMATCH ' || coalesce(actual::text, 'NULL') || ' <> ' || coalesce(expected::text, 'NULL') END
$$;
-- Wait (up to 10 s) until a backend has left pg_stat_activity.
CREATE FUNCTION regress_tls.wait_gone(p integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	FOR i IN 1..200 LOOP
		PERFORM pg_stat_clear_snapshot();
		IF NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = p) THEN
			RETURN true;
		END IF;
		PERFORM pg_sleep(0.05);
	END LOOP;
	RETURN false;
END
$$;

SHOW shared_preload_libraries;
SHOW pg_tls_audit.connection_log_size;
SELECT severity, "check" FROM tls_audit() WHERE "check" LIKE 'policy%';
-- The ring's size is fixed at server start.
\set VERBOSITY default
ALTER SYSTEM SET pg_tls_audit.connection_log_size = 8;
\set VERBOSITY terse
