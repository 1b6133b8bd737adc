/*-------------------------------------------------------------------------
 *
 * x509_fields.c
 *		Certificates and TLS parameters turned into SQL values.
 *
 * Every pg_tls_audit function that shows a certificate goes through this
 * file, so a field reads the same wherever it appears.  Certificates are
 * chosen by the peer: nothing here trusts their lengths, their string
 * encodings or the absence of NUL bytes.  Values are never truncated;
 * anything that is not printable text in the database encoding is escaped
 * the way RFC 2253 escapes a byte, as a backslash and two hex digits.
 *
 * It also ties the OpenSSL objects that the extension holds across code
 * that can raise an ERROR to a memory context (tls_hold()).
 *
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"

#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inet.h"
#include "utils/timestamp.h"

/*
 * RFC 2253 order and escaping, but UTF-8 left readable: the escaping of
 * non-ASCII bytes, where the database cannot hold them, is done by
 * tls_text_from_bytes() instead, so both paths escape the same way.
 */
#define TLS_NAME_FLAGS		(XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)
#define TLS_VALUE_FLAGS		(ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)

/* Longest field name tls_name_field() looks up (a dotted OID fits easily). */
#define TLS_FIELD_NAME_MAX	256

/* Columns of the SQL types tls_certificate and tls_peer_extensions(). */
#define TLS_EXTENSION_NATTS		3

/*
 * free_held
 *		The memory context callback of tls_hold(): free the object, if it
 *		has not been released.
 */
static void
free_held(void *arg)
{
	TlsHeld    *held = arg;
	void	   *obj = held->obj;

	held->obj = NULL;
	if (obj == NULL)
		return;
	switch (held->kind)
	{
		case TLS_HELD_X509:
			X509_free(obj);
			break;
		case TLS_HELD_X509_CRL:
			X509_CRL_free(obj);
			break;
		case TLS_HELD_X509_STORE:
			X509_STORE_free(obj);
			break;
		case TLS_HELD_X509_STORE_CTX:
			X509_STORE_CTX_free(obj);
			break;
		case TLS_HELD_GENERAL_NAMES:
			GENERAL_NAMES_free(obj);
			break;
		case TLS_HELD_ASN1_OBJECT:
			ASN1_OBJECT_free(obj);
			break;
		case TLS_HELD_BIGNUM:
			BN_free(obj);
			break;
		case TLS_HELD_STRING:
			OPENSSL_free(obj);
			break;
		case TLS_HELD_BIO:
			BIO_free(obj);
			break;
		case TLS_HELD_SSL_CTX:
			SSL_CTX_free(obj);
			break;
		case TLS_HELD_SSL:
			SSL_free(obj);
			break;
		case TLS_HELD_CIPHER_STACK:
			sk_SSL_CIPHER_free(obj);
			break;
	}
}

/*
 * tls_hold
 *		A holder for one OpenSSL object of this kind, registered with
 *		CurrentMemoryContext; never returns NULL.  The caller makes the
 *		object after this call and stores it in ->obj, so that no palloc
 *		failure can come between the object and its holder.
 *
 * The object is freed by tls_release() or, at the latest, when the
 * context is reset or deleted: an ERROR's cleanup does that.  A holder
 * stays in its context until then, so a loop over many objects resets a
 * context of its own between rounds rather than holding them all.
 */
TlsHeld *
tls_hold(TlsHeldKind kind)
{
	TlsHeld    *held = palloc(sizeof(TlsHeld));

	held->obj = NULL;
	held->kind = kind;
	held->callback.func = free_held;
	held->callback.arg = held;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &held->callback);
	return held;
}

/*
 * tls_release
 *		Free a held object now.
 */
void
tls_release(TlsHeld *held)
{
	free_held(held);
}

/*
 * tls_release_all
 *		Free every object of a List of holders, and the List.
 */
void
tls_release_all(List *held)
{
	ListCell   *lc;

	foreach(lc, held)
		free_held(lfirst(lc));
	list_free(held);
}

static void
tls_openssl_failure(const char *what)
{
	unsigned long code = ERR_get_error();

	ERR_clear_error();
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("could not %s", what),
			 errdetail("OpenSSL reported: %s.",
					   code ? ERR_reason_error_string(code) : "no error code")));
}

/*
 * tls_bio_new
 *		A held memory BIO to print into; never returns NULL.
 */
static TlsHeld *
tls_bio_new(void)
{
	TlsHeld    *held = tls_hold(TLS_HELD_BIO);

	held->obj = BIO_new(BIO_s_mem());
	if (held->obj == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("OpenSSL could not allocate a memory buffer.")));
	return held;
}

/*
 * tls_bio_to_text
 *		What was printed into a BIO of tls_bio_new(), as text made by
 *		tls_text_from_bytes(); releases the BIO.
 */
static text *
tls_bio_to_text(TlsHeld *held, int flags)
{
	char	   *data;
	long		len = BIO_get_mem_data((BIO *) held->obj, &data);
	text	   *result;

	if (len < 0)
		len = 0;
	result = tls_text_from_bytes(data, (size_t) len, flags);
	tls_release(held);
	return result;
}

/*
 * tls_text_from_bytes
 *		SQL text holding bytes taken from a certificate or a TLS handshake.
 *
 * UTF-8 stays readable when the database encoding is UTF8 (or SQL_ASCII,
 * which stores bytes as they come); every other byte that would not be
 * printable text there -- control characters, NUL, bytes that are not valid
 * UTF-8, and in any other database encoding all non-ASCII bytes -- becomes
 * "\XX".  The result is then plain ASCII or valid UTF-8, so it is valid in
 * every server encoding and nothing is cut at a NUL.
 *
 * TLS_TEXT_ESCAPE_BACKSLASH: the input is a raw value, so a backslash is
 * doubled to keep "\XX" unambiguous (RFC 2253 does the same).
 * TLS_TEXT_KEEP_NEWLINES: the input is multi-line text; newlines are kept.
 * TLS_TEXT_TRIM: trailing line ends, which OpenSSL's printers add, are
 * dropped.
 */
text *
tls_text_from_bytes(const char *bytes, size_t len, int flags)
{
	int			encoding = GetDatabaseEncoding();
	bool		keep_utf8 = (encoding == PG_UTF8 || encoding == PG_SQL_ASCII);
	StringInfoData buf;
	size_t		i = 0;
	text	   *result;

	if (flags & TLS_TEXT_TRIM)
	{
		while (len > 0 && (bytes[len - 1] == '\n' || bytes[len - 1] == '\r'))
			len--;
	}

	initStringInfo(&buf);
	while (i < len)
	{
		unsigned char c = (unsigned char) bytes[i];

		if (c >= 0x80)
		{
			int			charlen = pg_utf_mblen(&c);

			if (keep_utf8 && (size_t) charlen <= len - i &&
				pg_utf8_islegal((const unsigned char *) bytes + i, charlen))
			{
				appendBinaryStringInfo(&buf, bytes + i, charlen);
				i += charlen;
				continue;
			}
		}
		else if (c == '\n' && (flags & TLS_TEXT_KEEP_NEWLINES))
		{
			appendStringInfoChar(&buf, '\n');
			i++;
			continue;
		}
		else if (c >= 0x20 && c != 0x7f)
		{
			if (c == '\\' && (flags & TLS_TEXT_ESCAPE_BACKSLASH))
				appendStringInfoChar(&buf, '\\');
			appendStringInfoChar(&buf, (char) c);
			i++;
			continue;
		}
		appendStringInfo(&buf, "\\%02X", c);
		i++;
	}

	result = cstring_to_text_with_len(buf.data, buf.len);
	pfree(buf.data);
	return result;
}

/*
 * tls_name_to_text
 *		A distinguished name in RFC 2253 form, full length.
 *
 * A value whose bytes do not decode in its declared string type cannot be
 * shown as characters; the whole name is then printed with every value as
 * RFC 2253's "#" hex form of its DER encoding, which always succeeds.
 */
text *
tls_name_to_text(const X509_NAME *name)
{
	TlsHeld    *held = tls_bio_new();
	BIO		   *bio = held->obj;

	if (X509_NAME_print_ex(bio, name, 0, TLS_NAME_FLAGS) < 0)
	{
		ERR_clear_error();
		if (BIO_reset(bio) != 1 ||
			X509_NAME_print_ex(bio, name, 0,
							   XN_FLAG_RFC2253 | ASN1_STRFLGS_DUMP_ALL |
							   ASN1_STRFLGS_DUMP_DER) < 0)
			tls_openssl_failure("print a distinguished name");
	}
	return tls_bio_to_text(held, 0);
}

/*
 * tls_dotted_oid_is_valid
 *		False when field starts like a dotted OID but is not one: digits
 *		separated by single dots, at least two arcs, no arc with a leading
 *		zero ("2.5.4.03" is not 2.5.4.3).  Names are left to OpenSSL.
 */
static bool
tls_dotted_oid_is_valid(const char *field)
{
	int			arcs = 1;
	int			arc_len = 0;
	bool		leading_zero = false;

	if (!isdigit((unsigned char) field[0]))
		return true;
	for (const char *p = field; *p; p++)
	{
		if (isdigit((unsigned char) *p))
		{
			if (arc_len == 0)
				leading_zero = (*p == '0');
			else if (leading_zero)
				return false;
			arc_len++;
		}
		else if (*p == '.' && arc_len > 0)
		{
			arc_len = 0;
			arcs++;
		}
		else
			return false;
	}
	return arc_len > 0 && arcs >= 2;
}

/*
 * The OpenSSL objects that are attribute types of a distinguished name:
 * everything under an arc ending in "." (X.520's id-at, PKCS #9's
 * emailAddress and the like, RFC 4519's domainComponent and userId, the
 * CA/Browser Forum's jurisdiction attributes of EV certificates), and the
 * Russian identifiers of GOST R 34.10 certificates (INN, OGRN, SNILS,
 * OGRNIP), one by one.
 */
static const char *const name_attribute_arcs[] = {
	"2.5.4.",
	"1.2.840.113549.1.9.",
	"0.9.2342.19200300.100.1.",
	"1.3.6.1.4.1.311.60.2.1.",
	"1.2.643.3.131.1.1",
	"1.2.643.100.1",
	"1.2.643.100.3",
	"1.2.643.100.5",
};

/*
 * tls_is_name_attribute
 *		Whether obj can be an attribute of a distinguished name: any object
 *		OpenSSL does not know (a private attribute, given as a dotted OID),
 *		or a known one under name_attribute_arcs.  A digest or a key
 *		algorithm ("sha256", "rsaEncryption") is not.
 */
static bool
tls_is_name_attribute(const ASN1_OBJECT *obj)
{
	char		oid[128];
	int			len;

	if (OBJ_obj2nid(obj) == NID_undef)
		return true;
	len = OBJ_obj2txt(oid, sizeof(oid), obj, 1);
	if (len <= 0 || len >= (int) sizeof(oid))
		return false;
	for (size_t i = 0; i < lengthof(name_attribute_arcs); i++)
	{
		const char *arc = name_attribute_arcs[i];
		size_t		arc_len = strlen(arc);

		if (arc[arc_len - 1] == '.' ? strncmp(oid, arc, arc_len) == 0 : strcmp(oid, arc) == 0)
			return true;
	}
	return false;
}

/*
 * tls_name_field
 *		Every value of one attribute of a distinguished name, in certificate
 *		order, joined by "," and escaped as in RFC 2253 (so a comma inside a
 *		value reads "\,").
 *
 * field is a short name ("CN"), a long name ("commonName") or a dotted OID
 * ("2.5.4.3").  Returns NULL when name is NULL or has no such attribute;
 * a name OpenSSL does not know is an error, checked even when name is NULL
 * so that a typo fails the same way on every session.
 */
text *
tls_name_field(const X509_NAME *name, const char *field)
{
	size_t		field_len = strlen(field);
	TlsHeld    *obj_held;
	ASN1_OBJECT *obj;
	TlsHeld    *bio_held;
	int			pos = -1;
	int			count = 0;

	if (field_len > TLS_FIELD_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("certificate field name is too long"),
				 errdetail("The name is %zu bytes long; the limit is %d bytes.",
						   field_len, TLS_FIELD_NAME_MAX)));

	/*
	 * OpenSSL accepts some malformed dotted OIDs ("2.5.4."); take digits
	 * only as a well-formed OID, so a typo cannot select another attribute.
	 */
	obj_held = tls_hold(TLS_HELD_ASN1_OBJECT);
	obj = obj_held->obj = tls_dotted_oid_is_valid(field) ? OBJ_txt2obj(field, 0) : NULL;
	if (obj == NULL)
	{
		ERR_clear_error();
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown certificate field name \"%s\"", field),
				 errhint("Names are case-sensitive: use a short name such as \"CN\", a long name such as \"commonName\", or a dotted OID such as \"2.5.4.3\".")));
	}
	if (!tls_is_name_attribute(obj))
	{
		int			nid = OBJ_obj2nid(obj);

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("certificate field name \"%s\" is not an attribute of a distinguished name", field),
				 errdetail("OpenSSL knows it as \"%s\", which names no subject or issuer field.",
						   OBJ_nid2ln(nid)),
				 errhint("Use an attribute name such as \"CN\", \"O\" or \"emailAddress\", or a dotted OID such as \"2.5.4.3\".")));
	}
	if (name == NULL)
	{
		tls_release(obj_held);
		return NULL;
	}

	bio_held = tls_bio_new();
	while ((pos = X509_NAME_get_index_by_OBJ(name, obj, pos)) >= 0)
	{
		const ASN1_STRING *value =
			X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, pos));
		BIO		   *bio = bio_held->obj;

		if ((count++ > 0 && BIO_write(bio, ",", 1) != 1) ||
			(ASN1_STRING_print_ex(bio, value, TLS_VALUE_FLAGS) < 0 &&
			 ASN1_STRING_print_ex(bio, value,
								  ASN1_STRFLGS_RFC2253 | ASN1_STRFLGS_DUMP_ALL |
								  ASN1_STRFLGS_DUMP_DER) < 0))
			tls_openssl_failure("print a certificate field");
	}
	tls_release(obj_held);

	if (count == 0)
	{
		tls_release(bio_held);
		return NULL;
	}
	return tls_bio_to_text(bio_held, 0);
}

/*
 * tls_serial
 *		The serial number as numeric and as upper-case hex.
 */
static void
tls_serial(X509 *cert, Datum *numeric, Datum *hex)
{
	TlsHeld    *bn = tls_hold(TLS_HELD_BIGNUM);
	TlsHeld    *dec = tls_hold(TLS_HELD_STRING);
	TlsHeld    *hexdigits = tls_hold(TLS_HELD_STRING);

	bn->obj = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	if (bn->obj != NULL)
	{
		dec->obj = BN_bn2dec(bn->obj);
		hexdigits->obj = BN_bn2hex(bn->obj);
	}
	if (dec->obj == NULL || hexdigits->obj == NULL)
		tls_openssl_failure("convert a certificate serial number");

	*numeric = DirectFunctionCall3(numeric_in, CStringGetDatum(dec->obj),
								   ObjectIdGetDatum(InvalidOid),
								   Int32GetDatum(-1));
	*hex = CStringGetTextDatum(hexdigits->obj);
	tls_release(bn);
	tls_release(dec);
	tls_release(hexdigits);
}

/*
 * tls_asn1_time
 *		A certificate or CRL time as timestamptz in *result; false when it
 *		cannot be parsed or lies outside timestamptz's range.  Does not
 *		allocate or fail.
 */
bool
tls_asn1_time(const ASN1_TIME *asn1, TimestampTz *result)
{
	struct tm	tm;
	struct pg_tm pgtm;

	if (asn1 == NULL || ASN1_TIME_to_tm(asn1, &tm) != 1)
		return false;

	/* ASN1_TIME_to_tm() yields UTC, which is what a timestamptz stores. */
	memset(&pgtm, 0, sizeof(pgtm));
	pgtm.tm_year = tm.tm_year + 1900;
	pgtm.tm_mon = tm.tm_mon + 1;
	pgtm.tm_mday = tm.tm_mday;
	pgtm.tm_hour = tm.tm_hour;
	pgtm.tm_min = tm.tm_min;
	pgtm.tm_sec = tm.tm_sec;
	return tm2timestamp(&pgtm, 0, NULL, result) == 0;
}

/*
 * tls_time
 *		An ASN.1 time as a timestamptz Datum; sets *isnull when it cannot be
 *		parsed or lies outside timestamptz's range.
 */
static Datum
tls_time(const ASN1_TIME *asn1, bool *isnull)
{
	TimestampTz result;

	if (!tls_asn1_time(asn1, &result))
	{
		ERR_clear_error();
		*isnull = true;
		return (Datum) 0;
	}
	return TimestampTzGetDatum(result);
}

/*
 * tls_fingerprint
 *		SHA-256 of the DER encoding, as "AB:CD:..." the way
 *		"openssl x509 -fingerprint -sha256" prints it.
 */
static Datum
tls_fingerprint(X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len;

	if (!X509_digest(cert, EVP_sha256(), md, &md_len))
		tls_openssl_failure("compute a certificate fingerprint");
	return CStringGetTextDatum(tls_fingerprint_text(md, md_len));
}

/*
 * tls_fingerprint_text
 *		A digest as "AB:CD:...", palloc'd.
 */
char *
tls_fingerprint_text(const unsigned char *md, unsigned int md_len)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (unsigned int i = 0; i < md_len; i++)
		appendStringInfo(&buf, i == 0 ? "%02X" : ":%02X", md[i]);
	return buf.data;
}

/*
 * tls_inet
 *		An iPAddress subjectAltName as inet; NULL when its length is neither
 *		4 nor 16 bytes, which no address can be.
 */
static inet *
tls_inet(const unsigned char *addr, int len)
{
	inet	   *result;

	if (len != 4 && len != 16)
		return NULL;

	result = (inet *) palloc0(sizeof(inet));
	ip_family(result) = (len == 4) ? PGSQL_AF_INET : PGSQL_AF_INET6;
	ip_bits(result) = len * 8;
	memcpy(ip_addr(result), addr, len);
	SET_INET_VARSIZE(result);
	return result;
}

/*
 * tls_subject_alt_names
 *		The DNS, IP and e-mail subjectAltNames, each an array in certificate
 *		order; empty arrays when the certificate has none.
 */
static void
tls_subject_alt_names(X509 *cert, Datum *dns, Datum *ip, Datum *email)
{
	ArrayBuildState *dns_state = initArrayResult(TEXTOID, CurrentMemoryContext, false);
	ArrayBuildState *ip_state = initArrayResult(INETOID, CurrentMemoryContext, false);
	ArrayBuildState *email_state = initArrayResult(TEXTOID, CurrentMemoryContext, false);
	TlsHeld    *held = tls_hold(TLS_HELD_GENERAL_NAMES);
	GENERAL_NAMES *names;

	names = held->obj = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	ERR_clear_error();

	for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++)
	{
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const ASN1_STRING *str;
		inet	   *addr;

		switch (gn->type)
		{
			case GEN_DNS:
			case GEN_EMAIL:
				str = (gn->type == GEN_DNS) ? gn->d.dNSName : gn->d.rfc822Name;
				accumArrayResult(gn->type == GEN_DNS ? dns_state : email_state,
								 PointerGetDatum(tls_text_from_bytes((const char *) ASN1_STRING_get0_data(str),
																	 ASN1_STRING_length(str),
																	 TLS_TEXT_ESCAPE_BACKSLASH)),
								 false, TEXTOID, CurrentMemoryContext);
				break;
			case GEN_IPADD:
				addr = tls_inet(ASN1_STRING_get0_data(gn->d.iPAddress),
								ASN1_STRING_length(gn->d.iPAddress));
				if (addr != NULL)
					accumArrayResult(ip_state, InetPGetDatum(addr), false,
									 INETOID, CurrentMemoryContext);
				break;
			default:
				break;
		}
	}
	tls_release(held);

	*dns = makeArrayResult(dns_state, CurrentMemoryContext);
	*ip = makeArrayResult(ip_state, CurrentMemoryContext);
	*email = makeArrayResult(email_state, CurrentMemoryContext);
}

/*
 * tls_key_algorithm
 *		The public key's algorithm as people name it (RSA, EC, Ed25519...);
 *		NULL when the certificate's key cannot be decoded.
 */
static const char *
tls_key_algorithm(EVP_PKEY *pkey)
{
	switch (EVP_PKEY_get_base_id(pkey))
	{
		case EVP_PKEY_RSA:
			return "RSA";
		case EVP_PKEY_RSA_PSS:
			return "RSA-PSS";
		case EVP_PKEY_DSA:
			return "DSA";
		case EVP_PKEY_EC:
			return "EC";
		case EVP_PKEY_ED25519:
			return "Ed25519";
		case EVP_PKEY_ED448:
			return "Ed448";
		default:
			return EVP_PKEY_get0_type_name(pkey);
	}
}

/*
 * tls_signature_algorithm
 *		The certificate's signature algorithm by OpenSSL's long name (as
 *		"openssl x509 -text" prints it), or its dotted OID when unnamed.
 */
static Datum
tls_signature_algorithm(X509 *cert)
{
	int			nid = X509_get_signature_nid(cert);
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	char	   *oid;
	int			oid_len;

	if (nid != NID_undef)
		return CStringGetTextDatum(OBJ_nid2ln(nid));

	X509_get0_signature(NULL, &alg, cert);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	oid_len = OBJ_obj2txt(NULL, 0, obj, 1);
	if (oid_len <= 0)
		tls_openssl_failure("print a signature algorithm");
	oid = palloc(oid_len + 1);
	OBJ_obj2txt(oid, oid_len + 1, obj, 1);
	return CStringGetTextDatum(oid);
}

/*
 * tls_pem
 *		The certificate in PEM, as "openssl x509" writes it.
 */
static Datum
tls_pem(X509 *cert)
{
	TlsHeld    *held = tls_bio_new();

	if (!PEM_write_bio_X509(held->obj, cert))
		tls_openssl_failure("write a certificate as PEM");
	return PointerGetDatum(tls_bio_to_text(held, TLS_TEXT_KEEP_NEWLINES));
}

/*
 * tls_put_certificate
 *		Add one row of type tls_certificate describing cert to tupstore.
 */
void
tls_put_certificate(Tuplestorestate *tupstore, TupleDesc tupdesc, X509 *cert)
{
	Datum		values[TLS_CERTIFICATE_NATTS];
	bool		nulls[TLS_CERTIFICATE_NATTS];

	if (tupdesc->natts != TLS_CERTIFICATE_NATTS)
		elog(ERROR, "tls_certificate has %d columns, expected %d",
			 tupdesc->natts, TLS_CERTIFICATE_NATTS);

	tls_certificate_values(cert, values, nulls);
	tuplestore_putvalues(tupstore, tupdesc, values, nulls);
}

/*
 * tls_certificate_values
 *		Fill the TLS_CERTIFICATE_NATTS first entries of values and nulls with
 *		the tls_certificate columns of cert, for rows that carry more.
 */
void
tls_certificate_values(X509 *cert, Datum *values, bool *nulls)
{
	EVP_PKEY   *pkey = X509_get0_pubkey(cert);
	const char *key_algorithm = NULL;
	int			key_bits = 0;

	memset(nulls, 0, sizeof(bool) * TLS_CERTIFICATE_NATTS);
	values[0] = PointerGetDatum(tls_name_to_text(X509_get_subject_name(cert)));
	values[1] = PointerGetDatum(tls_name_to_text(X509_get_issuer_name(cert)));
	tls_serial(cert, &values[2], &values[3]);
	values[4] = tls_time(X509_get0_notBefore(cert), &nulls[4]);
	values[5] = tls_time(X509_get0_notAfter(cert), &nulls[5]);
	values[6] = tls_fingerprint(cert);
	tls_subject_alt_names(cert, &values[7], &values[8], &values[9]);

	if (pkey != NULL)
	{
		key_algorithm = tls_key_algorithm(pkey);
		key_bits = EVP_PKEY_get_bits(pkey);
	}
	else
		ERR_clear_error();
	nulls[10] = (key_algorithm == NULL);
	values[10] = nulls[10] ? (Datum) 0 : CStringGetTextDatum(key_algorithm);
	nulls[11] = (key_bits <= 0);
	values[11] = Int32GetDatum(key_bits);

	values[12] = tls_signature_algorithm(cert);
	values[13] = tls_pem(cert);
}

/*
 * tls_put_extensions
 *		Add one row (name, value, critical) per X.509v3 extension of cert to
 *		tupstore, in certificate order.
 *
 * name is OpenSSL's long name ("X509v3 Subject Alternative Name") or the
 * dotted OID of an extension OpenSSL does not know; value is what
 * "openssl x509 -text" prints for it, or a hex dump of its DER when OpenSSL
 * cannot print it.
 */
void
tls_put_extensions(Tuplestorestate *tupstore, TupleDesc tupdesc, X509 *cert)
{
	if (tupdesc->natts != TLS_EXTENSION_NATTS)
		elog(ERROR, "tls_peer_extensions() has %d columns, expected %d",
			 tupdesc->natts, TLS_EXTENSION_NATTS);

	for (int i = 0; i < X509_get_ext_count(cert); i++)
	{
		X509_EXTENSION *ext = X509_get_ext(cert, i);
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
		int			nid = OBJ_obj2nid(obj);
		Datum		values[TLS_EXTENSION_NATTS];
		bool		nulls[TLS_EXTENSION_NATTS] = {false, false, false};
		TlsHeld    *held;
		BIO		   *bio;

		if (nid != NID_undef)
			values[0] = CStringGetTextDatum(OBJ_nid2ln(nid));
		else
		{
			int			oid_len = OBJ_obj2txt(NULL, 0, obj, 1);
			char	   *oid;

			if (oid_len <= 0)
				tls_openssl_failure("print an extension's OID");
			oid = palloc(oid_len + 1);
			OBJ_obj2txt(oid, oid_len + 1, obj, 1);
			values[0] = CStringGetTextDatum(oid);
		}

		held = tls_bio_new();
		bio = held->obj;
		if (X509V3_EXT_print(bio, ext, X509V3_EXT_DUMP_UNKNOWN, 0) <= 0)
		{
			const ASN1_OCTET_STRING *der = X509_EXTENSION_get_data(ext);

			/*
			 * OpenSSL refuses to print some values it can parse (a dNSName
			 * with a NUL byte, for one); show their DER as a hex dump, as it
			 * does for extensions it does not know.
			 */
			ERR_clear_error();
			if (BIO_reset(bio) != 1 ||
				BIO_dump(bio, (const char *) ASN1_STRING_get0_data(der),
						 ASN1_STRING_length(der)) < 0)
				tls_openssl_failure("print a certificate extension");
		}
		values[1] = PointerGetDatum(tls_bio_to_text(held, TLS_TEXT_KEEP_NEWLINES | TLS_TEXT_TRIM));
		values[2] = BoolGetDatum(X509_EXTENSION_get_critical(ext) > 0);

		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
}
