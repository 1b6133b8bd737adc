/*-------------------------------------------------------------------------
 *
 * config_audit.c
 *		tls_audit(): findings about the server's TLS configuration, each a
 *		row (severity, check, detail, hint).
 *
 * The function reads the files the server's settings name (its
 * certificate, the CA file, the CRLs) and, through SPI with the caller's
 * own privileges, pg_hba_file_rules, pg_authid and the session views.  It
 * is not SECURITY DEFINER: a check that needs a privilege the caller lacks
 * is reported as not checked instead of being run on someone else's
 * authority, so nothing of pg_hba.conf or other sessions leaks to PUBLIC.
 * Since the caller may be a superuser, the queries call nothing found
 * through the caller's search_path: every name in them is schema-qualified
 * and they run with search_path = pg_catalog, pg_temp.
 * Only problems are returned; no row means nothing was found.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"
#include "catalog_query.h"
#include "links.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "catalog/pg_authid_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#define TLS_AUDIT_NATTS			4
#define WEAK_CIPHERS_SHOWN		8

typedef enum Severity
{
	SEVERITY_CRITICAL,
	SEVERITY_HIGH,
	SEVERITY_MEDIUM,
	SEVERITY_LOW,
	SEVERITY_INFO
} Severity;

static const char *const severity_names[] = {
	"critical", "high", "medium", "low", "info"
};

typedef struct Finding
{
	Severity	severity;
	int			order;			/* report order within equal severities */
	char	   *check;
	char	   *detail;
	const char *hint;			/* a string constant */
} Finding;

/* The findings of one tls_audit() call, allocated in its memory context. */
typedef struct Audit
{
	MemoryContext cxt;
	List	   *findings;
	TimestampTz now;
	TimestampTz warn_before;	/* now + pg_tls_audit.expiry_warning */
} Audit;

PG_FUNCTION_INFO_V1(tls_audit);

static void add_finding(Audit *audit, Severity severity, const char *check,
						const char *hint, const char *fmt,...) pg_attribute_printf(5, 6);

/*
 * add_finding
 *		Record one finding; detail is a printf format.
 */
static void
add_finding(Audit *audit, Severity severity, const char *check,
			const char *hint, const char *fmt,...)
{
	MemoryContext old = MemoryContextSwitchTo(audit->cxt);
	Finding    *f = palloc(sizeof(Finding));
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}

	f->severity = severity;
	f->order = list_length(audit->findings);
	f->check = pstrdup(check);
	f->detail = buf.data;
	f->hint = hint;
	audit->findings = lappend(audit->findings, f);
	MemoryContextSwitchTo(old);
}

static int
compare_findings(const ListCell *a, const ListCell *b)
{
	const Finding *fa = lfirst(a);
	const Finding *fb = lfirst(b);

	if (fa->severity != fb->severity)
		return fa->severity - fb->severity;
	return fa->order - fb->order;
}

/* Days from now until t, rounded down; negative in the past. */
static int
days_until(Audit *audit, TimestampTz t)
{
	return (int) ((t - audit->now) / USECS_PER_DAY);
}

static char *
cert_name_text(const X509_NAME *name)
{
	return text_to_cstring(tls_name_to_text(name));
}

/*
 * check_validity
 *		Expired, not yet valid or expiring: one finding, with check names
 *		prefix_expired, prefix_not_yet_valid, prefix_expiring.
 */
static void
check_validity(Audit *audit, X509 *cert, const char *what, const char *prefix,
			   Severity expired_severity, Severity expiring_severity)
{
	TimestampTz not_before;
	TimestampTz not_after;
	char	   *subject = cert_name_text(X509_get_subject_name(cert));
	bool		has_before = tls_asn1_time(X509_get0_notBefore(cert), &not_before);
	bool		has_after = tls_asn1_time(X509_get0_notAfter(cert), &not_after);

	if (has_after && not_after <= audit->now)
		add_finding(audit, expired_severity, psprintf("%s_expired", prefix),
					"Replace the certificate and reload the server.",
					"The %s \"%s\" expired on %s.",
					what, subject, timestamptz_to_str(not_after));
	else if (has_before && not_before > audit->now)
		add_finding(audit, SEVERITY_HIGH, psprintf("%s_not_yet_valid", prefix),
					"Check the clocks of the server and of the machine that issued the certificate.",
					"The %s \"%s\" is not valid before %s.",
					what, subject, timestamptz_to_str(not_before));
	else if (has_after && not_after <= audit->warn_before)
		add_finding(audit, expiring_severity, psprintf("%s_expiring", prefix),
					"Renew the certificate before it expires, then reload the server.",
					"The %s \"%s\" expires on %s, in %d days (pg_tls_audit.expiry_warning is %d days).",
					what, subject, timestamptz_to_str(not_after),
					days_until(audit, not_after), tls_audit_expiry_warning / (24 * 60));
}

/*
 * A PEM file that a setting names, as check_pem_file() reports it: how to
 * name it, and what the server makes of what cannot be read of it.
 */
typedef struct PemSource
{
	const char *source;			/* ssl_ca_file "/path" */
	const char *what;			/* its objects: certificate, CRL */
	const char *prefix;			/* of the checks' names */
	const char *consequence;	/* of a file or block the server cannot load */
	Severity	fifo_severity;	/* a FIFO, which the server's open() waits on */
	const char *fifo_consequence;
	const char *file_hint;
	const char *block_hint;
} PemSource;

/* A FIFO where the server loads a file at start and reload. */
#define LOADED_FIFO_CONSEQUENCE \
	"The server's own open() of a FIFO waits for a writer: when the postmaster loads the file, at a reload or restart, it stops there and accepts no connection."

/*
 * The files the server loads at start and reload (ssl_cert_file,
 * ssl_ca_file, ssl_crl_file): it cannot load one with a damaged block, and
 * its open() of a FIFO waits, in the postmaster, for a writer.
 */
static PemSource
loaded_file(const char *setting, const char *what, const char *prefix,
			const char *file_hint, const char *block_hint)
{
	PemSource	src;

	src.source = psprintf("%s \"%s\"", setting, tls_setting(setting));
	src.what = what;
	src.prefix = prefix;
	src.consequence = "The server cannot load the file: a reload keeps the TLS configuration loaded before, and a restart would not start.";
	src.fifo_severity = SEVERITY_CRITICAL;
	src.fifo_consequence = LOADED_FIFO_CONSEQUENCE;
	src.file_hint = file_hint;
	src.block_hint = block_hint;
	return src;
}

/*
 * check_pem_file
 *		What could not be read of a PEM file: the file itself (check
 *		prefix_unreadable) and each block that does not decode
 *		(prefix_unreadable_block), each a high finding with what the server
 *		makes of it; a FIFO as src says.
 */
static void
check_pem_file(Audit *audit, const TlsPemFile *file, const PemSource *src)
{
	ListCell   *lc;

	if (file->error != NULL)
		add_finding(audit, file->fifo ? src->fifo_severity : SEVERITY_HIGH,
					psprintf("%s_unreadable", src->prefix), src->file_hint,
					"Could not read a %s from %s: %s. %s",
					src->what, src->source, file->error,
					file->fifo ? src->fifo_consequence : src->consequence);
	foreach(lc, file->bad_blocks)
	{
		TlsPemBadBlock *bad = lfirst(lc);

		add_finding(audit, SEVERITY_HIGH, psprintf("%s_unreadable_block", src->prefix),
					src->block_hint,
					"Block %d (line %d) of %s does not decode as a %s: %s. %s",
					bad->number, bad->line, src->source, src->what, bad->reason,
					src->consequence);
	}
}

/*
 * server_certificate_error
 *		Why ssl_cert_file (file, as tls_audit() read it) has no server
 *		certificate to check: it could not be read, or its first block does
 *		not decode; NULL when it has one.
 */
static const char *
server_certificate_error(const TlsPemFile *file)
{
	TlsPemBadBlock *bad;

	if (file->error != NULL)
		return file->error;
	if (file->first_decoded)
		return NULL;
	bad = linitial(file->bad_blocks);
	return psprintf("its first block, at line %d, does not decode: %s", bad->line, bad->reason);
}

/*
 * check_server_certificate
 *		ssl_cert_file (file, as read by tls_audit()): what could not be read
 *		of it, then the server certificate's validity, key strength,
 *		signature hash and subjectAltName.
 */
static void
check_server_certificate(Audit *audit, const TlsPemFile *file)
{
	X509	   *cert;
	EVP_PKEY   *pkey;
	int			md_nid = NID_undef;
	int			pk_nid;
	char	   *subject;
	PemSource	src = loaded_file("ssl_cert_file", "certificate", "server_certificate",
								  "Point ssl_cert_file at a readable PEM certificate.",
								  "Replace the damaged block with an intact copy of its certificate, then reload the server.");

	check_pem_file(audit, file, &src);
	if (!file->first_decoded)
		return;
	cert = linitial(file->objects);
	subject = cert_name_text(X509_get_subject_name(cert));

	check_validity(audit, cert, "server certificate", "server_certificate",
				   SEVERITY_CRITICAL, SEVERITY_HIGH);

	pkey = X509_get0_pubkey(cert);
	if (pkey != NULL)
	{
		int			bits = EVP_PKEY_get_bits(pkey);
		int			type = EVP_PKEY_get_base_id(pkey);
		bool		weak = false;

		if (type == EVP_PKEY_RSA || type == EVP_PKEY_RSA_PSS || type == EVP_PKEY_DSA)
			weak = bits < 2048;
		else if (type == EVP_PKEY_EC)
			weak = bits < 224;
		if (weak)
			add_finding(audit, SEVERITY_HIGH, "server_certificate_weak_key",
						"Issue a certificate with an RSA key of at least 2048 bits or an EC key of at least 256 bits.",
						"The server certificate \"%s\" has a %d-bit %s key.",
						subject, bits, OBJ_nid2sn(type));
	}
	ERR_clear_error();

	if (OBJ_find_sigid_algs(X509_get_signature_nid(cert), &md_nid, &pk_nid) &&
		(md_nid == NID_sha1 || md_nid == NID_md5 || md_nid == NID_md4 || md_nid == NID_md2))
		add_finding(audit, SEVERITY_HIGH, "server_certificate_weak_signature",
					"Have the certificate reissued with a SHA-256 (or stronger) signature.",
					"The server certificate \"%s\" is signed with %s, which clients can no longer rely on.",
					subject, OBJ_nid2ln(X509_get_signature_nid(cert)));

	if (X509_get_ext_by_NID(cert, NID_subject_alt_name, -1) < 0)
		add_finding(audit, SEVERITY_MEDIUM, "server_certificate_no_san",
					"Issue a certificate with the server's host names and addresses as subjectAltName entries.",
					"The server certificate \"%s\" has no subjectAltName; libpq falls back to its CN, but clients that follow RFC 6125 (Go, Java, browsers) refuse it with verify-full.",
					subject);
}

/*
 * check_ca_file
 *		ssl_ca_file (file, as read by tls_audit()), which verifies client
 *		certificates: what could not be read of it, then each certificate
 *		that could, damaged blocks before it or not.
 */
static void
check_ca_file(Audit *audit, const TlsPemFile *file)
{
	PemSource	src = loaded_file("ssl_ca_file", "certificate", "ca_file",
								  "Point ssl_ca_file at a readable PEM file of CA certificates.",
								  "Replace the damaged block with an intact copy of its CA certificate, then reload the server.");
	ListCell   *lc;

	check_pem_file(audit, file, &src);
	foreach(lc, file->objects)
	{
		CHECK_FOR_INTERRUPTS();
		check_validity(audit, lfirst(lc), "CA certificate", "ca_certificate",
					   SEVERITY_HIGH, SEVERITY_MEDIUM);
	}
}

/*
 * check_crl
 *		A CRL past its next-update date: clients whose certificates were
 *		revoked since are still accepted, or (with OpenSSL's CRL checks)
 *		every client certificate the CRL's issuer signed is refused.
 */
static void
check_crl(Audit *audit, X509_CRL *crl, const char *source)
{
	TimestampTz next_update;

	if (tls_asn1_time(X509_CRL_get0_nextUpdate(crl), &next_update) &&
		next_update <= audit->now)
		add_finding(audit, SEVERITY_HIGH, "crl_outdated",
					"Install the CRL's current issue and reload the server.",
					"The CRL of \"%s\" in %s was due to be replaced on %s.",
					cert_name_text(X509_CRL_get_issuer(crl)), source,
					timestamptz_to_str(next_update));
}

/*
 * check_crl_file
 *		tls_audit()'s TlsCrlFileFn: what could not be read of one CRL file,
 *		then each CRL that could.
 *
 * The server loads ssl_crl_file at start and reload, but reads a file of
 * ssl_crl_dir only when it verifies a client certificate of the CRL's
 * issuer, in each new session: for HASH.r0, HASH.r1... in turn until one is
 * missing or does not load (OpenSSL's by_dir.c).  When HASH.r0 does not
 * load, the lookup finds no CRL of the issuer, and with the CRL checks the
 * server enables, the certificate is refused.
 */
static void
check_crl_file(const char *path, bool in_dir, const TlsPemFile *file, void *arg)
{
	Audit	   *audit = arg;
	PemSource	src = loaded_file("ssl_crl_file", "CRL", "crl",
								  "Point ssl_crl_file at a readable PEM file of CRLs.",
								  "Replace the damaged block with a current copy of its CRL from the issuer, then reload the server.");
	ListCell   *lc;

	if (in_dir)
	{
		const char *name = strrchr(path, '/') + 1;

		src.source = psprintf("ssl_crl_dir file \"%s\"", path);
		src.consequence = strcmp(name + 8, ".r0") == 0 ?
			"When it verifies a client certificate this CRL's issuer signed, the server finds no CRL of the issuer here, and refuses the certificate unless ssl_crl_file holds one." :
			"When it verifies a client certificate this CRL's issuer signed, the server stops reading the issuer's CRL files at this one: revocations it does not reach are not applied.";
		src.fifo_severity = SEVERITY_HIGH;
		src.fifo_consequence = "When it verifies a client certificate this CRL's issuer signed, the server's own open() of the FIFO waits for a writer: the handshake hangs until authentication_timeout ends it.";
		src.file_hint = src.block_hint =
			"Replace the file with a current copy of the CRL from its issuer; new sessions read it without a reload.";
	}
	check_pem_file(audit, file, &src);
	foreach(lc, file->objects)
	{
		CHECK_FOR_INTERRUPTS();
		check_crl(audit, lfirst(lc), src.source);
	}
}

/*
 * check_crls
 *		Every CRL in ssl_crl_file and in the files of ssl_crl_dir the server
 *		reads, and what could not be read of them.
 */
static void
check_crls(Audit *audit)
{
	ListCell   *lc;

	foreach(lc, tls_each_crl_file(check_crl_file, audit))
		add_finding(audit, SEVERITY_HIGH, "crl_unreadable",
					"Point ssl_crl_dir at a readable directory of CRLs, named as \"openssl rehash\" names them.",
					"Could not read ssl_crl_dir directory %s. The server finds no CRL there either, and refuses every client certificate whose issuer's CRL it finds nowhere else.",
					(char *) lfirst(lc));
}

/* An ssl_{min,max}_protocol_version value as an OpenSSL version; 0: any. */
static int
protocol_version(const char *name)
{
	for (int v = TLS1_VERSION; v <= TLS1_3_VERSION; v++)
		if (strcmp(name, tls_protocol_name(v)) == 0)
			return v;
	return 0;
}

/*
 * What the server offers on the wire, computed from its settings as
 * be-secure-openssl.c applies them to a throwaway SSL_CTX, and from the
 * public key of ssl_cert_file: the private key is never loaded.
 */
typedef struct WireOffer
{
	int			seclevel;		/* OpenSSL security level in force */
	int			key_type;		/* EVP_PKEY_* of the certificate; NID_undef */
	bool		dh_usable;		/* DHE has parameters the server could load */
	int			dh_bits;		/* of ssl_dh_params_file; 0: built-in 2048 */
	const char *dh_error;		/* why ssl_dh_params_file was not usable */
	bool		dh_fifo;		/* because it is a FIFO */
	bool		groups_usable;	/* ECDHE has a group */
	List	   *offered;		/* const SSL_CIPHER *, in preference order */
	bool		accepted[TLS1_3_VERSION - TLS1_VERSION + 1];
} WireOffer;

/*
 * The oldest protocol version a suite works with: OpenSSL names it
 * ("SSLv3" for the suites TLS 1.0 already had).
 */
static int
cipher_min_version(const SSL_CIPHER *c)
{
	int			v = protocol_version(SSL_CIPHER_get_version(c));

	return v != 0 ? v : TLS1_VERSION;
}

/* Whether a certificate's public key can authenticate a TLS 1.2 suite. */
static bool
auth_possible(int auth_nid, int kx_nid, int key_type)
{
	bool		rsa = key_type == EVP_PKEY_RSA;

	if (kx_nid == NID_kx_rsa && !rsa)
		return false;
	switch (auth_nid)
	{
		case NID_auth_any:
		case NID_auth_null:
			return true;
		case NID_auth_rsa:
			return rsa;
		case NID_auth_ecdsa:
			return key_type == EVP_PKEY_EC || key_type == EVP_PKEY_ED25519 ||
				key_type == EVP_PKEY_ED448;
		case NID_auth_dss:
			return key_type == EVP_PKEY_DSA;
		default:
			/* PSK, SRP, GOST: the server has no callback or key for them. */
			return false;
	}
}

static bool
kx_possible(int kx_nid, const WireOffer *offer)
{
	switch (kx_nid)
	{
		case NID_kx_any:
		case NID_kx_ecdhe:
			return offer->groups_usable;
		case NID_kx_rsa:
			return true;
		case NID_kx_dhe:
			return offer->dh_usable;
		default:
			return false;
	}
}

/*
 * wire_offer
 *		Fill *offer from the settings and from certs, the certificates of
 *		ssl_cert_file (NIL: unreadable, the key type unknown); false when
 *		the settings do not make a context at all (the server could not
 *		have loaded them either).
 */
static bool
wire_offer(WireOffer *offer, List *certs)
{
	const char *ciphers = tls_setting("ssl_ciphers");
	const char *dh_file = tls_setting("ssl_dh_params_file");
	const char *groups = tls_setting(PG_TLS_AUDIT_GROUPS_SETTING);
	const char *tls13 = PG_TLS_AUDIT_TLS13_CIPHERS_SETTING ?
		tls_setting(PG_TLS_AUDIT_TLS13_CIPHERS_SETTING) : "";
	int			min = protocol_version(tls_setting("ssl_min_protocol_version"));
	int			max = protocol_version(tls_setting("ssl_max_protocol_version"));
	TlsHeld    *ctx_held = tls_hold(TLS_HELD_SSL_CTX);
	TlsHeld    *ssl_held = tls_hold(TLS_HELD_SSL);
	TlsHeld    *supported_held = tls_hold(TLS_HELD_CIPHER_STACK);
	SSL_CTX    *ctx;
	STACK_OF(SSL_CIPHER) *supported = NULL;
	char	   *dh_pem = NULL;
	size_t		dh_len = 0;
	bool		ok = false;

	memset(offer, 0, sizeof(*offer));
	offer->key_type = NID_undef;
	if (certs != NIL && X509_get0_pubkey(linitial(certs)) != NULL)
		offer->key_type = EVP_PKEY_get_base_id(X509_get0_pubkey(linitial(certs)));
	if (dh_file[0] != '\0')
		dh_pem = tls_read_file(dh_file, &dh_len, &offer->dh_error, &offer->dh_fifo);

	ctx = ctx_held->obj = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL ||
		SSL_CTX_set_min_proto_version(ctx, min) != 1 ||
		SSL_CTX_set_max_proto_version(ctx, max) != 1)
		goto done;

	/* As the server: DH parameters, then groups, then the cipher list. */
	if (dh_pem != NULL)
	{
		BIO		   *bio = BIO_new_mem_buf(dh_pem, (int) dh_len);
		EVP_PKEY   *dh = bio ? PEM_read_bio_Parameters(bio, NULL) : NULL;

		BIO_free(bio);
		if (dh == NULL)
			offer->dh_error = "it holds no PEM DH parameters";
		else
		{
			offer->dh_bits = EVP_PKEY_get_bits(dh);
			if (SSL_CTX_set0_tmp_dh_pkey(ctx, dh) == 1)
				offer->dh_usable = true;
			else
			{
				offer->dh_error = "OpenSSL's security level refuses a group that small";
				EVP_PKEY_free(dh);
			}
		}
	}
	else if (dh_file[0] == '\0')
		offer->dh_usable = true;	/* PostgreSQL's built-in 2048-bit group */
	offer->groups_usable = groups[0] == '\0' || SSL_CTX_set1_groups_list(ctx, groups) == 1;
	if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1 ||
		(tls13[0] != '\0' && SSL_CTX_set_ciphersuites(ctx, tls13) != 1))
		goto done;
	offer->seclevel = SSL_CTX_get_security_level(ctx);
	ssl_held->obj = SSL_new(ctx);
	if (ssl_held->obj != NULL)
		supported = supported_held->obj = SSL_get1_supported_ciphers(ssl_held->obj);
	if (supported == NULL)
		goto done;

	for (int i = 0; i < sk_SSL_CIPHER_num(supported); i++)
	{
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(supported, i);

		if (auth_possible(SSL_CIPHER_get_auth_nid(c), SSL_CIPHER_get_kx_nid(c), offer->key_type) &&
			kx_possible(SSL_CIPHER_get_kx_nid(c), offer))
			offer->offered = lappend(offer->offered, (void *) c);
	}

	/*
	 * A version is accepted when the range and the security level allow it
	 * and an offered suite works with it.  Below TLS 1.2, OpenSSL 3 refuses
	 * the handshake from security level 1 on (its MD5+SHA-1 and SHA-1
	 * digests count for less than 80 bits), as openssl s_client shows.
	 */
	for (int v = TLS1_VERSION; v <= TLS1_3_VERSION; v++)
	{
		ListCell   *lc;

		if ((min != 0 && v < min) || (max != 0 && v > max))
			continue;
		foreach(lc, offer->offered)
		{
			const SSL_CIPHER *c = lfirst(lc);
			bool		tls13_suite = SSL_CIPHER_get_kx_nid(c) == NID_kx_any;

			if (v == TLS1_3_VERSION ? !tls13_suite :
				(tls13_suite || cipher_min_version(c) > v))
				continue;
			if (v < TLS1_2_VERSION && offer->seclevel >= 1)
				continue;
			offer->accepted[v - TLS1_VERSION] = true;
			break;
		}
	}
	ok = true;

done:
	ERR_clear_error();
	tls_release(supported_held);
	tls_release(ssl_held);
	tls_release(ctx_held);
	return ok;
}

/* The accepted versions as "TLSv1.2, TLSv1.3"; "none" when there are none. */
static char *
accepted_versions(const WireOffer *offer, int below)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int v = TLS1_VERSION; v <= TLS1_3_VERSION; v++)
		if (offer->accepted[v - TLS1_VERSION] && (below == 0 || v < below))
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", tls_protocol_name(v));
	return buf.len > 0 ? buf.data : "none";
}

/*
 * check_protocols_and_ciphers
 *		What a scanner sees: the protocol versions the server accepts (and
 *		ssl_min_protocol_version when it says otherwise); the TLS 1.2 and
 *		older suites it offers without encryption or authentication, with
 *		broken algorithms, without forward secrecy, or without AEAD; DH
 *		parameters too small for DHE (LOGJAM).
 */
static void
check_protocols_and_ciphers(Audit *audit, List *certs)
{
	const char *min = tls_setting("ssl_min_protocol_version");
	const char *ciphers = tls_setting("ssl_ciphers");
	WireOffer	offer;
	StringInfoData names;
	StringInfoData cbc;
	int			nweak = 0;
	int			ncbc = 0;
	int			ndhe = 0;
	Severity	worst = SEVERITY_INFO;
	ListCell   *lc;

	if (!wire_offer(&offer, certs))
	{
		add_finding(audit, SEVERITY_HIGH, "no_cipher_offered",
					"Check the server log for the reason, and set ssl_ciphers and the protocol range to values OpenSSL accepts.",
					"OpenSSL accepts no cipher suite for ssl_ciphers ('%s') and the protocol range: the server cannot have loaded this configuration.",
					ciphers);
		return;
	}

	if (protocol_version(min) != 0 && protocol_version(min) < TLS1_2_VERSION)
	{
		if (strcmp(accepted_versions(&offer, TLS1_2_VERSION), "none") != 0)
			add_finding(audit, SEVERITY_HIGH, "min_protocol",
						"Set ssl_min_protocol_version = 'TLSv1.2' (the default) or 'TLSv1.3'.",
						"The server accepts %s, which RFC 8996 deprecates (ssl_min_protocol_version is %s; OpenSSL security level %d).",
						accepted_versions(&offer, TLS1_2_VERSION), min, offer.seclevel);
		else
			add_finding(audit, SEVERITY_LOW, "min_protocol_setting",
						"Set ssl_min_protocol_version = 'TLSv1.2' so that the setting says what the server does.",
						"ssl_min_protocol_version is %s, but at OpenSSL security level %d with these suites the server accepts only %s.",
						min, offer.seclevel, accepted_versions(&offer, 0));
	}

	initStringInfo(&names);
	initStringInfo(&cbc);
	foreach(lc, offer.offered)
	{
		const SSL_CIPHER *c = lfirst(lc);
		int			cipher_nid = SSL_CIPHER_get_cipher_nid(c);
		Severity	severity;

		/* TLS 1.3 suites (key exchange "any") are all AEAD with forward secrecy. */
		if (SSL_CIPHER_get_kx_nid(c) == NID_kx_any)
			continue;
		if (SSL_CIPHER_get_kx_nid(c) == NID_kx_dhe)
			ndhe++;
		if (!SSL_CIPHER_is_aead(c) && cipher_nid != NID_undef)
		{
			if (ncbc++ < WEAK_CIPHERS_SHOWN)
				appendStringInfo(&cbc, "%s%s", ncbc > 1 ? ", " : "", SSL_CIPHER_get_name(c));
		}
		if (cipher_nid == NID_undef ||
			SSL_CIPHER_get_auth_nid(c) == NID_auth_null ||
			SSL_CIPHER_get_digest_nid(c) == NID_md5 ||
			cipher_nid == NID_rc4 || cipher_nid == NID_des_cbc ||
			(SSL_CIPHER_get_bits(c, NULL) < 112))
			severity = SEVERITY_HIGH;
		else if (cipher_nid == NID_des_ede3_cbc ||
				 SSL_CIPHER_get_kx_nid(c) == NID_kx_rsa)
			severity = SEVERITY_MEDIUM;
		else
			continue;

		if (severity < worst)
			worst = severity;
		if (nweak++ < WEAK_CIPHERS_SHOWN)
			appendStringInfo(&names, "%s%s", nweak > 1 ? ", " : "", SSL_CIPHER_get_name(c));
	}
	if (nweak > WEAK_CIPHERS_SHOWN)
		appendStringInfo(&names, " and %d more", nweak - WEAK_CIPHERS_SHOWN);
	if (ncbc > WEAK_CIPHERS_SHOWN)
		appendStringInfo(&cbc, " and %d more", ncbc - WEAK_CIPHERS_SHOWN);
	if (nweak > 0)
		add_finding(audit, worst, "weak_ciphers",
					"Restrict ssl_ciphers to suites with forward secrecy and AEAD, for example 'ECDHE+AESGCM:ECDHE+CHACHA20'.",
					"With ssl_ciphers '%s' and its %s certificate key, the server offers %d cipher suites without forward secrecy or with weak algorithms: %s.",
					ciphers, offer.key_type != NID_undef ? OBJ_nid2sn(offer.key_type) : "unknown",
					nweak, names.data);
	if (ncbc > 0)
		add_finding(audit, SEVERITY_LOW, "cbc_ciphers",
					"Leave only AEAD suites (AES-GCM, ChaCha20-Poly1305) in ssl_ciphers, for example 'ECDHE+AESGCM:ECDHE+CHACHA20'.",
					"The server offers %d cipher suites without AEAD (CBC mode, exposed to padding-oracle attacks such as LUCKY13): %s.",
					ncbc, cbc.data);

	if (tls_setting("ssl_dh_params_file")[0] != '\0')
	{
		const char *dh_file = tls_setting("ssl_dh_params_file");

		if (offer.dh_error != NULL && offer.dh_bits == 0)
			add_finding(audit, offer.dh_fifo ? SEVERITY_CRITICAL : SEVERITY_MEDIUM,
						"dh_params_unreadable",
						"Point ssl_dh_params_file at PEM DH parameters of at least 2048 bits (openssl dhparam 2048), or leave it empty.",
						"Could not read DH parameters from ssl_dh_params_file \"%s\": %s.%s",
						dh_file, offer.dh_error,
						offer.dh_fifo ? " " LOADED_FIFO_CONSEQUENCE : "");
		else if (offer.dh_bits < 2048 && ndhe > 0)
			add_finding(audit, SEVERITY_HIGH, "dh_params_weak",
						"Generate a 2048-bit group (openssl dhparam 2048) or leave ssl_dh_params_file empty, or remove DHE suites from ssl_ciphers.",
						"ssl_dh_params_file \"%s\" holds a %d-bit DH group and the server offers %d DHE suites: an attacker can break the key exchange (LOGJAM).",
						dh_file, offer.dh_bits, ndhe);
		else if (offer.dh_bits < 2048)
			add_finding(audit, SEVERITY_LOW, "dh_params_weak",
						"Generate a 2048-bit group (openssl dhparam 2048) or leave ssl_dh_params_file empty.",
						"ssl_dh_params_file \"%s\" holds a %d-bit DH group; no DHE suite is offered now%s, but one added to ssl_ciphers would use it.",
						dh_file, offer.dh_bits,
						offer.dh_error ? " (OpenSSL's security level refuses the group)" : "");
	}
}

/*
 * check_groups
 *		PostgreSQL 18's ssl_groups without X25519, or with a curve that
 *		RFC 8422 deprecates.  (Before 18 there is one curve, ssl_ecdh_curve,
 *		and nothing to say about a list.)
 */
static void
check_groups(Audit *audit)
{
	static const char *const deprecated[] = {
		"secp192r1", "prime192v1", "secp224r1", "secp160r1", "secp160r2",
		"secp160k1", "secp192k1", "secp224k1", "sect163k1", "sect163r2",
		"sect233k1", "sect233r1", "sect283k1", "sect283r1", "sect409k1",
		"sect409r1", "sect571k1", "sect571r1", "brainpoolP256r1",
		"brainpoolP384r1", "brainpoolP512r1"
	};
	const char *groups;
	char	   *list;
	char	   *tok;
	char	   *save;
	bool		x25519 = false;
	StringInfoData bad;

	if (PG_TLS_AUDIT_TLS13_CIPHERS_SETTING == NULL)
		return;
	groups = tls_setting(PG_TLS_AUDIT_GROUPS_SETTING);
	list = pstrdup(groups);
	initStringInfo(&bad);
	for (tok = strtok_r(list, ":", &save); tok != NULL; tok = strtok_r(NULL, ":", &save))
	{
		if (pg_strcasecmp(tok, "X25519") == 0 || pg_strncasecmp(tok, "X25519MLKEM", 11) == 0)
			x25519 = true;
		for (size_t i = 0; i < lengthof(deprecated); i++)
			if (pg_strcasecmp(tok, deprecated[i]) == 0)
				appendStringInfo(&bad, "%s%s", bad.len > 0 ? ", " : "", tok);
	}
	if (bad.len > 0)
		add_finding(audit, SEVERITY_MEDIUM, "groups_deprecated",
					"Remove the deprecated curves from ssl_groups, for example ssl_groups = 'X25519:prime256v1'.",
					"ssl_groups ('%s') offers curves that RFC 8422 and RFC 8446 deprecate: %s.",
					groups, bad.data);
	if (!x25519)
		add_finding(audit, SEVERITY_LOW, "groups_no_x25519",
					"Put X25519 first in ssl_groups, for example ssl_groups = 'X25519:prime256v1'.",
					"ssl_groups ('%s') has no X25519, the group most TLS 1.3 clients try first: they need an extra round trip or fail.",
					groups);
}

/*
 * check_chain
 *		The chain the server sends (tls_sent_chain(): ssl_cert_file, or what
 *		OpenSSL adds from ssl_ca_file, ca_certs): each certificate must be issued by
 *		the next one, and the last one must be a root or issued by one, or
 *		clients that only trust the root cannot build the path (testssl.sh:
 *		"chain incomplete").
 */
static void
check_chain(Audit *audit, List *certs, List *ca_certs)
{
	List	   *sent;
	X509	   *last;
	int			n;

	if (certs == NIL)
		return;
	sent = tls_sent_chain(certs, ca_certs);
	n = list_length(sent);
	for (int i = 0; i + 1 < n; i++)
	{
		X509	   *cert = list_nth(sent, i);
		X509	   *next = list_nth(sent, i + 1);

		if (X509_check_issued(next, cert) != X509_V_OK)
		{
			bool		issuer_sent = false;

			for (int j = 0; j < n; j++)
				if (j != i && X509_check_issued(list_nth(sent, j), cert) == X509_V_OK)
					issuer_sent = true;
			add_finding(audit, SEVERITY_MEDIUM, "chain_order",
						"List the server certificate first in ssl_cert_file, then each CA certificate right after the one it issued.",
						"In the chain the server sends (%d certificates), certificate %d \"%s\" is followed by \"%s\", which did not issue it%s; clients that check the order refuse the chain.",
						n, i + 1, cert_name_text(X509_get_subject_name(cert)),
						cert_name_text(X509_get_subject_name(next)),
						issuer_sent ? " (its issuer is sent elsewhere in the chain)" : "");
			break;
		}
	}

	last = llast(sent);
	if (X509_check_issued(last, last) != X509_V_OK && n == 1)
		add_finding(audit, SEVERITY_MEDIUM, "chain_incomplete",
					"Append the intermediate CA certificates to ssl_cert_file, after the server certificate, and reload.",
					"The server sends only its certificate \"%s\", not the CA certificate \"%s\" that issued it: clients that trust only the root cannot verify it.",
					cert_name_text(X509_get_subject_name(last)),
					cert_name_text(X509_get_issuer_name(last)));
	list_free(sent);
}

/*
 * check_served
 *		Whether the certificate TLS sessions are given is the one
 *		ssl_cert_file holds now (certs, as tls_audit() read it; NIL with
 *		cert_error when it has no server certificate to read).  The newest
 *		TLS session says what is served; when it began before the last
 *		reload, it cannot tell.
 *
 * With the file unreadable, the server cannot have loaded it, so what it
 * serves, if anything, is what an earlier start or reload loaded: with no
 * reload since the start (which needed a readable file, ssl being on), or
 * a TLS session seen, that is the old certificate; otherwise the reload
 * may have turned ssl on without a certificate, and then the server
 * answers every SSLRequest with "no" (the postmaster only enables TLS
 * once a context has loaded).  Which of the two cannot be told from the
 * settings.
 */
static void
check_served(Audit *audit, List *certs, const char *cert_error)
{
	TlsServedCertificate served;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char	   *served_fp;
	bool		served_known = tls_sessions_newest_served(&served);

	if (certs == NIL)
	{
		const char *path = tls_setting("ssl_cert_file");

		if (served_known)
			add_finding(audit, SEVERITY_HIGH, "served_certificate_not_on_disk",
						"Restore ssl_cert_file before the next restart, which would fail with the file as it is, then reload.",
						"TLS sessions are still given the certificate loaded before (SHA-256 %s, newest TLS session at %s), but ssl_cert_file \"%s\" cannot be read (%s): the reload that followed its change failed, and a restart would refuse to start.",
						tls_fingerprint_text(served.sha256, sizeof(served.sha256)),
						timestamptz_to_str(served.at), path, cert_error);
		else if (PgReloadTime <= PgStartTime)
			add_finding(audit, SEVERITY_HIGH, "served_certificate_not_on_disk",
						"Restore ssl_cert_file before the next restart, which would fail with the file as it is, then reload.",
						"TLS sessions are still given the certificate the server loaded when it started (%s; no reload since), but ssl_cert_file \"%s\" cannot be read (%s): a reload would keep the old certificate, and a restart would refuse to start.",
						timestamptz_to_str(PgStartTime), path, cert_error);
		else
			add_finding(audit, SEVERITY_CRITICAL, "tls_not_served",
						"Fix ssl_cert_file and ssl_key_file, reload, and check the server log; then connect with sslmode=require to confirm.",
						"The server may be refusing every TLS request: ssl is on but ssl_cert_file \"%s\" cannot be read (%s). If the reload at %s turned ssl on, the server answers every SSLRequest with \"no\": clients with sslmode=require or stricter cannot connect, and prefer or allow fall back to plaintext. If ssl was on before, the certificate loaded then is still served. Which of the two cannot be told: %s. A restart would refuse to start.",
						path, cert_error, timestamptz_to_str(PgReloadTime),
						tls_served_unknown_reason());
		return;
	}
	if (!served_known)
		return;
	served_fp = tls_fingerprint_text(served.sha256, sizeof(served.sha256));
	if (X509_digest(linitial(certs), EVP_sha256(), md, &md_len) == 1 &&
		md_len == sizeof(served.sha256) && memcmp(md, served.sha256, md_len) != 0)
		add_finding(audit, served.at >= PgReloadTime ? SEVERITY_MEDIUM : SEVERITY_INFO,
					"server_certificate_not_loaded",
					"Reload the server (SELECT pg_reload_conf()) and check its log; then connect once over TLS so that the new certificate is seen served.",
					served.at >= PgReloadTime ?
					"ssl_cert_file holds the certificate SHA-256 %s, but TLS sessions are given SHA-256 %s (newest TLS session at %s): the file was replaced and not yet reloaded, or its reload failed." :
					"ssl_cert_file holds the certificate SHA-256 %s; the newest TLS session, at %s before the last reload, was given SHA-256 %s: whether the reload took the new file cannot be told until a TLS session begins.",
					tls_fingerprint_text(md, md_len),
					served.at >= PgReloadTime ? served_fp : timestamptz_to_str(served.at),
					served.at >= PgReloadTime ? timestamptz_to_str(served.at) : served_fp);
	ERR_clear_error();
}

/* Severity of a plaintext pg_hba.conf rule by its authentication method. */
static Severity
hba_method_severity(const char *method, const char **why)
{
	if (strcmp(method, "trust") == 0)
	{
		*why = "anyone who can reach the address logs in without a password, unencrypted";
		return SEVERITY_CRITICAL;
	}
	if (strcmp(method, "password") == 0 || strcmp(method, "ldap") == 0 ||
		strcmp(method, "radius") == 0 || strcmp(method, "pam") == 0 ||
		strcmp(method, "bsd") == 0)
	{
		*why = "the password crosses the network in clear text";
		return SEVERITY_CRITICAL;
	}
	if (strcmp(method, "md5") == 0 || strcmp(method, "ident") == 0)
	{
		*why = method[0] == 'm' ?
			"an eavesdropper sees the MD5 challenge and response, enough for an offline password search" :
			"ident over TCP trusts whatever the client's machine answers";
		return SEVERITY_HIGH;
	}
	*why = "authentication is protected, but the session's data are not";
	return SEVERITY_MEDIUM;
}

/*
 * hba_admits_plaintext
 *		Whether a pg_hba.conf line of this type can admit a TCP session
 *		that is neither TLS nor GSSAPI encrypted: not hostssl or hostgssenc
 *		(nor local, which is not TCP).
 */
static bool
hba_admits_plaintext(const char *type)
{
	return strcmp(type, "host") == 0 || strcmp(type, "hostnossl") == 0 ||
		strcmp(type, "hostnogssenc") == 0;
}

/*
 * check_hba
 *		pg_hba.conf rules that admit plaintext TCP connections (host,
 *		hostnossl and hostnogssenc, unless an earlier catch-all "reject" of
 *		one of those types shadows them), ranked by authentication method,
 *		one level lower when they admit only this host; and rules that
 *		check client certificates while no CRL is configured.
 *		pg_hba_file_rules shows the file as it is now, which may differ
 *		from what the server loaded until its next reload.
 */
static void
check_hba(Audit *audit)
{
	bool		ssl_on = strcmp(tls_setting("ssl"), "on") == 0;
	bool		ipv4_closed = false;
	bool		ipv6_closed = false;
	bool		no_crl = tls_setting("ssl_crl_file")[0] == '\0' && tls_setting("ssl_crl_dir")[0] == '\0';
	StringInfoData cert_lines;
	int			ncert = 0;

	if (SPI_execute("SELECT line_number, type, pg_catalog.array_to_string(database, ','), "
					"       pg_catalog.array_to_string(user_name, ','), coalesce(address, ''), auth_method, "
					"       coalesce(pg_catalog.array_to_string(options, ' '), ''), "
					"       CASE WHEN address OPERATOR(pg_catalog.=) "
					"                 ANY (ARRAY['all', 'samehost']::pg_catalog.text[]) THEN address "
					"            WHEN address OPERATOR(pg_catalog.~) '^[0-9.]+$' AND netmask IS NOT NULL THEN "
					"                 CASE WHEN (address::pg_catalog.inet OPERATOR(pg_catalog.&) netmask::pg_catalog.inet) "
					"                           OPERATOR(pg_catalog.<<=) '127.0.0.0/8'::pg_catalog.inet "
					"                       AND netmask::pg_catalog.inet OPERATOR(pg_catalog.>=) "
					"                           '255.0.0.0'::pg_catalog.inet THEN 'loopback' "
					"                      WHEN netmask OPERATOR(pg_catalog.=) '0.0.0.0' THEN 'all4' "
					"                      ELSE 'ipv4' END "
					"            WHEN address OPERATOR(pg_catalog.~) '^[0-9a-fA-F:]+$' AND netmask IS NOT NULL THEN "
					"                 CASE WHEN address::pg_catalog.inet OPERATOR(pg_catalog.=) '::1'::pg_catalog.inet "
					"                       AND netmask::pg_catalog.inet OPERATOR(pg_catalog.=) "
					"                           'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'::pg_catalog.inet THEN 'loopback' "
					"                      WHEN netmask OPERATOR(pg_catalog.=) '::' THEN 'all6' "
					"                      ELSE 'ipv6' END "
					"            ELSE 'other' END "
					"FROM pg_catalog.pg_hba_file_rules WHERE error IS NULL ORDER BY line_number",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_hba_file_rules");

	initStringInfo(&cert_lines);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *line = SPI_getvalue(tuple, desc, 1);
		char	   *type = SPI_getvalue(tuple, desc, 2);
		char	   *databases = SPI_getvalue(tuple, desc, 3);
		char	   *users = SPI_getvalue(tuple, desc, 4);
		char	   *address = SPI_getvalue(tuple, desc, 5);
		char	   *method = SPI_getvalue(tuple, desc, 6);
		char	   *options = SPI_getvalue(tuple, desc, 7);
		char	   *scope = SPI_getvalue(tuple, desc, 8);
		bool		plaintext_type = hba_admits_plaintext(type);
		bool		v4 = strcmp(scope, "ipv4") == 0 || strcmp(scope, "all4") == 0;
		bool		v6 = strcmp(scope, "ipv6") == 0 || strcmp(scope, "all6") == 0;
		bool		shadowed = (ipv4_closed && ipv6_closed) || (v4 && ipv4_closed) || (v6 && ipv6_closed);

		if ((strcmp(type, "hostssl") == 0 || strcmp(type, "host") == 0) && ssl_on &&
			(strcmp(method, "cert") == 0 || strstr(options, "clientcert=verify-") != NULL))
			appendStringInfo(&cert_lines, "%s%s", ncert++ > 0 ? ", " : "", line);

		if (!plaintext_type || shadowed)
			continue;

		if (strcmp(method, "reject") == 0)
		{
			/* A catch-all reject closes plaintext for the lines after it. */
			if (strcmp(databases, "all") == 0 && strcmp(users, "all") == 0)
			{
				if (strcmp(scope, "all") == 0 || strcmp(scope, "all4") == 0)
					ipv4_closed = true;
				if (strcmp(scope, "all") == 0 || strcmp(scope, "all6") == 0)
					ipv6_closed = true;
			}
			continue;
		}

		{
			const char *why;
			Severity	severity = hba_method_severity(method, &why);
			bool		this_host = strcmp(scope, "loopback") == 0 || strcmp(scope, "samehost") == 0;

			if (this_host && severity < SEVERITY_LOW)
				severity++;
			add_finding(audit, severity, "hba_plaintext",
						"Use hostssl for TCP connections; end pg_hba.conf with \"hostnossl all all all reject\" to close plaintext entirely.",
						"pg_hba.conf line %s (%s %s %s %s %s) admits plaintext connections%s: %s.",
						line, type, databases, users, address, method,
						this_host ? " from this host only" : "", why);
		}
	}

	if (ncert > 0 && no_crl)
		add_finding(audit, SEVERITY_MEDIUM, "clientcert_without_crl",
					"Set ssl_crl_file or ssl_crl_dir to the CRLs of the CAs in ssl_ca_file, and keep them current.",
					"pg_hba.conf line%s %s check%s client certificates, but neither ssl_crl_file nor ssl_crl_dir is set: a revoked certificate is still accepted.",
					ncert > 1 ? "s" : "", cert_lines.data, ncert > 1 ? "" : "s");
}

/*
 * check_md5_passwords
 *		Roles whose stored password is an MD5 hash cannot use SCRAM, so
 *		their connections cannot have channel binding.
 */
static void
check_md5_passwords(Audit *audit)
{
	StringInfoData roles;

	if (SPI_execute("SELECT rolname FROM pg_catalog.pg_authid "
					"WHERE rolpassword OPERATOR(pg_catalog.~~) 'md5%' ORDER BY rolname",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_authid");
	if (SPI_processed == 0)
		return;

	initStringInfo(&roles);
	for (uint64 i = 0; i < SPI_processed; i++)
		appendStringInfo(&roles, "%s%s", i > 0 ? ", " : "",
						 quote_identifier(SPI_getvalue(SPI_tuptable->vals[i],
													   SPI_tuptable->tupdesc, 1)));
	add_finding(audit, SEVERITY_MEDIUM, "md5_passwords",
				"Set password_encryption = 'scram-sha-256' and have these roles set their passwords again.",
				"%d role%s an MD5 password hash, which cannot authenticate with SCRAM and so cannot use channel binding: %s.",
				(int) SPI_processed, SPI_processed > 1 ? "s have" : " has", roles.data);
}

/*
 * check_sessions
 *		Live TCP sessions (client backends and WAL senders) that do not
 *		use TLS.
 */
static void
check_sessions(Audit *audit)
{
	bool		isnull;
	int64		plain;
	int64		gss;

	if (SPI_execute("SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE g.encrypted) "
					"FROM pg_catalog.pg_stat_activity a "
					"JOIN pg_catalog.pg_stat_ssl s ON s.pid OPERATOR(pg_catalog.=) a.pid "
					"LEFT JOIN pg_catalog.pg_stat_gssapi g ON g.pid OPERATOR(pg_catalog.=) a.pid "
					"WHERE a.client_addr IS NOT NULL AND NOT s.ssl "
					"AND a.backend_type OPERATOR(pg_catalog.=) "
					"    ANY (ARRAY['client backend', 'walsender']::pg_catalog.text[])",
					true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read pg_stat_ssl");
	plain = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	gss = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (plain > 0)
		add_finding(audit, SEVERITY_MEDIUM, "sessions_without_tls",
					"Find them in tls_sessions (ssl = false), then require TLS in pg_hba.conf or with pg_tls_audit.require_tls.",
					"%lld TCP session%s not use TLS (%lld of them GSSAPI-encrypted).",
					(long long) plain, plain > 1 ? "s do" : " does", (long long) gss);
}

/*
 * check_policy_roles
 *		Role names in the policy's role lists that match no role.  Names
 *		match exactly as written, as in pg_hba.conf, so a name that only
 *		differs in case from a role protects nobody.
 */
static void
check_policy_roles(Audit *audit)
{
	ListCell   *lc;

	foreach(lc, tls_policy_unknown_roles())
	{
		TlsUnknownRole *unknown = lfirst(lc);
		bool		require = strcmp(unknown->setting, "pg_tls_audit.require_client_certificate") == 0;
		const char *consequence;

		if (unknown->members_of)
			consequence = "until it exists, every connection the entry may concern is rejected";
		else if (require)
			consequence = "no connection needs a client certificate because of this entry";
		else
			consequence = "the entry exempts no connection";
		add_finding(audit, require ? SEVERITY_HIGH : SEVERITY_MEDIUM, "policy_unknown_role",
					"Write each role name exactly as the role is spelled (double-quote names with blanks or commas), then reload.",
					"%s lists \"%s%s\", but role \"%s\" does not exist: %s.%s%s",
					unknown->setting, unknown->members_of ? "+" : "", unknown->name,
					unknown->name, consequence,
					unknown->case_match ? " " : "",
					unknown->case_match ? tls_policy_case_hint(unknown) : "");
	}
}

/*
 * check_settings
 *		pg_tls_audit.* values the server could not apply (settings.c).  The
 *		files, lines and values are shown only to those who may read
 *		pg_file_settings.
 */
static void
check_settings(Audit *audit, bool may_read_settings)
{
	ListCell   *lc;

	foreach(lc, tls_settings_problems())
	{
		TlsSettingProblem *problem = lfirst(lc);
		char	   *what;
		const char *consequence;

		if (may_read_settings)
			what = tls_setting_problem_text(problem);
		else if (problem->name)
			what = psprintf("Setting \"%s\"", tls_escaped(problem->name));
		else
			what = "The configuration files";

		if (!problem->policy)
			consequence = "the server keeps the setting's previous value (its default after a restart)";
		else if (tls_audit_is_preloaded())
			consequence = "the TLS connection policy refuses every connection but a superuser's over the local socket until it is corrected";
		else
			consequence = "once the library is preloaded, the TLS connection policy will refuse every connection but a superuser's over the local socket until it is corrected";

		if (may_read_settings)
			add_finding(audit, problem->policy ? SEVERITY_CRITICAL : SEVERITY_MEDIUM,
						problem->policy ? "policy_setting_invalid" : "setting_invalid",
						"Correct the value and reload; a superuser can still connect over the local socket.",
						"%s: the server could not apply it (%s); %s.",
						what, problem->why, consequence);
		else
			add_finding(audit, problem->policy ? SEVERITY_CRITICAL : SEVERITY_MEDIUM,
						problem->policy ? "policy_setting_invalid" : "setting_invalid",
						"Ask a superuser to correct the value and reload.",
						"%s: the server could not apply its value; %s. The file, line, value and reason are visible only to superusers and members of pg_read_all_settings.",
						what, consequence);
	}
}

/*
 * not_checked
 *		Say that checks were skipped for lack of a privilege.
 */
static void
not_checked(Audit *audit, const char *checks, const char *needs)
{
	add_finding(audit, SEVERITY_INFO, "not_checked",
				"Run tls_audit() as a superuser for a complete audit.",
				"Not checked (%s): %s.", checks, needs);
}

/*
 * link_label
 *		How a finding names a link: its kind and its escaped name, with the
 *		setting's file and line, the subscription's database or the
 *		server's wrapper.
 */
static char *
link_label(const TlsLink *link)
{
	if (strcmp(link->kind, "primary_conninfo") == 0)
		return link->source ?
			psprintf("Setting primary_conninfo (%s)", tls_escaped(link->source)) :
			pstrdup("Setting primary_conninfo");
	if (strcmp(link->kind, "wal_receiver") == 0)
		return psprintf("The WAL receiver (%s)", link->name);
	if (strcmp(link->kind, "subscription") == 0)
		return psprintf("Subscription \"%s\" (database \"%s\")",
						tls_escaped(link->name), tls_escaped(link->database));
	if (strcmp(link->kind, "foreign_server") == 0)
		return psprintf("Foreign server \"%s\" (%s)",
						tls_escaped(link->name), tls_escaped(link->source));
	return psprintf("User mapping \"%s\" (%s)",
					tls_escaped(link->name), tls_escaped(link->source));
}

/*
 * check_links
 *		Each outbound link (links.c) whose verdict is not ok, by name; a
 *		user mapping only where its verdict differs from its server's (its
 *		options cannot weaken TLS in postgres_fdw or dblink_fdw, so the
 *		server's finding counts its mappings).  Links whose strings the
 *		caller may not read are reported as not checked, and the other
 *		databases that hold foreign servers are named, to be audited there.
 *		Runs inside tls_catalog_queries_begin().
 */
static void
check_links(Audit *audit)
{
	List	   *links = tls_links_read();
	ListCell   *lc;
	char	   *others;

	foreach(lc, links)
	{
		TlsLink    *link = lfirst(lc);
		CjJudgement *j = link->judgement;
		int			mappings = 0;

		if (j == NULL)
		{
			not_checked(audit, "link_*",
						psprintf("%s: %s", link_label(link), link->unreadable));
			continue;
		}
		if (j->check == NULL)
			continue;
		if (strcmp(link->kind, "user_mapping") == 0)
		{
			ListCell   *lc2;
			bool		same = false;

			foreach(lc2, links)
			{
				TlsLink    *server = lfirst(lc2);

				if (strcmp(server->kind, "foreign_server") == 0 &&
					strcmp(server->name, link->server) == 0 &&
					server->judgement != NULL &&
					server->judgement->verdict == j->verdict)
					same = true;
			}
			if (same)
				continue;
		}
		else if (strcmp(link->kind, "foreign_server") == 0)
		{
			for (int k = foreach_current_index(lc) + 1; k < list_length(links); k++)
			{
				TlsLink    *mapping = list_nth(links, k);

				if (strcmp(mapping->kind, "user_mapping") != 0 ||
					strcmp(mapping->server, link->name) != 0)
					break;
				mappings++;
			}
		}
		add_finding(audit,
					strcmp(j->severity, "high") == 0 ? SEVERITY_HIGH : SEVERITY_MEDIUM,
					j->check, tls_link_hint(j->check),
					"%s: %s%s Connection string (secrets masked): \"%s\"; root file \"%s\"; libpq %d.",
					link_label(link), j->reason,
					mappings > 0 ? psprintf(" %d user mapping%s use%s it.", mappings,
											mappings > 1 ? "s" : "", mappings > 1 ? "" : "s") : "",
					link->conninfo ? tls_escaped(link->conninfo) : "(not parsable)",
					tls_escaped(j->root), j->libpq_version / 10000);
	}

	others = tls_links_other_databases();
	if (others != NULL)
		add_finding(audit, SEVERITY_INFO, "links_other_databases",
					"Run tls_audit() or tls_links() in each of these databases; foreign servers of the bootstrap superuser leave no trace in the shared catalogs, so audit every database that has postgres_fdw or dblink installed.",
					"Foreign servers or user mappings exist in other databases, whose catalogs cannot be read from here: %s.",
					others);
}

/*
 * tls_audit
 *		Every finding about the server's TLS configuration, the most severe
 *		first: rows of (severity, check, detail, hint).
 */
Datum
tls_audit(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Audit		audit;
	Oid			user = GetUserId();
	bool		ssl_on;
	int			save_nestlevel;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);

	audit.cxt = CurrentMemoryContext;
	audit.findings = NIL;
	audit.now = GetCurrentTimestamp();
	audit.warn_before = audit.now + (int64) tls_audit_expiry_warning * USECS_PER_MINUTE;

	ssl_on = strcmp(tls_setting("ssl"), "on") == 0;
	if (!ssl_on)
		add_finding(&audit, SEVERITY_CRITICAL, "ssl_off",
					"Set ssl = on with ssl_cert_file and ssl_key_file, then reload the server.",
					"ssl is off: every connection is plaintext, whatever the client asks for.");
	else
	{
		/*
		 * ssl_cert_file and ssl_ca_file are read once, for every check that
		 * needs them.  Without a server certificate (certs is NIL), the
		 * checks that need one are skipped.
		 */
		const char *ca_path = tls_setting("ssl_ca_file");
		TlsPemFile *cert_file = tls_read_pem_file(tls_setting("ssl_cert_file"), false);
		TlsPemFile *ca_file = ca_path[0] != '\0' ? tls_read_pem_file(ca_path, false) : NULL;
		List	   *certs = cert_file->first_decoded ? cert_file->objects : NIL;
		List	   *ca_certs = ca_file != NULL ? ca_file->objects : NIL;

		check_server_certificate(&audit, cert_file);
		check_served(&audit, certs, server_certificate_error(cert_file));
		check_chain(&audit, certs, ca_certs);
		check_groups(&audit);
		if (ca_file != NULL)
			check_ca_file(&audit, ca_file);
		check_crls(&audit);
		if (has_privs_of_role(user, ROLE_PG_READ_ALL_SETTINGS))
			check_protocols_and_ciphers(&audit, certs);
		else
			not_checked(&audit, "min_protocol, weak_ciphers",
						"ssl_min_protocol_version and ssl_ciphers are visible only to superusers and members of pg_read_all_settings");
		tls_free_pem_file(cert_file);
		if (ca_file != NULL)
			tls_free_pem_file(ca_file);
	}

	if (strcmp(tls_setting("password_encryption"), "md5") == 0)
		add_finding(&audit, SEVERITY_MEDIUM, "password_encryption_md5",
					"Set password_encryption = 'scram-sha-256'.",
					"password_encryption is md5: passwords set from now on are stored as MD5 hashes, which cannot use SCRAM or channel binding.");

	if (!tls_audit_is_preloaded())
		add_finding(&audit, SEVERITY_HIGH, "policy_inactive",
					"Add pg_tls_audit to shared_preload_libraries and restart the server.",
					"pg_tls_audit is not loaded through shared_preload_libraries: its TLS connection policy and connection log are inactive.");
	else if (!tls_policy_require_tls)
		add_finding(&audit, SEVERITY_LOW, "policy_off",
					"Set pg_tls_audit.require_tls = on (listing in pg_tls_audit.exempt_roles any role that must connect without TLS) and reload.",
					"pg_tls_audit.require_tls is off: plaintext connections are admitted wherever pg_hba.conf admits them.");

	check_settings(&audit, has_privs_of_role(user, ROLE_PG_READ_ALL_SETTINGS));
	check_policy_roles(&audit);

	/* The catalog queries' frame: see catalog_query.c. */
	save_nestlevel = tls_catalog_queries_begin();

	if (tls_spi_bool("SELECT pg_catalog.has_table_privilege('pg_catalog.pg_hba_file_rules', 'SELECT') "
				 "AND pg_catalog.has_function_privilege('pg_catalog.pg_hba_file_rules()', 'EXECUTE')"))
		check_hba(&audit);
	else
		not_checked(&audit, "hba_plaintext, clientcert_without_crl",
					"reading pg_hba_file_rules needs SELECT on it and EXECUTE on pg_hba_file_rules(), which only superusers have by default");

	if (tls_spi_bool("SELECT pg_catalog.has_table_privilege('pg_catalog.pg_authid', 'SELECT')"))
		check_md5_passwords(&audit);
	else
		not_checked(&audit, "md5_passwords",
					"reading stored password hashes needs SELECT on pg_authid, which only superusers have by default");

	check_links(&audit);

	if (has_privs_of_role(user, ROLE_PG_READ_ALL_STATS))
		check_sessions(&audit);
	else
		not_checked(&audit, "sessions_without_tls",
					"other roles' sessions are visible only to superusers and members of pg_read_all_stats");

	tls_catalog_queries_end(save_nestlevel);

	list_sort(audit.findings, compare_findings);
	foreach(lc, audit.findings)
	{
		Finding    *f = lfirst(lc);
		Datum		values[TLS_AUDIT_NATTS];
		bool		nulls[TLS_AUDIT_NATTS] = {false, false, false, false};

		values[0] = CStringGetTextDatum(severity_names[f->severity]);
		values[1] = CStringGetTextDatum(f->check);
		values[2] = CStringGetTextDatum(f->detail);
		values[3] = CStringGetTextDatum(f->hint);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
