--
-- The shape of the 1.0 API, asserted with pgTAP: signatures, return types,
-- volatility, strictness, parallel safety and privileges.
--
\set VERBOSITY terse
\set QUIET on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
RESET client_min_messages;
\set QUIET off

SELECT plan(42);

SELECT has_function('tls_session', '{}'::name[]);
SELECT has_function('tls_peer_certificate', '{}'::name[]);
SELECT has_function('tls_server_certificate', '{}'::name[]);
SELECT has_function('tls_peer_subject_field', ARRAY['text']);
SELECT has_function('tls_peer_issuer_field', ARRAY['text']);
SELECT has_function('tls_peer_extensions', '{}'::name[]);

SELECT function_returns('tls_session', '{}'::name[], 'record');
SELECT function_returns('tls_peer_certificate', '{}'::name[], 'setof tls_certificate');
SELECT function_returns('tls_server_certificate', '{}'::name[], 'setof tls_certificate');
SELECT function_returns('tls_peer_subject_field', ARRAY['text'], 'text');
SELECT function_returns('tls_peer_issuer_field', ARRAY['text'], 'text');
SELECT function_returns('tls_peer_extensions', '{}'::name[], 'setof record');

SELECT function_lang_is(f, '{}'::name[], 'c')
FROM unnest(ARRAY['tls_session', 'tls_peer_certificate', 'tls_server_certificate',
                  'tls_peer_extensions']::name[]) AS f;

-- Session state does not change within a statement: STABLE.
SELECT volatility_is(f, a, 'stable')
FROM (VALUES ('tls_session'::name, '{}'::name[]), ('tls_peer_certificate', '{}'),
             ('tls_server_certificate', '{}'), ('tls_peer_subject_field', '{text}'),
             ('tls_peer_issuer_field', '{text}'), ('tls_peer_extensions', '{}')) AS v(f, a);

SELECT is_strict('tls_peer_subject_field', ARRAY['text']);
SELECT is_strict('tls_peer_issuer_field', ARRAY['text']);

-- Parallel workers have no client connection.
SELECT is(p.proparallel, 'r', p.proname || ' is PARALLEL RESTRICTED')
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_tls_audit'
ORDER BY p.proname;

SELECT is((SELECT count(*)::int FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
           WHERE e.extname = 'pg_tls_audit' AND d.classid = 'pg_proc'::regclass),
          6, 'the extension has exactly six functions');

SELECT is(has_function_privilege('public', p.oid, 'EXECUTE'), true,
          p.proname || ' is executable by PUBLIC')
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_tls_audit'
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

SELECT * FROM finish();
