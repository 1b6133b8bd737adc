--
-- The shape of the 1.2 API, asserted with pgTAP: signatures, return types,
-- volatility, strictness, parallel safety and privileges.
--
\set VERBOSITY terse
\set QUIET on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
RESET client_min_messages;
\set QUIET off

SELECT plan(120);

SELECT has_function('tls_session', '{}'::name[]);
SELECT has_function('tls_peer_certificate', '{}'::name[]);
SELECT has_function('tls_server_certificate', '{}'::name[]);
SELECT has_function('tls_peer_subject_field', ARRAY['text']);
SELECT has_function('tls_peer_issuer_field', ARRAY['text']);
SELECT has_function('tls_peer_extensions', '{}'::name[]);
SELECT has_function('tls_get_sessions', '{}'::name[]);
SELECT has_function('tls_get_connection_log', '{}'::name[]);
SELECT has_function('tls_connection_log_stats', '{}'::name[]);
SELECT has_function('tls_connection_log_reset', '{}'::name[]);
SELECT has_function('tls_audit', '{}'::name[]);
SELECT has_function('tls_server_certificates', '{}'::name[]);
SELECT has_function('tls_crls', '{}'::name[]);
SELECT has_function('tls_connection_outcomes', '{}'::name[]);
SELECT has_function('tls_links', '{}'::name[]);
SELECT has_view('tls_sessions');
SELECT has_view('tls_connection_log');

SELECT function_returns('tls_session', '{}'::name[], 'record');
SELECT function_returns('tls_peer_certificate', '{}'::name[], 'setof tls_certificate');
SELECT function_returns('tls_server_certificate', '{}'::name[], 'setof tls_certificate');
SELECT function_returns('tls_peer_subject_field', ARRAY['text'], 'text');
SELECT function_returns('tls_peer_issuer_field', ARRAY['text'], 'text');
SELECT function_returns('tls_peer_extensions', '{}'::name[], 'setof record');
SELECT function_returns('tls_get_sessions', '{}'::name[], 'setof record');
SELECT function_returns('tls_get_connection_log', '{}'::name[], 'setof record');
SELECT function_returns('tls_connection_log_stats', '{}'::name[], 'record');
SELECT function_returns('tls_connection_log_reset', '{}'::name[], 'void');
SELECT function_returns('tls_audit', '{}'::name[], 'setof record');
SELECT function_returns('tls_server_certificates', '{}'::name[], 'setof record');
SELECT function_returns('tls_crls', '{}'::name[], 'setof record');
SELECT function_returns('tls_connection_outcomes', '{}'::name[], 'setof record');
SELECT function_returns('tls_links', '{}'::name[], 'setof record');

SELECT function_lang_is(f, '{}'::name[], 'c')
FROM unnest(ARRAY['tls_session', 'tls_peer_certificate', 'tls_server_certificate',
                  'tls_peer_extensions', 'tls_get_sessions', 'tls_get_connection_log',
                  'tls_connection_log_stats', 'tls_connection_log_reset', 'tls_audit',
                  'tls_server_certificates', 'tls_crls', 'tls_connection_outcomes',
                  'tls_links']::name[]) AS f;

-- Session state does not change within a statement: STABLE.
SELECT volatility_is(f, a, 'stable')
FROM (VALUES ('tls_session'::name, '{}'::name[]), ('tls_peer_certificate', '{}'),
             ('tls_server_certificate', '{}'), ('tls_peer_subject_field', '{text}'),
             ('tls_peer_issuer_field', '{text}'), ('tls_peer_extensions', '{}')) AS v(f, a);

-- Other sessions, the shared log, files and the clock change under a
-- statement: VOLATILE.
SELECT volatility_is(f, '{}'::name[], 'volatile')
FROM unnest(ARRAY['tls_get_sessions', 'tls_get_connection_log', 'tls_connection_log_stats',
                  'tls_connection_log_reset', 'tls_audit', 'tls_server_certificates',
                  'tls_crls', 'tls_connection_outcomes', 'tls_links']::name[]) AS f;

SELECT is_strict('tls_peer_subject_field', ARRAY['text']);
SELECT is_strict('tls_peer_issuer_field', ARRAY['text']);

-- Parallel workers have no client connection, and the 1.1 to 1.3 functions read
-- the leader's privileges and shared state: all PARALLEL RESTRICTED.
SELECT is(p.proparallel, 'r', p.proname || ' is PARALLEL RESTRICTED')
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_tls_audit'
ORDER BY p.proname;

SELECT is((SELECT count(*)::int FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
           WHERE e.extname = 'pg_tls_audit' AND d.classid = 'pg_proc'::regclass),
          15, 'the extension has exactly fifteen functions');

-- What reports on the caller's own session, on sessions it may see, or on
-- checks it may run is for PUBLIC; the connection log shows every role's
-- attempts and its outcome counters are for pg_read_all_stats; only
-- superusers reset them; the server's certificate and CRL files are for
-- pg_monitor.
SELECT is(has_function_privilege('public', p.oid, 'EXECUTE'),
          p.proname NOT IN ('tls_get_connection_log', 'tls_connection_log_stats', 'tls_connection_log_reset',
                            'tls_connection_outcomes', 'tls_server_certificates', 'tls_crls'),
          p.proname || CASE WHEN p.proname IN ('tls_get_connection_log', 'tls_connection_log_stats',
                                               'tls_connection_log_reset', 'tls_connection_outcomes',
                                               'tls_server_certificates', 'tls_crls')
                            THEN ' is not executable by PUBLIC' ELSE ' is executable by PUBLIC' END)
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_tls_audit'
ORDER BY p.proname;
SELECT is(has_function_privilege('pg_read_all_stats', f, 'EXECUTE'), true,
          f || ' is executable by pg_read_all_stats')
FROM unnest(ARRAY['tls_get_connection_log()', 'tls_connection_log_stats()', 'tls_connection_outcomes()']) AS f;
SELECT is(has_function_privilege('pg_read_all_stats', 'tls_connection_log_reset()', 'EXECUTE'), false,
          'tls_connection_log_reset() is not executable by pg_read_all_stats');
SELECT is(has_function_privilege('pg_monitor', f, 'EXECUTE'), true,
          f || ' is executable by pg_monitor')
FROM unnest(ARRAY['tls_server_certificates()', 'tls_crls()']) AS f;
SELECT is(has_function_privilege('pg_read_all_stats', f, 'EXECUTE'), false,
          f || ' is not executable by pg_read_all_stats alone')
FROM unnest(ARRAY['tls_server_certificates()', 'tls_crls()']) AS f;
SELECT is(has_table_privilege('public', 'tls_sessions', 'SELECT'), true,
          'tls_sessions is readable by PUBLIC');
SELECT is(has_table_privilege('public', 'tls_connection_log', 'SELECT'), false,
          'tls_connection_log is not readable by PUBLIC');
SELECT is(has_table_privilege('pg_read_all_stats', 'tls_connection_log', 'SELECT'), true,
          'tls_connection_log is readable by pg_read_all_stats');
SELECT is(p.prosecdef, false, p.proname || ' is not SECURITY DEFINER')
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_tls_audit'
WHERE p.proname IN ('tls_get_sessions', 'tls_audit', 'tls_links')
ORDER BY p.proname;

SELECT has_type('tls_certificate');
SELECT is(
    (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
     FROM pg_attribute a WHERE a.attrelid = 'tls_certificate'::regclass AND a.attnum > 0),
    'subject text, issuer text, serial numeric, serial_hex text, not_before timestamp with time zone, '
    'not_after timestamp with time zone, sha256_fingerprint text, san_dns text[], san_ip inet[], '
    'san_email text[], key_algorithm text, key_bits integer, signature_algorithm text, pem text',
    'tls_certificate columns and types');
SELECT is(
    (SELECT pg_get_function_result('tls_session'::regproc)),
    'record',
    'tls_session returns a record');
SELECT is(
    (SELECT pg_get_function_arguments('tls_session'::regproc)),
    'OUT ssl boolean, OUT protocol text, OUT cipher text, OUT cipher_bits integer, OUT sni text, '
    'OUT alpn text, OUT key_exchange_group text, OUT peer_certificate_present boolean',
    'tls_session columns and types');
SELECT is(
    (SELECT pg_get_function_arguments('tls_peer_extensions'::regproc)),
    'OUT name text, OUT value text, OUT critical boolean',
    'tls_peer_extensions columns and types');

SELECT is(
    (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
     FROM pg_attribute a WHERE a.attrelid = 'tls_sessions'::regclass AND a.attnum > 0),
    'pid integer, usename name, datname name, client_addr inet, client_port integer, '
    'application_name text, backend_start timestamp with time zone, ssl boolean, protocol text, '
    'cipher text, cipher_bits integer, client_subject text, client_issuer text, client_serial numeric, '
    'client_not_after timestamp with time zone, sni text, hba_line integer, auth_method text, '
    'source text, unavailable text[]',
    'tls_sessions columns and types');
SELECT is(
    (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
     FROM pg_attribute a WHERE a.attrelid = 'tls_connection_log'::regclass AND a.attnum > 0),
    'id bigint, time timestamp with time zone, pid integer, usename text, datname text, '
    'client_addr inet, client_port integer, ssl boolean, protocol text, cipher text, '
    'cipher_bits integer, sni text, client_subject text, client_serial numeric, hba_line integer, '
    'auth_method text, outcome text, reason text',
    'tls_connection_log columns and types');
SELECT is(
    (SELECT pg_get_function_arguments('tls_connection_log_stats'::regproc)),
    'OUT recorded bigint, OUT overwritten bigint, OUT capacity integer, OUT stats_reset timestamp with time zone',
    'tls_connection_log_stats columns and types');
SELECT is(
    (SELECT pg_get_function_arguments('tls_connection_outcomes'::regproc)),
    'OUT outcome text, OUT recorded bigint, OUT stats_reset timestamp with time zone',
    'tls_connection_outcomes columns and types');
SELECT is(
    (SELECT pg_get_function_arguments('tls_audit'::regproc)),
    'OUT severity text, OUT "check" text, OUT detail text, OUT hint text',
    'tls_audit columns and types');

SELECT is(
    (SELECT pg_get_function_arguments('tls_server_certificates'::regproc)),
    'OUT role text, OUT subject text, OUT issuer text, OUT serial numeric, OUT serial_hex text, '
    'OUT not_before timestamp with time zone, OUT not_after timestamp with time zone, '
    'OUT sha256_fingerprint text, OUT san_dns text[], OUT san_ip inet[], OUT san_email text[], '
    'OUT key_algorithm text, OUT key_bits integer, OUT signature_algorithm text, OUT pem text, '
    'OUT days_left integer, OUT source text, OUT sent boolean, OUT served boolean, OUT served_detail text',
    'tls_server_certificates columns and types');
SELECT is(
    (SELECT pg_get_function_arguments('tls_crls'::regproc)),
    'OUT issuer text, OUT this_update timestamp with time zone, OUT next_update timestamp with time zone, '
    'OUT revoked integer, OUT source text',
    'tls_crls columns and types');
-- The certificate columns of tls_server_certificates are tls_certificate's.
SELECT is(
    (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
     FROM pg_attribute a WHERE a.attrelid = 'tls_certificate'::regclass AND a.attnum > 0),
    (SELECT string_agg(n || ' ' || format_type(t, -1), ', ' ORDER BY i)
     FROM pg_proc p, unnest(p.proallargtypes, p.proargnames) WITH ORDINALITY AS u(t, n, i)
     WHERE p.oid = 'tls_server_certificates'::regproc AND i BETWEEN 2 AND 15),
    'tls_server_certificates carries the tls_certificate columns');

SELECT * FROM finish();
