--
-- tls_audit() on the test bed's first cluster (not preloaded): the checks
-- that a session can provoke and clear by itself.  The checks that need
-- the server reconfigured (certificates, CRLs, ciphers, pg_hba.conf, ssl,
-- the policy) are provoked and cleared by harness/t/testbed_preload.sh.
-- Details hold file names, dates and counts that change every run; the
-- tests look at severity and check, and at details where they are fixed.
--
\set VERBOSITY terse

-- What this cluster is known to have: the library is not preloaded, the
-- test bed's pg_hba.conf admits plaintext from this host (scram-sha-256:
-- low) and checks client certificates without a CRL.
SELECT severity, "check" FROM tls_audit()
WHERE "check" NOT IN ('weak_ciphers')
ORDER BY 1, 2;
-- PostgreSQL's default ssl_ciphers admits suites without forward secrecy.
SELECT current_setting('ssl_ciphers') AS ssl_ciphers,
       (SELECT severity FROM tls_audit() WHERE "check" = 'weak_ciphers') IN ('medium', 'high') AS weak_ciphers;
SELECT detail FROM tls_audit() WHERE "check" = 'policy_inactive';

-- Rows come most severe first.
SELECT bool_and(rank >= lag_rank) AS ordered_by_severity
FROM (SELECT array_position(ARRAY['critical', 'high', 'medium', 'low', 'info'], severity) AS rank,
             lag(array_position(ARRAY['critical', 'high', 'medium', 'low', 'info'], severity), 1, 0)
                 OVER (ORDER BY n) AS lag_rank
      FROM tls_audit() WITH ORDINALITY AS a(severity, "check", detail, hint, n)) x;
-- Every row has a detail and a hint, both full sentences.
SELECT count(*) AS rows_without_sentences FROM tls_audit()
WHERE detail !~ '^[A-Za-z].*\.$' OR hint !~ '^[A-Z].*\.$';

-- Expiry: the fixture's server certificate is valid for 90 days and its
-- CAs for 10 years, so a warning period longer than that provokes the
-- finding and the default (30 days) clears it.
SHOW pg_tls_audit.expiry_warning;
SELECT "check" FROM tls_audit() WHERE "check" LIKE '%expir%';
SET pg_tls_audit.expiry_warning = '91d';
SELECT severity, "check" FROM tls_audit() WHERE "check" LIKE '%expir%';
SET pg_tls_audit.expiry_warning = '3660d';
SELECT severity, "check" FROM tls_audit() WHERE "check" LIKE '%expir%' ORDER BY 2;
SELECT detail ~ '^The server certificate "CN=localhost,O=pg_tls_probe" expires on .*, in (89|90) days \(pg_tls_audit.expiry_warning is 3660 days\)\.$'
       AS detail_names_certificate_and_days
FROM tls_audit() WHERE "check" = 'server_certificate_expiring';
RESET pg_tls_audit.expiry_warning;
SELECT "check" FROM tls_audit() WHERE "check" LIKE '%expir%';
\set VERBOSITY sqlstate
SET pg_tls_audit.expiry_warning = -1;
\set VERBOSITY terse

-- MD5: password_encryption, and a role whose stored hash is MD5.  (From
-- PostgreSQL 18 setting an MD5 password warns; that warning is not what
-- this test is about.)
DO $$
BEGIN
	IF current_setting('md5_password_warnings', true) IS NOT NULL THEN
		PERFORM set_config('md5_password_warnings', 'off', false);
	END IF;
END
$$;
SET password_encryption = 'md5';
SELECT severity, "check" FROM tls_audit() WHERE "check" LIKE '%md5%';
CREATE ROLE regress_tls_md5 LOGIN PASSWORD 'regress_tls_md5_secret';
SELECT severity, "check", detail FROM tls_audit() WHERE "check" LIKE '%md5%' ORDER BY 2;
RESET password_encryption;
SELECT severity, "check" FROM tls_audit() WHERE "check" LIKE '%md5%';
ALTER ROLE regress_tls_md5 PASSWORD 'regress_tls_md5_secret';
SELECT "check" FROM tls_audit() WHERE "check" LIKE '%md5%';
DROP ROLE regress_tls_md5;

-- A live TCP session without TLS: this one, reconnected in plaintext.
SELECT "check" FROM tls_audit() WHERE "check" = 'sessions_without_tls';
\connect -reuse-previous=on "sslmode=disable"
SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();
SELECT severity, "check", detail FROM tls_audit() WHERE "check" = 'sessions_without_tls';
\connect -reuse-previous=on "sslmode=verify-full"
-- The plaintext backend may still be exiting: wait until it is gone.
DO $$
BEGIN
	FOR i IN 1..200 LOOP
		PERFORM pg_stat_clear_snapshot();
		EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
		                      WHERE NOT s.ssl AND a.client_addr IS NOT NULL);
		PERFORM pg_sleep(0.05);
	END LOOP;
END
$$;
SELECT "check" FROM tls_audit() WHERE "check" = 'sessions_without_tls';

-- Privileges: without them a check says it was not run, and nothing of
-- pg_hba.conf, the password hashes or other sessions shows.
CREATE ROLE regress_tls_auditor;
SET ROLE regress_tls_auditor;
SELECT severity, "check", detail FROM tls_audit() WHERE severity = 'info' ORDER BY detail;
SELECT count(*) AS privileged_findings FROM tls_audit()
WHERE "check" IN ('hba_plaintext', 'clientcert_without_crl', 'md5_passwords',
                  'sessions_without_tls', 'min_protocol', 'weak_ciphers');
RESET ROLE;
-- pg_read_all_settings opens the settings checks, pg_read_all_stats the
-- sessions check; pg_hba_file_rules stays closed without its own grants.
GRANT pg_read_all_settings, pg_read_all_stats TO regress_tls_auditor;
SET ROLE regress_tls_auditor;
SELECT severity, "check", detail FROM tls_audit() WHERE severity = 'info' ORDER BY detail;
SELECT count(*) > 0 AS weak_ciphers_checked FROM tls_audit() WHERE "check" = 'weak_ciphers';
RESET ROLE;
GRANT SELECT ON pg_hba_file_rules TO regress_tls_auditor;
GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO regress_tls_auditor;
SET ROLE regress_tls_auditor;
SELECT severity, "check" FROM tls_audit() WHERE "check" IN ('hba_plaintext', 'clientcert_without_crl', 'not_checked')
ORDER BY 1, 2;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION pg_hba_file_rules() FROM regress_tls_auditor;
REVOKE SELECT ON pg_hba_file_rules FROM regress_tls_auditor;
DROP ROLE regress_tls_auditor;
