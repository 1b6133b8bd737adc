/*-------------------------------------------------------------------------
 *
 * scenarios.c
 *		The server scenarios of "pg_tls_probe matrix", and the certificates
 *		and CRLs they need.
 *
 * Every scenario is one real server configuration: the certificate the
 * postmaster presents, whether it has SSL at all, and what its pg_hba.conf
 * admits.  The certificates are minted here, next to the fixture PKI of
 * "pg_tls_probe pki", with the same factory.
 *
 * harness/scenarios.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "matrix.h"
#include "pg_tls_probe.h"

#define LEAF_DAYS	(90 * PTP_DAY)

/* "localhost" under a NUL byte: what CVE-2009-4034 smuggled past checks. */
#define NUL_CN		"localhost\0.evil.pg-tls-probe.test"

static const char *const tls12_settings[] = {"ssl_max_protocol_version=TLSv1.2", NULL};
static const char *const wrong_passphrase_settings[] = {"ssl_passphrase_command=echo wrong-passphrase", NULL};
static const char *const inverted_bounds_settings[] = {
	"ssl_min_protocol_version=TLSv1.3", "ssl_max_protocol_version=TLSv1.2", NULL
};

const Scenario matrix_scenarios[] = {
	{"good", "RSA-2048 leaf via the intermediate, SAN localhost, 127.0.0.1, ::1",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"good-ip", "the good certificate, reached as 127.0.0.1 (IP SAN)",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "127.0.0.1", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"good-ec", "EC P-256 variant of the good certificate",
	"server_ec.crt", "server_ec.key", "localhost", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"mismatch", "valid chain for another name (other.pg-tls-probe.test)",
	"server_mismatch.crt", "server_mismatch.key", "localhost", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_MISMATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"cn-only", "CN=localhost and no subjectAltName",
	"server_cn_only.crt", "server_cn_only.key", "localhost", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"wildcard-one-label", "*.wild.pg-tls-probe.test, reached as one.wild.pg-tls-probe.test",
	"server_wildcard.crt", "server_wildcard.key", "one.wild.pg-tls-probe.test", "127.0.0.1",
	true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"wildcard-two-labels", "*.wild.pg-tls-probe.test, reached as two.one.wild.pg-tls-probe.test",
	"server_wildcard.crt", "server_wildcard.key", "two.one.wild.pg-tls-probe.test", "127.0.0.1",
	true, HBA_ANY, CHAIN_TRUSTED, NAME_MISMATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"no-names", "neither a CN nor a subjectAltName",
	"server_no_names.crt", "server_no_names.key", "localhost", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_NONE, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"ip-in-cn", "CN=127.0.0.1 and no subjectAltName, reached as 127.0.0.1",
	"server_ip_cn.crt", "server_ip_cn.key", "127.0.0.1", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_IP_IN_CN, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"ip-san", "IP SAN 127.0.0.1 only, reached as 127.0.0.1",
	"server_ip_san.crt", "server_ip_san.key", "127.0.0.1", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"expired", "valid chain, expired 30 days ago",
	"server_expired.crt", "server_expired.key", "localhost", NULL, true, HBA_ANY, CHAIN_EXPIRED, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"not-yet-valid", "valid chain, valid from 30 days on",
	"server_not_yet_valid.crt", "server_not_yet_valid.key", "localhost", NULL, true, HBA_ANY, CHAIN_NOT_YET_VALID, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"self-signed", "self-signed leaf for localhost",
	"server_self_signed.crt", "server_self_signed.key", "localhost", NULL, true, HBA_ANY, CHAIN_SELF_SIGNED, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"untrusted-ca", "leaf for localhost signed by a CA nobody trusts",
	"server_untrusted.crt", "server_untrusted.key", "localhost", NULL, true, HBA_ANY, CHAIN_UNTRUSTED_CA, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"revoked", "valid chain, serial listed in the intermediate's CRL",
	"server_revoked.crt", "server_revoked.key", "localhost", NULL, true, HBA_ANY, CHAIN_REVOKED, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"nul-in-cn", "CN \"localhost\\0.evil.pg-tls-probe.test\" (CVE-2009-4034), no SAN",
	"server_nul_cn.crt", "server_nul_cn.key", "localhost", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_NUL_IN_CN, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"ssl-off", "ssl = off",
	NULL, NULL, "localhost", NULL, false, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"hostssl-only", "the good certificate; pg_hba.conf has hostssl lines only",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", NULL, true, HBA_HOSTSSL_ONLY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"client-cert", "the good certificate; hostssl with clientcert=verify-full",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", NULL, true, HBA_CLIENT_CERT, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, false, false},
	{"client-cert-verify-ca", "the good certificate; hostssl with clientcert=verify-ca (any user name)",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", NULL, true, HBA_CLIENT_CERT_CA, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL,
	NULL, START_OK, true, false},
	{"passphrase", "the EC certificate, its key encrypted; ssl_passphrase_command gives the passphrase",
	"server_ec.crt", MATRIX_SERVER_PASS_KEY, "localhost", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL,
	NULL, START_OK, true, false},
	{"tls12-max", "the good certificate; ssl_max_protocol_version = TLSv1.2",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL,
	tls12_settings, START_OK, true, true},
	{"cn-ignored-with-sans", "CN=localhost, DNS SAN other.pg-tls-probe.test only, reached as localhost",
	"server_cn_and_sans.crt", "server_cn_and_sans.key", "localhost", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_MISMATCH, ATTACK_NONE, NULL,
	NULL, START_OK, true, false},
	{"cn-fallback-ip-sans", "CN=localhost, IP SAN 127.0.0.1 only, reached as localhost",
	"server_cn_ip_sans.crt", "server_cn_ip_sans.key", "localhost", "127.0.0.1", true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL,
	NULL, START_OK, true, false},
	{"ip-in-dnsname", "dNSName SAN \"127.0.0.1\" only, reached as 127.0.0.1",
	"server_ip_in_dns.crt", "server_ip_in_dns.key", "127.0.0.1", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_IP_IN_DNS, ATTACK_NONE, NULL,
	NULL, START_OK, true, false},
	{"ipv6-san", "the good certificate (IP SAN ::1), reached as host ::1 (hostaddr 127.0.0.1)",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "::1", "127.0.0.1", true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL,
	NULL, START_OK, true, false},
	{"ipv6-long-form", "the good certificate (IP SAN ::1), reached as host 0:0::1 (hostaddr 127.0.0.1)",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "0:0::1", "127.0.0.1", true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL,
	NULL, START_OK, true, false},
	{"ipv6-cidr-suffix", "the good certificate (IP SAN ::1), reached as host ::1/128 (not an address)",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "::1/128", "127.0.0.1", true, HBA_ANY, CHAIN_TRUSTED, NAME_MISMATCH, ATTACK_NONE, NULL,
	NULL, START_OK, true, false},

	/*
	 * Servers that must refuse to start: the matrix tries each once, after
	 * every other scenario, and runs no client case against it.
	 */
	{"passphrase-wrong", "the encrypted key with ssl_passphrase_command giving a wrong passphrase",
	"server_ec.crt", MATRIX_SERVER_PASS_KEY, "localhost", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL,
	wrong_passphrase_settings, START_BAD_PASSPHRASE, false, false},
	{"tls-inverted-bounds", "ssl_min_protocol_version = TLSv1.3 above ssl_max_protocol_version = TLSv1.2",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL,
	inverted_bounds_settings, START_INVERTED_BOUNDS, false, false},

	/*
	 * Attackers: the client connects to a proxy in front of the good server
	 * (chain and names: what the proxy presents).
	 */
	{"attack-strip", "a proxy answers the SSLRequest with N (CVE-2017-7485 class)",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", "127.0.0.1", false, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH,
	ATTACK_STRIP, NULL, NULL, START_OK, false, false},
	{"attack-strip-hostssl-upstream", "the same, in front of a server with hostssl lines only",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", "127.0.0.1", false, HBA_HOSTSSL_ONLY, CHAIN_TRUSTED, NAME_MATCH,
	ATTACK_STRIP, NULL, NULL, START_OK, false, false},
	{"attack-forge-self-signed", "a proxy completes TLS on a self-signed copy of the server's certificate",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", "127.0.0.1", true, HBA_ANY, CHAIN_ATTACKER, NAME_MATCH,
	ATTACK_FORGE, "self-signed", NULL, START_OK, false, false},
	{"attack-forge-copied-names", "a proxy completes TLS on the server's subject and SANs issued by an attacker CA",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", "127.0.0.1", true, HBA_ANY, CHAIN_ATTACKER, NAME_MATCH,
	ATTACK_FORGE, "copied", NULL, START_OK, false, false},
	{"attack-forge-other-name", "a proxy completes TLS on a valid chain for another host name",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", "127.0.0.1", true, HBA_ANY, CHAIN_TRUSTED, NAME_MISMATCH,
	ATTACK_FORGE, "server_mismatch", NULL, START_OK, false, false},
	{"attack-inject", "a proxy answers S plus plaintext bytes, then a handshake the client accepts (CVE-2021-23222)",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", "127.0.0.1", true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH,
	ATTACK_INJECT, "server", NULL, START_OK, false, false},
	{"attack-error-before-tls", "a proxy answers the SSLRequest with an ErrorResponse (CVE-2024-10977)",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", "127.0.0.1", true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH,
	ATTACK_ERROR, NULL, NULL, START_OK, false, false},
	{"attack-direct-forge", "direct TLS to a proxy with a self-signed copy of the certificate",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", "127.0.0.1", true, HBA_ANY, CHAIN_ATTACKER, NAME_MATCH,
	ATTACK_DIRECT, "self-signed", NULL, START_OK, false, false},
	{"attack-direct-no-alpn", "direct TLS to a proxy that has the real certificate but negotiates no ALPN",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", "127.0.0.1", true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH,
	ATTACK_DIRECT_NO_ALPN, "server", NULL, START_OK, false, false},
};
const int	n_matrix_scenarios = lengthof(matrix_scenarios);

static const PtpExtension leaf_extensions[] = {
	{NID_basic_constraints, "CA:FALSE"},
	{NID_key_usage, "critical,digitalSignature,keyEncipherment"},
	{NID_ext_key_usage, "serverAuth"},
};

static const PtpExtension client_leaf_extensions[] = {
	{NID_basic_constraints, "CA:FALSE"},
	{NID_key_usage, "critical,digitalSignature"},
	{NID_ext_key_usage, "clientAuth"},
};

static const PtpNameEntry localhost_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe", 0},
	{NID_commonName, 0, "localhost", 0},
};
static const PtpNameEntry other_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe", 0},
	{NID_commonName, 0, "other.pg-tls-probe.test", 0},
};
static const PtpNameEntry wildcard_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe", 0},
	{NID_commonName, 0, "*.wild.pg-tls-probe.test", 0},
};
static const PtpNameEntry no_name_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe nameless server", 0},
};
static const PtpNameEntry ip_cn_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe", 0},
	{NID_commonName, 0, "127.0.0.1", 0},
};
static const PtpNameEntry ip_san_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe", 0},
	{NID_commonName, 0, "ip-san-only.pg-tls-probe.test", 0},
};
static const PtpNameEntry nul_cn_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe", 0},
	{NID_commonName, V_ASN1_UTF8STRING, NUL_CN, (int) sizeof(NUL_CN) - 1},
};
static const PtpNameEntry ip_in_dns_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe", 0},
	{NID_commonName, 0, "ip-in-dnsname.pg-tls-probe.test", 0},
};
static const PtpNameEntry client_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe", 0},
	{NID_commonName, 0, PTP_CLIENT_CN, 0},
};
static const PtpNameEntry utf8_client_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe r\xc3\xa9voqu\xc3\xa9 \xe2\x9c\x97 \xe5\x90\x8a\xe9\x94\x80", 0},
	{NID_commonName, 0, PTP_CLIENT_CN, 0},
};
static const PtpNameEntry revoked_client_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe revoked client", 0},
	{NID_commonName, 0, PTP_CLIENT_CN, 0},
};

static const PtpSan localhost_sans[] = {
	{GEN_DNS, "localhost", 0},
	{GEN_IPADD, "127.0.0.1", 0},
	{GEN_IPADD, "::1", 0},
};
static const PtpSan other_sans[] = {{GEN_DNS, "other.pg-tls-probe.test", 0}};
static const PtpSan wildcard_sans[] = {{GEN_DNS, "*.wild.pg-tls-probe.test", 0}};
static const PtpSan ip_san_sans[] = {{GEN_IPADD, "127.0.0.1", 0}};
static const PtpSan ip_in_dns_sans[] = {{GEN_DNS, "127.0.0.1", 0}};

/* One certificate the scenarios need, and who issues it. */
typedef enum Issuer
{
	BY_INTERMEDIATE,
	BY_UNTRUSTED,
	BY_ITSELF
} Issuer;

typedef struct ScenarioCert
{
	const char *crt;
	const char *key;
	const PtpNameEntry *subject;
	int			n_subject;
	const PtpSan *sans;
	int			n_sans;
	PtpKeyType	key_type;
	Issuer		issuer;
	int64		not_before;
	int64		not_after;
	bool		revoked;		/* listed in the intermediate's CRL */
	bool		client;
} ScenarioCert;

#define NAMES(a)	a, lengthof(a)
#define NO_SANS		NULL, 0

static const ScenarioCert scenario_certs[] = {
	{"server_ec.crt", "server_ec.key", NAMES(localhost_subject), NAMES(localhost_sans),
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, false, false},
	{"server_mismatch.crt", "server_mismatch.key", NAMES(other_subject), NAMES(other_sans),
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, false, false},
	{"server_cn_only.crt", "server_cn_only.key", NAMES(localhost_subject), NO_SANS,
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, false, false},
	{"server_wildcard.crt", "server_wildcard.key", NAMES(wildcard_subject), NAMES(wildcard_sans),
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, false, false},
	{"server_no_names.crt", "server_no_names.key", NAMES(no_name_subject), NO_SANS,
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, false, false},
	{"server_ip_cn.crt", "server_ip_cn.key", NAMES(ip_cn_subject), NO_SANS,
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, false, false},
	{"server_ip_san.crt", "server_ip_san.key", NAMES(ip_san_subject), NAMES(ip_san_sans),
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, false, false},
	{"server_expired.crt", "server_expired.key", NAMES(localhost_subject), NAMES(localhost_sans),
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -60 * PTP_DAY, -30 * PTP_DAY, false, false},
	{"server_not_yet_valid.crt", "server_not_yet_valid.key", NAMES(localhost_subject), NAMES(localhost_sans),
	PTP_KEY_EC_P256, BY_INTERMEDIATE, 30 * PTP_DAY, 60 * PTP_DAY, false, false},
	{"server_self_signed.crt", "server_self_signed.key", NAMES(localhost_subject), NAMES(localhost_sans),
	PTP_KEY_EC_P256, BY_ITSELF, -PTP_HOUR, LEAF_DAYS, false, false},
	{"server_untrusted.crt", "server_untrusted.key", NAMES(localhost_subject), NAMES(localhost_sans),
	PTP_KEY_EC_P256, BY_UNTRUSTED, -PTP_HOUR, LEAF_DAYS, false, false},
	{"server_revoked.crt", "server_revoked.key", NAMES(localhost_subject), NAMES(localhost_sans),
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, true, false},
	{"server_nul_cn.crt", "server_nul_cn.key", NAMES(nul_cn_subject), NO_SANS,
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, false, false},
	{PTP_CLIENT_REVOKED_CRT, PTP_CLIENT_REVOKED_KEY, NAMES(revoked_client_subject), NO_SANS,
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, true, true},
	{"server_cn_and_sans.crt", "server_cn_and_sans.key", NAMES(localhost_subject), NAMES(other_sans),
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, false, false},
	{"server_cn_ip_sans.crt", "server_cn_ip_sans.key", NAMES(localhost_subject), NAMES(ip_san_sans),
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, false, false},
	{"server_ip_in_dns.crt", "server_ip_in_dns.key", NAMES(ip_in_dns_subject), NAMES(ip_in_dns_sans),
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, false, false},
	{MATRIX_CLIENT_UNTRUSTED_CRT, MATRIX_CLIENT_UNTRUSTED_KEY, NAMES(client_subject), NO_SANS,
	PTP_KEY_EC_P256, BY_UNTRUSTED, -PTP_HOUR, LEAF_DAYS, false, true},
	{MATRIX_CLIENT_UTF8_CRT, MATRIX_CLIENT_UTF8_KEY, NAMES(utf8_client_subject), NO_SANS,
	PTP_KEY_EC_P256, BY_INTERMEDIATE, -PTP_HOUR, LEAF_DAYS, true, true},
};

/*
 * concat_files
 *		Writes the concatenation of DIR/a and DIR/b to DIR/out.  Returns
 *		false with a failure recorded.
 */
static bool
concat_files(const char *dir, const char *out, const char *a, const char *b)
{
	const char *parts[] = {a, b};
	char	   *out_path = ptp_psprintf("%s/%s", dir, out);
	FILE	   *dst = fopen(out_path, "w");
	bool		ok = dst != NULL;

	for (int i = 0; ok && i < 2; i++)
	{
		char	   *path = ptp_psprintf("%s/%s", dir, parts[i]);
		FILE	   *src = fopen(path, "r");
		char		buf[8192];
		size_t		n;

		ok = src != NULL;
		while (ok && (n = fread(buf, 1, sizeof(buf), src)) > 0)
			ok = fwrite(buf, 1, n, dst) == n;
		if (src != NULL)
			fclose(src);
		free(path);
	}
	if (dst != NULL && fclose(dst) != 0)
		ok = false;
	if (!ok)
		ptp_fail("could not write \"%s\": %s", out_path, strerror(errno));
	free(out_path);
	return ok;
}

/*
 * write_crl_dir
 *		DIR/crldir/<issuer hash>.r0, one file per CRL, as sslcrldir wants
 *		them (the layout "openssl rehash" makes).  Returns false with a
 *		failure recorded.
 */
static bool
write_crl_dir(const char *dir, X509 *const *issuers, EVP_PKEY *const *keys,
			  X509 *const *revoked, int n_revoked)
{
	char	   *crldir = ptp_psprintf("%s/%s", dir, PTP_CRL_DIR);
	bool		ok = mkdir(crldir, 0755) == 0 || errno == EEXIST;

	if (!ok)
		ptp_fail("could not create directory \"%s\": %s", crldir, strerror(errno));
	for (int i = 0; ok && i < 2; i++)
	{
		unsigned long hash = X509_NAME_hash_ex(X509_get_subject_name(issuers[i]), NULL, NULL, NULL);
		char	   *path = ptp_psprintf("%s/%08lx.r0", crldir, hash);

		(void) unlink(path);
		/* Only the intermediate revokes anything; the root's CRL is empty. */
		ok = ptp_append_crl(path, issuers[i], keys[i], revoked, i == 1 ? n_revoked : 0);
		free(path);
	}
	free(crldir);
	return ok;
}

typedef enum KeyFormat
{
	KEY_DER,
	KEY_PEM_ENCRYPTED
} KeyFormat;

/*
 * write_key
 *		Writes key to DIR/name in format, with exactly mode.  Returns false
 *		with a failure recorded.
 */
static bool
write_key(const char *dir, const char *name, mode_t mode, EVP_PKEY *key, KeyFormat format)
{
	char	   *path = ptp_psprintf("%s/%s", dir, name);
	int			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE	   *fp = fd >= 0 && fchmod(fd, mode) == 0 ? fdopen(fd, "w") : NULL;
	bool		ok = fp != NULL;

	if (ok && format == KEY_DER)
		ok = i2d_PrivateKey_fp(fp, key) > 0;
	else if (ok)
		ok = PEM_write_PrivateKey(fp, key, EVP_aes_256_cbc(),
								  (unsigned char *) MATRIX_KEY_PASSPHRASE,
								  (int) strlen(MATRIX_KEY_PASSPHRASE), NULL, NULL) == 1;
	if (fp != NULL && fclose(fp) != 0)
		ok = false;
	else if (fp == NULL && fd >= 0)
		close(fd);
	if (!ok)
		ptp_fail_openssl("could not write the key \"%s\"", path);
	free(path);
	return ok;
}

/*
 * key_variants
 *		The keys and files the client-certificate and passphrase cases need
 *		beyond the scenario certificates: the server's EC key encrypted, the
 *		client key in DER, encrypted and world-readable, the client
 *		certificate without its intermediate.  Returns false with a failure
 *		recorded.
 */
static bool
key_variants(const char *dir)
{
	X509	   *server = NULL,
			   *client = NULL;
	EVP_PKEY   *server_key = NULL,
			   *client_key = NULL;
	char	   *leaf = ptp_psprintf("%s/%s", dir, MATRIX_CLIENT_LEAF_CRT);
	char	   *world = ptp_psprintf("%s/%s", dir, MATRIX_CLIENT_WORLD_KEY);
	bool		ok;

	ok = ptp_load_pair(dir, "server_ec.crt", "server_ec.key", &server, &server_key) &&
		ptp_load_pair(dir, PTP_CLIENT_CRT, PTP_CLIENT_KEY, &client, &client_key) &&
		write_key(dir, MATRIX_SERVER_PASS_KEY, 0600, server_key, KEY_PEM_ENCRYPTED) &&
		write_key(dir, MATRIX_CLIENT_ENCRYPTED_KEY, 0600, client_key, KEY_PEM_ENCRYPTED) &&
		write_key(dir, MATRIX_CLIENT_DER_KEY, 0600, client_key, KEY_DER) &&
		ptp_write_pem(world, 0644, client_key, NULL, 0) &&
		ptp_write_pem(leaf, 0644, NULL, &client, 1);
	X509_free(server);
	X509_free(client);
	EVP_PKEY_free(server_key);
	EVP_PKEY_free(client_key);
	free(leaf);
	free(world);
	return ok;
}

/*
 * ptp_scenarios_pki
 *		Adds the scenarios' certificates to the fixture PKI in dir (made
 *		by ptp_pki_generate()), plus the trust bundle and the CRLs: one
 *		file with the CRLs of both CAs of the chain (libpq and the server
 *		check every CA in it), and the same as a hashed directory.  Returns
 *		false with a failure recorded.
 */
bool
ptp_scenarios_pki(const char *dir)
{
	X509	   *root = NULL,
			   *inter = NULL,
			   *untrusted = NULL;
	EVP_PKEY   *root_key = NULL,
			   *inter_key = NULL,
			   *untrusted_key = NULL;
	X509	   *revoked[lengthof(scenario_certs)];
	int			n_revoked = 0;
	char	   *crl_path = ptp_psprintf("%s/%s", dir, PTP_CRL_FILE);
	bool		ok = false;

	if (!ptp_load_pair(dir, PTP_ROOT_CA_CRT, PTP_ROOT_CA_KEY, &root, &root_key) ||
		!ptp_load_pair(dir, PTP_INTERMEDIATE_CA_CRT, PTP_INTERMEDIATE_CA_KEY, &inter, &inter_key) ||
		!ptp_load_pair(dir, PTP_UNTRUSTED_CA_CRT, PTP_UNTRUSTED_CA_KEY, &untrusted, &untrusted_key))
		goto done;

	for (size_t i = 0; i < lengthof(scenario_certs); i++)
	{
		const ScenarioCert *sc = &scenario_certs[i];
		PtpCertSpec spec = {
			.subject = sc->subject,
			.n_subject = sc->n_subject,
			.key_type = sc->key_type,
			.sans = sc->sans,
			.n_sans = sc->n_sans,
			.extensions = sc->client ? client_leaf_extensions : leaf_extensions,
			.n_extensions = sc->client ? lengthof(client_leaf_extensions) : lengthof(leaf_extensions),
			.not_before = sc->not_before,
			.not_after = sc->not_after,
		};
		X509	   *chain = NULL;
		X509	   *cert;

		if (sc->issuer == BY_INTERMEDIATE)
		{
			spec.issuer_cert = inter;
			spec.issuer_key = inter_key;
			chain = inter;
		}
		else if (sc->issuer == BY_UNTRUSTED)
		{
			spec.issuer_cert = untrusted;
			spec.issuer_key = untrusted_key;
		}
		if (!ptp_issue(dir, sc->crt, sc->key, &spec, chain, &cert, NULL))
			goto done;
		if (sc->revoked)
			revoked[n_revoked++] = cert;
		else
			X509_free(cert);
	}

	{
		X509	   *const issuers[] = {root, inter};
		EVP_PKEY   *const keys[] = {root_key, inter_key};

		(void) unlink(crl_path);
		if (!ptp_append_crl(crl_path, root, root_key, NULL, 0) ||
			!ptp_append_crl(crl_path, inter, inter_key, revoked, n_revoked) ||
			!write_crl_dir(dir, issuers, keys, revoked, n_revoked))
			goto done;
	}
	{
		char	   *other = ptp_psprintf("%s/%s", dir, MATRIX_CRL_OTHER_CA);

		(void) unlink(other);
		ok = ptp_append_crl(other, untrusted, untrusted_key, NULL, 0);
		free(other);
		if (!ok)
			goto done;
		ok = false;
	}
	if (!concat_files(dir, PTP_BUNDLE_CRT, PTP_UNTRUSTED_CA_CRT, PTP_ROOT_CA_CRT) ||
		!concat_files(dir, MATRIX_BUNDLE_REVERSED_CRT, PTP_ROOT_CA_CRT, PTP_UNTRUSTED_CA_CRT) ||
		!key_variants(dir))
		goto done;
	ok = true;

done:
	for (int i = 0; i < n_revoked; i++)
		X509_free(revoked[i]);
	X509_free(root);
	X509_free(inter);
	X509_free(untrusted);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(inter_key);
	EVP_PKEY_free(untrusted_key);
	free(crl_path);
	return ok;
}
