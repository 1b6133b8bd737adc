--
-- The connection log with the library preloaded: what an accepted
-- connection records, counters (tls_connection_log_stats() and the
-- outcome counters of tls_connection_outcomes()) and reset, and who may
-- read them.  Refused
-- connections (policy, pg_hba.conf, TLS handshakes) are made and checked
-- by harness/t/testbed_preload.sh, from the client's side too.
--
\set VERBOSITY terse
\getenv socket PG_TLS_PROBE_SOCKET
\getenv port PGPORT

-- This session's own attempt.
SELECT unnest(ARRAY[
       regress_tls.chk('outcome', l.outcome, 'accepted'),
       regress_tls.chk('usename', l.usename, current_user::text),
       regress_tls.chk('datname', l.datname, current_database()::text),
       regress_tls.chk('client_addr', l.client_addr, inet_client_addr()),
       regress_tls.chk('client_port', l.client_port, inet_client_port()),
       regress_tls.chk('ssl', l.ssl, true),
       regress_tls.chk('protocol', l.protocol, t.protocol),
       regress_tls.chk('cipher', l.cipher, t.cipher),
       regress_tls.chk('cipher_bits', l.cipher_bits, t.cipher_bits),
       regress_tls.chk('sni', l.sni, t.sni),
       regress_tls.chk('hba_line', l.hba_line, s.hba_line),
       regress_tls.chk('auth_method', l.auth_method, s.auth_method),
       regress_tls.chk('reason', l.reason, NULL),
       regress_tls.chk('time', l.time BETWEEN s.backend_start AND now(), true)
       ]) AS this_attempt
FROM tls_connection_log l, tls_session() t, tls_sessions s
WHERE l.pid = pg_backend_pid() AND s.pid = l.pid;

-- Every outcome has a row, in the log's order; this session counts already.
SELECT outcome FROM tls_connection_outcomes();
SELECT recorded > 0 AS this_session_counted FROM tls_connection_outcomes() WHERE outcome = 'accepted';

-- Reset: nothing recorded, nothing kept, every outcome counter at 0, with
-- the log's stats_reset.  Then one connection (a socket session that ends
-- at once) is one attempt, with the next id.
SELECT max(id) AS last_id FROM tls_connection_log \gset
SELECT tls_connection_log_reset();
SELECT recorded, overwritten, capacity, stats_reset > now() - interval '1 minute' AS reset_now
FROM tls_connection_log_stats();
SELECT count(*) AS kept FROM tls_connection_log;
SELECT outcome, recorded, stats_reset = (SELECT stats_reset FROM tls_connection_log_stats()) AS log_reset
FROM tls_connection_outcomes();
SELECT format('host=%s port=%s dbname=%s', :'socket', :'port', current_database()) AS local_conn \gset
CREATE ROLE regress_tls_carol LOGIN;
SELECT dblink_connect('carol', :'local_conn' || ' user=regress_tls_carol application_name=regress_tls');
SELECT dblink_disconnect('carol');
SELECT recorded, overwritten FROM tls_connection_log_stats();
SELECT id > :last_id AS next_id, usename, datname = current_database() AS datname, client_addr,
       ssl, protocol, client_subject, auth_method, outcome, reason
FROM tls_connection_log;
SELECT outcome, recorded FROM tls_connection_outcomes();

-- Two connections that authenticate (trust) and are then refused: a role
-- that may not log in, an unknown database.  Each counts once, as refused,
-- not as accepted; and every attempt since the reset counts under one
-- outcome.
CREATE ROLE regress_tls_nologin NOLOGIN;
SELECT dblink_connect('nologin', :'local_conn' || ' user=regress_tls_nologin');
SELECT dblink_connect('nodb', format('host=%s port=%s dbname=regress_tls_no_such_db user=regress_tls_carol',
                                     :'socket', :'port'));
SELECT outcome, recorded FROM tls_connection_outcomes();
SELECT usename, datname = current_database() AS this_database, outcome, reason
FROM tls_connection_log WHERE id > :last_id ORDER BY id;
SELECT (SELECT sum(recorded) FROM tls_connection_outcomes()) =
       (SELECT recorded FROM tls_connection_log_stats()) AS every_attempt_counted_once;

-- Superusers and pg_read_all_stats may read it; only superusers reset it.
CREATE ROLE regress_tls_stats IN ROLE pg_read_all_stats;
SET ROLE regress_tls_carol;
SELECT count(*) FROM tls_connection_log;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tls_connection_log_stats();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tls_connection_outcomes();
\echo :LAST_ERROR_SQLSTATE
SELECT tls_connection_log_reset();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE regress_tls_stats;
SELECT count(*) > 0 AS stats_reads_log FROM tls_connection_log;
SELECT recorded > 0 AS stats_reads_counters FROM tls_connection_log_stats();
SELECT count(*) AS stats_reads_outcomes FROM tls_connection_outcomes();
SELECT tls_connection_log_reset();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE regress_tls_stats;
DROP ROLE regress_tls_carol;
DROP ROLE regress_tls_nologin;
