/*-------------------------------------------------------------------------
 *
 * pki.c
 *		The certificate factory of pg_tls_probe and the "pki" subcommand.
 *
 * ptp_cert_build() mints one certificate with a fresh key from a declarative
 * PtpCertSpec; every certificate the harness needs (the fixed set written by
 * "pg_tls_probe pki DIR" and the per-case ones of later subcommands) goes
 * through it, so serials, key identifiers and signatures are made one way.
 * Only the OpenSSL 3 library is used, never the openssl command.
 *
 * harness/pki.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "pg_tls_probe.h"

#define SERIAL_BYTES	16

/* Ten years whatever the leap days, so never less than ten calendar years. */
#define CA_LIFETIME		(3653 * PTP_DAY)
#define LEAF_LIFETIME	(90 * PTP_DAY)

#define EDGE_DNS_COUNT	150
#define EDGE_IPV4_COUNT	20
#define EDGE_IPV6_COUNT	5
#define EDGE_EMAIL_COUNT 10
#define EDGE_SAN_COUNT	(EDGE_DNS_COUNT + 1 + EDGE_IPV4_COUNT + EDGE_IPV6_COUNT + EDGE_EMAIL_COUNT)
#define EDGE_NUL_DNS	"evil.test\0.pg-tls-probe.test"

static const PtpExtension ca_extensions[] = {
	{NID_basic_constraints, "critical,CA:TRUE"},
	{NID_key_usage, "critical,keyCertSign,cRLSign"},
};

static const PtpExtension intermediate_extensions[] = {
	{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
	{NID_key_usage, "critical,keyCertSign,cRLSign"},
};

static const PtpExtension server_extensions[] = {
	{NID_basic_constraints, "CA:FALSE"},
	{NID_key_usage, "critical,digitalSignature,keyEncipherment"},
	{NID_ext_key_usage, "serverAuth"},
};

static const PtpExtension client_extensions[] = {
	{NID_basic_constraints, "CA:FALSE"},
	{NID_key_usage, "critical,digitalSignature"},
	{NID_ext_key_usage, "clientAuth"},
};

static const PtpExtension client_edge_extensions[] = {
	{NID_ext_key_usage, "clientAuth"},
};

static const PtpNameEntry root_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe", 0},
	{NID_commonName, 0, "pg_tls_probe Root CA", 0},
};

static const PtpNameEntry intermediate_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe", 0},
	{NID_commonName, 0, "pg_tls_probe Intermediate CA", 0},
};

static const PtpNameEntry untrusted_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe", 0},
	{NID_commonName, 0, "pg_tls_probe Untrusted CA", 0},
};

static const PtpNameEntry server_subject[] = {
	{NID_organizationName, 0, "pg_tls_probe", 0},
	{NID_commonName, 0, "localhost", 0},
};

static const PtpSan server_sans[] = {
	{GEN_DNS, "localhost", 0},
	{GEN_IPADD, "127.0.0.1", 0},
	{GEN_IPADD, "::1", 0},
};

/*
 * Separators, commas and non-ASCII text that DN printers must escape.  The
 * non-ASCII unit stays within Latin-1 because the server converts the DN to
 * the database encoding at login and refuses the connection where it cannot
 * (so this certificate also logs into a LATIN1 database); characters beyond
 * Latin-1 are in client_edge.crt.
 */
static const PtpNameEntry client_subject[] = {
	{NID_countryName, 0, "FI", 0},
	{NID_organizationName, 0, "pg_tls_probe Test Organisation, Ltd.", 0},
	{NID_organizationalUnitName, 0, "Platform Security", 0},
	{NID_organizationalUnitName, 0, "Database Reliability, Tier 2", 0},
	{NID_organizationalUnitName, V_ASN1_UTF8STRING,
	"\xC3\x9Cn\xC3\xAF" "c\xC3\xB6" "d\xC3\xA9 T\xC3\xA9" "am", 0},
	{NID_commonName, 0, PTP_CLIENT_CN, 0},
	{NID_pkcs9_emailAddress, 0, "tls_client@example.com", 0},
};

static const PtpSan client_sans[] = {
	{GEN_EMAIL, "tls_client@example.com", 0},
	{GEN_DNS, "client.pg-tls-probe.test", 0},
};

/*
 * Returns a new private key of the requested type, or NULL with a failure
 * recorded.
 */
static EVP_PKEY *
generate_key(PtpKeyType type)
{
	EVP_PKEY   *key = NULL;

	switch (type)
	{
		case PTP_KEY_EC_P256:
			key = EVP_EC_gen("P-256");
			break;
		case PTP_KEY_RSA_2048:
			key = EVP_RSA_gen(2048);
			break;
	}
	if (key == NULL)
		ptp_fail_openssl("could not generate a private key");
	return key;
}

/*
 * Sets a random positive serial: 16 bytes with the top bit cleared, so the
 * DER INTEGER stays within RFC 5280's 20 octets, and never zero.  Returns
 * false with a failure recorded.
 */
static bool
set_random_serial(X509 *cert)
{
	unsigned char bytes[SERIAL_BYTES];
	BIGNUM	   *bn = NULL;
	bool		ok = false;

	do
	{
		if (RAND_bytes(bytes, sizeof(bytes)) != 1)
		{
			ptp_fail_openssl("could not generate a serial number");
			return false;
		}
		bytes[0] &= 0x7F;
		bn = BN_bin2bn(bytes, sizeof(bytes), bn);
		if (bn == NULL)
		{
			ptp_fail_openssl("could not generate a serial number");
			return false;
		}
	} while (BN_is_zero(bn));

	if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL)
		ptp_fail_openssl("could not set the serial number");
	else
		ok = true;
	BN_free(bn);
	return ok;
}

/*
 * Sets one validity bound to now + offset seconds.  Returns false with a
 * failure recorded.
 */
static bool
set_time(ASN1_TIME *when, int64 offset)
{
	/* Split so that offsets of decades do not overflow a 32-bit long. */
	int			days = (int) (offset / PTP_DAY);
	long		seconds = (long) (offset % PTP_DAY);

	if (X509_time_adj_ex(when, days, seconds, NULL) == NULL)
	{
		ptp_fail_openssl("could not set the validity period");
		return false;
	}
	return true;
}

/*
 * Appends spec's subject entries, in order, to name.  Returns false with a
 * failure recorded.
 */
static bool
build_name(X509_NAME *name, const PtpNameEntry *entries, int n_entries)
{
	for (int i = 0; i < n_entries; i++)
	{
		const PtpNameEntry *e = &entries[i];
		int			type = e->type != 0 ? e->type : MBSTRING_UTF8;
		int			len = e->len != 0 ? e->len : (int) strlen(e->value);

		if (!X509_NAME_add_entry_by_NID(name, e->nid, type,
										(const unsigned char *) e->value,
										len, -1, 0))
		{
			ptp_fail_openssl("could not add %s to a certificate subject",
							 OBJ_nid2sn(e->nid));
			return false;
		}
	}
	return true;
}

/*
 * Returns one GENERAL_NAME for a SAN entry, or NULL with a failure recorded.
 */
static GENERAL_NAME *
make_general_name(const PtpSan *san)
{
	GENERAL_NAME *gn = NULL;
	ASN1_STRING *value = NULL;

	if (san->type == GEN_IPADD)
	{
		value = a2i_IPADDRESS(san->value);
		if (value == NULL)
		{
			ptp_fail_openssl("invalid IP address \"%s\" in a subjectAltName", san->value);
			return NULL;
		}
	}
	else if (san->type == GEN_DNS || san->type == GEN_EMAIL || san->type == GEN_URI)
	{
		int			len = san->len != 0 ? san->len : (int) strlen(san->value);

		/* Set with an explicit length: edge cases carry NUL bytes. */
		value = ASN1_IA5STRING_new();
		if (value == NULL || !ASN1_STRING_set(value, san->value, len))
		{
			ptp_fail_openssl("could not build a subjectAltName entry");
			ASN1_IA5STRING_free(value);
			return NULL;
		}
	}
	else
	{
		ptp_fail("unsupported subjectAltName type %d", san->type);
		return NULL;
	}

	gn = GENERAL_NAME_new();
	if (gn == NULL)
	{
		ptp_fail_openssl("could not build a subjectAltName entry");
		ASN1_STRING_free(value);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, san->type, value);
	return gn;
}

/*
 * Adds the subjectAltName extension built from spec.  Returns false with a
 * failure recorded.
 */
static bool
add_sans(X509 *cert, const PtpSan *sans, int n_sans)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	bool		ok = false;

	if (names == NULL)
	{
		ptp_fail_openssl("could not build a subjectAltName");
		return false;
	}
	for (int i = 0; i < n_sans; i++)
	{
		GENERAL_NAME *gn = make_general_name(&sans[i]);

		if (gn == NULL)
			goto done;
		if (!sk_GENERAL_NAME_push(names, gn))
		{
			GENERAL_NAME_free(gn);
			ptp_fail_openssl("could not build a subjectAltName");
			goto done;
		}
	}
	if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1)
		ptp_fail_openssl("could not add the subjectAltName extension");
	else
		ok = true;

done:
	GENERAL_NAMES_free(names);
	return ok;
}

/*
 * Adds one extension given in OpenSSL's configuration syntax.  Returns false
 * with a failure recorded.
 */
static bool
add_extension(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	bool		ok;

	if (ext == NULL)
	{
		ptp_fail_openssl("could not build extension %s=%s", OBJ_nid2sn(nid), value);
		return false;
	}
	ok = X509_add_ext(cert, ext, -1) == 1;
	if (!ok)
		ptp_fail_openssl("could not add extension %s", OBJ_nid2sn(nid));
	X509_EXTENSION_free(ext);
	return ok;
}

/*
 * Mints the certificate described by spec with a fresh key, signed with
 * SHA-256 by spec's issuer (or by itself).  Returns true and hands both to
 * the caller, who frees them; returns false with a failure recorded and
 * *cert, *key untouched.
 */
bool
ptp_cert_build(const PtpCertSpec *spec, X509 **cert_out, EVP_PKEY **key_out)
{
	EVP_PKEY   *key;
	X509	   *cert;
	X509	   *issuer_cert;
	EVP_PKEY   *issuer_key;
	X509_NAME  *subject = NULL;
	X509V3_CTX	ctx;

	if ((spec->issuer_cert == NULL) != (spec->issuer_key == NULL))
	{
		ptp_fail("a certificate issuer needs both its certificate and its key");
		return false;
	}

	key = generate_key(spec->key_type);
	if (key == NULL)
		return false;
	cert = X509_new();
	if (cert == NULL)
	{
		ptp_fail_openssl("could not allocate a certificate");
		EVP_PKEY_free(key);
		return false;
	}
	issuer_cert = spec->issuer_cert != NULL ? spec->issuer_cert : cert;
	issuer_key = spec->issuer_key != NULL ? spec->issuer_key : key;

	if (!X509_set_version(cert, X509_VERSION_3) ||
		!X509_set_pubkey(cert, key))
	{
		ptp_fail_openssl("could not initialise a certificate");
		goto fail;
	}
	if (!set_random_serial(cert) ||
		!set_time(X509_getm_notBefore(cert), spec->not_before) ||
		!set_time(X509_getm_notAfter(cert), spec->not_after))
		goto fail;

	subject = X509_NAME_new();
	if (subject == NULL)
	{
		ptp_fail_openssl("could not allocate a certificate subject");
		goto fail;
	}
	if (!build_name(subject, spec->subject, spec->n_subject))
		goto fail;
	if (!X509_set_subject_name(cert, subject) ||
		!X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert)))
	{
		ptp_fail_openssl("could not set certificate names");
		goto fail;
	}

	/* The context lets "hash" and "keyid" read both certificates' keys. */
	X509V3_set_ctx(&ctx, issuer_cert, cert, NULL, NULL, 0);
	if (!add_extension(cert, &ctx, NID_subject_key_identifier, "hash"))
		goto fail;
	if (spec->issuer_cert != NULL &&
		!add_extension(cert, &ctx, NID_authority_key_identifier, "keyid:always"))
		goto fail;
	for (int i = 0; i < spec->n_extensions; i++)
	{
		if (!add_extension(cert, &ctx, spec->extensions[i].nid,
						   spec->extensions[i].value))
			goto fail;
	}
	if (spec->n_sans > 0 && !add_sans(cert, spec->sans, spec->n_sans))
		goto fail;

	if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0)
	{
		ptp_fail_openssl("could not sign a certificate");
		goto fail;
	}

	X509_NAME_free(subject);
	*cert_out = cert;
	*key_out = key;
	return true;

fail:
	X509_NAME_free(subject);
	X509_free(cert);
	EVP_PKEY_free(key);
	return false;
}

/*
 * Writes key (if not NULL) and then certs, in order, as PEM to path, which
 * is created or truncated and given exactly mode.  Returns false with a
 * failure recorded.
 */
bool
ptp_write_pem(const char *path, mode_t mode, EVP_PKEY *key,
			  X509 *const *certs, int n_certs)
{
	int			fd;
	FILE	   *fp;
	bool		ok = true;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
	{
		ptp_fail("could not open \"%s\" for writing: %s", path, strerror(errno));
		return false;
	}
	/* An existing file keeps its old mode through O_CREAT; keys must not. */
	if (fchmod(fd, mode) != 0)
	{
		ptp_fail("could not set permissions of \"%s\": %s", path, strerror(errno));
		close(fd);
		return false;
	}
	fp = fdopen(fd, "w");
	if (fp == NULL)
	{
		ptp_fail("could not open \"%s\" for writing: %s", path, strerror(errno));
		close(fd);
		return false;
	}

	if (key != NULL && !PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL))
	{
		ptp_fail_openssl("could not write a private key to \"%s\"", path);
		ok = false;
	}
	for (int i = 0; ok && i < n_certs; i++)
	{
		if (!PEM_write_X509(fp, certs[i]))
		{
			ptp_fail_openssl("could not write a certificate to \"%s\"", path);
			ok = false;
		}
	}
	if (fclose(fp) != 0 && ok)
	{
		ptp_fail("could not write \"%s\": %s", path, strerror(errno));
		ok = false;
	}
	return ok;
}

/*
 * Mints spec's certificate and writes DIR/crt_name (the certificate, then
 * chain_cert if not NULL) and DIR/key_name.  When cert_out/key_out are not
 * NULL the caller keeps the certificate and key (to issue others with).
 * Returns false with a failure recorded.
 */
bool
ptp_issue(const char *dir, const char *crt_name, const char *key_name,
		  const PtpCertSpec *spec, X509 *chain_cert,
		  X509 **cert_out, EVP_PKEY **key_out)
{
	X509	   *certs[2];
	EVP_PKEY   *key;
	char	   *crt_path;
	char	   *key_path;
	bool		ok;

	if (!ptp_cert_build(spec, &certs[0], &key))
		return false;
	certs[1] = chain_cert;

	crt_path = ptp_psprintf("%s/%s", dir, crt_name);
	key_path = ptp_psprintf("%s/%s", dir, key_name);
	ok = ptp_write_pem(key_path, 0600, key, NULL, 0) &&
		ptp_write_pem(crt_path, 0644, NULL, certs, chain_cert != NULL ? 2 : 1);
	free(crt_path);
	free(key_path);

	if (ok && cert_out != NULL)
		*cert_out = certs[0];
	else
		X509_free(certs[0]);
	if (ok && key_out != NULL)
		*key_out = key;
	else
		EVP_PKEY_free(key);
	return ok;
}

/*
 * Returns the malloc'd SAN list of client_edge.crt: more names than any
 * display is sized for, a DNS name with an embedded NUL (the classic
 * "null prefix" attack), and addresses of both families.
 */
static PtpSan *
edge_sans(char ***strings_out, int *n_strings_out)
{
	PtpSan	   *sans = ptp_malloc0(EDGE_SAN_COUNT * sizeof(PtpSan));
	char	  **strings = ptp_malloc0(EDGE_SAN_COUNT * sizeof(char *));
	int			n = 0;
	int			n_strings = 0;

	for (int i = 0; i < EDGE_DNS_COUNT; i++)
	{
		strings[n_strings] = ptp_psprintf("host-%03d.pg-tls-probe.test", i);
		sans[n++] = (PtpSan) {GEN_DNS, strings[n_strings++], 0};
	}
	sans[n++] = (PtpSan) {GEN_DNS, EDGE_NUL_DNS, (int) sizeof(EDGE_NUL_DNS) - 1};
	for (int i = 1; i <= EDGE_IPV4_COUNT; i++)
	{
		strings[n_strings] = ptp_psprintf("192.0.2.%d", i);
		sans[n++] = (PtpSan) {GEN_IPADD, strings[n_strings++], 0};
	}
	for (int i = 1; i <= EDGE_IPV6_COUNT; i++)
	{
		strings[n_strings] = ptp_psprintf("2001:db8::%d", i);
		sans[n++] = (PtpSan) {GEN_IPADD, strings[n_strings++], 0};
	}
	for (int i = 0; i < EDGE_EMAIL_COUNT; i++)
	{
		strings[n_strings] = ptp_psprintf("edge-%d@example.com", i);
		sans[n++] = (PtpSan) {GEN_EMAIL, strings[n_strings++], 0};
	}
	Assert(n == EDGE_SAN_COUNT);

	*strings_out = strings;
	*n_strings_out = n_strings;
	return sans;
}

/*
 * Writes client_edge.crt/.key, issued by the intermediate CA.  Returns false
 * with a failure recorded.
 */
static bool
issue_client_edge(const char *dir, X509 *ca_cert, EVP_PKEY *ca_key)
{
	/* 3- and 4-byte UTF-8 (a check mark, a padlock), then padding */
	static const char long_unit_prefix[] = "long-unit-\xE2\x9C\x93-\xF0\x9F\x94\x92-";
	char		long_unit[250 + 1];
	PtpNameEntry subject[3];
	PtpCertSpec spec = {0};
	char	  **strings;
	int			n_strings;
	PtpSan	   *sans;
	bool		ok;

	/*
	 * Both values break X.520's limits, so they are stored as UTF8String
	 * directly: OpenSSL's string table would otherwise refuse the 250-byte
	 * unit, and the organisation needs its length given explicitly.
	 */
	memset(long_unit, 'x', sizeof(long_unit) - 1);
	memcpy(long_unit, long_unit_prefix, sizeof(long_unit_prefix) - 1);
	long_unit[sizeof(long_unit) - 1] = '\0';
	subject[0] = (PtpNameEntry) {NID_organizationName, V_ASN1_UTF8STRING,
		PTP_EDGE_ORG, PTP_EDGE_ORG_LEN};
	subject[1] = (PtpNameEntry) {NID_organizationalUnitName, V_ASN1_UTF8STRING,
		long_unit, 0};
	subject[2] = (PtpNameEntry) {NID_commonName, 0, PTP_CLIENT_CN, 0};

	sans = edge_sans(&strings, &n_strings);

	spec.subject = subject;
	spec.n_subject = lengthof(subject);
	spec.issuer_cert = ca_cert;
	spec.issuer_key = ca_key;
	spec.key_type = PTP_KEY_EC_P256;
	spec.sans = sans;
	spec.n_sans = EDGE_SAN_COUNT;
	spec.extensions = client_edge_extensions;
	spec.n_extensions = lengthof(client_edge_extensions);
	spec.not_before = -PTP_HOUR;
	spec.not_after = LEAF_LIFETIME;

	ok = ptp_issue(dir, PTP_CLIENT_EDGE_CRT, PTP_CLIENT_EDGE_KEY, &spec, ca_cert,
			   NULL, NULL);

	for (int i = 0; i < n_strings; i++)
		free(strings[i]);
	free(strings);
	free(sans);
	return ok;
}

/*
 * Writes the fixed test PKI into dir (created if missing; files of the same
 * names are overwritten): a root CA, an intermediate CA, a server and two
 * client certificates issued by the intermediate, and an unrelated CA that
 * nothing should trust.  Returns false with a failure recorded.
 */
bool
ptp_pki_generate(const char *dir)
{
	X509	   *root_cert = NULL;
	EVP_PKEY   *root_key = NULL;
	X509	   *inter_cert = NULL;
	EVP_PKEY   *inter_key = NULL;
	PtpCertSpec spec;
	char	   *path;
	bool		ok = false;

	path = ptp_strdup(dir);
	if (pg_mkdir_p(path, 0755) != 0 && errno != EEXIST)
	{
		ptp_fail("could not create directory \"%s\": %s", dir, strerror(errno));
		free(path);
		return false;
	}
	free(path);

	spec = (PtpCertSpec)
	{
		.subject = root_subject,
		.n_subject = lengthof(root_subject),
		.key_type = PTP_KEY_EC_P256,
		.extensions = ca_extensions,
		.n_extensions = lengthof(ca_extensions),
		.not_before = -PTP_HOUR,
		.not_after = CA_LIFETIME,
	};
	if (!ptp_issue(dir, PTP_ROOT_CA_CRT, PTP_ROOT_CA_KEY, &spec, NULL,
			   &root_cert, &root_key))
		goto done;

	spec = (PtpCertSpec)
	{
		.subject = intermediate_subject,
		.n_subject = lengthof(intermediate_subject),
		.issuer_cert = root_cert,
		.issuer_key = root_key,
		.key_type = PTP_KEY_EC_P256,
		.extensions = intermediate_extensions,
		.n_extensions = lengthof(intermediate_extensions),
		.not_before = -PTP_HOUR,
		.not_after = CA_LIFETIME,
	};
	if (!ptp_issue(dir, PTP_INTERMEDIATE_CA_CRT, PTP_INTERMEDIATE_CA_KEY, &spec, NULL,
			   &inter_cert, &inter_key))
		goto done;

	spec = (PtpCertSpec)
	{
		.subject = server_subject,
		.n_subject = lengthof(server_subject),
		.issuer_cert = inter_cert,
		.issuer_key = inter_key,
		.key_type = PTP_KEY_RSA_2048,
		.sans = server_sans,
		.n_sans = lengthof(server_sans),
		.extensions = server_extensions,
		.n_extensions = lengthof(server_extensions),
		.not_before = -PTP_HOUR,
		.not_after = LEAF_LIFETIME,
	};
	if (!ptp_issue(dir, PTP_SERVER_CRT, PTP_SERVER_KEY, &spec, inter_cert, NULL, NULL))
		goto done;

	spec = (PtpCertSpec)
	{
		.subject = client_subject,
		.n_subject = lengthof(client_subject),
		.issuer_cert = inter_cert,
		.issuer_key = inter_key,
		.key_type = PTP_KEY_EC_P256,
		.sans = client_sans,
		.n_sans = lengthof(client_sans),
		.extensions = client_extensions,
		.n_extensions = lengthof(client_extensions),
		.not_before = -PTP_HOUR,
		.not_after = LEAF_LIFETIME,
	};
	if (!ptp_issue(dir, PTP_CLIENT_CRT, PTP_CLIENT_KEY, &spec, inter_cert, NULL, NULL))
		goto done;

	if (!issue_client_edge(dir, inter_cert, inter_key))
		goto done;

	spec = (PtpCertSpec)
	{
		.subject = untrusted_subject,
		.n_subject = lengthof(untrusted_subject),
		.key_type = PTP_KEY_EC_P256,
		.extensions = ca_extensions,
		.n_extensions = lengthof(ca_extensions),
		.not_before = -PTP_HOUR,
		.not_after = CA_LIFETIME,
	};
	if (!ptp_issue(dir, PTP_UNTRUSTED_CA_CRT, PTP_UNTRUSTED_CA_KEY, &spec, NULL, NULL, NULL))
		goto done;

	ok = true;

done:
	X509_free(root_cert);
	EVP_PKEY_free(root_key);
	X509_free(inter_cert);
	EVP_PKEY_free(inter_key);
	return ok;
}

/*
 * Reads DIR/crt_name (its first certificate) and DIR/key_name.  Returns
 * false with a failure recorded.
 */
bool
ptp_load_pair(const char *dir, const char *crt_name, const char *key_name,
			  X509 **cert_out, EVP_PKEY **key_out)
{
	char	   *crt_path = ptp_psprintf("%s/%s", dir, crt_name);
	char	   *key_path = ptp_psprintf("%s/%s", dir, key_name);
	BIO		   *bio;
	bool		ok = false;

	*cert_out = NULL;
	*key_out = NULL;
	bio = BIO_new_file(crt_path, "r");
	if (bio != NULL)
	{
		*cert_out = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	bio = BIO_new_file(key_path, "r");
	if (bio != NULL)
	{
		*key_out = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (*cert_out == NULL || *key_out == NULL)
	{
		ptp_fail_openssl("could not read \"%s\" and \"%s\"", crt_path, key_path);
		X509_free(*cert_out);
		EVP_PKEY_free(*key_out);
		*cert_out = NULL;
		*key_out = NULL;
	}
	else
		ok = true;
	free(crt_path);
	free(key_path);
	return ok;
}

/*
 * Signs a CRL by issuer listing the serial numbers of revoked (n_revoked
 * certificates), valid from an hour ago for 30 days, and appends it in PEM
 * to the file path (created with mode 0644 if missing).  Returns false with
 * a failure recorded.
 */
bool
ptp_append_crl(const char *path, X509 *issuer, EVP_PKEY *issuer_key,
			   X509 *const *revoked, int n_revoked)
{
	X509_CRL   *crl = X509_CRL_new();
	ASN1_TIME  *last = X509_time_adj_ex(NULL, 0, -PTP_HOUR, NULL);
	ASN1_TIME  *next = X509_time_adj_ex(NULL, 30, 0, NULL);
	BIO		   *bio = NULL;
	bool		ok = false;

	if (crl == NULL || last == NULL || next == NULL ||
		!X509_CRL_set_version(crl, 1) ||
		!X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) ||
		!X509_CRL_set1_lastUpdate(crl, last) ||
		!X509_CRL_set1_nextUpdate(crl, next))
		goto done;
	for (int i = 0; i < n_revoked; i++)
	{
		X509_REVOKED *entry = X509_REVOKED_new();

		if (entry == NULL ||
			!X509_REVOKED_set_serialNumber(entry, (ASN1_INTEGER *) X509_get0_serialNumber(revoked[i])) ||
			!X509_REVOKED_set_revocationDate(entry, last) ||
			!X509_CRL_add0_revoked(crl, entry))
		{
			X509_REVOKED_free(entry);
			goto done;
		}
	}
	if (!X509_CRL_sort(crl) || !X509_CRL_sign(crl, issuer_key, EVP_sha256()))
		goto done;
	bio = BIO_new_file(path, "a");
	if (bio == NULL || !PEM_write_bio_X509_CRL(bio, crl))
		goto done;
	ok = true;

done:
	if (!ok)
		ptp_fail_openssl("could not write a CRL to \"%s\"", path);
	BIO_free(bio);
	X509_CRL_free(crl);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	return ok;
}

/*
 * Prints the usage of "pki".  Returns nothing.
 */
static void
pki_usage(void)
{
	printf("Write a fresh test PKI into DIR (created if missing; files are overwritten).\n\n");
	printf("Usage:\n");
	printf("  %s pki [--help] DIR\n\n", PTP_PROGNAME);
	printf("Files:\n");
	printf("  %-20s %-20s self-signed root CA (EC P-256)\n", PTP_ROOT_CA_CRT, PTP_ROOT_CA_KEY);
	printf("  %-20s %-20s intermediate CA issued by the root\n", PTP_INTERMEDIATE_CA_CRT, PTP_INTERMEDIATE_CA_KEY);
	printf("  %-20s %-20s server leaf + intermediate (RSA 2048; localhost, 127.0.0.1, ::1)\n", PTP_SERVER_CRT, PTP_SERVER_KEY);
	printf("  %-20s %-20s client leaf + intermediate (CN=%s)\n", PTP_CLIENT_CRT, PTP_CLIENT_KEY, PTP_CLIENT_CN);
	printf("  %-20s %-20s client leaf with hostile subject and SANs\n", PTP_CLIENT_EDGE_CRT, PTP_CLIENT_EDGE_KEY);
	printf("  %-20s %-20s self-signed CA that nothing trusts\n", PTP_UNTRUSTED_CA_CRT, PTP_UNTRUSTED_CA_KEY);
}

/*
 * Entry point of "pg_tls_probe pki".  Returns the process exit code.
 */
int
ptp_pki_main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int			c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'h':
				pki_usage();
				return PTP_EXIT_OK;
			default:
				if (optopt != 0 && optopt != '?')
					return ptp_usage_error("pki", "unrecognized option \"-%c\"", optopt);
				return ptp_usage_error("pki", "unrecognized option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return ptp_usage_error("pki", "missing DIR");
	if (argc - optind > 1)
		return ptp_usage_error("pki", "too many arguments (first extra: \"%s\")", argv[optind + 1]);

	if (!ptp_pki_generate(argv[optind]))
		return ptp_report_failure();
	return PTP_EXIT_OK;
}
