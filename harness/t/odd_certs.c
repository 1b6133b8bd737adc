/*-------------------------------------------------------------------------
 *
 * odd_certs.c
 *		The malformed but CA-signed client certificates that
 *		harness/t/test_odd_certs.sh presents to a preloaded server.
 *
 * Each case of the table below changes one thing in an otherwise ordinary
 * client certificate: string types OpenSSL converts (BMPString,
 * UniversalString, T61String), bytes a string type does not allow, names
 * longer than the extension keeps in shared memory, serials, SANs, dates at
 * the UTCTime / GeneralizedTime boundaries and extensions a verifier must
 * refuse.  Every certificate is signed by a CA the server trusts, so that
 * nothing but its oddity decides its fate.
 *
 * Some values OpenSSL will not encode (a UTF8String that is not UTF-8, a
 * BMPString of odd length): those are written as a placeholder of the same
 * length, replaced in the DER of the to-be-signed part afterwards, which is
 * then signed by hand.
 *
 * usage: odd_certs PKI_DIR OUT_DIR
 *		PKI_DIR is what "pg_tls_probe pki" writes (the root and intermediate
 *		CAs with their keys).  Writes OUT_DIR/leaf.key, the key of every
 *		case, and OUT_DIR/CASE.crt, the certificate followed by the CA that
 *		issued it, and prints one line per case, tab-separated:
 *		name, expected outcome, what OpenSSL's verifier says of it, sizes,
 *		a description, and an SQL check (empty when there is none).
 *		  odd_certs --list   prints the same lines without writing anything
 *
 * Built and run by harness/t/test_odd_certs.sh (cc ... -lcrypto); no part of
 * pg_tls_probe.
 *
 * harness/t/odd_certs.c
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE				/* memmem() */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define lengthof(array) (sizeof(array) / sizeof((array)[0]))

#define DAY				(24 * 60 * 60)
#define MAX_PATCHES		4

/* An arc nobody has registered, for private attributes and extensions. */
#define PRIVATE_ARC		"1.3.6.1.4.1.55555."

/* A growable buffer of DER. */
typedef struct Der
{
	unsigned char *data;
	size_t		len;
	size_t		cap;
} Der;

#define MAX_PATCH_LEN	32

/* Bytes to swap in the to-be-signed DER once OpenSSL has encoded it. */
typedef struct Patch
{
	char		placeholder[MAX_PATCH_LEN];
	char		bytes[MAX_PATCH_LEN];
	size_t		len;
} Patch;

/* The certificate of one case, while its builder shapes it. */
typedef struct OddCert
{
	X509	   *x;
	X509	   *issuer;			/* signs x and is sent after it */
	EVP_PKEY   *issuer_key;
	Patch		patches[MAX_PATCHES];
	int			npatches;
} OddCert;

/* A certificate time, stored as the given ASN.1 type with no format check. */
typedef struct OddTime
{
	int			type;			/* V_ASN1_UTCTIME or V_ASN1_GENERALIZEDTIME */
	const char *value;			/* NULL: the default */
} OddTime;

/* An attribute added to the subject, its bytes stored as-is. */
typedef struct OddValue
{
	int			nid;
	int			type;			/* the ASN.1 type it is stored as */
	const char *bytes;			/* NULL: none */
	int			len;
	bool		unencodable;	/* see name_add_unencodable() */
} OddValue;

/* A string literal's bytes and length, NULs included. */
#define BYTES(literal)	literal, (int) sizeof(literal) - 1

/* U+00DC n U+00EF c U+00F6 d U+00E9, big-endian UCS-2 */
#define BMP_LATIN1	"\x00\xDC\x00n\x00\xEF\x00" "c\x00\xF6\x00" "d\x00\xE9"

typedef struct OddCase
{
	const char *name;

	/*
	 * What the server does with it, in every database unless the name says
	 * otherwise: "accepted"; "handshake" (OpenSSL refuses it, in the client
	 * or in the server); "postgres" (PostgreSQL refuses the session after
	 * the handshake, in every database); "postgres-in-latin1" (accepted,
	 * but in the LATIN1 database refused by PostgreSQL at login, which
	 * converts the peer's names to the database encoding -- or accepted
	 * there too, as PostgreSQL 18.6 does; then the check must hold).
	 */
	const char *expect;
	void		(*build) (OddCert *oc);	/* NULL: nothing to change */

	/* An SQL boolean the session must find true, or NULL. */
	const char *check;
	const char *description;
	OddTime		not_before;
	OddTime		not_after;
	OddValue	value;
	const char *serial;			/* in hex, "-" for a negative one; NULL: random */
	int			subject_der;	/* a subject of exactly this DER length; 0: no */
} OddCase;

static X509 *root_cert;
static EVP_PKEY *root_key;
static X509 *inter_cert;
static EVP_PKEY *inter_key;
static EVP_PKEY *leaf_key;

/*
 * die
 *		Print a message and OpenSSL's error queue, and exit 1.
 */
static void die(const char *fmt,...) __attribute__((noreturn, format(printf, 1, 2)));

static void
die(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "odd_certs: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	ERR_print_errors_fp(stderr);
	exit(1);
}

/*
 * der_add
 *		Append len bytes to out.
 */
static void
der_add(Der *out, const void *bytes, size_t len)
{
	if (out->len + len > out->cap)
	{
		out->cap = (out->len + len) * 2 + 64;
		out->data = realloc(out->data, out->cap);
		if (out->data == NULL)
			die("out of memory");
	}
	memcpy(out->data + out->len, bytes, len);
	out->len += len;
}

/*
 * der_tlv
 *		Append one DER element: tag, definite length, content.
 */
static void
der_tlv(Der *out, unsigned char tag, const void *content, size_t len)
{
	unsigned char head[6];
	size_t		n = 0;

	head[n++] = tag;
	if (len < 0x80)
		head[n++] = (unsigned char) len;
	else
	{
		int			octets = len > 0xFFFFFF ? 4 : len > 0xFFFF ? 3 : len > 0xFF ? 2 : 1;

		head[n++] = 0x80 | octets;
		for (int i = octets - 1; i >= 0; i--)
			head[n++] = (unsigned char) (len >> (8 * i));
	}
	der_add(out, head, n);
	der_add(out, content, len);
}

/*
 * der_wrap
 *		Replace the content of in by one element holding it; in is emptied.
 */
static void
der_wrap(Der *out, unsigned char tag, Der *in)
{
	der_tlv(out, tag, in->data, in->len);
	free(in->data);
	memset(in, 0, sizeof(*in));
}

/*
 * name_add
 *		Add an attribute of type nid (or the dotted OID oid when nid is
 *		NID_undef) holding len bytes stored as ASN.1 type type, as-is: no
 *		character set check, no length limit.  set 0 starts a new RDN, -1
 *		joins the previous one.
 */
static void
name_add(X509_NAME *name, int nid, const char *oid, int type,
		 const void *bytes, int len, int set)
{
	ASN1_OBJECT *obj = nid != NID_undef ? OBJ_nid2obj(nid) : OBJ_txt2obj(oid, 1);

	if (obj == NULL ||
		!X509_NAME_add_entry_by_OBJ(name, obj, type, bytes, len, -1, set))
		die("could not add a name attribute");
	if (nid == NID_undef)
		ASN1_OBJECT_free(obj);
}

/* An attribute holding a C string, as a UTF8String. */
#define name_add_str(name, nid, str) \
	name_add(name, nid, NULL, V_ASN1_UTF8STRING, str, -1, 0)

/*
 * fresh_subject
 *		Empty x's subject and return it, to be filled by the caller.
 */
static X509_NAME *
fresh_subject(X509 *x)
{
	X509_NAME  *empty = X509_NAME_new();

	if (empty == NULL || !X509_set_subject_name(x, empty))
		die("could not reset a subject");
	X509_NAME_free(empty);
	return X509_get_subject_name(x);
}

/*
 * add_patch
 *		Have len bytes of placeholder, which the caller wrote into the
 *		certificate, replaced by as many bytes after encoding.
 */
static void
add_patch(OddCert *oc, const char *placeholder, const char *bytes, size_t len)
{
	Patch	   *p = &oc->patches[oc->npatches++];

	if (oc->npatches > MAX_PATCHES || len > MAX_PATCH_LEN)
		die("too many patches, or one too long");
	memcpy(p->placeholder, placeholder, len);
	memcpy(p->bytes, bytes, len);
	p->len = len;
}

/*
 * name_add_unencodable
 *		Add an attribute whose value OpenSSL refuses to encode (it converts
 *		a name's strings to UTF-8 when it encodes one): a UTF8String of as
 *		many "@" is written, then patched into the ASN.1 type tag holding
 *		len bytes.
 */
static void
name_add_unencodable(OddCert *oc, int nid, unsigned char tag,
					 const char *bytes, size_t len)
{
	char		placeholder[MAX_PATCH_LEN];
	char		patched[MAX_PATCH_LEN];

	if (len + 2 > MAX_PATCH_LEN)
		die("value too long to patch");
	placeholder[0] = V_ASN1_UTF8STRING;
	placeholder[1] = (char) len;
	memset(placeholder + 2, '@', len);
	patched[0] = (char) tag;
	patched[1] = (char) len;
	memcpy(patched + 2, bytes, len);
	name_add(X509_get_subject_name(oc->x), nid, NULL, V_ASN1_UTF8STRING,
			 placeholder + 2, (int) len, 0);
	add_patch(oc, placeholder, patched, len + 2);
}

/*
 * ext_add_der
 *		Add an extension whose value is the given DER, whatever it holds.
 */
static void
ext_add_der(X509 *x, int nid, const char *oid, int critical,
			const unsigned char *der, size_t len)
{
	ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
	ASN1_OBJECT *obj = nid != NID_undef ? OBJ_nid2obj(nid) : OBJ_txt2obj(oid, 1);
	X509_EXTENSION *ext;

	if (value == NULL || obj == NULL ||
		!ASN1_OCTET_STRING_set(value, der, (int) len))
		die("could not make an extension value");
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, value);
	if (ext == NULL || !X509_add_ext(x, ext, -1))
		die("could not add an extension");
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(value);
	if (nid == NID_undef)
		ASN1_OBJECT_free(obj);
}

/*
 * ext_add_conf
 *		Add an extension from its openssl.cnf spelling ("critical,CA:TRUE").
 */
static void
ext_add_conf(X509 *x, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, nid, value);

	if (ext == NULL || !X509_add_ext(x, ext, -1))
		die("could not add extension %s", value);
	X509_EXTENSION_free(ext);
}

/*
 * san_push
 *		Append a GeneralName of the given type holding len raw bytes.
 */
static void
san_push(GENERAL_NAMES *names, int type, const void *bytes, int len)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_STRING *str = ASN1_STRING_type_new(type == GEN_IPADD ? V_ASN1_OCTET_STRING
											: V_ASN1_IA5STRING);

	if (gn == NULL || str == NULL || !ASN1_STRING_set(str, bytes, len))
		die("could not make a subjectAltName");
	GENERAL_NAME_set0_value(gn, type, str);
	if (!sk_GENERAL_NAME_push(names, gn))
		die("out of memory");
}

/* A DNS or e-mail name from a C string (NULs need san_push). */
#define san_push_str(names, type, str) san_push(names, type, str, (int) strlen(str))

/*
 * san_push_ip
 *		Append an IP address given as text.
 */
static void
san_push_ip(GENERAL_NAMES *names, const char *text)
{
	ASN1_OCTET_STRING *ip = a2i_IPADDRESS(text);

	if (ip == NULL)
		die("bad address %s", text);
	san_push(names, GEN_IPADD, ASN1_STRING_get0_data(ip), ASN1_STRING_length(ip));
	ASN1_OCTET_STRING_free(ip);
}

/*
 * san_attach
 *		Add names as a subjectAltName extension (another one if x has one
 *		already), and free them.
 */
static void
san_attach(X509 *x, GENERAL_NAMES *names)
{
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_APPEND) != 1)
		die("could not add a subjectAltName extension");
	GENERAL_NAMES_free(names);
}

/*
 * set_time
 *		Set notBefore (which 0) or notAfter (which 1) to time, unless it is
 *		the default.
 */
static void
set_time(X509 *x, int which, OddTime time)
{
	ASN1_TIME  *t;

	if (time.value == NULL)
		return;
	t = ASN1_STRING_type_new(time.type);
	if (t == NULL || !ASN1_STRING_set(t, time.value, -1) ||
		!(which == 0 ? X509_set1_notBefore(x, t) : X509_set1_notAfter(x, t)))
		die("could not set a time");
	ASN1_TIME_free(t);
}

/*
 * set_serial_hex
 *		Set the serial number from hex digits, optionally negative.
 */
static void
set_serial_hex(X509 *x, const char *hex)
{
	BIGNUM	   *bn = NULL;

	if (!BN_hex2bn(&bn, hex) ||
		BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		die("could not set serial %s", hex);
	BN_free(bn);
}

/*
 * name_of_der_length
 *		A subject whose DER is exactly target bytes: an organisation, then
 *		a common name padded with "x" until the length is reached.
 */
static X509_NAME *
name_of_der_length(const char *organisation, int target)
{
	for (int pad = target - 64; pad < target; pad++)
	{
		X509_NAME  *name = X509_NAME_new();
		char	   *cn = malloc(pad + 1);
		int			len;

		if (name == NULL || cn == NULL)
			die("out of memory");
		memset(cn, 'x', pad);
		cn[pad] = '\0';
		name_add_str(name, NID_organizationName, organisation);
		name_add_str(name, NID_commonName, cn);
		free(cn);
		len = i2d_X509_NAME(name, NULL);
		if (len == target)
			return name;
		X509_NAME_free(name);
		if (len > target)
			break;
	}
	die("no name of %d DER bytes", target);
	return NULL;
}

/*
 * new_cert
 *		A version 3 certificate for key, issued by issuer (NULL: self),
 *		valid from an hour ago for 90 days, with a random 64-bit serial and
 *		the subject CN=cn.
 */
static X509 *
new_cert(X509 *issuer, EVP_PKEY *key, const char *cn)
{
	X509	   *x = X509_new();
	BIGNUM	   *serial = BN_new();

	if (x == NULL || serial == NULL ||
		!X509_set_version(x, X509_VERSION_3) ||
		!BN_rand(serial, 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) ||
		BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) == NULL ||
		X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
		X509_gmtime_adj(X509_getm_notAfter(x), 90L * DAY) == NULL ||
		!X509_set_pubkey(x, key))
		die("could not make a certificate");
	BN_free(serial);
	name_add_str(X509_get_subject_name(x), NID_commonName, cn);
	if (!X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)))
		die("could not set an issuer");
	return x;
}

/*
 * use_odd_ca
 *		Have the case's certificate issued by a new intermediate CA (signed
 *		by the root) whose subject is subject, instead of the usual one.
 */
static void
use_odd_ca(OddCert *oc, X509_NAME *subject)
{
	EVP_PKEY   *key = EVP_EC_gen("P-256");
	X509	   *ca;

	if (key == NULL)
		die("could not generate a key");
	ca = new_cert(root_cert, key, "unused");
	if (!X509_set_subject_name(ca, subject))
		die("could not set a CA subject");
	ext_add_conf(ca, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
	ext_add_conf(ca, NID_key_usage, "critical,keyCertSign,cRLSign");
	if (!X509_sign(ca, root_key, EVP_sha256()))
		die("could not sign a CA");
	X509_NAME_free(subject);

	oc->issuer = ca;
	oc->issuer_key = key;
	if (!X509_set_issuer_name(oc->x, X509_get_subject_name(ca)))
		die("could not set an issuer");
}

/* ------------------------------------------------------------------------
 * The cases' builders: each makes the one change its entry in the table
 * describes, to a certificate that new_cert() made and that write_case()
 * signs.
 */

static void
build_subject_300_ous(OddCert *oc)
{
	X509_NAME  *name = X509_get_subject_name(oc->x);
	char		unit[16];

	for (int i = 1; i <= 300; i++)
	{
		snprintf(unit, sizeof(unit), "unit-%03d", i);
		name_add_str(name, NID_organizationalUnitName, unit);
	}
}

static void
build_subject_16kb_cn(OddCert *oc)
{
	static char cn[16384 + 1];

	memset(cn, 'x', sizeof(cn) - 1);
	name_add_str(fresh_subject(oc->x), NID_commonName, cn);
}

static void
build_subject_empty(OddCert *oc)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();

	fresh_subject(oc->x);
	san_push_str(names, GEN_DNS, "empty-subject.pg-tls-probe.test");
	san_attach(oc->x, names);
}

static void
build_subject_multivalued_rdn(OddCert *oc)
{
	X509_NAME  *name = fresh_subject(oc->x);

	name_add_str(name, NID_organizationName, "odd");
	name_add(name, NID_commonName, NULL, V_ASN1_UTF8STRING, "multi", -1, 0);
	name_add(name, NID_organizationalUnitName, NULL, V_ASN1_UTF8STRING, "valued", -1, -1);
	name_add(name, NID_userId, NULL, V_ASN1_UTF8STRING, "rdn", -1, -1);
}


static void
build_subject_nul(OddCert *oc)
{
	X509_NAME  *name = X509_get_subject_name(oc->x);

	name_add(name, NID_organizationalUnitName, NULL, V_ASN1_UTF8STRING,
			 BYTES("before\0after"), 0);
	name_add(name, NID_organizationName, NULL, V_ASN1_PRINTABLESTRING,
			 BYTES("nul\0"), 0);
}

static void
build_subject_nul_cn(OddCert *oc)
{
	name_add(fresh_subject(oc->x), NID_commonName, NULL, V_ASN1_UTF8STRING,
			 BYTES("odd\0.pg-tls-probe.test"), 0);
}

static void
build_subject_controls(OddCert *oc)
{
	X509_NAME  *name = fresh_subject(oc->x);

	name_add_str(name, NID_commonName, "line1\nline2\r\t\x1B[31mred\x7F");
	/* U+0085 (NEL), U+00A0, U+00AD: C1 and Latin-1 format characters */
	name_add_str(name, NID_organizationalUnitName, "nel\xC2\x85nbsp\xC2\xA0shy\xC2\xAD");
}

static void
build_subject_rfc2253_specials(OddCert *oc)
{
	X509_NAME  *name = fresh_subject(oc->x);

	name_add_str(name, NID_organizationName, "#hash, \"quoted\"+plus\\back;semi<lt>gt=eq");
	name_add_str(name, NID_commonName, " leading and trailing ");
}

static void
build_subject_unknown_oid(OddCert *oc)
{
	name_add(X509_get_subject_name(oc->x), NID_undef, PRIVATE_ARC "7",
			 V_ASN1_UTF8STRING, "private attribute", -1, 0);
}

static void
build_subject_non_string(OddCert *oc)
{
	static const char bits[] = "\xC3(\0\xFF";
	static const char descriptor[] = "desc\n\xFE";
	static const char numeric[] = "12ab\xE9\x01";
	X509_NAME  *name = X509_get_subject_name(oc->x);

	/* types OpenSSL prints only as "#" and the hex of their DER */
	name_add(name, NID_organizationName, NULL, V_ASN1_BIT_STRING,
			 bits, sizeof(bits) - 1, 0);
	name_add(name, NID_organizationalUnitName, NULL, V_ASN1_OBJECT_DESCRIPTOR,
			 descriptor, sizeof(descriptor) - 1, 0);
	/* a one-byte type holding what it may not */
	name_add(name, NID_localityName, NULL, V_ASN1_NUMERICSTRING,
			 numeric, sizeof(numeric) - 1, 0);
}

static void
build_subject_general_visible(OddCert *oc)
{
	static const char general[] = "gen\xC3(\0\xFF";
	static const char visible[] = "vis\x01\xA4";

	name_add_unencodable(oc, NID_organizationName, V_ASN1_GENERALSTRING,
						 general, sizeof(general) - 1);
	name_add_unencodable(oc, NID_stateOrProvinceName, V_ASN1_VISIBLESTRING,
						 visible, sizeof(visible) - 1);
}

static void
build_issuer_odd(OddCert *oc)
{
	X509_NAME  *name = X509_NAME_new();

	name_add(name, NID_countryName, NULL, V_ASN1_PRINTABLESTRING, "ZZ", -1, 0);
	name_add(name, NID_organizationName, NULL, V_ASN1_T61STRING,
			 BYTES("Odd\xE9 CA\x1B"), 0);
	name_add(name, NID_organizationalUnitName, NULL, V_ASN1_BMPSTRING,
			 BYTES(BMP_LATIN1), 0);
	name_add(name, NID_organizationalUnitName, NULL, V_ASN1_UTF8STRING,
			 BYTES("nul\0inside"), 0);
	name_add_str(name, NID_commonName, "odd issuer\nCN=forged, O=\\evil");
	use_odd_ca(oc, name);
}

static void
build_issuer_der_1025(OddCert *oc)
{
	use_odd_ca(oc, name_of_der_length("odd issuer 1025", 1025));
}

static void
build_issuer_unknown_oid(OddCert *oc)
{
	X509_NAME  *name = X509_NAME_new();

	name_add_str(name, NID_commonName, "odd issuer with a private attribute");
	name_add(name, NID_undef, PRIVATE_ARC "7", V_ASN1_UTF8STRING, "private", -1, 0);
	use_odd_ca(oc, name);
}

static void
build_serial_nonminimal(OddCert *oc)
{
	/* the serial 0x7E7E7E (see the table), its content made 00 00 01 */
	add_patch(oc, "\x02\x03\x7E\x7E\x7E", "\x02\x03\x00\x00\x01", 5);
}

static void
build_san_thousands(OddCert *oc)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	char		buf[64];

	for (int i = 0; i < 2000; i++)
	{
		snprintf(buf, sizeof(buf), "host-%04d.pg-tls-probe.test", i);
		san_push_str(names, GEN_DNS, buf);
	}
	for (int i = 0; i < 500; i++)
	{
		snprintf(buf, sizeof(buf), "10.%d.%d.%d", i / 65536, (i / 256) % 256, i % 256);
		san_push_ip(names, buf);
	}
	for (int i = 0; i < 300; i++)
	{
		snprintf(buf, sizeof(buf), "2001:db8::%x", i);
		san_push_ip(names, buf);
	}
	for (int i = 0; i < 300; i++)
	{
		snprintf(buf, sizeof(buf), "user-%03d@example.com", i);
		san_push_str(names, GEN_EMAIL, buf);
	}
	san_attach(oc->x, names);
}

static void
build_san_over_100kb(OddCert *oc)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	char		buf[64];

	for (int i = 0; i < 4000; i++)
	{
		snprintf(buf, sizeof(buf), "a-rather-long-host-name-%05d.pg-tls-probe.test", i);
		san_push_str(names, GEN_DNS, buf);
	}
	san_attach(oc->x, names);
}

static void
build_san_bytes(OddCert *oc)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();

	san_push(names, GEN_DNS, BYTES("evil.test\0.pg-tls-probe.test"));
	san_push_str(names, GEN_DNS, "line\nbreak.test");
	san_push_str(names, GEN_DNS, "esc\x1B[31m.test");
	san_push_str(names, GEN_DNS, "back\\slash.test");
	san_push_str(names, GEN_DNS, "caf\xC3\xA9.test");
	san_push_str(names, GEN_DNS, "bad\xC3(.test");
	san_push_str(names, GEN_DNS, "sep\xE2\x80\xA8.test");
	san_push(names, GEN_EMAIL, BYTES("a\0b@example.com"));
	san_push_str(names, GEN_EMAIL, "\xFF\xFE@example.com");
	san_attach(oc->x, names);
}

static void
build_san_ip_odd_lengths(OddCert *oc)
{
	static const char bytes[32] = "\xC0\x00\x02\x01\xFF";
	static const int lengths[] = {0, 1, 3, 5, 8, 15, 17, 32};
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();

	for (size_t i = 0; i < lengthof(lengths); i++)
		san_push(names, GEN_IPADD, bytes, lengths[i]);
	san_push_ip(names, "192.0.2.1");
	san_push_ip(names, "::1");
	san_attach(oc->x, names);
}

static void
build_san_other_types(OddCert *oc)
{
	static const char upn_text[] = "upn\0\xE2\x80\xA8@odd.test";
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gn;
	ASN1_TYPE  *upn;
	ASN1_UTF8STRING *upn_value = ASN1_UTF8STRING_new();
	X509_NAME  *dir = X509_NAME_new();

	san_push_str(names, GEN_URI, "http://odd.test/\n\x1B[31m\xC3(");

	/* a Microsoft UPN otherName, UTF-8 with a NUL and a line separator */
	upn = ASN1_TYPE_new();
	gn = GENERAL_NAME_new();
	if (upn == NULL || gn == NULL || upn_value == NULL ||
		!ASN1_STRING_set(upn_value, upn_text, sizeof(upn_text) - 1))
		die("out of memory");
	ASN1_TYPE_set(upn, V_ASN1_UTF8STRING, upn_value);
	if (!GENERAL_NAME_set0_othername(gn, OBJ_nid2obj(NID_ms_upn), upn) ||
		!sk_GENERAL_NAME_push(names, gn))
		die("could not add an otherName");

	name_add(dir, NID_commonName, NULL, V_ASN1_BMPSTRING,
			 BYTES(BMP_LATIN1), 0);
	gn = GENERAL_NAME_new();
	if (gn == NULL || dir == NULL)
		die("out of memory");
	GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dir);
	if (!sk_GENERAL_NAME_push(names, gn))
		die("out of memory");

	gn = GENERAL_NAME_new();
	if (gn == NULL)
		die("out of memory");
	GENERAL_NAME_set0_value(gn, GEN_RID, OBJ_txt2obj(PRIVATE_ARC "9", 1));
	if (!sk_GENERAL_NAME_push(names, gn))
		die("out of memory");
	san_attach(oc->x, names);
}

static void
build_san_empty(OddCert *oc)
{
	ext_add_der(oc->x, NID_subject_alt_name, NULL, 0,
				(const unsigned char *) "\x30\x00", 2);
}

static void
build_san_malformed(OddCert *oc)
{
	/* a SEQUENCE that claims 16 bytes of content and holds 5 */
	ext_add_der(oc->x, NID_subject_alt_name, NULL, 0,
				(const unsigned char *) "\x30\x10\x82\x03" "abc", 7);
}

static void
build_ext_unknown_critical(OddCert *oc)
{
	ext_add_der(oc->x, NID_undef, PRIVATE_ARC "1", 1,
				(const unsigned char *) "\x05\x00", 2);
}

static void
build_ext_unknown_large(OddCert *oc)
{
	static unsigned char value[32768];
	Der			der = {0};

	for (size_t i = 0; i < sizeof(value); i++)
		value[i] = (unsigned char) i;
	der_tlv(&der, V_ASN1_OCTET_STRING, value, sizeof(value));
	ext_add_der(oc->x, NID_undef, PRIVATE_ARC "2", 0, der.data, der.len);
	free(der.data);
}

static void
build_ext_duplicate(OddCert *oc)
{
	for (int i = 0; i < 2; i++)
	{
		GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();

		san_push_str(names, GEN_DNS, i == 0 ? "first.test" : "second.test");
		san_attach(oc->x, names);
	}
}

static void
build_ext_policy_notice(OddCert *oc)
{
	static const unsigned char any_policy[] = {0x06, 0x04, 0x55, 0x1D, 0x20, 0x00};
	static const unsigned char unotice[] = {0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x02, 0x02};
	static const char utf8_text[] = "bad\xC3(nul\0line\nend\xE2\x80\xA8";
	Der			text = {0},
				notice = {0},
				qualifier = {0},
				qualifiers = {0},
				policy = {0},
				policies = {0};

	/* UserNotice { explicitText } twice: as a BMPString, as a UTF8String */
	for (int i = 0; i < 2; i++)
	{
		if (i == 0)
			der_tlv(&text, V_ASN1_BMPSTRING, BYTES(BMP_LATIN1));
		else
			der_tlv(&text, V_ASN1_UTF8STRING, utf8_text, sizeof(utf8_text) - 1);
		der_wrap(&notice, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, &text);
		der_add(&qualifier, unotice, sizeof(unotice));
		der_add(&qualifier, notice.data, notice.len);
		free(notice.data);
		memset(&notice, 0, sizeof(notice));
		der_wrap(&qualifiers, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, &qualifier);
	}
	der_add(&policy, any_policy, sizeof(any_policy));
	der_wrap(&policy, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, &qualifiers);
	der_wrap(&policies, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, &policy);
	{
		Der			ext = {0};

		der_wrap(&ext, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, &policies);
		ext_add_der(oc->x, NID_certificate_policies, NULL, 0, ext.data, ext.len);
		free(ext.data);
	}
}

static void
build_ext_empty_value(OddCert *oc)
{
	ext_add_der(oc->x, NID_undef, PRIVATE_ARC "3", 0, NULL, 0);
}

static void
build_v1_with_extensions(OddCert *oc)
{
	X509_set_version(oc->x, X509_VERSION_1);
	ext_add_conf(oc->x, NID_basic_constraints, "CA:FALSE");
}

static void
build_v1(OddCert *oc)
{
	X509_set_version(oc->x, X509_VERSION_1);
}

/* ------------------------------------------------------------------------
 * The table.  Checks run in the session that presented the certificate
 * (a member of pg_read_all_stats, so that it may read the connection log).
 */

#define PEER(expr)		"(SELECT " expr " FROM public.tls_peer_certificate())"
#define SESSION(expr)	"(SELECT " expr " FROM public.tls_sessions WHERE pid = pg_backend_pid())"
#define LOGGED(expr)	"(SELECT " expr " FROM public.tls_connection_log WHERE pid = pg_backend_pid()" \
						" ORDER BY id DESC LIMIT 1)"
#define BY_ENCODING(latin1, other) \
	"CASE pg_catalog.getdatabaseencoding() WHEN 'LATIN1' THEN " latin1 " ELSE " other " END"

/*
 * UTF-8 text given as hex, so that the query's text holds no character a
 * LATIN1 database cannot take: the server converts a whole query to the
 * database encoding before it runs, whichever branch of a CASE it takes.
 */
#define UTF8_TEXT(hex) "pg_catalog.convert_from('\\x" hex "'::bytea, 'UTF8')"

static const OddCase cases[] = {
	{.name = "baseline", .expect = "accepted",
		.check = PEER("subject = 'CN=odd baseline'") " AND " SESSION("client_subject = 'CN=odd baseline'"),
		.description = "an ordinary certificate from this generator"},

	{.name = "subject_300_ous", .expect = "accepted",
		.build = build_subject_300_ous,
		.check = "array_length(string_to_array(public.tls_peer_subject_field('OU'), ','), 1) = 300"
			" AND " SESSION("client_subject IS NULL"),
		.description = "300 organisational units"},
	{.name = "subject_16kb_cn", .expect = "accepted",
		.build = build_subject_16kb_cn,
		.check = "length(public.tls_peer_subject_field('CN')) = 16384 AND " SESSION("client_subject IS NULL"),
		.description = "a 16 KB common name"},
	{.name = "subject_der_1024", .expect = "accepted",
		.subject_der = 1024,
		.check = "(SELECT s.client_subject = c.subject FROM public.tls_sessions s, public.tls_peer_certificate() c"
			" WHERE s.pid = pg_backend_pid()) AND " LOGGED("client_subject IS NOT NULL"),
		.description = "a subject of 1024 DER bytes: the most shared memory keeps"},
	{.name = "subject_der_1025", .expect = "accepted",
		.subject_der = 1025,
		.check = PEER("subject IS NOT NULL") " AND " SESSION("client_subject IS NULL")
			" AND " LOGGED("client_subject IS NULL"),
		.description = "a subject of 1025 DER bytes: one more than shared memory keeps"},
	{.name = "subject_empty", .expect = "accepted",
		.build = build_subject_empty,
		.check = PEER("subject = ''") " AND public.tls_peer_subject_field('CN') IS NULL",
		.description = "an empty subject (the name is in the subjectAltName)"},
	{.name = "subject_multivalued_rdn", .expect = "accepted",
		.build = build_subject_multivalued_rdn,
		.check = PEER("subject = 'UID=rdn+OU=valued+CN=multi,O=odd'"),
		.description = "CN, OU and UID in one multi-valued RDN"},
	{.name = "subject_bmp_latin1", .expect = "accepted",
		.value = {NID_organizationalUnitName, V_ASN1_BMPSTRING, BYTES(BMP_LATIN1)},
		.check = "public.tls_peer_subject_field('OU') = "
			BY_ENCODING("'\\C3\\9Cn\\C3\\AFc\\C3\\B6d\\C3\\A9'", "'\xC3\x9Cn\xC3\xAF" "c\xC3\xB6" "d\xC3\xA9'"),
		.description = "a BMPString within Latin-1"},
	{.name = "subject_bmp_snowman", .expect = "postgres-in-latin1",
		/* "snow U+2603" */
		.value = {NID_organizationalUnitName, V_ASN1_BMPSTRING, BYTES("\x00s\x00n\x00o\x00w\x00 \x26\x03")},
		.check = "public.tls_peer_subject_field('OU') = "
			BY_ENCODING("'snow \\E2\\98\\83'", UTF8_TEXT("736e6f7720e29883")),
		.description = "a BMPString beyond Latin-1"},
	{.name = "subject_bmp_surrogates", .expect = "handshake",
		/* U+1D11E as a UTF-16 pair, then a lone high surrogate */
		.value = {NID_organizationalUnitName, V_ASN1_BMPSTRING, BYTES("\xD8\x34\xDD\x1E\x00-\xD8\x00"), true},
		.description = "a BMPString with a UTF-16 surrogate pair and a lone surrogate"},
	{.name = "subject_bmp_odd_length", .expect = "handshake",
		.value = {NID_organizationalUnitName, V_ASN1_BMPSTRING, BYTES("\x00" "A\x00"), true},
		.description = "a BMPString of three bytes"},
	{.name = "subject_universal", .expect = "postgres-in-latin1",
		/* "A" U+1D54C, UCS-4 */
		.value = {NID_organizationalUnitName, V_ASN1_UNIVERSALSTRING, BYTES("\x00\x00\x00\x41\x00\x01\xD5\x4C")},
		.check = "public.tls_peer_subject_field('OU') = "
			BY_ENCODING("'A\\F0\\9D\\95\\8C'", UTF8_TEXT("41f09d958c")),
		.description = "a UniversalString beyond the BMP"},
	{.name = "subject_universal_out_of_range", .expect = "handshake",
		/* U+110000 does not exist; neither does 0xFFFFFFFF */
		.value = {NID_organizationalUnitName, V_ASN1_UNIVERSALSTRING, BYTES("\x00\x11\x00\x00\xFF\xFF\xFF\xFF"), true},
		.description = "a UniversalString with code points above U+10FFFF"},
	{.name = "subject_t61", .expect = "accepted",
		.value = {NID_organizationName, V_ASN1_T61STRING, BYTES("caf\xE9 \xFF\x1B\xA4 \xC3\xA9")},
		.check = "public.tls_peer_subject_field('O') = "
			BY_ENCODING("'caf\\C3\\A9 \\C3\\BF\\1B\\C2\\A4 \\C3\\83\\C2\\A9'",
			"'caf\xC3\xA9 \xC3\xBF\\1B\xC2\xA4 \xC3\x83\xC2\xA9'"),
		.description = "a T61String (TeletexString) with bytes above 0x7F and an escape"},
	{.name = "subject_printable_high", .expect = "accepted",
		.value = {NID_organizationName, V_ASN1_PRINTABLESTRING, BYTES("\xFF\x80<>@*_!\xE9")},
		.check = "public.tls_peer_subject_field('O') IS NOT NULL",
		.description = "a PrintableString with bytes outside its character set"},
	{.name = "subject_ia5_high", .expect = "accepted",
		.value = {NID_pkcs9_emailAddress, V_ASN1_IA5STRING, BYTES("odd\xE9\x80\xFF@example.com")},
		.check = "public.tls_peer_subject_field('emailAddress') IS NOT NULL",
		.description = "an IA5String e-mail address with bytes above 0x7F"},
	{.name = "subject_utf8_invalid", .expect = "handshake",
		/* a truncated sequence, an overlong NUL, a surrogate, beyond U+10FFFF */
		.value = {NID_organizationalUnitName, V_ASN1_UTF8STRING, BYTES("\xC3(\xC0\x80\xED\xA0\x80\xF4\x90\x80\x80\xFF"), true},
		.description = "a UTF8String that is not UTF-8 (truncated, overlong, surrogate, above U+10FFFF)"},
	{.name = "subject_nul", .expect = "accepted",
		.build = build_subject_nul,
		.check = "public.tls_peer_subject_field('OU') = 'before\\00after'"
			" AND public.tls_peer_subject_field('O') = 'nul\\00'",
		.description = "NUL bytes inside an OU and an O"},
	{.name = "subject_nul_cn", .expect = "postgres",
		.build = build_subject_nul_cn,
		.description = "a NUL byte inside the common name"},
	{.name = "subject_controls", .expect = "accepted",
		.build = build_subject_controls,
		.check = PEER("subject !~ '[\\x01-\\x1f\\x7f]'"),
		.description = "control characters, NEL (U+0085), no-break space and soft hyphen"},
	{.name = "subject_unicode_format", .expect = "postgres-in-latin1",
		/* U+2028, U+2029, U+202E (right-to-left override), U+FEFF, U+200D */
		.value = {NID_organizationalUnitName, V_ASN1_UTF8STRING,
			BYTES("ls\xE2\x80\xA8ps\xE2\x80\xA9rlo\xE2\x80\xAEgpj.exe" "bom\xEF\xBB\xBFzwj\xE2\x80\x8D")},
		.check = "pg_catalog.starts_with(public.tls_peer_subject_field('OU'), "
			BY_ENCODING("'ls\\E2\\80\\A8ps'", UTF8_TEXT("6c73e280a87073")) ")",
		.description = "U+2028, U+2029, a right-to-left override, a BOM and a zero-width joiner"},
	{.name = "subject_rfc2253_specials", .expect = "accepted",
		.build = build_subject_rfc2253_specials,
		.check = PEER("subject = 'CN=\\ leading and trailing\\ ,O=\\#hash\\, \\\"quoted\\\"\\+plus\\\\back\\;semi\\<lt\\>gt=eq'"),
		.description = "every character RFC 2253 escapes, and leading and trailing blanks"},
	{.name = "subject_unknown_oid", .expect = "postgres",
		.build = build_subject_unknown_oid,
		.description = "an attribute under a private OID"},
	{.name = "subject_non_string", .expect = "accepted",
		.build = build_subject_non_string,
		.check = "public.tls_peer_subject_field('O') LIKE '#03%' AND public.tls_peer_subject_field('OU') LIKE '#07%'",
		.description = "BIT STRING and ObjectDescriptor values, and a NumericString with letters and a control"},
	{.name = "subject_general_visible", .expect = "handshake",
		.build = build_subject_general_visible,
		.description = "GeneralString and VisibleString values, which OpenSSL does not take in a name"},

	{.name = "issuer_odd", .expect = "accepted",
		.build = build_issuer_odd,
		.check = "public.tls_peer_issuer_field('CN') = 'odd issuer\\0ACN=forged\\, O=\\\\evil'"
			" AND " SESSION("client_issuer") " = " PEER("issuer"),
		.description = "issued by a CA whose subject has T61, BMP, NUL, a newline and RFC 2253 specials"},
	{.name = "issuer_der_1025", .expect = "accepted",
		.build = build_issuer_der_1025,
		.check = PEER("issuer IS NOT NULL") " AND " SESSION("client_issuer IS NULL"),
		.description = "issued by a CA whose subject is 1025 DER bytes"},
	{.name = "issuer_unknown_oid", .expect = "postgres",
		.build = build_issuer_unknown_oid,
		.description = "issued by a CA whose subject has an attribute under a private OID"},

	{.name = "serial_negative", .expect = "accepted",
		.serial = "-0123456789ABCDEF",
		.check = PEER("serial = -81985529216486895 AND serial_hex = '-0123456789ABCDEF'")
			" AND " SESSION("client_serial = -81985529216486895")
			" AND " LOGGED("client_serial = -81985529216486895"),
		.description = "a negative serial number"},
	{.name = "serial_zero", .expect = "accepted",
		.serial = "0",
		.check = PEER("serial = 0") " AND " SESSION("client_serial = 0"),
		.description = "serial number zero"},
	{.name = "serial_20_octets", .expect = "accepted",
		.serial = "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
		.check = PEER("serial_hex = '7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF'")
			" AND " SESSION("client_serial") " = " PEER("serial"),
		.description = "the largest serial RFC 5280 allows (20 octets)"},
	{.name = "serial_40_octets", .expect = "accepted",
		.serial = "0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021222324252627FF",
		.check = PEER("serial_hex = '0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021222324252627FF'")
			" AND " SESSION("client_serial IS NULL"),
		.description = "a 40-octet serial"},
	{.name = "serial_nonminimal", .expect = "handshake",
		.serial = "7E7E7E",
		.build = build_serial_nonminimal,
		.description = "a serial encoded with leading zero octets"},

	{.name = "san_thousands", .expect = "accepted",
		.build = build_san_thousands,
		.check = PEER("cardinality(san_dns) = 2000 AND cardinality(san_ip) = 800 AND cardinality(san_email) = 300"),
		.description = "3,100 subjectAltNames: DNS, IPv4, IPv6 and e-mail"},
	{.name = "san_over_100kb", .expect = "handshake",
		.build = build_san_over_100kb,
		.description = "4,000 subjectAltNames: a certificate over the server's 100 KB limit"},
	{.name = "san_bytes", .expect = "accepted",
		.build = build_san_bytes,
		.check = PEER("'evil.test\\00.pg-tls-probe.test' = ANY (san_dns) AND 'back\\\\slash.test' = ANY (san_dns)"
			" AND 'bad\\C3(.test' = ANY (san_dns) AND 'line\\0Abreak.test' = ANY (san_dns)"
			" AND 'a\\00b@example.com' = ANY (san_email)"),
		.description = "subjectAltNames with a NUL, controls, a backslash, UTF-8 and bytes that are not"},
	{.name = "san_ip_odd_lengths", .expect = "accepted",
		.build = build_san_ip_odd_lengths,
		.check = PEER("san_ip = '{192.0.2.1,::1}'"),
		.description = "iPAddress names of 0, 1, 3, 5, 8, 15, 17 and 32 bytes"},
	{.name = "san_other_types", .expect = "accepted",
		.build = build_san_other_types,
		.check = PEER("san_dns = '{}' AND san_ip = '{}' AND san_email = '{}'"),
		.description = "URI, otherName (UPN), directoryName and registeredID names"},
	{.name = "san_empty", .expect = "accepted",
		.build = build_san_empty,
		.check = PEER("san_dns = '{}'"),
		.description = "a subjectAltName extension with no names"},
	{.name = "san_malformed", .expect = "handshake",
		.build = build_san_malformed,
		.description = "a subjectAltName extension whose DER is truncated"},

	{.name = "dates_utctime_bounds", .expect = "accepted",
		.check = PEER("not_before = '1950-01-01 00:00:00+00' AND not_after = '2049-12-31 23:59:59+00'")
			" AND " SESSION("client_not_after = '2049-12-31 23:59:59+00'"),
		.description = "UTCTime from 1950-01-01 to 2049-12-31T23:59:59Z, its first and last instants",
		.not_before = {V_ASN1_UTCTIME, "500101000000Z"},
		.not_after = {V_ASN1_UTCTIME, "491231235959Z"}},
	{.name = "dates_generalized_2050", .expect = "accepted",
		.check = PEER("not_after = '2050-01-01 00:00:00+00'"),
		.description = "notAfter 2050-01-01, the first GeneralizedTime",
		.not_after = {V_ASN1_GENERALIZEDTIME, "20500101000000Z"}},
	{.name = "dates_generalized_9999", .expect = "accepted",
		.check = PEER("not_after = '9999-12-31 23:59:59+00'")
			" AND " SESSION("client_not_after = '9999-12-31 23:59:59+00'"),
		.description = "notAfter 9999-12-31T23:59:59Z",
		.not_after = {V_ASN1_GENERALIZEDTIME, "99991231235959Z"}},
	{.name = "dates_generalized_year_0", .expect = "accepted",
		.check = PEER("not_before = '0001-01-01 00:00:00+00 BC'"),
		.description = "notBefore in year 0 (1 BC)",
		.not_before = {V_ASN1_GENERALIZEDTIME, "00000101000000Z"}},
	{.name = "dates_generalized_before_2050", .expect = "accepted",
		.check = PEER("not_before = '2020-01-01 00:00:00+00' AND not_after = '2049-12-31 23:59:59+00'"),
		.description = "GeneralizedTime for dates before 2050, which RFC 5280 forbids",
		.not_before = {V_ASN1_GENERALIZEDTIME, "20200101000000Z"},
		.not_after = {V_ASN1_GENERALIZEDTIME, "20491231235959Z"}},
	{.name = "dates_utctime_offset", .expect = "handshake",
		.description = "a UTCTime with a +0100 offset",
		.not_after = {V_ASN1_UTCTIME, "491231235959+0100"}},
	{.name = "dates_fractional", .expect = "handshake",
		.description = "a GeneralizedTime with fractional seconds",
		.not_after = {V_ASN1_GENERALIZEDTIME, "20491231235959.999Z"}},
	{.name = "dates_inverted", .expect = "handshake",
		.description = "notBefore after notAfter",
		.not_before = {V_ASN1_GENERALIZEDTIME, "20300101000000Z"},
		.not_after = {V_ASN1_GENERALIZEDTIME, "20290101000000Z"}},

	{.name = "ext_unknown_critical", .expect = "handshake",
		.build = build_ext_unknown_critical,
		.description = "an unknown critical extension"},
	{.name = "ext_unknown_large", .expect = "accepted",
		.build = build_ext_unknown_large,
		.check = "(SELECT length(value) > 65536 FROM public.tls_peer_extensions() WHERE name = '" PRIVATE_ARC "2')",
		.description = "an unknown 32 KB extension"},
	{.name = "ext_duplicate", .expect = "handshake",
		.build = build_ext_duplicate,
		.description = "two subjectAltName extensions"},
	{.name = "ext_policy_notice", .expect = "accepted",
		.build = build_ext_policy_notice,
		.check = "(SELECT value !~ '[\\x01-\\x09\\x0b-\\x1f\\x7f]' FROM public.tls_peer_extensions()"
			" WHERE name = 'X509v3 Certificate Policies')",
		.description = "certificate policies with user notices in a BMPString and in a UTF8String that is not UTF-8"},
	{.name = "ext_empty_value", .expect = "accepted",
		.build = build_ext_empty_value,
		.check = "(SELECT count(*) = 1 FROM public.tls_peer_extensions() WHERE name = '" PRIVATE_ARC "3')",
		.description = "an unknown extension with an empty value"},
	{.name = "v1_with_extensions", .expect = "accepted",
		.build = build_v1_with_extensions,
		.check = "(SELECT count(*) = 1 FROM public.tls_peer_extensions())",
		.description = "a version 1 certificate that has an extension"},
	{.name = "v1", .expect = "accepted",
		.build = build_v1,
		.check = "NOT EXISTS (SELECT FROM public.tls_peer_extensions())",
		.description = "a version 1 certificate"},
};

/*
 * load_pem
 *		The first certificate or the private key of a PEM file.
 */
static void *
load_pem(const char *dir, const char *file, bool key)
{
	char		path[4096];
	FILE	   *fp;
	void	   *result;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fp = fopen(path, "r");
	if (fp == NULL)
		die("could not open \"%s\"", path);
	result = key ? (void *) PEM_read_PrivateKey(fp, NULL, NULL, NULL)
		: (void *) PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (result == NULL)
		die("could not read \"%s\"", path);
	return result;
}

/*
 * sign
 *		The DER of oc's certificate, signed by its issuer, with the patches
 *		applied; the caller frees *der.
 */
static int
sign(OddCert *oc, unsigned char **der)
{
	unsigned char *tbs = NULL;
	unsigned char *alg = NULL;
	unsigned char *sig;
	size_t		sig_len;
	int			tbs_len;
	int			alg_len;
	const X509_ALGOR *algor;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	Der			bits = {0},
				cert = {0};

	*der = NULL;
	if (!X509_sign(oc->x, oc->issuer_key, EVP_sha256()))
		die("could not sign");
	if (oc->npatches == 0)
		return i2d_X509(oc->x, der);

	tbs_len = i2d_re_X509_tbs(oc->x, &tbs);
	if (tbs_len <= 0)
		die("could not encode a certificate");
	for (int i = 0; i < oc->npatches; i++)
	{
		const Patch *p = &oc->patches[i];
		unsigned char *at = memmem(tbs, tbs_len, p->placeholder, p->len);

		if (at == NULL || memmem(at + 1, tbs_len - (at + 1 - tbs), p->placeholder, p->len))
			die("placeholder not found once");
		memcpy(at, p->bytes, p->len);
	}

	if (md == NULL ||
		EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, oc->issuer_key) != 1 ||
		EVP_DigestSign(md, NULL, &sig_len, tbs, tbs_len) != 1 ||
		(sig = malloc(sig_len + 1)) == NULL ||
		EVP_DigestSign(md, sig + 1, &sig_len, tbs, tbs_len) != 1)
		die("could not sign a patched certificate");
	EVP_MD_CTX_free(md);
	sig[0] = 0;					/* no unused bits */

	X509_get0_signature(NULL, &algor, oc->x);
	alg_len = i2d_X509_ALGOR(algor, &alg);
	if (alg_len <= 0)
		die("could not encode a signature algorithm");

	der_add(&cert, tbs, tbs_len);
	der_add(&cert, alg, alg_len);
	der_tlv(&bits, V_ASN1_BIT_STRING, sig, sig_len + 1);
	der_add(&cert, bits.data, bits.len);
	der_wrap(&bits, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, &cert);
	OPENSSL_free(tbs);
	OPENSSL_free(alg);
	free(sig);
	*der = bits.data;
	return (int) bits.len;
}

/*
 * verdict
 *		What OpenSSL makes of the certificate as a TLS server would: "ok",
 *		or why it does not parse or verify against the root.  Also sets
 *		*sizes to its size and its subject's and issuer's DER sizes.
 */
static const char *
verdict(const unsigned char *der, int len, X509 *issuer, char *sizes, size_t size)
{
	static char reason[256];
	const unsigned char *p = der;
	X509	   *x = d2i_X509(NULL, &p, len);
	X509_STORE *store;
	X509_STORE_CTX *ctx;
	STACK_OF(X509) *untrusted;

	snprintf(sizes, size, "certificate %d B", len);
	if (x == NULL)
	{
		unsigned long code = ERR_peek_last_error();

		snprintf(reason, sizeof(reason), "does not parse: %s",
				 ERR_reason_error_string(code) ? ERR_reason_error_string(code) : "?");
		ERR_clear_error();
		return reason;
	}
	snprintf(sizes, size, "certificate %d B, subject %d B, issuer %d B", len,
			 i2d_X509_NAME(X509_get_subject_name(x), NULL),
			 i2d_X509_NAME(X509_get_issuer_name(x), NULL));

	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	untrusted = sk_X509_new_null();
	if (store == NULL || ctx == NULL || untrusted == NULL ||
		!X509_STORE_add_cert(store, root_cert) || !sk_X509_push(untrusted, issuer) ||
		!X509_STORE_CTX_init(ctx, store, x, untrusted) ||
		!X509_STORE_CTX_set_default(ctx, "ssl_client"))
		die("could not set up a verification");
	if (X509_verify_cert(ctx) == 1)
		snprintf(reason, sizeof(reason), "ok");
	else
		snprintf(reason, sizeof(reason), "%s",
				 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	X509_STORE_free(store);
	X509_free(x);
	return reason;
}

/*
 * write_case
 *		Build one case, write OUT_DIR/NAME.crt (the certificate, then its
 *		issuer) and print its manifest line.
 */
static void
write_case(const OddCase *c, const char *out_dir)
{
	OddCert		oc = {0};
	char		cn[128];
	char		path[4096];
	char		sizes[128];
	unsigned char *der;
	int			len;
	const char *why;
	FILE	   *fp;

	snprintf(cn, sizeof(cn), "odd %s", c->name);
	oc.issuer = inter_cert;
	oc.issuer_key = inter_key;
	oc.x = new_cert(inter_cert, leaf_key, cn);
	if (c->serial != NULL)
		set_serial_hex(oc.x, c->serial);
	if (c->subject_der > 0)
	{
		X509_NAME  *name = name_of_der_length("odd subject", c->subject_der);

		if (!X509_set_subject_name(oc.x, name))
			die("could not set a subject");
		X509_NAME_free(name);
	}
	set_time(oc.x, 0, c->not_before);
	set_time(oc.x, 1, c->not_after);
	if (c->value.bytes != NULL && c->value.unencodable)
		name_add_unencodable(&oc, c->value.nid, c->value.type, c->value.bytes, c->value.len);
	else if (c->value.bytes != NULL)
		name_add(X509_get_subject_name(oc.x), c->value.nid, NULL, c->value.type,
				 c->value.bytes, c->value.len, 0);
	if (c->build)
		c->build(&oc);

	len = sign(&oc, &der);
	if (len <= 0)
		die("could not encode case %s", c->name);
	why = verdict(der, len, oc.issuer, sizes, sizeof(sizes));

	snprintf(path, sizeof(path), "%s/%s.crt", out_dir, c->name);
	fp = fopen(path, "w");
	if (fp == NULL ||
		!PEM_write(fp, PEM_STRING_X509, "", der, len) ||
		!PEM_write_X509(fp, oc.issuer) ||
		fclose(fp) != 0)
		die("could not write \"%s\"", path);

	printf("%s\t%s\t%s\t%s\t%s\t%s\n", c->name, c->expect, why, sizes,
		   c->description, c->check ? c->check : "");

	OPENSSL_free(der);
	X509_free(oc.x);
	if (oc.issuer != inter_cert)
	{
		X509_free(oc.issuer);
		EVP_PKEY_free(oc.issuer_key);
	}
}

/*
 * main
 *		Exit 0 when every case was written (or listed), 1 on any failure,
 *		2 on bad arguments.
 */
int
main(int argc, char **argv)
{
	char		path[4096];
	FILE	   *fp;

	if (argc == 2 && strcmp(argv[1], "--list") == 0)
	{
		for (size_t i = 0; i < lengthof(cases); i++)
			printf("%s\t%s\t-\t-\t%s\t%s\n", cases[i].name, cases[i].expect,
				   cases[i].description, cases[i].check ? cases[i].check : "");
		return 0;
	}
	if (argc != 3)
	{
		fprintf(stderr, "usage: odd_certs PKI_DIR OUT_DIR | odd_certs --list\n");
		return 2;
	}

	root_cert = load_pem(argv[1], "root_ca.crt", false);
	root_key = load_pem(argv[1], "root_ca.key", true);
	inter_cert = load_pem(argv[1], "intermediate_ca.crt", false);
	inter_key = load_pem(argv[1], "intermediate_ca.key", true);

	leaf_key = EVP_EC_gen("P-256");
	snprintf(path, sizeof(path), "%s/leaf.key", argv[2]);
	umask(077);
	fp = fopen(path, "w");
	if (leaf_key == NULL || fp == NULL ||
		!PEM_write_PrivateKey(fp, leaf_key, NULL, NULL, 0, NULL, NULL) ||
		fclose(fp) != 0)
		die("could not write \"%s\"", path);

	for (size_t i = 0; i < lengthof(cases); i++)
		write_case(&cases[i], argv[2]);
	return 0;
}
