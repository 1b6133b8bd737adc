/*-------------------------------------------------------------------------
 *
 * attempt.c
 *		One connection attempt of the matrix: what the client received,
 *		what the server says it served, and the outcome class.
 *
 * The class never comes from the sslmode asked for: the harness takes the
 * peer chain libpq received (PQsslStruct) and verifies it itself against
 * the case's trust anchor (X509_verify_cert) and host (X509_check_host,
 * X509_check_ip_asc, per RFC 6125).  The server's view comes from
 * tls_session() and tls_server_certificate() when pg_tls_audit is
 * installed in the target, else from pg_stat_ssl and the certificate file
 * the harness configured.
 *
 * harness/attempt.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "libpq-fe.h"
#include "matrix.h"
#include "pqexpbuffer.h"
#include "pg_tls_probe.h"

#define MAX_PARAMS	24

/* The server's view of the session, with and without pg_tls_audit. */
#define SERVER_VIEW_EXTENSION \
	"SELECT s.ssl, c.sha256_fingerprint FROM tls_session() s " \
	"LEFT JOIN tls_server_certificate() c ON true"
#define SERVER_VIEW_PG_STAT_SSL \
	"SELECT ssl, NULL FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

extern char **environ;

/*
 * fingerprint
 *		The SHA-256 fingerprint of cert as "AB:CD:...", malloc'd; NULL for
 *		no certificate.
 */
char *
ptp_fingerprint(X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len;
	char	   *out;

	if (cert == NULL || !X509_digest(cert, EVP_sha256(), md, &len))
		return NULL;
	out = ptp_malloc0(len * 3 + 1);
	for (unsigned int i = 0; i < len; i++)
		snprintf(out + i * 3, 4, i + 1 < len ? "%02X:" : "%02X", md[i]);
	return out;
}

/*
 * ptp_file_fingerprint
 *		Fingerprint of the first certificate in a PEM file, malloc'd; NULL
 *		when it cannot be read.
 */
char *
ptp_file_fingerprint(const char *path)
{
	BIO		   *bio = BIO_new_file(path, "r");
	X509	   *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	char	   *fp = ptp_fingerprint(cert);

	X509_free(cert);
	BIO_free(bio);
	return fp;
}

/*
 * load_store
 *		A trust store holding the certificates of the PEM file path, and
 *		with_crls: the CRLs of the PKI's CRL file, checked for the whole
 *		chain as libpq does.  NULL with a failure recorded.
 */
static X509_STORE *
load_store(const char *pkidir, const char *anchor_file, bool with_crls)
{
	X509_STORE *store = X509_STORE_new();
	char	   *path = ptp_psprintf("%s/%s", pkidir, anchor_file);
	bool		ok = store != NULL && X509_STORE_load_file(store, path) == 1;

	if (ok && with_crls)
	{
		char	   *crl = ptp_psprintf("%s/%s", pkidir, PTP_CRL_FILE);

		ok = X509_STORE_load_file(store, crl) == 1 &&
			X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) == 1;
		free(crl);
	}
	if (!ok)
	{
		ptp_fail_openssl("could not load trust anchor \"%s\"", path);
		X509_STORE_free(store);
		store = NULL;
	}
	free(path);
	return store;
}

/*
 * ptp_attempt_stores
 *		Loads the trust stores of every anchor (none has no store).  Returns
 *		false with a failure recorded.
 */
bool
ptp_attempt_stores(AttemptContext *ctx)
{
	for (int a = 0; a < ANCHOR_COUNT; a++)
	{
		const char *file;

		switch ((Anchor) a)
		{
			case ANCHOR_NONE:
				continue;
			case ANCHOR_WRONG:
				file = PTP_UNTRUSTED_CA_CRT;
				break;
			case ANCHOR_BUNDLE:
				file = PTP_BUNDLE_CRT;
				break;
			case ANCHOR_BUNDLE_REVERSED:
				file = MATRIX_BUNDLE_REVERSED_CRT;
				break;
			case ANCHOR_INTERMEDIATE_ONLY:
				file = PTP_INTERMEDIATE_CA_CRT;
				break;
			default:
				/* the right CA, whether named, in HOME or as "system" */
				file = PTP_ROOT_CA_CRT;
				break;
		}
		for (int crl = 0; crl < 2; crl++)
		{
			ctx->stores[a][crl] = load_store(ctx->pkidir, file, crl == 1);
			if (ctx->stores[a][crl] == NULL)
				return false;
		}
	}
	return true;
}

void
ptp_attempt_free_stores(AttemptContext *ctx)
{
	for (int a = 0; a < ANCHOR_COUNT; a++)
		for (int crl = 0; crl < 2; crl++)
		{
			X509_STORE_free(ctx->stores[a][crl]);
			ctx->stores[a][crl] = NULL;
		}
}

/*
 * ptp_classify_tls
 *		The class of a TLS session from the chain the client received:
 *		tls-verified when it verifies against store and names host,
 *		tls-chain-verified when only the chain verifies, tls-unverified
 *		otherwise (and always without a store).
 */
Outcome
ptp_classify_tls(SSL *ssl, X509_STORE *store, const char *host)
{
	X509	   *leaf = SSL_get0_peer_certificate(ssl);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	X509_STORE_CTX *vctx;
	unsigned char addr[16];
	bool		chain_ok;
	bool		name_ok;

	if (leaf == NULL || store == NULL)
		return OUTCOME_TLS_UNVERIFIED;

	vctx = X509_STORE_CTX_new();
	chain_ok = vctx != NULL &&
		X509_STORE_CTX_init(vctx, store, leaf, chain) == 1 &&
		X509_verify_cert(vctx) == 1;
	X509_STORE_CTX_free(vctx);
	ERR_clear_error();
	if (!chain_ok)
		return OUTCOME_TLS_UNVERIFIED;

	if (host == NULL || host[0] == '\0')
		name_ok = false;
	else if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		name_ok = X509_check_ip_asc(leaf, host, 0) == 1;
	else
		name_ok = X509_check_host(leaf, host, strlen(host), 0, NULL) == 1;
	return name_ok ? OUTCOME_TLS_VERIFIED : OUTCOME_TLS_CHAIN_VERIFIED;
}

/*
 * ptp_server_view_query
 *		The query that asks the server what the session it runs in is.
 */
const char *
ptp_server_view_query(const AttemptContext *ctx)
{
	return ctx->use_extension ? SERVER_VIEW_EXTENSION : SERVER_VIEW_PG_STAT_SSL;
}

/*
 * server_view
 *		Asks the server what this session is: TLS or not, and the
 *		fingerprint of the certificate it serves.  Records a finding when it
 *		disagrees with what the client saw.
 */
static void
server_view(const AttemptContext *ctx, Case *c, PGconn *conn)
{
	Observation *o = &c->seen;
	PGresult   *res;
	bool		client_tls = o->outcome >= OUTCOME_TLS_UNVERIFIED;
	char	   *differs = NULL;

	res = PQexec(conn, ptp_server_view_query(ctx));
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		o->finding = ptp_psprintf("could not read the server's view: %s",
								  PQerrorMessage(conn));
		PQclear(res);
		return;
	}
	o->server_seen = true;
	o->server_ssl = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	if (ctx->use_extension)
	{
		o->server_source = "tls_server_certificate()";
		if (!PQgetisnull(res, 0, 1))
			o->server_fingerprint = ptp_strdup(PQgetvalue(res, 0, 1));
	}
	else
	{
		const char *served = ctx->served_fingerprints[c->scenario - matrix_scenarios];

		o->server_source = "pg_stat_ssl + configured certificate file";
		if (o->server_ssl && served != NULL)
			o->server_fingerprint = ptp_strdup(served);
	}
	PQclear(res);

	if (o->server_ssl != client_tls)
		differs = ptp_psprintf("the client %s TLS but the server %s",
							   client_tls ? "used" : "did not use",
							   o->server_ssl ? "did" : "did not");
	else if (client_tls &&
			 (o->fingerprint == NULL || o->server_fingerprint == NULL ||
			  strcmp(o->fingerprint, o->server_fingerprint) != 0))
		differs = ptp_psprintf("the client received certificate %s, the server serves %s (interception)",
							   o->fingerprint ? o->fingerprint : "(none)",
							   o->server_fingerprint ? o->server_fingerprint : "(none)");

	/* Through an attacker the difference is the attack showing; elsewhere a finding. */
	if (c->scenario->attack != ATTACK_NONE)
		o->server_differs = differs;
	else
		o->finding = differs;
}

/*
 * one_line
 *		libpq's message on one line, malloc'd.
 */
static char *
one_line(const char *msg)
{
	char	   *s = ptp_strdup(msg);
	size_t		len = strlen(s);

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
		s[--len] = '\0';
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return s;
}

/*
 * ptp_find_psql
 *		The psql of the PostgreSQL installation pg_config describes
 *		(malloc'd), or NULL with a failure recorded.
 */
char *
ptp_find_psql(const char *pg_config)
{
	char	   *argv[] = {(char *) (pg_config ? pg_config : "pg_config"), "--bindir", NULL};
	char	   *bindir = ptp_run_capture(argv);
	char	   *psql;

	if (bindir == NULL)
		return NULL;
	bindir[strcspn(bindir, "\r\n")] = '\0';
	psql = ptp_psprintf("%s/psql", bindir);
	free(bindir);
	if (access(psql, X_OK) != 0)
	{
		ptp_fail("\"%s\" is not executable: %s", psql, strerror(errno));
		free(psql);
		return NULL;
	}
	return psql;
}

/*
 * ptp_conninfo
 *		The connection parameters keys/vals (NULL-terminated) as one
 *		connection string, every value quoted, without the password (which
 *		has no place on a command line).  malloc'd.
 */
char *
ptp_conninfo(const char *const *keys, const char *const *vals)
{
	PQExpBufferData conninfo;

	initPQExpBuffer(&conninfo);
	for (int i = 0; keys[i] != NULL; i++)
	{
		if (strcmp(keys[i], "password") == 0)
			continue;
		appendPQExpBuffer(&conninfo, "%s%s='", conninfo.len ? " " : "", keys[i]);
		for (const char *p = vals[i]; *p; p++)
		{
			if (*p == '\\' || *p == '\'')
				appendPQExpBufferChar(&conninfo, '\\');
			appendPQExpBufferChar(&conninfo, *p);
		}
		appendPQExpBufferChar(&conninfo, '\'');
	}
	return conninfo.data;
}

/*
 * ptp_run_psql
 *		Runs one psql process with the connection parameters keys/vals
 *		(NULL-terminated) and query.  The password travels in PGPASSWORD,
 *		not on the command line.  Returns whether psql succeeded.
 */
bool
ptp_run_psql(const char *psql, const char *const *keys, const char *const *vals,
			 const char *query)
{
	char	   *conninfo;
	posix_spawn_file_actions_t actions;
	pid_t		pid;
	int			status = -1;
	int			n_env = 0;
	char	  **envp;
	char	   *password = NULL;
	char	   *argv[] = {(char *) psql, "-X", "-q", "-A", "-t", "-d", NULL, "-c", (char *) query, NULL};

	for (int i = 0; keys[i] != NULL; i++)
		if (strcmp(keys[i], "password") == 0)
			password = ptp_psprintf("PGPASSWORD=%s", vals[i]);
	conninfo = ptp_conninfo(keys, vals);
	argv[6] = conninfo;

	while (environ[n_env] != NULL)
		n_env++;
	envp = ptp_malloc0((n_env + 2) * sizeof(char *));
	memcpy(envp, environ, n_env * sizeof(char *));
	if (password != NULL)
		envp[n_env] = password;

	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, psql, &actions, NULL, argv, envp) == 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	posix_spawn_file_actions_destroy(&actions);
	free(conninfo);
	free(envp);
	if (password != NULL)
	{
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
ignore_notice(void *arg, const char *message)
{
}

/*
 * quiet_notices
 *		Keeps the server's notices on conn off stderr, where libpq would
 *		print them: the harness's stderr is for its own one-line errors.
 */
static void
quiet_notices(PGconn *conn)
{
	if (conn != NULL)
		PQsetNoticeProcessor(conn, ignore_notice, NULL);
}

static int64
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * wait_socket
 *		Waits until conn's socket is ready for reading (or writing) or the
 *		deadline passes.  False on timeout.
 */
static bool
wait_socket(PGconn *conn, bool for_write, int64 deadline)
{
	for (;;)
	{
		struct pollfd pfd = {PQsocket(conn), for_write ? POLLOUT : POLLIN, 0};
		int64		left = deadline - now_ms();
		int			rc;

		if (left <= 0)
			return false;
		if (pfd.fd < 0)
			return true;		/* let libpq report the broken connection */
		rc = poll(&pfd, 1, (int) Min(left, INT_MAX));
		if (rc > 0 || (rc < 0 && errno != EINTR))
			return true;
	}
}

/*
 * ptp_connect_bounded
 *		PQconnectStartParams driven by PQconnectPoll, given up after
 *		timeout_ms whatever connect_timeout says: libpq's own timeout has a
 *		floor of 2 s, applies per address and can be 0 (no limit).  Fills
 *		*trace; the connection is returned even when it failed or ran out of
 *		time (then PQstatus is not CONNECTION_OK), NULL only without memory.
 */
PGconn *
ptp_connect_bounded(const char *const *keys, const char *const *vals, int expand_dbname,
					int timeout_ms, ConnectTrace *trace)
{
	int64		deadline = now_ms() + timeout_ms;
	PGconn	   *conn = PQconnectStartParams(keys, vals, expand_dbname);
	PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;

	memset(trace, 0, sizeof(*trace));
	if (conn == NULL)
		return NULL;
	quiet_notices(conn);
	trace->stage = PQstatus(conn);
	if (PQstatus(conn) == CONNECTION_BAD)
		return conn;
	trace->started = true;
	for (;;)
	{
		ConnStatusType status = PQstatus(conn);

		/* Past CONNECTION_STARTED, a server answered on this address. */
		if (status != CONNECTION_STARTED && status != CONNECTION_NEEDED &&
			status != CONNECTION_BAD && status != CONNECTION_OK)
		{
			const char *host = PQhost(conn);
			const char *addr = PQhostaddr(conn);
			const char *port = PQport(conn);

			trace->reached = true;
			strlcpy(trace->host, host ? host : "", sizeof(trace->host));
			strlcpy(trace->hostaddr, addr ? addr : "", sizeof(trace->hostaddr));
			strlcpy(trace->port, port ? port : "", sizeof(trace->port));
		}
		if (status != CONNECTION_BAD && status != CONNECTION_OK)
		{
			trace->stage = status;
			trace->tls = PQsslInUse(conn);
		}
		if (poll_status == PGRES_POLLING_OK || poll_status == PGRES_POLLING_FAILED)
			break;
		if (!wait_socket(conn, poll_status == PGRES_POLLING_WRITING, deadline))
		{
			trace->timed_out = true;
			break;
		}
		poll_status = PQconnectPoll(conn);
	}
	return conn;
}

/*
 * ptp_connect_quiet
 *		PQconnectdbParams with the notice processor in place from the start:
 *		a FATAL the server sends right after ReadyForQuery (a postmaster that
 *		died) is parsed inside the connection call, as a notice, and would
 *		otherwise reach stderr as a line of its own.  Given up after
 *		timeout_s.  NULL only without memory.
 */
PGconn *
ptp_connect_quiet(const char *const *keys, const char *const *vals, int timeout_s)
{
	ConnectTrace trace;

	return ptp_connect_bounded(keys, vals, 0, timeout_s * 1000, &trace);
}

static void *
cancel_thread(void *arg)
{
	char		errbuf[256];

	(void) PQcancel(arg, errbuf, sizeof(errbuf));
	PQfreeCancel(arg);
	return NULL;
}

/*
 * ptp_exec_bounded
 *		One query, its result given up after timeout_ms: the query is then
 *		cancelled (from a thread of its own, since PQcancel blocks on a
 *		server that does not answer) and NULL returned with *timed_out set;
 *		the caller closes the connection.  Otherwise the last result (that
 *		of the last statement, or of the one that failed; NULL when the
 *		query could not be sent).
 */
PGresult *
ptp_exec_bounded(PGconn *conn, const char *query, int timeout_ms, bool *timed_out)
{
	int64		deadline = now_ms() + timeout_ms;
	PGresult   *last = NULL;
	PGresult   *res;

	*timed_out = false;
	if (!PQsendQuery(conn, query))
		return NULL;
	for (;;)
	{
		while (PQisBusy(conn))
		{
			if (!wait_socket(conn, false, deadline))
			{
				PGcancel   *cancel = PQgetCancel(conn);
				pthread_t	thread;
				pthread_attr_t attr;

				*timed_out = true;
				PQclear(last);
				pthread_attr_init(&attr);
				pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
				if (cancel != NULL && pthread_create(&thread, &attr, cancel_thread, cancel) != 0)
					PQfreeCancel(cancel);
				pthread_attr_destroy(&attr);
				return NULL;
			}
			if (!PQconsumeInput(conn))
				break;
		}
		res = PQgetResult(conn);
		if (res == NULL)
			return last;
		PQclear(last);
		last = res;
	}
}

/*
 * ptp_attempt
 *		Connects once with the case's configuration and fills c->seen.
 */
void
ptp_attempt(const AttemptContext *ctx, Case *c)
{
	const Scenario *s = c->scenario;
	const ClientConfig *cfg = &c->config;
	const char *keys[MAX_PARAMS];
	const char *vals[MAX_PARAMS];
	char	   *owned[8];
	int			n = 0,
				n_owned = 0;
	char		port[16];
	char		timeout[16];
	char		application_name[64];
	struct timespec t0,
				t1;
	PGconn	   *conn;
	X509_STORE *store;

#define PARAM(k, v) (keys[n] = (k), vals[n] = (v), n++)
#define PKI_FILE(name) (owned[n_owned] = ptp_psprintf("%s/%s", ctx->pkidir, (name)), owned[n_owned++])

	snprintf(port, sizeof(port), "%d", s->attack != ATTACK_NONE ? ctx->proxy_port : ctx->port);
	/* The proxy files what it captures under this name. */
	snprintf(application_name, sizeof(application_name), "pg_tls_probe matrix case %d", c->id);
	snprintf(timeout, sizeof(timeout), "%d", ctx->timeout);
	PARAM("host", s->host);
	if (s->hostaddr)
		PARAM("hostaddr", s->hostaddr);
	PARAM("port", port);
	PARAM("dbname", "postgres");
	if (cfg->channel_binding)
	{
		PARAM("user", MATRIX_SCRAM_ROLE);
		PARAM("password", ctx->password);
	}
	else
		PARAM("user", cfg->ccert == CCERT_OTHER_USER ? "postgres" : PTP_CLIENT_CN);
	if (!cfg->mode_unset)
		PARAM("sslmode", mode_names[cfg->mode]);
	switch (cfg->anchor)
	{
		case ANCHOR_RIGHT:
			PARAM("sslrootcert", PKI_FILE(PTP_ROOT_CA_CRT));
			break;
		case ANCHOR_WRONG:
			PARAM("sslrootcert", PKI_FILE(PTP_UNTRUSTED_CA_CRT));
			break;
		case ANCHOR_BUNDLE:
			PARAM("sslrootcert", PKI_FILE(PTP_BUNDLE_CRT));
			break;
		case ANCHOR_BUNDLE_REVERSED:
			PARAM("sslrootcert", PKI_FILE(MATRIX_BUNDLE_REVERSED_CRT));
			break;
		case ANCHOR_INTERMEDIATE_ONLY:
			PARAM("sslrootcert", PKI_FILE(PTP_INTERMEDIATE_CA_CRT));
			break;
		case ANCHOR_SYSTEM:
		case ANCHOR_SYSTEM_FILE:
			/* before libpq 16: the file "system" in the working directory */
			PARAM("sslrootcert", "system");
			break;
		default:
			/* none and home-root.crt: libpq looks in HOME */
			break;
	}
	if (cfg->crl == CRL_FILE)
		PARAM("sslcrl", PKI_FILE(PTP_CRL_FILE));
	else if (cfg->crl == CRL_DIR)
		PARAM("sslcrldir", PKI_FILE(PTP_CRL_DIR));
	else if (cfg->crl == CRL_OTHER_CA)
		PARAM("sslcrl", PKI_FILE(MATRIX_CRL_OTHER_CA));
	else if (cfg->crl == CRL_MISSING)
		PARAM("sslcrl", PKI_FILE(MATRIX_CRL_MISSING));
	switch (cfg->ccert)
	{
		case CCERT_NONE:
			break;
		case CCERT_REVOKED:
			PARAM("sslcert", PKI_FILE(PTP_CLIENT_REVOKED_CRT));
			PARAM("sslkey", PKI_FILE(PTP_CLIENT_REVOKED_KEY));
			break;
		case CCERT_UTF8_REVOKED:
			PARAM("sslcert", PKI_FILE(MATRIX_CLIENT_UTF8_CRT));
			PARAM("sslkey", PKI_FILE(MATRIX_CLIENT_UTF8_KEY));
			break;
		case CCERT_UNTRUSTED:
			PARAM("sslcert", PKI_FILE(MATRIX_CLIENT_UNTRUSTED_CRT));
			PARAM("sslkey", PKI_FILE(MATRIX_CLIENT_UNTRUSTED_KEY));
			break;
		case CCERT_NO_INTERMEDIATE:
			PARAM("sslcert", PKI_FILE(MATRIX_CLIENT_LEAF_CRT));
			PARAM("sslkey", PKI_FILE(PTP_CLIENT_KEY));
			break;
		case CCERT_DER_KEY:
			PARAM("sslcert", PKI_FILE(PTP_CLIENT_CRT));
			PARAM("sslkey", PKI_FILE(MATRIX_CLIENT_DER_KEY));
			break;
		case CCERT_ENCRYPTED:
		case CCERT_ENCRYPTED_WRONG:
			PARAM("sslcert", PKI_FILE(PTP_CLIENT_CRT));
			PARAM("sslkey", PKI_FILE(MATRIX_CLIENT_ENCRYPTED_KEY));
			PARAM("sslpassword", cfg->ccert == CCERT_ENCRYPTED ? MATRIX_KEY_PASSPHRASE : "wrong-password");
			break;
		case CCERT_KEY_WORLD_READABLE:
			PARAM("sslcert", PKI_FILE(PTP_CLIENT_CRT));
			PARAM("sslkey", PKI_FILE(MATRIX_CLIENT_WORLD_KEY));
			break;
		default:
			/* good, other-user and the sslcertmode ones: the good certificate */
			PARAM("sslcert", PKI_FILE(PTP_CLIENT_CRT));
			PARAM("sslkey", PKI_FILE(PTP_CLIENT_KEY));
			break;
	}
	if (cfg->ccert == CCERT_CERTMODE_DISABLE || cfg->ccert == CCERT_CERTMODE_REQUIRE)
		PARAM("sslcertmode", cfg->ccert == CCERT_CERTMODE_DISABLE ? "disable" : "require");
	if (cfg->tls == TLS_MIN_13 || cfg->tls == TLS_INVERTED)
		PARAM("ssl_min_protocol_version", "TLSv1.3");
	else if (cfg->tls == TLS_INVALID)
		PARAM("ssl_min_protocol_version", "TLSv1.9");
	if (cfg->tls == TLS_MAX_12 || cfg->tls == TLS_INVERTED)
		PARAM("ssl_max_protocol_version", "TLSv1.2");
	PARAM("channel_binding", cfg->channel_binding ? "require" : "disable");
	if (cfg->direct)
		PARAM("sslnegotiation", "direct");
	PARAM("gssencmode", "disable");
	PARAM("connect_timeout", timeout);
	PARAM("application_name", application_name);
	keys[n] = vals[n] = NULL;
#undef PARAM
#undef PKI_FILE

	if (ctx->psql != NULL)
	{
		/* the benchmark's reference: connects only, classifies nothing */
		c->seen.ran = true;
		c->seen.outcome = ptp_run_psql(ctx->psql, keys, vals, ptp_server_view_query(ctx)) ?
			OUTCOME_TLS_UNVERIFIED : OUTCOME_REFUSED;
		for (int i = 0; i < n_owned; i++)
			free(owned[i]);
		return;
	}

	/*
	 * The case's anchor, as the client has it: before libpq 16,
	 * sslrootcert=system without a file "system" is none.
	 */
	store = cfg->anchor == ANCHOR_SYSTEM && ctx->libpq_major < 16 ? NULL :
		ctx->stores[cfg->anchor][cfg->crl == CRL_FILE || cfg->crl == CRL_DIR];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	conn = ptp_connect_quiet(keys, vals, ctx->timeout);
	c->seen.ran = true;
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		c->seen.outcome = OUTCOME_REFUSED;
		c->seen.error = one_line(conn ? PQerrorMessage(conn) : "out of memory");
	}
	else if (!PQsslInUse(conn))
		c->seen.outcome = OUTCOME_PLAINTEXT;
	else
	{
		SSL		   *ssl = PQsslStruct(conn, "OpenSSL");
		const char *protocol = PQsslAttribute(conn, "protocol");

		c->seen.protocol = protocol ? ptp_strdup(protocol) : NULL;
		c->seen.fingerprint = ssl ? ptp_fingerprint(SSL_get0_peer_certificate(ssl)) : NULL;
		c->seen.outcome = ssl ? ptp_classify_tls(ssl, store, s->host) : OUTCOME_TLS_UNVERIFIED;
	}
	if (c->seen.outcome != OUTCOME_REFUSED)
		server_view(ctx, c, conn);
	PQfinish(conn);
	if (s->attack != ATTACK_NONE && ctx->proxy != NULL)
	{
		ProxyCapture cap;

		ptp_proxy_capture(ctx->proxy, application_name, &cap);
		c->seen.attack_accepted = cap.startup;
		c->seen.attacker_got = ptp_proxy_describe(&cap);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	c->seen.ms = (t1.tv_sec - t0.tv_sec) * 1000.0 + (t1.tv_nsec - t0.tv_nsec) / 1e6;

	for (int i = 0; i < n_owned; i++)
		free(owned[i]);
}
