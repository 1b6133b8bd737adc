--
-- tls_server_certificates() and tls_crls() on the test bed's first cluster
-- (not preloaded): the fixture's ssl_cert_file holds the server certificate
-- and its intermediate, ssl_ca_file the root.  Values are checked against
-- the files themselves and against tls_server_certificate(), which reads
-- the session's TLS state.  The preloaded cluster's checks of served, of
-- CRLs and of a replaced file are in harness/t/test_audit_wire.sh.
--
\set VERBOSITY terse

SELECT role, source = current_setting('ssl_cert_file') AS from_cert_file,
       source = current_setting('ssl_ca_file') AS from_ca_file,
       sent, served, served_detail
FROM tls_server_certificates() WITH ORDINALITY AS t
ORDER BY ordinality;

-- The server row is the certificate this TLS session was given.
SELECT s.sha256_fingerprint = c.sha256_fingerprint AS same_fingerprint,
       s.subject = c.subject AS same_subject,
       s.not_after = c.not_after AS same_not_after,
       s.pem = c.pem AS same_pem
FROM tls_server_certificates() s, tls_server_certificate() c
WHERE s.role = 'server';

-- Each row's fingerprint is the SHA-256 of the DER in its own PEM, and each
-- PEM is in the file the row names.
SELECT role, sha256_fingerprint = regress_tls.pem_fingerprint(pem) AS fingerprint_of_pem,
       strpos(pg_read_file(source), pem) > 0 AS pem_in_source
FROM tls_server_certificates() ORDER BY role;

-- The chain: the intermediate issued the server certificate, the root the
-- intermediate.
SELECT (SELECT issuer FROM tls_server_certificates() WHERE role = 'server') =
       (SELECT subject FROM tls_server_certificates() WHERE role = 'intermediate') AS intermediate_issued_server,
       (SELECT issuer FROM tls_server_certificates() WHERE role = 'intermediate') =
       (SELECT subject FROM tls_server_certificates() WHERE role = 'ca') AS root_issued_intermediate;

-- days_left counts whole days to not_after: the fixture's server
-- certificate is valid for 90 days.
SELECT role, days_left = floor(extract(epoch FROM not_after - now()) / 86400)::int AS days_left_matches,
       days_left BETWEEN 88 AND 90 AS about_90_days
FROM tls_server_certificates() WHERE role = 'server';

-- No CRL is configured on this cluster.
SELECT count(*) AS crls FROM tls_crls();

-- For pg_monitor and superusers only.
CREATE ROLE regress_tls_monitor IN ROLE pg_monitor;
CREATE ROLE regress_tls_nomonitor;
SET ROLE regress_tls_nomonitor;
SELECT count(*) FROM tls_server_certificates();
SELECT count(*) FROM tls_crls();
RESET ROLE;
SET ROLE regress_tls_monitor;
SELECT count(*) AS certificates FROM tls_server_certificates();
SELECT count(*) AS crls FROM tls_crls();
RESET ROLE;
DROP ROLE regress_tls_monitor, regress_tls_nomonitor;
