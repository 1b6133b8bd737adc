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
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#define TLS_SERVER_CERTIFICATES_NATTS	(TLS_CERTIFICATE_NATTS + 6)
#define TLS_CRLS_NATTS					5

/* How much of a file one read() asks for, between interrupt checks. */
#define TLS_READ_CHUNK			(1024 * 1024)

#define PEM_BEGIN				"-----BEGIN "
#define BEGIN_LEN				(sizeof(PEM_BEGIN) - 1)
#define PEM_END					"-----END "
#define END_LEN					(sizeof(PEM_END) - 1)
#define PEM_DASHES				"-----"
#define DASHES_LEN				(sizeof(PEM_DASHES) - 1)

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
 * not_regular
 *		Why a file of this mode is not read.
 */
static const char *
not_regular(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "it is a FIFO, not a regular file";
	if (S_ISSOCK(mode))
		return "it is a socket, not a regular file";
	if (S_ISDIR(mode))
		return "it is a directory, not a regular file";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "it is a device, not a regular file";
	return "it is not a regular file";
}

/*
 * tls_read_file
 *		The whole of a file that a setting names, palloc'd and
 *		NUL-terminated, with its length in *len; NULL with *error set when
 *		it cannot be read, and *fifo when that is because it is a FIFO.
 *
 * Only a regular file is read; symbolic links are followed, as the server
 * follows them.  The file is opened without waiting (O_NONBLOCK) and
 * checked once open, so that a FIFO, a device or a directory put under
 * the name is reported instead of waited on; a socket cannot be opened,
 * and is named as one.  The read checks for interrupts between chunks.
 */
char *
tls_read_file(const char *path, size_t *len, const char **error, bool *fifo)
{
	int			fd = OpenTransientFile(path, O_RDONLY | O_NONBLOCK | PG_BINARY);
	struct stat st;
	char	   *buf = NULL;
	size_t		done = 0;

	*error = NULL;
	*fifo = false;
	if (fd < 0)
	{
		int			save_errno = errno;

		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			*error = not_regular(st.st_mode);
		else
			*error = pstrdup(strerror(save_errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0)
		*error = pstrdup(strerror(errno));
	else if (!S_ISREG(st.st_mode))
	{
		*error = not_regular(st.st_mode);
		*fifo = S_ISFIFO(st.st_mode);
	}
	else if ((Size) st.st_size >= MaxAllocSize)
		*error = "it is larger than 1 GB";
	else
	{
		buf = palloc(st.st_size + 1);
		while (done < (size_t) st.st_size)
		{
			ssize_t		n;

			CHECK_FOR_INTERRUPTS();
			n = read(fd, buf + done, Min((size_t) st.st_size - done, TLS_READ_CHUNK));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
			{
				*error = pstrdup(strerror(errno));
				break;
			}
			if (n == 0)
				break;			/* the file was cut short since fstat() */
			done += n;
		}
	}
	CloseTransientFile(fd);
	if (*error != NULL)
	{
		if (buf != NULL)
			pfree(buf);
		return NULL;
	}
	buf[done] = '\0';
	*len = done;
	return buf;
}

/* The start of the line after the one p is in; end when there is none. */
static const char *
next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', end - p);

	return nl ? nl + 1 : end;
}

/*
 * pem_begin_label
 *		Whether the line at p is a PEM header, as OpenSSL's reader takes
 *		one: "-----BEGIN LABEL-----", trailing blanks and CR ignored; if so,
 *		its label in *label and *label_len.
 */
static bool
pem_begin_label(const char *p, const char *end, const char **label,
				size_t *label_len)
{
	const char *eol = memchr(p, '\n', end - p);
	size_t		len;

	if (eol == NULL)
		eol = end;
	while (eol > p && (eol[-1] == '\r' || eol[-1] == ' ' || eol[-1] == '\t'))
		eol--;
	len = eol - p;
	if (len < BEGIN_LEN + DASHES_LEN || strncmp(p, PEM_BEGIN, BEGIN_LEN) != 0 ||
		strncmp(eol - DASHES_LEN, PEM_DASHES, DASHES_LEN) != 0)
		return false;
	*label = p + BEGIN_LEN;
	*label_len = len - BEGIN_LEN - DASHES_LEN;
	return true;
}

/*
 * label_of_kind
 *		Whether a PEM label is one the server reads as a certificate (what
 *		PEM_read_bio_X509_AUX accepts) or, with crls, as a CRL.
 */
static bool
label_of_kind(const char *label, size_t len, bool crls)
{
	static const char *const cert_labels[] = {
		PEM_STRING_X509, PEM_STRING_X509_OLD, PEM_STRING_X509_TRUSTED
	};

	if (crls)
		return len == strlen(PEM_STRING_X509_CRL) &&
			strncmp(label, PEM_STRING_X509_CRL, len) == 0;
	for (size_t i = 0; i < lengthof(cert_labels); i++)
		if (len == strlen(cert_labels[i]) && strncmp(label, cert_labels[i], len) == 0)
			return true;
	return false;
}

/*
 * decode_block
 *		Decode one PEM block of file (text, len bytes, from its -----BEGIN
 *		line) into file->objects, or record it in file->bad_blocks.
 */
static void
decode_block(TlsPemFile *file, const char *text, size_t len, bool crls,
			 int number, int line)
{
	TlsHeld    *held = tls_hold(crls ? TLS_HELD_X509_CRL : TLS_HELD_X509);
	BIO		   *bio;

	/* What OpenSSL says next is about this block alone. */
	ERR_clear_error();
	bio = BIO_new_mem_buf(text, (int) len);

	/* "" as the passphrase: an encrypted block fails instead of prompting. */
	if (bio != NULL)
		held->obj = crls ? (void *) PEM_read_bio_X509_CRL(bio, NULL, NULL, "") :
			(void *) PEM_read_bio_X509_AUX(bio, NULL, NULL, "");
	BIO_free(bio);
	if (held->obj != NULL)
	{
		file->objects = lappend(file->objects, held->obj);
		file->held = lappend(file->held, held);
	}
	else
	{
		TlsPemBadBlock *bad = palloc(sizeof(TlsPemBadBlock));
		unsigned long code = ERR_peek_error();

		bad->number = number;
		bad->line = line;
		bad->reason = code != 0 && ERR_reason_error_string(code) != NULL ?
			pstrdup(ERR_reason_error_string(code)) : "OpenSSL gave no reason";
		file->bad_blocks = lappend(file->bad_blocks, bad);
	}
	ERR_clear_error();
}

/*
 * tls_read_pem_file
 *		Every certificate (or, with crls, every CRL) of a PEM file, and
 *		each block of that kind that does not decode, in file order; see
 *		TlsPemFile.  Never returns NULL.
 *
 * OpenSSL's PEM readers return NULL at the end of a file and on a block
 * that does not decode alike, and cannot go on after the latter.  So the
 * file is cut into blocks here, each running from its -----BEGIN line to
 * its -----END line (or, when that is missing, to the next -----BEGIN),
 * and each block of the kind is decoded on its own: a damaged block is
 * reported by its position and the blocks after it are still read.
 * Blocks of other kinds, which the server skips too, are not decoded, so
 * a private key kept in the same file is never parsed.
 */
TlsPemFile *
tls_read_pem_file(const char *path, bool crls)
{
	TlsPemFile *file = palloc0(sizeof(TlsPemFile));
	size_t		len;
	char	   *buf = tls_read_file(path, &len, &file->error, &file->fifo);
	const char *end;
	const char *p;
	int			line = 1;
	int			nblocks = 0;
	int			nkind = 0;

	if (buf == NULL)
		return file;
	end = buf + len;
	p = buf;
	/* OpenSSL skips a UTF-8 byte order mark at the start. */
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (p < end)
	{
		const char *block = p;
		int			block_line = line;
		const char *label;
		size_t		label_len;
		const char *unused;
		size_t		unused_len;

		if (!pem_begin_label(p, end, &label, &label_len))
		{
			p = next_line(p, end);
			line++;
			continue;
		}
		nblocks++;
		p = next_line(p, end);
		line++;
		while (p < end && !pem_begin_label(p, end, &unused, &unused_len))
		{
			bool		last = (size_t) (end - p) >= END_LEN &&
				strncmp(p, PEM_END, END_LEN) == 0;

			p = next_line(p, end);
			line++;
			if (last)
				break;
		}
		if (!label_of_kind(label, label_len, crls))
			continue;
		CHECK_FOR_INTERRUPTS();
		decode_block(file, block, p - block, crls, nblocks, block_line);
		if (nkind++ == 0)
			file->first_decoded = file->objects != NIL;
	}
	pfree(buf);
	if (nkind == 0)
		file->error = crls ? "it holds no PEM CRL" : "it holds no PEM certificate";
	return file;
}

/*
 * tls_free_pem_file
 *		Free what tls_read_pem_file() read, now rather than when its memory
 *		context goes.
 */
void
tls_free_pem_file(TlsPemFile *file)
{
	tls_release_all(file->held);
	list_free(file->objects);
	list_free_deep(file->bad_blocks);
	pfree(file);
}

/*
 * tls_sent_chain
 *		The certificates the server sends in its Certificate message, in
 *		order, as OpenSSL builds them from what PostgreSQL loaded: the
 *		whole ssl_cert_file when it holds more than the server certificate
 *		(SSL_CTX_use_certificate_chain_file); otherwise the chain OpenSSL
 *		builds from the server certificate through the certificates of
 *		ssl_ca_file (ca_certs), as far as it gets, root included.  The
 *		List's members are objects of the two Lists given, valid as long as
 *		those are; list_free() it.
 */
List *
tls_sent_chain(List *cert_file_certs, List *ca_certs)
{
	X509	   *leaf = linitial(cert_file_certs);
	TlsHeld    *store;
	TlsHeld    *ctx;
	STACK_OF(X509) *built = NULL;
	List	   *chain = NIL;
	ListCell   *lc;

	if (list_length(cert_file_certs) > 1 || ca_certs == NIL)
		return list_copy(cert_file_certs);

	store = tls_hold(TLS_HELD_X509_STORE);
	ctx = tls_hold(TLS_HELD_X509_STORE_CTX);
	store->obj = X509_STORE_new();
	ctx->obj = X509_STORE_CTX_new();
	if (store->obj != NULL && ctx->obj != NULL)
	{
		foreach(lc, ca_certs)
			(void) X509_STORE_add_cert(store->obj, lfirst(lc));
		if (X509_STORE_CTX_init(ctx->obj, store->obj, leaf, NULL) == 1)
		{
			/* Built as far as it goes; a verification failure is expected. */
			(void) X509_verify_cert(ctx->obj);
			built = X509_STORE_CTX_get0_chain(ctx->obj);
		}
	}

	/*
	 * The built chain holds references the store and its context own; each
	 * is matched to the object it came from, so that none outlives them.
	 */
	for (int i = 0; built != NULL && i < sk_X509_num(built); i++)
	{
		X509	   *cert = sk_X509_value(built, i);

		if (X509_cmp(cert, leaf) == 0)
			chain = lappend(chain, leaf);
		else
		{
			foreach(lc, ca_certs)
			{
				if (X509_cmp(cert, lfirst(lc)) == 0)
				{
					chain = lappend(chain, lfirst(lc));
					break;
				}
			}
		}
	}
	ERR_clear_error();
	tls_release(ctx);
	tls_release(store);
	if (chain == NIL)
		chain = list_make1(leaf);
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
 *		served_detail, which says why.  No rows for a file or a block that
 *		cannot be read, and no "server" row when the file's first block is
 *		such a block; tls_audit() reports them.
 */
Datum
tls_server_certificates(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const char *cert_path = tls_setting("ssl_cert_file");
	const char *ca_path = tls_setting("ssl_ca_file");
	TlsPemFile *cert_file = NULL;
	TlsPemFile *ca_file = NULL;
	List	   *ca_certs = NIL;
	List	   *sent = NIL;
	bool		has_leaf = false;
	TlsServedCertificate served;
	bool		served_known = tls_sessions_newest_served(&served);
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	if (rsinfo->setDesc->natts != TLS_SERVER_CERTIFICATES_NATTS)
		elog(ERROR, "tls_server_certificates has %d columns, expected %d",
			 rsinfo->setDesc->natts, TLS_SERVER_CERTIFICATES_NATTS);

	if (cert_path[0] != '\0')
	{
		cert_file = tls_read_pem_file(cert_path, false);
		has_leaf = cert_file->first_decoded;
	}
	if (ca_path[0] != '\0')
	{
		ca_file = tls_read_pem_file(ca_path, false);
		ca_certs = ca_file->objects;
	}
	if (has_leaf)
		sent = tls_sent_chain(cert_file->objects, ca_certs);

	if (cert_file != NULL)
	{
		foreach(lc, cert_file->objects)
		{
			bool		is_leaf = has_leaf && foreach_current_index(lc) == 0;

			CHECK_FOR_INTERRUPTS();
			put_server_certificate(rsinfo, lfirst(lc),
								   is_leaf ? "server" : ca_role(lfirst(lc)),
								   cert_path, sent, is_leaf, served_known, &served);
		}
	}
	foreach(lc, ca_certs)
	{
		CHECK_FOR_INTERRUPTS();
		put_server_certificate(rsinfo, lfirst(lc), ca_role(lfirst(lc)), ca_path,
							   sent, false, served_known, &served);
	}

	list_free(sent);
	if (cert_file != NULL)
		tls_free_pem_file(cert_file);
	if (ca_file != NULL)
		tls_free_pem_file(ca_file);
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

/* A file of ssl_crl_dir with a name the server reads. */
typedef struct CrlDirFile
{
	int			dir;			/* which directory of the setting */
	uint32		hash;			/* of the CRL issuer's name */
	int			suffix;			/* N of HASH.rN */
	char	   *path;
} CrlDirFile;

/*
 * crl_file_name
 *		Whether a file name is one the server's lookup in ssl_crl_dir
 *		(OpenSSL's hashed directory, by_dir.c) can open: the issuer name's
 *		hash as eight lower-case hex digits, ".r", and a suffix as printf's
 *		%d writes it; if so, the two numbers.
 */
static bool
crl_file_name(const char *name, uint32 *hash, int *suffix)
{
	const char *digits = name + 10;
	size_t		ndigits;

	if (strspn(name, "0123456789abcdef") != 8 || strncmp(name + 8, ".r", 2) != 0)
		return false;
	ndigits = strspn(digits, "0123456789");
	if (ndigits == 0 || ndigits > 9 || digits[ndigits] != '\0' ||
		(ndigits > 1 && digits[0] == '0'))
		return false;
	*hash = (uint32) strtoul(name, NULL, 16);
	*suffix = atoi(digits);
	return true;
}

static int
compare_crl_dir_files(const ListCell *a, const ListCell *b)
{
	const CrlDirFile *fa = lfirst(a);
	const CrlDirFile *fb = lfirst(b);

	if (fa->dir != fb->dir)
		return fa->dir < fb->dir ? -1 : 1;
	if (fa->hash != fb->hash)
		return fa->hash < fb->hash ? -1 : 1;
	return fa->suffix < fb->suffix ? -1 : fa->suffix > fb->suffix;
}

/*
 * list_crl_dir
 *		Append the files of one directory of ssl_crl_dir that have a name
 *		the server reads to *files; false with *error set when the
 *		directory cannot be read.
 */
static bool
list_crl_dir(const char *dir, int dir_index, List **files, const char **error)
{
	DIR		   *d = AllocateDir(dir);
	struct dirent *de;

	if (d == NULL)
	{
		*error = pstrdup(strerror(errno));
		return false;
	}
	for (;;)
	{
		uint32		hash;
		int			suffix;
		CrlDirFile *entry;

		CHECK_FOR_INTERRUPTS();
		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		if (!crl_file_name(de->d_name, &hash, &suffix))
			continue;
		entry = palloc(sizeof(CrlDirFile));
		entry->dir = dir_index;
		entry->hash = hash;
		entry->suffix = suffix;
		entry->path = psprintf("%s/%s", dir, de->d_name);
		*files = lappend(*files, entry);
	}
	*error = errno != 0 ? pstrdup(strerror(errno)) : NULL;
	FreeDir(d);
	return *error == NULL;
}

/*
 * crl_dir_files
 *		The files of ssl_crl_dir that the server reads, in the order it
 *		reads them, and a message for each directory that cannot be read
 *		in *errors.
 *
 * The setting may list several directories separated by ":", as OpenSSL
 * reads it.  For the issuer of a certificate it verifies, the server opens
 * HASH.r0, HASH.r1 and so on while they exist, so a file past a gap in the
 * numbers is never read, and neither is one whose name has upper-case hex
 * digits or a zero before its number.
 */
static List *
crl_dir_files(const char *setting, List **errors)
{
	List	   *files = NIL;
	List	   *paths = NIL;
	char	   *dirs = pstrdup(setting);
	char	   *dir;
	char	   *save;
	int			dir_index = 0;
	uint32		hash = 0;
	int			next_suffix = 0;
	ListCell   *lc;

	*errors = NIL;
	for (dir = strtok_r(dirs, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save))
	{
		const char *error;

		if (!list_crl_dir(dir, dir_index++, &files, &error))
			*errors = lappend(*errors, psprintf("\"%s\": %s", dir, error));
	}
	list_sort(files, compare_crl_dir_files);
	dir_index = -1;
	foreach(lc, files)
	{
		CrlDirFile *f = lfirst(lc);

		if (f->dir != dir_index || f->hash != hash)
		{
			dir_index = f->dir;
			hash = f->hash;
			next_suffix = 0;
		}
		if (f->suffix == next_suffix)
		{
			paths = lappend(paths, f->path);
			next_suffix++;
		}
	}
	return paths;
}

/*
 * tls_each_crl_file
 *		Read ssl_crl_file, then each file of ssl_crl_dir that the server
 *		reads (crl_dir_files()), and pass each to fn; the List of messages
 *		for the directories of ssl_crl_dir that could not be read.
 *
 * Each file is read in a memory context of its own, reset once fn has
 * seen it, so that a directory of thousands of CRLs holds one file's at a
 * time; what fn keeps must go elsewhere.
 */
List *
tls_each_crl_file(TlsCrlFileFn fn, void *arg)
{
	const char *file = tls_setting("ssl_crl_file");
	const char *dir = tls_setting("ssl_crl_dir");
	List	   *paths = NIL;
	List	   *errors = NIL;
	MemoryContext file_cxt;
	MemoryContext old;
	ListCell   *lc;

	if (dir[0] != '\0')
		paths = crl_dir_files(dir, &errors);
	if (file[0] != '\0')
		paths = lcons((void *) file, paths);

	file_cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_tls_audit CRL file",
									 ALLOCSET_DEFAULT_SIZES);
	foreach(lc, paths)
	{
		bool		in_dir = file[0] == '\0' || foreach_current_index(lc) > 0;

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(file_cxt);
		fn(lfirst(lc), in_dir, tls_read_pem_file(lfirst(lc), true), arg);
		MemoryContextSwitchTo(old);
		MemoryContextReset(file_cxt);
	}
	MemoryContextDelete(file_cxt);
	return errors;
}

/* tls_crls()'s TlsCrlFileFn: one row per CRL that decodes. */
static void
put_crl_file(const char *path, bool in_dir, const TlsPemFile *file, void *arg)
{
	ListCell   *lc;

	foreach(lc, file->objects)
	{
		CHECK_FOR_INTERRUPTS();
		put_crl(arg, lfirst(lc), path);
	}
}

/*
 * tls_crls
 *		Each CRL of ssl_crl_file and of the files of ssl_crl_dir that the
 *		server reads: issuer, this_update, next_update, revoked, source
 *		(the file).  Files and blocks that cannot be read give no rows;
 *		tls_audit() reports them.
 */
Datum
tls_crls(PG_FUNCTION_ARGS)
{
	InitMaterializedSRF(fcinfo, 0);
	(void) tls_each_crl_file(put_crl_file, fcinfo->resultinfo);
	return (Datum) 0;
}
