/*-------------------------------------------------------------------------
 *
 * audit_messages.c
 *		What "pg_tls_probe audit" says beside its verdict, so that a failure
 *		names its cause and a pass hides nothing: a host name that does not
 *		resolve, why the server's chain was refused (the X509 error, its
 *		depth and subject), certificates about to expire, CRL files that
 *		libpq will silently not read, and where each TLS setting came from.
 *
 * Each answer comes from facts the harness establishes itself (a lookup, a
 * handshake, OpenSSL's verification against the store libpq used, the
 * service file libpq reads), never from the wording of libpq's message.
 * Nothing here prints: harness/audit.c prints through the redactor.
 *
 * harness/audit_messages.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "audit.h"
#include "libpq-fe.h"
#include "pg_tls_probe.h"

/* The TLS settings whose origin is reported, in the order libpq documents them. */
static const char *const tls_settings[] = {
	"sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslcrldir", "sslnegotiation",
	"channel_binding", "sslsni", "ssl_min_protocol_version", "ssl_max_protocol_version",
	"gssencmode", "require_auth",
};

StaticAssertDecl(lengthof(tls_settings) == AUDIT_SETTINGS, "AUDIT_SETTINGS counts the settings");

/*
 * ptp_libpq_home
 *		The directory libpq looks in for ~/.postgresql and ~/.pg_service.conf:
 *		$HOME, else the passwd entry of the effective user.  malloc'd, NULL
 *		for none.
 */
char *
ptp_libpq_home(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && home[0] != '\0')
		return ptp_strdup(home);
	pw = getpwuid(geteuid());
	return pw != NULL && pw->pw_dir != NULL ? ptp_strdup(pw->pw_dir) : NULL;
}

/*
 * ptp_unresolved_hosts
 *		When libpq could not start because no host of the list resolves:
 *		those host names, quoted and comma-separated (malloc'd).  NULL when
 *		one of them needs no lookup (a socket directory, a hostaddr) or
 *		resolves.  The lookup is libpq's: getaddrinfo() for a stream socket
 *		of any family.
 */
char *
ptp_unresolved_hosts(const PQconninfoOption *effective)
{
	const char *host_list = ptp_conninfo_value(effective, "host");
	const char *addr_list = ptp_conninfo_value(effective, "hostaddr");
	char	   *hosts = ptp_strdup(host_list ? host_list : "");
	char	   *addrs = ptp_strdup(addr_list ? addr_list : "");
	char	   *host_next = hosts;
	char	   *addr_next = addrs;
	PQExpBufferData names;
	bool		all_failed = hosts[0] != '\0';

	initPQExpBuffer(&names);
	while (all_failed && host_next != NULL)
	{
		char	   *host = strsep(&host_next, ",");
		char	   *addr = addr_next ? strsep(&addr_next, ",") : NULL;
		struct addrinfo hints = {0};
		struct addrinfo *ai = NULL;

		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		if ((addr != NULL && addr[0] != '\0') || host[0] == '\0' || host[0] == '/' || host[0] == '@' ||
			getaddrinfo(host, NULL, &hints, &ai) == 0)
			all_failed = false;
		else
			appendPQExpBuffer(&names, "%s\"%s\"", names.len ? ", " : "", host);
		if (ai != NULL)
			freeaddrinfo(ai);
	}
	free(hosts);
	free(addrs);
	if (!all_failed)
	{
		termPQExpBuffer(&names);
		return NULL;
	}
	return names.data;
}

/*
 * ptp_options_accepted
 *		Whether libpq accepts the option values of conninfo, asked of libpq
 *		itself: the string started towards a listener of our own on the
 *		loopback address, so that no host name needs a lookup and nothing
 *		leaves this machine.  libpq checks the values before it resolves a
 *		host, and reports both the same way (CONNECTION_BAD at the start).
 *		True when it cannot tell (no listener), so that a failed lookup is
 *		still named.
 */
bool
ptp_options_accepted(const char *conninfo)
{
	struct sockaddr_in sin = {0};
	socklen_t	len = sizeof(sin);
	char		port[16];
	const char *keys[] = {"dbname", "host", "hostaddr", "port", NULL};
	const char *vals[] = {conninfo, "localhost", "127.0.0.1", port, NULL};
	int			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	PGconn	   *conn;
	bool		accepted;

	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0 || listen(fd, 1) != 0 ||
		getsockname(fd, (struct sockaddr *) &sin, &len) != 0)
	{
		if (fd >= 0)
			close(fd);
		return true;
	}
	snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));
	conn = PQconnectStartParams(keys, vals, 1);
	accepted = conn == NULL || PQstatus(conn) != CONNECTION_BAD;
	PQfinish(conn);
	close(fd);
	return accepted;
}

/*
 * ptp_fetch_chain
 *		The certificate chain the server at hostaddr:port sends (leaf
 *		first), from one handshake that verifies nothing and sends nothing
 *		but PostgreSQL's SSLRequest: no startup packet, no credentials.  The
 *		server name goes out as SNI when sni is set and host is a name, as
 *		libpq sends it.  NULL when the server did not complete a handshake
 *		within timeout_ms.
 */
STACK_OF(X509) *
ptp_fetch_chain(const char *hostaddr, const char *port, const char *host, bool sni, int timeout_ms)
{
	static const unsigned char ssl_request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	struct addrinfo hints = {0};
	struct addrinfo *ai = NULL;
	unsigned char answer = 0;
	int			fd = -1;
	SSL_CTX    *ctx = NULL;
	SSL		   *ssl = NULL;
	STACK_OF(X509) *chain = NULL;

	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (hostaddr == NULL || port == NULL || getaddrinfo(hostaddr, port, &hints, &ai) != 0)
		return NULL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 &&
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 &&
		connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		write(fd, ssl_request, sizeof(ssl_request)) == sizeof(ssl_request) &&
		read(fd, &answer, 1) == 1 && answer == 'S' &&
		(ctx = SSL_CTX_new(TLS_client_method())) != NULL &&
		(ssl = SSL_new(ctx)) != NULL &&
		SSL_set_fd(ssl, fd) == 1)
	{
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
		/* libpq's rule (RFC 6066): no SNI for a literal IPv4 or IPv6 address */
		if (sni && host != NULL && host[0] != '\0' &&
			strspn(host, "0123456789.") != strlen(host) && strchr(host, ':') == NULL)
			(void) SSL_set_tlsext_host_name(ssl, host);
		if (SSL_connect(ssl) == 1 && SSL_get_peer_cert_chain(ssl) != NULL)
			chain = X509_chain_up_ref(SSL_get_peer_cert_chain(ssl));
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	ERR_clear_error();
	return chain;
}

/* A certificate name as RFC 2253 text, malloc'd ("" when it cannot be printed). */
static char *
name_text(const X509_NAME *name)
{
	BIO		   *bio = BIO_new(BIO_s_mem());
	char	   *text;
	char	   *data;
	long		len;

	if (bio == NULL || X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0)
	{
		BIO_free(bio);
		return ptp_strdup("");
	}
	len = BIO_get_mem_data(bio, &data);
	text = ptp_psprintf("%.*s", (int) Max(len, 0), data);
	BIO_free(bio);
	return text;
}

/* A certificate time as "YYYY-MM-DD HH:MM:SS UTC" into buf. */
static void
time_text(const ASN1_TIME *t, char *buf, size_t size)
{
	struct tm	tm;

	buf[0] = '\0';
	if (ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* What the certificate at depth is, for a sentence: the leaf, an intermediate or the root. */
static const char *
role_at(int depth, X509 *cert)
{
	if (depth == 0)
		return "the server's certificate";
	return X509_check_issued(cert, cert) == X509_V_OK ? "the root CA" : "an intermediate CA";
}

/*
 * fault_sentence
 *		The sentence that names what is wrong with cert (at depth of the
 *		chain the server sent, n certificates long) for the X509 error code.
 *		malloc'd.
 */
static char *
fault_sentence(int code, int depth, X509 *cert, int n, const char *anchor)
{
	char		when[64];
	char	   *issuer = name_text(X509_get_issuer_name(cert));
	char	   *text;

	switch (code)
	{
		case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
			if (n == 1 && depth == 0)
				text = ptp_psprintf("the server sends only its own certificate, and its issuer (%s) is not in %s "
									"either: the server's ssl_cert_file must hold the intermediate CA "
									"after the leaf", issuer, anchor);
			else if (depth == n - 1)
				text = ptp_psprintf("the chain the server sends leads to %s, which %s does not hold: "
									"the client trusts another CA than the one that issued the server's "
									"certificate", issuer, anchor);
			else
				text = ptp_psprintf("the issuer of %s (%s) is neither sent by the server nor in %s",
									role_at(depth, cert), issuer, anchor);
			break;
		case X509_V_ERR_CERT_HAS_EXPIRED:
			time_text(X509_get0_notAfter(cert), when, sizeof(when));
			text = ptp_psprintf("%s expired on %s", role_at(depth, cert), when);
			break;
		case X509_V_ERR_CERT_NOT_YET_VALID:
			time_text(X509_get0_notBefore(cert), when, sizeof(when));
			text = ptp_psprintf("%s is not valid before %s (or a clock is wrong)", role_at(depth, cert), when);
			break;
		case X509_V_ERR_CERT_REVOKED:
			text = ptp_psprintf("%s is revoked: a CRL libpq loaded (sslcrl, sslcrldir or ~/.postgresql/root.crl) "
								"lists it", role_at(depth, cert));
			break;
		case X509_V_ERR_UNABLE_TO_GET_CRL:
			text = ptp_psprintf("no CRL of %s's issuer (%s) was loaded: once any CRL loads, libpq checks "
								"every certificate of the chain against one", role_at(depth, cert), issuer);
			break;
		case X509_V_ERR_CRL_HAS_EXPIRED:
			text = ptp_psprintf("the CRL of %s's issuer (%s) is past its next update", role_at(depth, cert),
								issuer);
			break;
		case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
			text = ptp_psprintf("the server's certificate is self-signed and not in %s", anchor);
			break;
		case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
			text = ptp_psprintf("the chain the server sends ends at a root CA that %s does not hold: the "
								"client trusts another CA", anchor);
			break;
		default:
			text = ptp_psprintf("%s fails verification against %s", role_at(depth, cert), anchor);
			break;
	}
	free(issuer);
	return text;
}

/*
 * ptp_explain_chain
 *		Verifies chain (leaf first, as the server sent it) against store,
 *		the store libpq verified against, and fills *why with the first X509
 *		error: its code, the depth and subject of the certificate it is
 *		about, and a sentence that names the fault (anchor says what the
 *		store is: "the root file ..." or "the system store").  False when
 *		the chain verifies, or there is nothing to verify.
 */
bool
ptp_explain_chain(X509_STORE *store, STACK_OF(X509) *chain, const char *anchor, ChainError *why)
{
	X509_STORE_CTX *vctx;
	X509	   *cert;
	char	   *fault;
	bool		failed;

	if (store == NULL || chain == NULL || sk_X509_num(chain) == 0)
		return false;
	vctx = X509_STORE_CTX_new();
	if (vctx == NULL || X509_STORE_CTX_init(vctx, store, sk_X509_value(chain, 0), chain) != 1)
	{
		X509_STORE_CTX_free(vctx);
		ERR_clear_error();
		return false;
	}
	failed = X509_verify_cert(vctx) != 1;
	if (failed)
	{
		why->code = X509_STORE_CTX_get_error(vctx);
		why->depth = X509_STORE_CTX_get_error_depth(vctx);
		cert = X509_STORE_CTX_get_current_cert(vctx);
		if (cert == NULL)
			cert = sk_X509_value(chain, Min(why->depth, sk_X509_num(chain) - 1));
		why->subject = name_text(X509_get_subject_name(cert));
		fault = fault_sentence(why->code, why->depth, cert, sk_X509_num(chain), anchor);
		why->text = ptp_psprintf("%s (X509 error %d, \"%s\", at depth %d, subject %s)", fault, why->code,
								 X509_verify_cert_error_string(why->code), why->depth, why->subject);
		free(fault);
	}
	X509_STORE_CTX_free(vctx);
	ERR_clear_error();
	return failed;
}

/*
 * ptp_expiry_warnings
 *		One line in warnings for each certificate of chain that is still
 *		valid but expires within AUDIT_EXPIRY_WARNING_DAYS, the stronger
 *		wording within AUDIT_EXPIRY_URGENT_DAYS.  An expired one is a
 *		verification error, not a warning.
 */
void
ptp_expiry_warnings(STACK_OF(X509) *chain, PQExpBuffer warnings)
{
	for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++)
	{
		X509	   *cert = sk_X509_value(chain, i);
		int			days = 0,
					secs = 0;
		char		when[64];
		char	   *subject;

		if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)) != 1 ||
			days < 0 || secs < 0 || days >= AUDIT_EXPIRY_WARNING_DAYS)
			continue;
		time_text(X509_get0_notAfter(cert), when, sizeof(when));
		subject = name_text(X509_get_subject_name(cert));
		if (days < AUDIT_EXPIRY_URGENT_DAYS)
			appendPQExpBuffer(warnings, "URGENT: certificate [%d] (%s) expires in %d days, on %s: within %d "
							  "days every verifying client will refuse it; renew it now\n",
							  i, subject, days, when, AUDIT_EXPIRY_URGENT_DAYS);
		else
			appendPQExpBuffer(warnings, "certificate [%d] (%s) expires in %d days, on %s: within %d days\n",
							  i, subject, days, when, AUDIT_EXPIRY_WARNING_DAYS);
		free(subject);
	}
	ERR_clear_error();
}

/*
 * crl_fault
 *		Why libpq will not read the CRL file path, found the way OpenSSL's
 *		X509_STORE_load_file() fails on it; NULL when it loads.  malloc'd.
 */
static char *
crl_fault(const char *path)
{
	struct stat st;
	int			fd;
	X509_STORE *probe;
	bool		loads;

	if (stat(path, &st) != 0)
		return ptp_psprintf("cannot be found (%s)", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return ptp_strdup("is a directory (a directory of hashed CRLs is sslcrldir)");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ptp_psprintf("cannot be read (%s)", strerror(errno));
	close(fd);
	probe = X509_STORE_new();
	loads = probe != NULL && X509_STORE_load_file(probe, path) == 1;
	X509_STORE_free(probe);
	ERR_clear_error();
	return loads ? NULL : ptp_strdup("holds no CRL that OpenSSL can parse (PEM)");
}

/*
 * ptp_trust_files
 *		The files libpq 14 to 18 (fe-secure-openssl.c, initialize_SSL) take
 *		its trust anchor and CRLs from, for the settings in effect: the
 *		system store (sslrootcert=system, from libpq 16 on), else sslrootcert
 *		or ~/.postgresql/root.crt; sslcrl and sslcrldir, empty ones unset,
 *		else ~/.postgresql/root.crl.  Whether they exist is the caller's
 *		question.  Free with ptp_trust_files_free().
 */
void
ptp_trust_files(const PQconninfoOption *effective, int libpq, TrustFiles *out)
{
	const char *rootcert = ptp_conninfo_value(effective, "sslrootcert");
	const char *crl = ptp_conninfo_value(effective, "sslcrl");
	const char *crldir = ptp_conninfo_value(effective, "sslcrldir");
	char	   *home = ptp_libpq_home();

	memset(out, 0, sizeof(*out));
	out->system = rootcert != NULL && strcmp(rootcert, "system") == 0 && libpq >= 16;
	if (rootcert != NULL && rootcert[0] != '\0')
		out->root = ptp_strdup(rootcert);
	else if (home != NULL)
		out->root = ptp_psprintf("%s/.postgresql/root.crt", home);
	if (crl != NULL && crl[0] != '\0')
		out->crl = ptp_strdup(crl);
	if (crldir != NULL && crldir[0] != '\0')
		out->crldir = ptp_strdup(crldir);
	if (out->crl == NULL && out->crldir == NULL && home != NULL)
	{
		out->crl = ptp_psprintf("%s/.postgresql/root.crl", home);
		out->crl_is_default = true;
	}
	free(home);
}

void
ptp_trust_files_free(TrustFiles *files)
{
	free(files->root);
	free(files->crl);
	free(files->crldir);
}

/*
 * ptp_crl_warnings
 *		A line in warnings for each CRL setting libpq will not use, saying
 *		what libpq does instead.  libpq 14 to 18 read CRLs only beside a
 *		root certificate file, with one X509_STORE_load_locations(sslcrl,
 *		sslcrldir) call whose failure they ignore: a file that cannot be
 *		loaded turns CRL checking off without a word, sslcrldir's included,
 *		while sslcrldir itself is looked into only when a certificate is
 *		checked, so a directory that is not there turns checking on with no
 *		CRL to find.
 */
void
ptp_crl_warnings(const PQconninfoOption *effective, int libpq, PQExpBuffer warnings)
{
	TrustFiles	f;
	const char *setting;
	bool		has_root;
	char	   *fault;
	struct stat st;

	ptp_trust_files(effective, libpq, &f);
	setting = f.crl != NULL && !f.crl_is_default ? "sslcrl" : f.crldir != NULL ? "sslcrldir" : NULL;
	has_root = f.root != NULL && stat(f.root, &st) == 0;
	if (f.system)
	{
		if (setting != NULL)
			appendPQExpBuffer(warnings, "%s is ignored: with sslrootcert=system libpq loads no CRL at all\n",
							  setting);
	}
	else if (!has_root)
	{
		if (setting != NULL)
			appendPQExpBuffer(warnings, "%s is not used: libpq reads CRLs only beside a root certificate "
							  "file, and there is none, so it verifies nothing\n", setting);
	}
	else if (f.crl != NULL && !f.crl_is_default && (fault = crl_fault(f.crl)) != NULL)
	{
		appendPQExpBuffer(warnings, "sslcrl \"%s\" %s: libpq skips it without a word and checks no CRL%s\n",
						  f.crl, fault, f.crldir != NULL ? ", not even those of sslcrldir" : "");
		free(fault);
	}
	/* only an unreadable default file matters: a missing one is libpq's normal case */
	else if (f.crl_is_default && stat(f.crl, &st) == 0 && (fault = crl_fault(f.crl)) != NULL)
	{
		appendPQExpBuffer(warnings, "the default CRL file \"%s\" %s: libpq skips it without a word "
						  "and checks no CRL\n", f.crl, fault);
		free(fault);
	}
	if (!f.system && has_root && f.crldir != NULL && (stat(f.crldir, &st) != 0 || !S_ISDIR(st.st_mode)))
		appendPQExpBuffer(warnings, "sslcrldir \"%s\" is not a directory: libpq still turns CRL checking on, "
						  "and finds no CRL there for any certificate\n", f.crldir);
	ptp_trust_files_free(&f);
}

/*
 * service_keys
 *		Whether the service file path defines service; if so, the keywords
 *		its group sets, each between newlines, appended to keys.  Read as
 *		libpq's parseServiceFile() reads it: lines trimmed, "#" comments,
 *		"[name]" groups, "keyword=value" lines.
 */
static bool
service_keys(const char *path, const char *service, PQExpBuffer keys)
{
	FILE	   *fp = fopen(path, "r");
	char		buf[1024];
	bool		in_group = false;
	bool		found = false;
	size_t		n = strlen(service);

	if (fp == NULL)
		return false;
	while (fgets(buf, sizeof(buf), fp) != NULL)
	{
		char	   *line = buf;
		size_t		len = strlen(line);
		char	   *eq;

		while (len > 0 && isspace((unsigned char) line[len - 1]))
			line[--len] = '\0';
		while (*line && isspace((unsigned char) *line))
			line++;
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (line[0] == '[')
		{
			if (found)
				break;
			in_group = found = strncmp(line + 1, service, n) == 0 && line[n + 1] == ']';
		}
		else if (in_group && (eq = strchr(line, '=')) != NULL)
			appendPQExpBuffer(keys, "%.*s\n", (int) (eq - line), line);
	}
	fclose(fp);
	return found;
}

/*
 * service_source
 *		The service file libpq took service from (malloc'd), with the
 *		keywords its group sets in keys; NULL when no file defines it.  The
 *		order is libpq's: servicefile (libpq 18, given in the string) or
 *		PGSERVICEFILE, else ~/.pg_service.conf; then PGSYSCONFDIR (else
 *		libpq's own sysconfdir)/pg_service.conf.
 */
static char *
service_source(const char *service, const PQconninfoOption *given, PQExpBuffer keys)
{
	const char *first = ptp_conninfo_value(given, "servicefile") ?
		ptp_conninfo_value(given, "servicefile") : getenv("PGSERVICEFILE");
	const char *sysconfdir = getenv("PGSYSCONFDIR");
	char	   *home = NULL;
	char	   *path;

	if (first == NULL && (home = ptp_libpq_home()) != NULL)
		path = ptp_psprintf("%s/.pg_service.conf", home);
	else
		path = first ? ptp_strdup(first) : NULL;
	free(home);
	if (path != NULL && service_keys(path, service, keys))
		return path;
	free(path);
	path = ptp_psprintf("%s/pg_service.conf", sysconfdir ? sysconfdir : PTP_LIBPQ_SYSCONFDIR);
	if (service_keys(path, service, keys))
		return path;
	free(path);
	return NULL;
}

/*
 * ptp_origins_of
 *		Where each setting of names this libpq knows came from, in libpq's
 *		order (conninfo_add_defaults): the connection string, the service
 *		file's group, the environment variable libpq names for it
 *		(PQconndefaults), else libpq's default.  The values are those in
 *		effect (effective, PQconninfo of the connection, which does not
 *		report the service: that is the string's, else PGSERVICE).  Returns
 *		how many were filled.
 */
int
ptp_origins_of(const char *conninfo, const PQconninfoOption *effective, const char *const *names,
			   int n_names, SettingOrigin *out)
{
	PQconninfoOption *given = PQconninfoParse(conninfo, NULL);
	PQconninfoOption *defaults = PQconndefaults();
	const char *service = ptp_conninfo_value(given, "service") ?
		ptp_conninfo_value(given, "service") : getenv("PGSERVICE");
	char	   *file = NULL;
	PQExpBufferData keys;
	int			n = 0;

	initPQExpBuffer(&keys);
	appendPQExpBufferChar(&keys, '\n');
	if (service != NULL && service[0] != '\0')
		file = service_source(service, given, &keys);
	for (int i = 0; i < n_names; i++)
	{
		const PQconninfoOption *def = ptp_conninfo_entry(defaults, names[i]);
		const char *name = names[i];
		SettingOrigin *o = &out[n];
		char	   *line_key = ptp_psprintf("\n%s\n", name);
		const char *requiressl = getenv("PGREQUIRESSL");

		if (def == NULL || ptp_conninfo_entry(effective, name) == NULL)
		{
			free(line_key);
			continue;			/* not in this libpq */
		}
		o->name = name;
		o->value = ptp_conninfo_value(effective, name) ? ptp_strdup(ptp_conninfo_value(effective, name)) : NULL;
		if (ptp_conninfo_value(given, name) != NULL)
			o->from = SETTING_FROM_STRING;
		else if (file != NULL && strstr(keys.data, line_key) != NULL)
		{
			o->from = SETTING_FROM_SERVICE;
			o->file = ptp_strdup(file);
			o->service = ptp_strdup(service);
		}
		else if (def->envvar != NULL && getenv(def->envvar) != NULL)
		{
			o->from = SETTING_FROM_ENVIRONMENT;
			o->variable = ptp_strdup(def->envvar);
		}
		else if (strcmp(name, "sslmode") == 0 && requiressl != NULL && requiressl[0] == '1')
		{
			/* libpq's deprecated spelling of sslmode=require */
			o->from = SETTING_FROM_ENVIRONMENT;
			o->variable = ptp_strdup("PGREQUIRESSL");
		}
		else
			o->from = SETTING_FROM_DEFAULT;
		free(line_key);
		n++;
	}
	termPQExpBuffer(&keys);
	free(file);
	PQconninfoFree(given);
	PQconninfoFree(defaults);
	return n;
}

/* Where each TLS setting this libpq knows came from (ptp_origins_of). */
int
ptp_setting_origins(const char *conninfo, const PQconninfoOption *effective, SettingOrigin *out)
{
	return ptp_origins_of(conninfo, effective, tls_settings, lengthof(tls_settings), out);
}

/* Frees what ptp_origins_of filled in o, its value wiped first. */
void
ptp_setting_origin_free(SettingOrigin *o)
{
	if (o->value != NULL)
		explicit_bzero(o->value, strlen(o->value));
	free(o->value);
	free(o->variable);
	free(o->file);
	free(o->service);
	memset(o, 0, sizeof(*o));
}

/* The JSON name of a setting's source. */
const char *
ptp_setting_source_name(SettingSource from)
{
	static const char *const names[] = {"string", "service file", "environment", "default"};

	return names[from];
}
