/*-------------------------------------------------------------------------
 *
 * server_certs.c
 *		The certificates and CRLs the server's settings name, read from
 *		their files: tls_server_certificates() and tls_crls(), for
 *		monitoring that connects over a Unix socket and so has no TLS
 *		session of its own, and the chain the server sends, which
 *		tls_audit() judges.
 *
 * Only public material is read (ssl_cert_file, ssl_ca_file, the CRLs):
 * never the private key, never ssl_passphrase_command.  Whether a file's
 * certificate is what TLS sessions are given now comes from the newest TLS
 * session's record (sessions.c), since the server keeps serving what it
 * loaded at the last successful start or reload.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"

#include <math.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "funcapi.h"
#include "storage/fd.h"
#include "utils/builtins.h"

#define TLS_SERVER_CERTIFICATES_NATTS	(TLS_CERTIFICATE_NATTS + 6)
#define TLS_CRLS_NATTS					5

PG_FUNCTION_INFO_V1(tls_server_certificates);
PG_FUNCTION_INFO_V1(tls_crls);

/* A setting's current value; "" when unset. */
const char *
tls_setting(const char *name)
{
	const char *value = GetConfigOption(name, true, false);

	return value ? value : "";
}

/*
 * tls_read_pem_file
 *		Every certificate (or, with crls, every CRL) of a PEM file, in file
 *		order, as a List to be freed with tls_free_pem_list(); NIL with
 *		*error set when the file cannot be opened or holds none.
 */
List *
tls_read_pem_file(const char *path, bool crls, const char **error)
{
	BIO		   *bio = BIO_new_file(path, "r");
	List	   *objects = NIL;
	void	   *obj;

	*error = NULL;
	if (bio == NULL)
	{
		*error = pstrdup(strerror(errno));
		ERR_clear_error();
		return NIL;
	}
	while ((obj = crls ? (void *) PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) :
			(void *) PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		objects = lappend(objects, obj);
	if (objects == NIL)
		*error = "no PEM object of the expected kind was found";
	ERR_clear_error();
	BIO_free(bio);
	return objects;
}

void
tls_free_pem_list(List *objects, bool crls)
{
	ListCell   *lc;

	foreach(lc, objects)
	{
		if (crls)
			X509_CRL_free(lfirst(lc));
		else
			X509_free(lfirst(lc));
	}
	list_free(objects);
}

/*
 * tls_sent_chain
 *		The certificates the server sends in its Certificate message, in
 *		order, as OpenSSL builds them from what PostgreSQL loaded: the
 *		whole ssl_cert_file when it holds more than the server certificate
 *		(SSL_CTX_use_certificate_chain_file); otherwise the chain OpenSSL
 *		builds from the server certificate through the certificates of
 *		ssl_ca_file, as far as it gets, root included.  The List's members
 *		are references to be freed with tls_free_pem_list().
 */
List *
tls_sent_chain(List *cert_file_certs, const char *ca_file)
{
	X509	   *leaf = linitial(cert_file_certs);
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	List	   *chain = NIL;
	ListCell   *lc;

	if (list_length(cert_file_certs) > 1 || ca_file[0] == '\0')
	{
		foreach(lc, cert_file_certs)
		{
			X509_up_ref(lfirst(lc));
			chain = lappend(chain, lfirst(lc));
		}
		return chain;
	}

	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	if (store != NULL && ctx != NULL &&
		X509_STORE_load_file(store, ca_file) == 1 &&
		X509_STORE_CTX_init(ctx, store, leaf, NULL) == 1)
	{
		STACK_OF(X509) *built;

		/* Built as far as it goes; a verification failure is expected. */
		(void) X509_verify_cert(ctx);
		built = X509_STORE_CTX_get0_chain(ctx);
		for (int i = 0; built != NULL && i < sk_X509_num(built); i++)
		{
			X509_up_ref(sk_X509_value(built, i));
			chain = lappend(chain, sk_X509_value(built, i));
		}
	}
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	if (chain == NIL)
	{
		X509_up_ref(leaf);
		chain = list_make1(leaf);
	}
	return chain;
}

/*
 * tls_served_unknown_reason
 *		Why no TLS session says which certificate is served.
 */
const char *
tls_served_unknown_reason(void)
{
	if (!tls_audit_is_preloaded())
		return "pg_tls_audit is not loaded through shared_preload_libraries, so no TLS session is recorded";
	return "no TLS session has authenticated since the server started";
}

static bool
same_certificate(X509 *a, X509 *b)
{
	return X509_cmp(a, b) == 0;
}

static bool
in_list(List *certs, X509 *cert)
{
	ListCell   *lc;

	foreach(lc, certs)
		if (same_certificate(lfirst(lc), cert))
			return true;
	return false;
}

/*
 * put_server_certificate
 *		One row of tls_server_certificates().
 */
static void
put_server_certificate(ReturnSetInfo *rsinfo, X509 *cert, const char *role,
					   const char *source, List *sent, bool is_leaf,
					   bool served_known, const TlsServedCertificate *served)
{
	Datum		values[TLS_SERVER_CERTIFICATES_NATTS];
	bool		nulls[TLS_SERVER_CERTIFICATES_NATTS];
	int			n = TLS_CERTIFICATE_NATTS;
	TimestampTz not_after;

	values[0] = CStringGetTextDatum(role);
	nulls[0] = false;
	tls_certificate_values(cert, values + 1, nulls + 1);
	n++;

	nulls[n] = !tls_asn1_time(X509_get0_notAfter(cert), &not_after);
	if (nulls[n])
		ERR_clear_error();
	else
		values[n] = Int32GetDatum((int32) floor((double) (not_after - GetCurrentTimestamp()) /
												USECS_PER_DAY));
	n++;
	values[n] = CStringGetTextDatum(source);
	nulls[n++] = false;
	values[n] = BoolGetDatum(in_list(sent, cert));
	nulls[n++] = false;

	/* Sessions record the server certificate they were given, not the chain. */
	if (is_leaf && served_known)
	{
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int md_len = 0;
		bool		same;

		if (!X509_digest(cert, EVP_sha256(), md, &md_len))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not compute a certificate fingerprint")));
		same = md_len == sizeof(served->sha256) &&
			memcmp(md, served->sha256, md_len) == 0;
		values[n] = BoolGetDatum(same);
		nulls[n++] = false;
		values[n] = CStringGetTextDatum(psprintf(same ?
												 "given to the newest TLS session (pid %d, %s)" :
												 "the newest TLS session (pid %d, %s) was given another certificate, SHA-256 %s",
												 served->pid, timestamptz_to_str(served->at),
												 tls_fingerprint_text(served->sha256, sizeof(served->sha256))));
		nulls[n++] = false;
	}
	else
	{
		nulls[n++] = true;
		values[n] = CStringGetTextDatum(is_leaf ? tls_served_unknown_reason() :
										"sessions record only the server certificate they were given");
		nulls[n++] = false;
	}
	Assert(n == TLS_SERVER_CERTIFICATES_NATTS);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

static const char *
ca_role(X509 *cert)
{
	return X509_check_issued(cert, cert) == X509_V_OK ? "ca" : "intermediate";
}

/*
 * tls_server_certificates
 *		One row per certificate of ssl_cert_file (the server certificate,
 *		then the chain it carries) and of ssl_ca_file: role (server,
 *		intermediate, ca), the tls_certificate columns, days_left, source
 *		(the file), sent (whether the server sends it to clients), served
 *		(whether the newest TLS session was given this server certificate;
 *		NULL when unknown, and for chain and CA certificates) and
 *		served_detail, which says why.  No rows for a file that cannot be
 *		read; tls_audit() reports that.
 */
Datum
tls_server_certificates(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const char *cert_file = tls_setting("ssl_cert_file");
	const char *ca_file = tls_setting("ssl_ca_file");
	const char *error;
	List	   *certs;
	List	   *ca_certs = NIL;
	List	   *sent = NIL;
	TlsServedCertificate served;
	bool		served_known = tls_sessions_newest_served(&served);
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	if (rsinfo->setDesc->natts != TLS_SERVER_CERTIFICATES_NATTS)
		elog(ERROR, "tls_server_certificates has %d columns, expected %d",
			 rsinfo->setDesc->natts, TLS_SERVER_CERTIFICATES_NATTS);

	certs = cert_file[0] ? tls_read_pem_file(cert_file, false, &error) : NIL;
	if (ca_file[0] != '\0')
		ca_certs = tls_read_pem_file(ca_file, false, &error);
	if (certs != NIL)
		sent = tls_sent_chain(certs, ca_file);

	foreach(lc, certs)
		put_server_certificate(rsinfo, lfirst(lc),
							   foreach_current_index(lc) == 0 ? "server" : ca_role(lfirst(lc)),
							   cert_file, sent, foreach_current_index(lc) == 0,
							   served_known, &served);
	foreach(lc, ca_certs)
		put_server_certificate(rsinfo, lfirst(lc), ca_role(lfirst(lc)), ca_file,
							   sent, false, served_known, &served);

	tls_free_pem_list(sent, false);
	tls_free_pem_list(certs, false);
	tls_free_pem_list(ca_certs, false);
	return (Datum) 0;
}

/*
 * put_crl
 *		One row of tls_crls(): issuer, this_update, next_update (NULL when
 *		the CRL has none), revoked (how many certificates it lists), source.
 */
static void
put_crl(ReturnSetInfo *rsinfo, X509_CRL *crl, const char *source)
{
	Datum		values[TLS_CRLS_NATTS];
	bool		nulls[TLS_CRLS_NATTS] = {false, false, false, false, false};
	TimestampTz t;
	STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);

	values[0] = PointerGetDatum(tls_name_to_text(X509_CRL_get_issuer(crl)));
	nulls[1] = !tls_asn1_time(X509_CRL_get0_lastUpdate(crl), &t);
	values[1] = TimestampTzGetDatum(t);
	nulls[2] = X509_CRL_get0_nextUpdate(crl) == NULL ||
		!tls_asn1_time(X509_CRL_get0_nextUpdate(crl), &t);
	values[2] = TimestampTzGetDatum(t);
	values[3] = Int32GetDatum(revoked ? sk_X509_REVOKED_num(revoked) : 0);
	values[4] = CStringGetTextDatum(source);
	ERR_clear_error();
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

static int
compare_paths(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/*
 * tls_crl_dir_files
 *		The files of ssl_crl_dir that OpenSSL reads, named as
 *		"openssl rehash" names them (HASH.rN), sorted; NIL when the
 *		directory cannot be opened, with *error set.
 */
List *
tls_crl_dir_files(const char *dir, const char **error)
{
	DIR		   *d = AllocateDir(dir);
	struct dirent *de;
	List	   *paths = NIL;

	*error = NULL;
	if (d == NULL)
	{
		*error = pstrdup(strerror(errno));
		return NIL;
	}
	while ((de = ReadDirExtended(d, dir, LOG)) != NULL)
	{
		char	   *dot = strrchr(de->d_name, '.');
		size_t		digits;

		if (dot == NULL || dot[1] != 'r')
			continue;
		digits = strspn(dot + 2, "0123456789");
		if (digits == 0 || dot[2 + digits] != '\0')
			continue;
		paths = lappend(paths, psprintf("%s/%s", dir, de->d_name));
	}
	FreeDir(d);
	list_sort(paths, compare_paths);
	return paths;
}

/*
 * tls_crls
 *		Each CRL of ssl_crl_file and of ssl_crl_dir: issuer, this_update,
 *		next_update, revoked, source (the file).  Files that cannot be read
 *		give no rows; tls_audit() reports them.
 */
Datum
tls_crls(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const char *file = tls_setting("ssl_crl_file");
	const char *dir = tls_setting("ssl_crl_dir");
	const char *error;
	ListCell   *lc;
	ListCell   *lc2;

	InitMaterializedSRF(fcinfo, 0);
	if (file[0] != '\0')
	{
		List	   *crls = tls_read_pem_file(file, true, &error);

		foreach(lc, crls)
			put_crl(rsinfo, lfirst(lc), file);
		tls_free_pem_list(crls, true);
	}
	if (dir[0] != '\0')
	{
		foreach(lc2, tls_crl_dir_files(dir, &error))
		{
			List	   *crls = tls_read_pem_file(lfirst(lc2), true, &error);

			foreach(lc, crls)
				put_crl(rsinfo, lfirst(lc), lfirst(lc2));
			tls_free_pem_list(crls, true);
		}
	}
	return (Datum) 0;
}
