--
-- A database whose encoding is not UTF-8: non-ASCII bytes of a certificate
-- come out escaped as \XX (as openssl's default RFC 2253 output escapes
-- them), so every value is valid in that encoding and nothing is lost.
--
\set VERBOSITY terse
\getenv pki PG_TLS_PROBE_PKI
CREATE DATABASE regress_tls_latin1 ENCODING 'LATIN1' LOCALE 'C' TEMPLATE template0;
\connect -reuse-previous=on "dbname=regress_tls_latin1"
CREATE EXTENSION pg_tls_audit;
\set latin1_conn 'user=tls_client sslcert=' :pki '/client.crt sslkey=' :pki '/client.key'
\connect -reuse-previous=on :latin1_conn
SELECT current_database(), current_user, ssl FROM tls_session();
\set x509_file :pki '/client.crt'
\set x509_subject_escaped `openssl x509 -in :'x509_file' -noout -subject -nameopt RFC2253 | sed 's/^subject=//'`
SELECT subject = :'x509_subject_escaped' AS subject_matches_openssl_escaped,
       subject ~ '^[\x20-\x7e]*$' AS subject_is_ascii
FROM tls_peer_certificate();
SELECT tls_peer_subject_field('OU') AS ou;
\connect -reuse-previous=on "dbname=contrib_regression user=postgres"
DROP DATABASE regress_tls_latin1;
