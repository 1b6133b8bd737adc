--
-- tls_sessions with the library preloaded: every session's slot, filled at
-- authentication and cleared at exit, and who may see which session.
-- Values are checked against tls_session(), tls_peer_certificate(),
-- pg_stat_activity and pg_hba_file_rules of the same run.
--
\set VERBOSITY terse
\getenv pki PG_TLS_PROBE_PKI
\getenv socket PG_TLS_PROBE_SOCKET
\getenv port PGPORT

-- This session: verified TLS, password, from shared memory.
SELECT s.source, s.unavailable,
       unnest(ARRAY[
       regress_tls.chk('usename', s.usename, current_user::name),
       regress_tls.chk('client_addr', s.client_addr, inet_client_addr()),
       regress_tls.chk('backend_start', s.backend_start, a.backend_start),
       regress_tls.chk('ssl', s.ssl, t.ssl),
       regress_tls.chk('protocol', s.protocol, t.protocol),
       regress_tls.chk('cipher', s.cipher, t.cipher),
       regress_tls.chk('cipher_bits', s.cipher_bits, t.cipher_bits),
       regress_tls.chk('sni', s.sni, t.sni),
       regress_tls.chk('no client certificate', s.client_subject, NULL),
       regress_tls.chk('hba_line', s.hba_line,
                       (SELECT line_number FROM pg_hba_file_rules
                        WHERE type = 'hostssl' AND user_name = '{all}' AND database = '{all}'
                          AND address = host(inet_client_addr()))),
       regress_tls.chk('auth_method', s.auth_method, 'scram-sha-256')
       ]) AS this_session
FROM tls_sessions s, tls_session() t, pg_stat_activity a
WHERE s.pid = pg_backend_pid() AND a.pid = s.pid;

-- Roles for sessions of others, opened over the Unix socket (trust).
CREATE ROLE regress_tls_alice LOGIN;
CREATE ROLE regress_tls_bob LOGIN;
CREATE ROLE regress_tls_alice_deputy LOGIN IN ROLE regress_tls_alice;
CREATE ROLE regress_tls_reader LOGIN IN ROLE pg_read_all_stats;
SELECT line_number AS local_line FROM pg_hba_file_rules WHERE type = 'local' \gset
SELECT format('host=%s port=%s dbname=%s', :'socket', :'port', current_database()) AS local_conn \gset
SELECT dblink_connect('alice', :'local_conn' || ' user=regress_tls_alice');
SELECT dblink_connect('bob', :'local_conn' || ' user=regress_tls_bob');
SELECT dblink_connect('deputy', :'local_conn' || ' user=regress_tls_alice_deputy');
SELECT dblink_connect('reader', :'local_conn' || ' user=regress_tls_reader');

-- A Unix-socket session: no TLS, the local line, trust.
SELECT usename, source, unavailable, ssl, protocol, client_addr,
       hba_line = :local_line AS local_line, auth_method
FROM tls_sessions WHERE usename = 'regress_tls_bob';

-- Who sees what, asked from each role's own session: its own sessions,
-- those of roles it has the privileges of, or all with pg_read_all_stats.
-- (Rows of other sessions do not appear at all, as in pg_stat_ssl.)
SELECT 'alice' AS viewer, * FROM dblink('alice',
       $$SELECT usename, ssl, protocol IS NOT NULL FROM tls_sessions ORDER BY 1$$)
       AS t(usename name, ssl boolean, has_protocol boolean)
UNION ALL
SELECT 'bob', * FROM dblink('bob',
       $$SELECT usename, ssl, protocol IS NOT NULL FROM tls_sessions ORDER BY 1$$)
       AS t(usename name, ssl boolean, has_protocol boolean)
UNION ALL
SELECT 'deputy', * FROM dblink('deputy',
       $$SELECT usename, ssl, protocol IS NOT NULL FROM tls_sessions ORDER BY 1$$)
       AS t(usename name, ssl boolean, has_protocol boolean)
UNION ALL
SELECT 'reader', * FROM dblink('reader',
       $$SELECT usename, ssl, protocol IS NOT NULL FROM tls_sessions
         WHERE usename IN ('postgres', 'regress_tls_alice', 'regress_tls_bob') ORDER BY 1$$)
       AS t(usename name, ssl boolean, has_protocol boolean);
-- The C function applies the same rule by itself.
SELECT * FROM dblink('alice', $$SELECT count(*) FROM tls_get_sessions()$$) AS t(alice_slots bigint);
SELECT * FROM dblink('reader',
       $$SELECT count(*) FROM tls_get_sessions() WHERE pid = (SELECT pid FROM pg_stat_activity
                                                             WHERE usename = 'postgres' AND backend_type = 'client backend'
                                                             AND client_addr IS NOT NULL LIMIT 1)$$)
       AS t(reader_sees_postgres bigint);

-- A slot is cleared when its session ends: by the time the backend has
-- left pg_stat_activity, its slot is gone.
SELECT pid AS bob_pid FROM dblink('bob', 'SELECT pg_backend_pid()') AS t(pid integer) \gset
SELECT count(*) AS bob_slots FROM tls_get_sessions() WHERE pid = :bob_pid;
SELECT dblink_disconnect('bob');
SELECT regress_tls.wait_gone(:bob_pid) AS bob_gone;
SELECT count(*) AS bob_slots FROM tls_get_sessions() WHERE pid = :bob_pid;

SELECT dblink_disconnect('alice'), dblink_disconnect('deputy'), dblink_disconnect('reader');
DROP ROLE regress_tls_alice_deputy, regress_tls_alice, regress_tls_bob, regress_tls_reader;

-- A client-certificate session: subject, issuer, serial and expiry as
-- tls_peer_certificate() shows them, nothing cut, and the cert line.
SELECT max(line_number) FILTER (WHERE address = '127.0.0.1') AS cert_line_ipv4,
       max(line_number) FILTER (WHERE address = '::1') AS cert_line_ipv6
FROM pg_hba_file_rules WHERE type = 'hostssl' AND user_name = '{tls_client}' \gset
\set client_conn 'user=tls_client sslcert=' :pki '/client.crt sslkey=' :pki '/client.key'
\connect -reuse-previous=on :client_conn
SELECT s.source,
       unnest(ARRAY[
       regress_tls.chk('usename', s.usename, 'tls_client'::name),
       regress_tls.chk('client_subject', s.client_subject, c.subject),
       regress_tls.chk('client_issuer', s.client_issuer, c.issuer),
       regress_tls.chk('client_serial', s.client_serial, c.serial),
       regress_tls.chk('client_not_after', s.client_not_after, c.not_after),
       regress_tls.chk('subject longer than pg_stat_ssl keeps', octet_length(s.client_subject) > 63, true),
       regress_tls.chk('auth_method', s.auth_method, 'cert'),
       regress_tls.chk('hba_line', s.hba_line,
                       CASE family(inet_client_addr()) WHEN 4 THEN :cert_line_ipv4 ELSE :cert_line_ipv6 END)
       ]) AS client_certificate_session
FROM tls_sessions s, tls_peer_certificate() c
WHERE s.pid = pg_backend_pid();

-- The edge-case certificate (NUL bytes, 3- and 4-byte UTF-8, 186 SANs):
-- escaped exactly as tls_peer_certificate() escapes it.
\set edge_conn 'user=tls_client sslcert=' :pki '/client_edge.crt sslkey=' :pki '/client_edge.key'
\connect -reuse-previous=on :edge_conn
SELECT regress_tls.chk('edge client_subject', s.client_subject, c.subject) AS edge_certificate,
       s.client_subject LIKE '%nul\\00byte%' AS nul_escaped
FROM tls_sessions s, tls_peer_certificate() c
WHERE s.pid = pg_backend_pid();
