--
-- Client-certificate sessions: the fixture's client certificate with a rich
-- subject (several OU, UTF-8, an emailAddress, a DN longer than 63 bytes),
-- then its edge-case certificate (NUL bytes, an over-long OU, 186 SANs).
-- Values are checked against the openssl command reading the same files,
-- contrib/sslinfo and pg_stat_ssl.
--
\set VERBOSITY terse
\getenv pki PG_TLS_PROBE_PKI

\set client_conn 'user=tls_client sslcert=' :pki '/client.crt sslkey=' :pki '/client.key'
\connect -reuse-previous=on :client_conn
SELECT current_user, ssl, peer_certificate_present FROM tls_session();

\set cert client.crt
\set source 'tls_peer_certificate()'
\i sql/x509_check.inc

-- Where sslinfo and pg_stat_ssl show the same values, they agree.
SELECT unnest(ARRAY[
       regress_tls.chk('serial (sslinfo)', c.serial, ssl_client_serial()),
       regress_tls.chk('serial (pg_stat_ssl)', c.serial, p.client_serial),
       -- pg_stat_ssl cuts the DN at 63 bytes; sslinfo and we do not
       regress_tls.chk('pg_stat_ssl client_dn is a 63-byte prefix of sslinfo''s',
                   octet_length(p.client_dn) = 63 AND strpos(ssl_client_dn(), p.client_dn) = 1, true),
       regress_tls.chk('subject is full length', octet_length(c.subject) > 63, true),
       regress_tls.chk('issuer (pg_stat_ssl, same printer as sslinfo)', p.issuer_dn, ssl_issuer_dn())
       ]) AS sslinfo_and_pg_stat_ssl
FROM tls_peer_certificate() c, pg_stat_ssl p
WHERE p.pid = pg_backend_pid();

-- The certificate the server presented is still its own, not the client's.
SELECT s.sha256_fingerprint <> c.sha256_fingerprint AS distinct_certificates
FROM tls_server_certificate() s, tls_peer_certificate() c;

-- Field lookups: short name, long name and OID agree, and match sslinfo
-- for single-valued fields.  A repeated field (OU) returns every value in
-- certificate order, commas inside values escaped as RFC 2253 does.
SELECT unnest(ARRAY[
       regress_tls.chk('CN', tls_peer_subject_field('CN'), ssl_client_dn_field('CN')),
       regress_tls.chk('commonName', tls_peer_subject_field('commonName'), ssl_client_dn_field('CN')),
       regress_tls.chk('2.5.4.3', tls_peer_subject_field('2.5.4.3'), ssl_client_dn_field('CN')),
       regress_tls.chk('emailAddress', tls_peer_subject_field('emailAddress'), ssl_client_dn_field('emailAddress')),
       regress_tls.chk('C', tls_peer_subject_field('countryName'), ssl_client_dn_field('C')),
       regress_tls.chk('first OU (sslinfo shows only the first)',
                   split_part(tls_peer_subject_field('OU'), ',', 1), ssl_client_dn_field('OU')),
       regress_tls.chk('issuer CN', tls_peer_issuer_field('CN'), ssl_issuer_field('CN')),
       regress_tls.chk('issuer organizationName', tls_peer_issuer_field('organizationName'), ssl_issuer_field('O'))
       ]) AS field_lookups;
SELECT tls_peer_subject_field('OU') AS ou,
       tls_peer_subject_field('O') AS o,
       ssl_client_dn_field('O') AS o_sslinfo,
       tls_peer_issuer_field('2.5.4.3') AS issuer_cn;
-- Known names the certificate does not carry: NULL.
SELECT tls_peer_subject_field('title') IS NULL AS no_title,
       tls_peer_subject_field('1.2.3.4') IS NULL AS no_private_oid,
       tls_peer_issuer_field('OU') IS NULL AS no_issuer_ou;

-- Extensions, against the extension block of "openssl x509 -text".
\set cli_extensions `openssl x509 -in :'x509_file' -noout -text -certopt no_header,no_version,no_serial,no_signame,no_validity,no_subject,no_issuer,no_pubkey,no_sigdump,no_aux`
SELECT e.name, e.critical,
       CASE WHEN regexp_replace(e.value, '\n\s*', E'\n', 'g') = o.value THEN 'ok'
            ELSE 'MISMATCH ' || e.value || ' <> ' || o.value END AS value
FROM tls_peer_extensions() WITH ORDINALITY AS e(name, value, critical, n)
FULL JOIN regress_tls.openssl_extensions(:'cli_extensions') WITH ORDINALITY AS o(name, value, critical, n)
  ON o.n = e.n AND o.name = e.name AND o.critical = e.critical
ORDER BY coalesce(e.n, o.n);

-- The edge-case certificate: NUL bytes escaped, nothing truncated.
\set edge_file :pki '/client_edge.crt'
\set edge_subject `openssl x509 -in :'edge_file' -noout -subject -nameopt RFC2253,-esc_msb | sed 's/^subject=//'`
\set edge_fingerprint `openssl x509 -in :'edge_file' -noout -fingerprint -sha256 | sed 's/^.*Fingerprint=//'`
\set edge_conn 'user=tls_client sslcert=' :pki '/client_edge.crt sslkey=' :pki '/client_edge.key'
\connect -reuse-previous=on :edge_conn
SELECT unnest(ARRAY[
       regress_tls.chk('subject', c.subject, :'edge_subject'),
       regress_tls.chk('sha256_fingerprint', c.sha256_fingerprint, :'edge_fingerprint'),
       -- openssl refuses to print a subjectAltName holding a NUL byte, so
       -- the SANs are compared with what the fixture was asked to write
       regress_tls.chk('san_dns', c.san_dns,
                   ARRAY(SELECT format('host-%s.pg-tls-probe.test', to_char(i, 'FM000'))
                         FROM generate_series(0, 149) i)
                   || 'evil.test\00.pg-tls-probe.test'::text),
       regress_tls.chk('san_ip', c.san_ip,
                   ARRAY(SELECT ('192.0.2.' || i)::inet FROM generate_series(1, 20) i)
                   || ARRAY(SELECT ('2001:db8::' || i)::inet FROM generate_series(1, 5) i)),
       regress_tls.chk('san_email', c.san_email,
                   ARRAY(SELECT 'edge-' || i || '@example.com' FROM generate_series(0, 9) i))
       ]) AS edge_certificate
FROM tls_peer_certificate() c;
SELECT octet_length(subject) AS subject_bytes,
       cardinality(san_dns) AS dns, cardinality(san_ip) AS ip, cardinality(san_email) AS email,
       san_dns[151] AS nul_dns_name
FROM tls_peer_certificate();
SELECT tls_peer_subject_field('O') AS o_with_nul,
       octet_length(tls_peer_subject_field('OU')) AS ou_bytes,
       substr(tls_peer_subject_field('OU'), 1, 14) AS ou_start,
       tls_peer_subject_field('CN') AS cn;
SELECT name, critical, octet_length(value) > 0 AS has_value FROM tls_peer_extensions();
