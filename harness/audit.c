/*-------------------------------------------------------------------------
 *
 * audit.c
 *		The "audit" subcommand: judge a user's own connection string
 *		against its real server, directly and through every attacker.
 *
 * The connection string is handed to libpq unchanged, so everything libpq
 * honours applies: PG* variables, service files, .pgpass, multi-host
 * strings, sslcert/sslkey.  The attacks reuse it with the network path
 * rewritten: hostaddr and port lead to an attacker proxy in front of the
 * server the direct connection reached, while host stays, so libpq checks
 * the certificate against the name the user wrote.
 *
 * Secrets never appear in any output: the connection string is shown
 * without password or sslpassword, and every message printed is scrubbed
 * of the password in use.
 *
 * harness/audit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "libpq-fe.h"
#include "matrix.h"
#include "pg_tls_probe.h"
#include "pqexpbuffer.h"
#include "proxy.h"

#define DEFAULT_TIMEOUT		10
#define MISMATCH_HOST		"pg-tls-probe-wrong-name.invalid"
#define MAX_SECRETS			4

/* One attack of the audit: a proxy, or the direct hostname-mismatch probe. */
typedef struct AttackSpec
{
	const char *name;
	AttackKind	kind;
	const char *forgery;		/* "self-signed", "copied", or NULL */
	int			min_libpq;
	const char *explains;
} AttackSpec;

static const AttackSpec attacks[] = {
	{"strip", ATTACK_STRIP, NULL, 0, "answers the SSLRequest with N"},
	{"forge-self-signed", ATTACK_FORGE, "self-signed", 0, "completes TLS on a self-signed copy of the server's certificate"},
	{"forge-copied-names", ATTACK_FORGE, "copied", 0, "completes TLS on the server's names issued by an attacker CA"},
	{"inject", ATTACK_INJECT, "self-signed", 0, "answers S plus plaintext bytes (CVE-2021-23222)"},
	{"error-before-tls", ATTACK_ERROR, NULL, 0, "answers the SSLRequest with an ErrorResponse (CVE-2024-10977)"},
	{"direct-forge", ATTACK_DIRECT, "self-signed", 17, "completes a direct TLS handshake on a forged certificate"},
	{"direct-no-alpn", ATTACK_DIRECT_NO_ALPN, "self-signed", 17, "completes a direct TLS handshake without ALPN"},
	{"hostname-mismatch", ATTACK_NONE, NULL, 0, "the real server's address under another name"},
};

typedef struct AttackResult
{
	bool		ran;
	char	   *skipped;		/* why it did not run */
	Outcome		outcome;
	bool		accepted;		/* the attacker got the startup (or the mismatch connected) */
	char	   *detail;
} AttackResult;

typedef struct Audit
{
	char	   *display;		/* the connection string, secrets redacted */
	char	   *secrets[MAX_SECRETS];
	PQExpBufferData notes;
	bool		could_not_run;
	char	   *error;
	/* the direct connection */
	char	   *host;
	char	   *hostaddr;
	char	   *port;
	Outcome		direct;
	char	   *protocol;
	char	   *cipher;
	PQExpBufferData chain;
	char	   *server_view;
	bool		intercepted;
	X509	   *leaf;
	AttackResult results[lengthof(attacks)];
	bool		pass;
} Audit;

typedef struct AuditOptions
{
	bool		json;
	int			timeout;
	int			jobs;
	const char *fleet;
	const char *psql;			/* --engine psql: attacks made by psql processes */
} AuditOptions;

/*
 * scrub
 *		msg with every secret of a replaced by asterisks, malloc'd.
 */
static char *
scrub(const Audit *a, const char *msg)
{
	char	   *out = ptp_strdup(msg ? msg : "");

	for (int i = 0; i < MAX_SECRETS; i++)
	{
		const char *secret = a->secrets[i];
		char	   *hit;

		if (secret == NULL || strlen(secret) < 1)
			continue;
		while ((hit = strstr(out, secret)) != NULL)
		{
			char	   *next = ptp_psprintf("%.*s********%s", (int) (hit - out), out, hit + strlen(secret));

			free(out);
			out = next;
		}
	}
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	for (size_t len = strlen(out); len > 0 && out[len - 1] == ' '; len--)
		out[len - 1] = '\0';
	return out;
}

static void
add_secret(Audit *a, const char *secret)
{
	if (secret == NULL || secret[0] == '\0')
		return;
	for (int i = 0; i < MAX_SECRETS; i++)
	{
		if (a->secrets[i] != NULL && strcmp(a->secrets[i], secret) == 0)
			return;
		if (a->secrets[i] == NULL)
		{
			a->secrets[i] = ptp_strdup(secret);
			return;
		}
	}
}

/*
 * describe_conninfo
 *		The options the user gave, as keyword=value, secrets replaced;
 *		collects the secrets.  False (with a->error set) when libpq cannot
 *		parse it.
 */
static bool
describe_conninfo(Audit *a, const char *conninfo, PQconninfoOption **parsed)
{
	char	   *err = NULL;
	PQExpBufferData buf;

	*parsed = PQconninfoParse(conninfo, &err);
	if (*parsed == NULL)
	{
		/* libpq's message may quote the string; nothing of it is trusted */
		a->error = ptp_psprintf("invalid connection string: %s", err ? err : "out of memory");
		PQfreemem(err);
		return false;
	}
	initPQExpBuffer(&buf);
	for (PQconninfoOption *o = *parsed; o->keyword != NULL; o++)
	{
		bool		secret = strcmp(o->keyword, "password") == 0 || strcmp(o->keyword, "sslpassword") == 0;

		if (o->val == NULL)
			continue;
		if (secret)
			add_secret(a, o->val);
		appendPQExpBuffer(&buf, "%s%s=%s", buf.len ? " " : "", o->keyword,
						  secret ? "********" : o->val);
	}
	a->display = ptp_strdup(buf.len ? buf.data : "(from the environment)");
	termPQExpBuffer(&buf);
	return true;
}

static const char *
option(const PQconninfoOption *opts, const char *keyword)
{
	for (; opts != NULL && opts->keyword != NULL; opts++)
		if (strcmp(opts->keyword, keyword) == 0)
			return opts->val;
	return NULL;
}

/*
 * explain_limits
 *		Notes on what this libpq makes of the settings, where it differs
 *		from what the user probably meant.
 */
static void
explain_limits(Audit *a, const PQconninfoOption *given, int libpq)
{
	const char *rootcert = option(given, "sslrootcert");
	const char *mode = option(given, "sslmode");

	/* what the string leaves unset, libpq takes from the environment */
	if (rootcert == NULL)
		rootcert = getenv("PGSSLROOTCERT");
	if (mode == NULL)
		mode = getenv("PGSSLMODE");
	appendPQExpBuffer(&a->notes, "libpq %d; ", libpq);

	if (rootcert && strcmp(rootcert, "system") == 0 && libpq < 16)
		appendPQExpBuffer(&a->notes, "libpq %d reads sslrootcert=system as a file named \"system\" "
						  "(the system store needs libpq 16 or later); ", libpq);
	if (mode == NULL || strcmp(mode, "prefer") == 0)
		appendPQExpBufferStr(&a->notes, "sslmode is prefer (libpq's default when none is set): "
							 "TLS is tried, and plaintext accepted when it fails; ");
	if ((mode != NULL && strcmp(mode, "require") == 0) && (rootcert == NULL || rootcert[0] == '\0'))
		appendPQExpBufferStr(&a->notes, "sslmode=require verifies nothing unless a root certificate file exists; ");
	if (mode != NULL && strcmp(mode, "verify-ca") == 0)
		appendPQExpBufferStr(&a->notes, "sslmode=verify-ca checks the chain but not the host name; ");
}

/*
 * trust_store
 *		The store libpq verified against, from the effective settings:
 *		sslrootcert (or ~/.postgresql/root.crt), "system" as OpenSSL's
 *		default paths, plus sslcrl.  NULL when there is none.
 */
static X509_STORE *
trust_store(const PQconninfoOption *effective)
{
	const char *rootcert = option(effective, "sslrootcert");
	const char *crl = option(effective, "sslcrl");
	char	   *path = NULL;
	X509_STORE *store = X509_STORE_new();
	bool		ok;

	if (store == NULL)
		return NULL;
	if (rootcert != NULL && strcmp(rootcert, "system") == 0)
		ok = X509_STORE_set_default_paths(store) == 1;
	else
	{
		struct stat st;

		if (rootcert != NULL && rootcert[0] != '\0')
			path = ptp_strdup(rootcert);
		else if (getenv("HOME") != NULL)
			path = ptp_psprintf("%s/.postgresql/root.crt", getenv("HOME"));
		ok = path != NULL && stat(path, &st) == 0 && X509_STORE_load_file(store, path) == 1;
	}
	if (ok && crl != NULL && crl[0] != '\0')
		ok = X509_STORE_load_file(store, crl) == 1 &&
			X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) == 1;
	free(path);
	ERR_clear_error();
	if (!ok)
	{
		X509_STORE_free(store);
		return NULL;
	}
	return store;
}

/*
 * describe_chain
 *		One line per certificate the server sent: subject, issuer, SANs,
 *		expiry and days left.
 */
static void
describe_chain(Audit *a, SSL *ssl)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);

	for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++)
	{
		X509	   *cert = sk_X509_value(chain, i);
		char		subject[512] = "",
					issuer[512] = "";
		BIO		   *bio = BIO_new(BIO_s_mem());
		GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
		int			days = 0,
					secs = 0;
		char		expiry[64] = "";
		struct tm	tm;

		if (bio != NULL)
		{
			int			n;

			X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
			n = BIO_read(bio, subject, sizeof(subject) - 1);
			subject[Max(n, 0)] = '\0';
			(void) BIO_reset(bio);
			X509_NAME_print_ex(bio, X509_get_issuer_name(cert), 0, XN_FLAG_RFC2253);
			n = BIO_read(bio, issuer, sizeof(issuer) - 1);
			issuer[Max(n, 0)] = '\0';
			BIO_free(bio);
		}
		if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
			strftime(expiry, sizeof(expiry), "%Y-%m-%d %H:%M:%S UTC", &tm);
		(void) ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert));
		appendPQExpBuffer(&a->chain, "[%d] subject %s; issuer %s; SAN", i, subject, issuer);
		for (int j = 0; sans != NULL && j < sk_GENERAL_NAME_num(sans); j++)
		{
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, j);

			if (gn->type == GEN_DNS)
				appendPQExpBuffer(&a->chain, " DNS:%.*s", ASN1_STRING_length(gn->d.dNSName),
								  (const char *) ASN1_STRING_get0_data(gn->d.dNSName));
			else if (gn->type == GEN_IPADD)
			{
				char		text[INET6_ADDRSTRLEN] = "?";
				int			len = ASN1_STRING_length(gn->d.iPAddress);

				if (len == 4 || len == 16)
					inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(gn->d.iPAddress),
							  text, sizeof(text));
				appendPQExpBuffer(&a->chain, " IP:%s", text);
			}
		}
		if (sans == NULL)
			appendPQExpBufferStr(&a->chain, " (none)");
		appendPQExpBuffer(&a->chain, "; expires %s (%d days left)\n", expiry, days);
		GENERAL_NAMES_free(sans);
		ERR_clear_error();
	}
}

/*
 * server_view
 *		What the server says it served this session, from pg_tls_audit when
 *		installed there, else pg_stat_ssl.
 */
static void
server_view(Audit *a, PGconn *conn, const char *client_fp)
{
	PGresult   *res = PQexec(conn, "SELECT quote_ident(n.nspname) FROM pg_extension e "
								"JOIN pg_namespace n ON n.oid = e.extnamespace "
								"WHERE e.extname = 'pg_tls_audit'");
	char	   *query;
	char	   *served = NULL;
	bool		ssl = false;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		query = ptp_psprintf("SELECT s.ssl, c.sha256_fingerprint FROM %s.tls_session() s "
							 "LEFT JOIN %s.tls_server_certificate() c ON true",
							 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 0));
	else
		query = NULL;
	PQclear(res);

	res = PQexec(conn, query ? query : "SELECT ssl, NULL FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		char	   *msg = scrub(a, PQerrorMessage(conn));

		a->server_view = ptp_psprintf("could not be read: %s", msg);
		free(msg);
	}
	else
	{
		ssl = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		if (!PQgetisnull(res, 0, 1))
			served = ptp_strdup(PQgetvalue(res, 0, 1));
		if (ssl != (client_fp != NULL))
		{
			a->intercepted = true;
			a->server_view = ptp_psprintf("the server says this session %s TLS, the client saw the opposite (interception)",
										  ssl ? "uses" : "does not use");
		}
		else if (query == NULL)
			a->server_view = ptp_psprintf("pg_stat_ssl: TLS %s; the server's certificate could not be cross-checked "
										  "(pg_tls_audit is not installed in this database)", ssl ? "on" : "off");
		else if (client_fp != NULL && (served == NULL || strcmp(served, client_fp) != 0))
		{
			a->intercepted = true;
			a->server_view = ptp_psprintf("the server serves certificate %s, the client received %s (interception)",
										  served ? served : "(none)", client_fp);
		}
		else
			a->server_view = ptp_psprintf("tls_server_certificate(): %s", client_fp ?
										  "the certificate the client received is the one the server serves" :
										  "no TLS on either side");
	}
	PQclear(res);
	free(query);
	free(served);
}

/*
 * connect_with
 *		PQconnectdbParams on the user's string with overrides.
 */
static PGconn *
connect_with(const char *conninfo, const char *const *keys, const char *const *vals, int n)
{
	const char *k[16];
	const char *v[16];
	int			m = 0;
	PGconn	   *conn;

	k[m] = "dbname";
	v[m++] = conninfo;
	for (int i = 0; i < n && m < 15; i++)
	{
		k[m] = keys[i];
		v[m++] = vals[i];
	}
	k[m] = v[m] = NULL;
	conn = PQconnectdbParams(k, v, 1);
	ptp_quiet_notices(conn);
	return conn;
}

/*
 * psql_attempt
 *		The user's connection string with overrides, as one psql process.
 */
static bool
psql_attempt(const char *psql, const char *conninfo, const char *const *okeys,
			 const char *const *ovals, int n)
{
	PQconninfoOption *parsed = PQconninfoParse(conninfo, NULL);
	const char *keys[64];
	const char *vals[64];
	int			m = 0;
	bool		ok;

	for (PQconninfoOption *o = parsed; o != NULL && o->keyword != NULL && m < 40; o++)
	{
		bool		overridden = false;

		for (int i = 0; i < n; i++)
			overridden |= strcmp(okeys[i], o->keyword) == 0;
		if (o->val != NULL && !overridden)
		{
			keys[m] = o->keyword;
			vals[m++] = o->val;
		}
	}
	for (int i = 0; i < n; i++)
	{
		keys[m] = okeys[i];
		vals[m++] = ovals[i];
	}
	keys[m] = vals[m] = NULL;
	ok = ptp_run_psql(psql, keys, vals, "SELECT 1");
	PQconninfoFree(parsed);
	return ok;
}

/*
 * run_attack
 *		One attack: a proxy in front of the server the direct connection
 *		reached, and the user's connection string led to it.
 */
static void
run_attack(Audit *a, const AttackSpec *spec, AttackResult *r, const char *conninfo,
		   const char *password, const AuditOptions *opts, X509_STORE *store, int libpq, int index)
{
	ProxyOptions po = {0};
	Proxy	   *proxy = NULL;
	X509	   *cert = NULL,
			   *chain = NULL;
	EVP_PKEY   *key = NULL;
	int			port = 0;
	char		port_text[16],
				timeout[16],
				app[64];
	const char *keys[6];
	const char *vals[6];
	int			n = 0;
	PGconn	   *conn;

	if (spec->min_libpq > libpq)
	{
		r->skipped = ptp_psprintf("needs libpq %d (this is libpq %d)", spec->min_libpq, libpq);
		return;
	}
	snprintf(timeout, sizeof(timeout), "%d", opts->timeout);
	snprintf(app, sizeof(app), "pg_tls_probe audit %d", index);
	if (spec->kind != ATTACK_NONE)
	{
		po.kind = spec->kind;
		po.upstream_addr = a->hostaddr;
		po.upstream_port = atoi(a->port);
		po.timeout_ms = opts->timeout * 1000;
		if (spec->forgery != NULL &&
			!ptp_mint_forgery(a->leaf, strcmp(spec->forgery, "self-signed") == 0, &cert, &key, &chain))
		{
			r->skipped = ptp_strdup("could not mint a forged certificate");
			return;
		}
		po.cert = cert;
		po.key = key;
		po.chain = chain;
		proxy = ptp_proxy_start(&po, &port);
		if (proxy == NULL)
		{
			r->skipped = ptp_strdup("could not start the attacker proxy");
			goto done;
		}
		snprintf(port_text, sizeof(port_text), "%d", port);
		keys[n] = "host", vals[n++] = a->host;
		keys[n] = "hostaddr", vals[n++] = "127.0.0.1";
		keys[n] = "port", vals[n++] = port_text;
	}
	else
	{
		keys[n] = "host", vals[n++] = MISMATCH_HOST;
		keys[n] = "hostaddr", vals[n++] = a->hostaddr;
		keys[n] = "port", vals[n++] = a->port;
	}
	if (password != NULL && password[0] != '\0')
		keys[n] = "password", vals[n++] = password;
	keys[n] = "application_name", vals[n++] = app;
	keys[n] = "connect_timeout", vals[n++] = timeout;

	if (opts->psql != NULL)
	{
		/* the benchmark's reference: the same attempt by one psql process */
		r->ran = true;
		r->outcome = psql_attempt(opts->psql, conninfo, keys, vals, n) ?
			OUTCOME_TLS_UNVERIFIED : OUTCOME_REFUSED;
		r->accepted = false;
		if (proxy != NULL)
		{
			ProxyCapture cap;

			ptp_proxy_capture(proxy, app, &cap);
			r->accepted = cap.startup;
		}
		r->detail = ptp_strdup("made by psql (not classified)");
		goto done;
	}
	conn = connect_with(conninfo, keys, vals, n);
	r->ran = true;
	if (PQstatus(conn) != CONNECTION_OK)
		r->outcome = OUTCOME_REFUSED;
	else if (!PQsslInUse(conn))
		r->outcome = OUTCOME_PLAINTEXT;
	else
		r->outcome = ptp_classify_tls(PQsslStruct(conn, "OpenSSL"), store,
									  spec->kind == ATTACK_NONE ? MISMATCH_HOST : a->host);
	if (proxy != NULL)
	{
		ProxyCapture cap;

		ptp_proxy_capture(proxy, app, &cap);
		r->accepted = cap.startup;
		r->detail = ptp_proxy_describe(&cap);
	}
	else
	{
		r->accepted = r->outcome != OUTCOME_REFUSED;
		r->detail = ptp_strdup(r->accepted ?
							   "libpq accepted the server's certificate for a name it does not carry" :
							   "the other name was refused");
	}
	if (r->outcome == OUTCOME_REFUSED)
	{
		char	   *msg = scrub(a, PQerrorMessage(conn));
		char	   *d = ptp_psprintf("%s; libpq said: %s", r->detail, msg);

		free(r->detail);
		free(msg);
		r->detail = d;
	}
	PQfinish(conn);

done:
	ptp_proxy_stop(proxy);
	X509_free(cert);
	X509_free(chain);
	EVP_PKEY_free(key);
}

/*
 * placeholder_victim
 *		A certificate naming host, for forgeries when the server showed
 *		none (a plaintext direct connection).  NULL with a failure recorded.
 */
static X509 *
placeholder_victim(const char *host)
{
	PtpNameEntry name[] = {{NID_commonName, 0, host, 0}};
	PtpCertSpec spec = {
		.subject = name,
		.n_subject = 1,
		.key_type = PTP_KEY_EC_P256,
		.not_before = -PTP_HOUR,
		.not_after = PTP_DAY,
	};
	X509	   *cert = NULL;
	EVP_PKEY   *key = NULL;

	if (!ptp_cert_build(&spec, &cert, &key))
		return NULL;
	EVP_PKEY_free(key);
	return cert;
}

/*
 * audit_one
 *		Audits one connection string into a.
 */
static void
audit_one(Audit *a, const char *conninfo, const AuditOptions *opts, int index)
{
	int			libpq = PQlibVersion() / 10000;
	PQconninfoOption *parsed = NULL;
	PQconninfoOption *effective = NULL;
	X509_STORE *store = NULL;
	PGconn	   *conn = NULL;
	char		timeout[16];
	char		app[64];
	const char *keys[2];
	const char *vals[2];
	char	   *password = NULL;
	char	   *client_fp = NULL;

	initPQExpBuffer(&a->notes);
	initPQExpBuffer(&a->chain);
	if (!describe_conninfo(a, conninfo, &parsed))
	{
		a->could_not_run = true;
		return;
	}

	explain_limits(a, parsed, libpq);
	snprintf(timeout, sizeof(timeout), "%d", opts->timeout);
	snprintf(app, sizeof(app), "pg_tls_probe audit %d", index);
	keys[0] = "application_name", vals[0] = app;
	keys[1] = "connect_timeout", vals[1] = option(parsed, "connect_timeout") ? option(parsed, "connect_timeout") : timeout;
	conn = connect_with(conninfo, keys, vals, 2);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		char	   *msg = scrub(a, conn ? PQerrorMessage(conn) : "out of memory");

		a->could_not_run = true;
		a->error = ptp_psprintf("could not connect directly: %s", msg);
		free(msg);
		goto done;
	}
	effective = PQconninfo(conn);
	password = PQpass(conn) ? ptp_strdup(PQpass(conn)) : NULL;
	add_secret(a, password);
	add_secret(a, option(effective, "sslpassword"));
	a->host = ptp_strdup(PQhost(conn));
	a->hostaddr = ptp_strdup(PQhostaddr(conn) ? PQhostaddr(conn) : "");
	a->port = ptp_strdup(PQport(conn));

	if (!PQsslInUse(conn))
		a->direct = OUTCOME_PLAINTEXT;
	else
	{
		SSL		   *ssl = PQsslStruct(conn, "OpenSSL");

		store = trust_store(effective);
		a->protocol = ptp_strdup(PQsslAttribute(conn, "protocol"));
		a->cipher = ptp_strdup(PQsslAttribute(conn, "cipher"));
		a->direct = ptp_classify_tls(ssl, store, a->host);
		a->leaf = X509_dup(SSL_get0_peer_certificate(ssl));
		client_fp = ptp_fingerprint(a->leaf);
		describe_chain(a, ssl);
	}
	server_view(a, conn, client_fp);
	PQfinish(conn);
	conn = NULL;

	if (a->host[0] == '/' || a->hostaddr[0] == '\0')
		appendPQExpBufferStr(&a->notes, "the connection uses a Unix socket: there is no network to attack; ");
	else
	{
		for (size_t i = 0; i < lengthof(attacks); i++)
		{
			/* forgeries copy the server's certificate, or the host name without TLS */
			if (attacks[i].forgery != NULL && a->leaf == NULL)
				a->leaf = placeholder_victim(a->host);
			if (attacks[i].forgery != NULL && a->leaf == NULL)
			{
				a->results[i].skipped = ptp_strdup("could not mint a forged certificate");
				continue;
			}
			run_attack(a, &attacks[i], &a->results[i], conninfo, password, opts, store, libpq, index * 100 + (int) i);
		}
	}

	a->pass = a->direct == OUTCOME_TLS_VERIFIED && !a->intercepted;
	for (size_t i = 0; i < lengthof(attacks); i++)
		if (a->results[i].ran && a->results[i].accepted)
			a->pass = false;

done:
	if (conn)
		PQfinish(conn);
	PQconninfoFree(parsed);
	PQconninfoFree(effective);
	X509_STORE_free(store);
	if (password)
	{
		explicit_bzero(password, strlen(password));
		free(password);
	}
	free(client_fp);
}

static void
print_text(FILE *out, const Audit *a)
{
	fprintf(out, "audit of: %s\n", a->display ? a->display : "(unparsable connection string)");
	if (a->notes.len)
		fprintf(out, "  notes: %s\n", a->notes.data);
	if (a->error)
	{
		fprintf(out, "  could not run: %s\n", a->error);
		return;
	}
	fprintf(out, "  direct connection to %s (%s) port %s: %s", a->host, a->hostaddr, a->port,
			outcome_names[a->direct]);
	if (a->protocol)
		fprintf(out, ", %s %s", a->protocol, a->cipher);
	fputc('\n', out);
	if (a->chain.len)
	{
		fprintf(out, "  certificate chain:\n");
		for (const char *line = a->chain.data; *line;)
		{
			const char *end = strchr(line, '\n');

			fprintf(out, "    %.*s\n", (int) (end ? end - line : (long) strlen(line)), line);
			line = end ? end + 1 : line + strlen(line);
		}
	}
	fprintf(out, "  server's view: %s\n", a->server_view ? a->server_view : "(none)");
	fprintf(out, "  attacks:\n");
	for (size_t i = 0; i < lengthof(attacks); i++)
	{
		const AttackResult *r = &a->results[i];

		if (r->skipped)
			fprintf(out, "    %-20s n/a   %s\n", attacks[i].name, r->skipped);
		else if (r->ran)
			fprintf(out, "    %-20s %s  %s: %s\n", attacks[i].name, r->accepted ? "FAIL" : "pass",
					outcome_names[r->outcome], r->detail);
	}
	fprintf(out, "  verdict: %s\n", a->pass ? "PASS: the direct connection is tls-verified and every attack was refused" :
			"FAIL: see the lines marked FAIL above, the direct connection's class and the server's view");
}

static void
print_json(FILE *out, const Audit *a)
{
	fputs("{\"connection\": ", out);
	ptp_json_string(out, a->display);
	fputs(", \"error\": ", out);
	ptp_json_string(out, a->error);
	fputs(", \"notes\": ", out);
	ptp_json_string(out, a->notes.len ? a->notes.data : NULL);
	if (!a->could_not_run)
	{
		fputs(", \"host\": ", out);
		ptp_json_string(out, a->host);
		fputs(", \"hostaddr\": ", out);
		ptp_json_string(out, a->hostaddr);
		fputs(", \"port\": ", out);
		ptp_json_string(out, a->port);
		fprintf(out, ", \"direct\": \"%s\", \"protocol\": ", outcome_names[a->direct]);
		ptp_json_string(out, a->protocol);
		fputs(", \"cipher\": ", out);
		ptp_json_string(out, a->cipher);
		fputs(", \"chain\": ", out);
		ptp_json_string(out, a->chain.len ? a->chain.data : NULL);
		fputs(", \"server_view\": ", out);
		ptp_json_string(out, a->server_view);
		fprintf(out, ", \"interception\": %s, \"attacks\": [", a->intercepted ? "true" : "false");
		for (size_t i = 0; i < lengthof(attacks); i++)
		{
			const AttackResult *r = &a->results[i];

			fprintf(out, "%s{\"attack\": \"%s\", ", i ? ", " : "", attacks[i].name);
			if (r->skipped || !r->ran)
			{
				fputs("\"ran\": false, \"why\": ", out);
				ptp_json_string(out, r->skipped);
			}
			else
			{
				fprintf(out, "\"ran\": true, \"observed\": \"%s\", \"accepted\": %s, \"detail\": ",
						outcome_names[r->outcome], r->accepted ? "true" : "false");
				ptp_json_string(out, r->detail);
			}
			fputc('}', out);
		}
		fputc(']', out);
	}
	fprintf(out, ", \"verdict\": \"%s\"}\n", a->could_not_run ? "could not run" : a->pass ? "pass" : "fail");
}

typedef struct FleetQueue
{
	char	  **lines;
	Audit	   *audits;
	int			n;
	int			next;
	const AuditOptions *opts;
	pthread_mutex_t lock;
} FleetQueue;

static void *
fleet_worker(void *arg)
{
	FleetQueue *q = arg;

	for (;;)
	{
		int			i;

		pthread_mutex_lock(&q->lock);
		i = q->next < q->n ? q->next++ : -1;
		pthread_mutex_unlock(&q->lock);
		if (i < 0)
			return NULL;
		audit_one(&q->audits[i], q->lines[i], q->opts, i + 1);
	}
}

static void
audit_usage(void)
{
	printf("Audit a connection string against its real server: connect directly, then through\n");
	printf("attacker proxies (strip, forged certificates, injected bytes, an error before TLS,\n");
	printf("direct TLS) and under another host name; one verdict per attack.\n\n");
	printf("Usage:\n  %s audit [OPTION]... CONNINFO\n  %s audit [OPTION]... --fleet FILE\n\n",
		   PTP_PROGNAME, PTP_PROGNAME);
	printf("CONNINFO is a keyword=value string or a postgresql:// URI, as libpq takes it; PG*\n");
	printf("variables, service files and .pgpass apply as they would for the client.\n\n");
	printf("Options:\n");
	printf("  --format table|json  output format (default: table)\n");
	printf("  --fleet FILE         audit every connection string in FILE (one per line;\n");
	printf("                       blank lines and lines starting with # are skipped)\n");
	printf("  --jobs N             fleet audits run at once (default: number of CPUs)\n");
	printf("  --timeout SECS       per-connection timeout (default %d)\n", DEFAULT_TIMEOUT);
	printf("  --engine libpq|psql  psql: make the attacks' connections with psql processes\n");
	printf("                       (the benchmark's reference; verdicts are not classified)\n");
	printf("  -h, --help           show this help, then exit\n\n");
	printf("Exit status: 0 the direct connection is tls-verified and every attack was refused,\n");
	printf("1 otherwise, 2 could not run.  Passwords never appear in the output.\n");
}

/*
 * read_fleet
 *		The connection strings of FILE.  NULL with a failure recorded.
 */
static char **
read_fleet(const char *path, int *n)
{
	FILE	   *fp = fopen(path, "r");
	char	  **lines = NULL;
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		len;

	*n = 0;
	if (fp == NULL)
	{
		ptp_fail("could not open fleet file \"%s\": %s", path, strerror(errno));
		return NULL;
	}
	while ((len = getline(&line, &cap, fp)) >= 0)
	{
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		lines = realloc(lines, (*n + 1) * sizeof(char *));
		if (lines == NULL)
		{
			fprintf(stderr, "%s: out of memory\n", PTP_PROGNAME);
			exit(PTP_EXIT_ERROR);
		}
		lines[(*n)++] = ptp_strdup(line);
	}
	free(line);
	fclose(fp);
	if (*n == 0)
	{
		ptp_fail("fleet file \"%s\" holds no connection string", path);
		free(lines);
		return NULL;
	}
	return lines;
}

/*
 * ptp_audit_main
 *		Entry point of "pg_tls_probe audit".  Returns the exit code.
 */
int
ptp_audit_main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"help", no_argument, NULL, 'h'},
		{"format", required_argument, NULL, 1},
		{"fleet", required_argument, NULL, 2},
		{"jobs", required_argument, NULL, 3},
		{"timeout", required_argument, NULL, 4},
		{"engine", required_argument, NULL, 5},
		{NULL, 0, NULL, 0}
	};
	AuditOptions opts = {false, DEFAULT_TIMEOUT, 0, NULL, NULL};
	char	   *psql = NULL;
	long		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char	  **lines;
	int			n;
	Audit	   *audits;
	int			c;
	int			failed = 0,
				broken = 0;

	opts.jobs = cpus > 0 ? (int) Min(cpus, 32) : 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'h':
				audit_usage();
				return PTP_EXIT_OK;
			case 1:
				if (strcmp(optarg, "json") == 0)
					opts.json = true;
				else if (strcmp(optarg, "table") != 0)
					return ptp_usage_error("audit", "invalid --format \"%s\" (table or json)", optarg);
				break;
			case 2:
				opts.fleet = optarg;
				break;
			case 3:
				if (!ptp_parse_int(optarg, 1, 64, &opts.jobs))
					return ptp_usage_error("audit", "invalid --jobs \"%s\" (1 to 64)", optarg);
				break;
			case 4:
				if (!ptp_parse_int(optarg, 2, 3600, &opts.timeout))
					return ptp_usage_error("audit", "invalid --timeout \"%s\" (seconds, 2 to 3600)", optarg);
				break;
			case 5:
				if (strcmp(optarg, "psql") == 0)
				{
					psql = ptp_find_psql(NULL);
					if (psql == NULL)
						return ptp_report_failure();
					opts.psql = psql;
				}
				else if (strcmp(optarg, "libpq") != 0)
					return ptp_usage_error("audit", "invalid --engine \"%s\" (libpq or psql)", optarg);
				break;
			case ':':
				return ptp_usage_error("audit", "option \"%s\" requires an argument", argv[optind - 1]);
			default:
				return ptp_usage_error("audit", "unrecognized option \"%s\"", argv[optind - 1]);
		}
	}
	if (opts.fleet != NULL)
	{
		if (optind < argc)
			return ptp_usage_error("audit", "give either CONNINFO or --fleet, not both");
		lines = read_fleet(opts.fleet, &n);
		if (lines == NULL)
			return ptp_report_failure();
	}
	else
	{
		if (optind >= argc)
			return ptp_usage_error("audit", "missing CONNINFO (use \"\" for the environment's defaults)");
		if (argc - optind > 1)
			return ptp_usage_error("audit", "too many arguments (quote the connection string)");
		n = 1;
		lines = ptp_malloc0(sizeof(char *));
		lines[0] = ptp_strdup(argv[optind]);
	}

	signal(SIGPIPE, SIG_IGN);
	audits = ptp_malloc0(n * sizeof(Audit));
	{
		FleetQueue	q = {lines, audits, n, 0, &opts, PTHREAD_MUTEX_INITIALIZER};
		pthread_t	threads[64];
		int			started = 0;

		for (int i = 0; i < opts.jobs && i < n; i++)
			if (pthread_create(&threads[started], NULL, fleet_worker, &q) == 0)
				started++;
		if (started == 0)
			fleet_worker(&q);
		for (int i = 0; i < started; i++)
			pthread_join(threads[i], NULL);
	}

	if (opts.json && n > 1)
		fputs("[\n", stdout);
	for (int i = 0; i < n; i++)
	{
		Audit	   *a = &audits[i];

		if (opts.json)
		{
			print_json(stdout, a);
			if (n > 1 && i + 1 < n)
				fputs(",\n", stdout);
		}
		else if (opts.fleet == NULL)
			print_text(stdout, a);
		broken += a->could_not_run;
		failed += !a->could_not_run && !a->pass;
	}
	if (opts.json && n > 1)
		fputs("]\n", stdout);
	if (!opts.json && opts.fleet != NULL)
	{
		printf("%-6s %-18s %-8s %s\n", "#", "direct", "attacks", "connection (verdict)");
		for (int i = 0; i < n; i++)
		{
			Audit	   *a = &audits[i];
			int			accepted = 0;
			char	   *count;

			for (size_t k = 0; k < lengthof(attacks); k++)
				accepted += a->results[k].ran && a->results[k].accepted;
			count = ptp_psprintf("%d/%d", accepted, (int) lengthof(attacks));

			printf("%-6d %-18s %-8s %s (%s)\n", i + 1,
				   a->could_not_run ? "-" : outcome_names[a->direct],
				   a->could_not_run ? "-" : count,
				   a->display ? a->display : "(unparsable)",
				   a->could_not_run ? a->error : a->pass ? "pass" : "FAIL");
			free(count);
		}
		printf("fleet: %d audited, %d pass, %d fail, %d could not run\n", n - broken, n - broken - failed, failed, broken);
	}
	if (n == 1 && broken == 1)
		fprintf(stderr, "%s: %s\n", PTP_PROGNAME, audits[0].error ? audits[0].error : "could not run");
	return failed > 0 ? PTP_EXIT_DEVIATION : broken > 0 ? PTP_EXIT_ERROR : PTP_EXIT_OK;
}
