--
-- Bad input to the field functions: each gets its defined result, with or
-- without a client certificate on the session.  Every error's SQLSTATE is
-- shown after it.
--
\set VERBOSITY terse
\getenv pki PG_TLS_PROBE_PKI

-- No client certificate (verified TLS, password).
SELECT tls_peer_subject_field(NULL) IS NULL AS subject_null_in_null_out,
       tls_peer_issuer_field(NULL) IS NULL AS issuer_null_in_null_out;
SELECT tls_peer_subject_field('');
\echo :LAST_ERROR_SQLSTATE
SELECT tls_peer_subject_field('noSuchField');
\echo :LAST_ERROR_SQLSTATE
SELECT tls_peer_issuer_field('CN=tls_client');
\echo :LAST_ERROR_SQLSTATE
-- Malformed dotted OIDs are unknown names, not some other attribute.
SELECT tls_peer_subject_field('2.5.4.');
\echo :LAST_ERROR_SQLSTATE
SELECT tls_peer_subject_field('2..5');
\echo :LAST_ERROR_SQLSTATE
SELECT tls_peer_subject_field(repeat('x', 100000));
\echo :LAST_ERROR_SQLSTATE
SELECT tls_peer_issuer_field(repeat('1.', 1000) || '1');
\echo :LAST_ERROR_SQLSTATE
SELECT tls_peer_subject_field('title') IS NULL AS known_but_absent;
-- A leading zero makes another spelling, not the same OID.
SELECT tls_peer_subject_field('2.5.4.03');
\echo :LAST_ERROR_SQLSTATE
SELECT tls_peer_subject_field('02.5.4.3');
\echo :LAST_ERROR_SQLSTATE
-- Objects OpenSSL knows that are not attributes of a name, by name or OID.
SELECT tls_peer_subject_field('sha256');
\echo :LAST_ERROR_SQLSTATE
SELECT tls_peer_issuer_field('rsaEncryption');
\echo :LAST_ERROR_SQLSTATE
SELECT tls_peer_subject_field('2.16.840.1.101.3.4.2.1');
\echo :LAST_ERROR_SQLSTATE
SELECT tls_peer_subject_field('subjectAltName');
\echo :LAST_ERROR_SQLSTATE
-- Attributes outside X.520, a zero arc, and a private OID: valid, absent.
SELECT tls_peer_subject_field('DC') IS NULL AS dc_absent,
       tls_peer_subject_field('UID') IS NULL AS uid_absent,
       tls_peer_subject_field('jurisdictionC') IS NULL AS ev_jurisdiction_absent,
       tls_peer_subject_field('0.9.2342.19200300.100.1.25') IS NULL AS dc_oid_absent,
       tls_peer_subject_field('1.3.6.1.4.1.55555.1') IS NULL AS private_oid_absent;

-- The hint, once, in full.
\set VERBOSITY default
SELECT tls_peer_subject_field('commonname');
\set VERBOSITY terse

-- With a client certificate the same names fail the same way.
\set client_conn 'user=tls_client sslcert=' :pki '/client.crt sslkey=' :pki '/client.key'
\connect -reuse-previous=on :client_conn
SELECT peer_certificate_present FROM tls_session();
SELECT tls_peer_subject_field(NULL) IS NULL AS subject_null_in_null_out,
       tls_peer_issuer_field(NULL) IS NULL AS issuer_null_in_null_out;
SELECT tls_peer_subject_field('');
\echo :LAST_ERROR_SQLSTATE
SELECT tls_peer_subject_field('noSuchField');
\echo :LAST_ERROR_SQLSTATE
SELECT tls_peer_subject_field(repeat('é', 1000));
\echo :LAST_ERROR_SQLSTATE
SELECT tls_peer_issuer_field(E'C\\N');
\echo :LAST_ERROR_SQLSTATE
-- Names are case-sensitive, as in OpenSSL.
SELECT tls_peer_subject_field('cn');
\echo :LAST_ERROR_SQLSTATE
-- A failed lookup loses nothing: the session goes on.
SELECT ssl, tls_peer_subject_field('CN') AS cn FROM tls_session();
