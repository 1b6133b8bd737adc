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
 * The verdict needs three things: the direct connection tls-verified,
 * its path confirmed and every attack refused.  The path is confirmed when
 * the certificate the client received is the one the server serves, by
 * one of three oracles: SCRAM channel binding (one extra connection with
 * channel_binding=require: the server's tls-server-end-point hash must
 * match what the client saw), a certificate the user pinned, or the
 * server's own view through pg_tls_audit (weak: it travels inside the
 * session it vouches for).  None applicable is UNCONFIRMED, never PASS.
 *
 * A configuration whose own TLS settings stop it from connecting is a
 * finding, and the attacks still run; only an unreachable server, a string
 * that does not parse and failed authentication are "could not run".
 * Every connection and query ends within --timeout, whatever the string's
 * connect_timeout says (ptp_connect_bounded, ptp_exec_bounded).
 *
 * Secrets never appear in any output: the connection string is printed
 * from its parsed fields with its secrets masked (harness/redact.c), a
 * string that does not parse is never printed, and libpq's messages never
 * carry a password (the server's may quote a dbname that holds one:
 * ptp_libpq_message() leaves those quotes out).  Every line and JSON string
 * is made printable (harness/printable.c), so no value can steer a
 * terminal or forge a line of the report.
 *
 * harness/audit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <pwd.h>

#include "audit.h"
#include "libpq-fe.h"
#include "pg_tls_probe.h"

#define DEFAULT_TIMEOUT		10
#define MISMATCH_HOST		"pg-tls-probe-wrong-name.invalid"

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

StaticAssertDecl(lengthof(attacks) == AUDIT_ATTACKS, "AUDIT_ATTACKS counts the attacks");

static const char *const path_names[] = {"unconfirmed", "confirmed", "intercepted"};

static const struct
{
	const char *id;				/* JSON */
	const char *label;			/* table */
	const char *strength;
} oracle_info[ORACLE_COUNT] = {
	{"channel-binding", "SCRAM channel binding", "strong"},
	{"pin", "the pinned certificate", "strong"},
	{"server-view", "the server's view (pg_tls_audit)", "weak"},
};

/* Appends one note; the separator goes between notes, never after. */
static void
add_note(Audit *a, const char *fmt,...) pg_attribute_printf(2, 3);

static void
add_note(Audit *a, const char *fmt,...)
{
	va_list		args;
	char		note[1024];

	va_start(args, fmt);
	vsnprintf(note, sizeof(note), fmt, args);
	va_end(args);
	appendPQExpBuffer(&a->notes, "%s%s", a->notes.len ? "; " : "", note);
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
 * describe_conninfo
 *		The options the user gave, as keyword=value from libpq's parse,
 *		secrets masked (ptp_conninfo_display()).  False (with a->error set)
 *		when libpq cannot parse it, or parses a URI into something else than
 *		was written (ptp_uri_userinfo_ends_early()).  Neither message quotes
 *		the string, nor does libpq's own complaint reach the output: it
 *		quotes the string.
 */
static bool
describe_conninfo(Audit *a, const char *conninfo, PQconninfoOption **parsed)
{
	char	   *err = NULL;
	char	   *why;

	*parsed = PQconninfoParse(conninfo, &err);
	if (*parsed == NULL)
	{
		why = ptp_conninfo_error(conninfo);
		a->error = ptp_psprintf("invalid connection string (not shown: it may hold a password): %s",
								why ? why : err ? "libpq could not parse it" : "out of memory");
		free(why);
		PQfreemem(err);
		return false;
	}
	if (ptp_uri_userinfo_ends_early(conninfo, *parsed))
	{
		a->error = ptp_strdup("invalid connection string (not shown: it may hold a password): the URI's "
							  "user information ends early, at an \"@\" or \"/\" of the password; "
							  "write them percent-encoded (%40, %2F)");
		return false;
	}
	a->display = ptp_conninfo_display(*parsed);
	if (a->display[0] == '\0')
	{
		free(a->display);
		a->display = ptp_strdup("(from the environment)");
	}
	return true;
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
	add_note(a, "libpq %d", libpq);

	if (rootcert && strcmp(rootcert, "system") == 0 && libpq < 16)
		add_note(a, "libpq %d reads sslrootcert=system as a file named \"system\" in the working directory "
				 "(the system store needs libpq 16 or later)", libpq);
	if (mode == NULL || strcmp(mode, "prefer") == 0)
		add_note(a, "sslmode is prefer (libpq's default when none is set): "
				 "TLS is tried, and plaintext accepted when it fails");
	if ((mode != NULL && strcmp(mode, "require") == 0) && (rootcert == NULL || rootcert[0] == '\0'))
		add_note(a, "sslmode=require verifies nothing unless a root certificate file exists");
	if (mode != NULL && strcmp(mode, "verify-ca") == 0)
		add_note(a, "sslmode=verify-ca checks the chain but not the host name");
}

/*
 * libpq_home
 *		The directory libpq looks in for ~/.postgresql: $HOME, else the
 *		passwd entry of the effective user.  malloc'd, NULL for none.
 */
static char *
libpq_home(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && home[0] != '\0')
		return ptp_strdup(home);
	pw = getpwuid(geteuid());
	return pw != NULL && pw->pw_dir != NULL ? ptp_strdup(pw->pw_dir) : NULL;
}

/*
 * trust_store
 *		The store the client's libpq verified against, built the way libpq
 *		builds it: sslrootcert, else ~/.postgresql/root.crt, loaded only
 *		when the file exists; "system" is OpenSSL's default store from
 *		libpq 16 on, and before that a file named "system" in the working
 *		directory.  With a root file, sslcrl and sslcrldir (else
 *		~/.postgresql/root.crl) are checked for the whole chain when they
 *		load; a missing CRL is no CRL, as for libpq.  NULL when libpq had
 *		no trust anchor (it verified nothing).
 */
static X509_STORE *
trust_store(const PQconninfoOption *effective, int libpq)
{
	const char *rootcert = option(effective, "sslrootcert");
	const char *crl = option(effective, "sslcrl");
	const char *crldir = option(effective, "sslcrldir");
	char	   *home = libpq_home();
	char	   *path = NULL;
	char	   *default_crl = NULL;
	X509_STORE *store = X509_STORE_new();
	struct stat st;
	bool		ok;

	if (store == NULL)
	{
		free(home);
		return NULL;
	}
	if (rootcert != NULL && strcmp(rootcert, "system") == 0 && libpq >= 16)
		ok = X509_STORE_set_default_paths(store) == 1;
	else
	{
		if (rootcert != NULL && rootcert[0] != '\0')
			path = ptp_strdup(rootcert);
		else if (home != NULL)
			path = ptp_psprintf("%s/.postgresql/root.crt", home);
		ok = path != NULL && stat(path, &st) == 0 && X509_STORE_load_file(store, path) == 1;
		if (ok)
		{
			if (crl != NULL && crl[0] == '\0')
				crl = NULL;
			if (crldir != NULL && crldir[0] == '\0')
				crldir = NULL;
			if (crl == NULL && crldir == NULL && home != NULL)
				crl = default_crl = ptp_psprintf("%s/.postgresql/root.crl", home);
			if ((crl != NULL || crldir != NULL) && X509_STORE_load_locations(store, crl, crldir) == 1)
				ok = X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) == 1;
		}
	}
	free(path);
	free(default_crl);
	free(home);
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
 * connect_with
 *		The user's connection string with overrides, connected within the
 *		deadline.
 */
static PGconn *
connect_with(const char *conninfo, const char *const *keys, const char *const *vals, int n,
			 const AuditOptions *opts, ConnectTrace *trace)
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
	conn = ptp_connect_bounded(k, v, 1, opts->timeout * 1000, trace);
	return conn;
}

/* libpq's message (or the deadline's), malloc'd, on one line (ptp_libpq_message). */
static char *
connection_error(PGconn *conn, const ConnectTrace *trace, const AuditOptions *opts)
{
	if (conn == NULL)
		return ptp_strdup("out of memory");
	if (trace->timed_out)
		return ptp_psprintf("no answer within %d s (--timeout)%s", opts->timeout,
							trace->reached ? " from a server that accepted the connection" : "");
	return ptp_libpq_message(conn);
}

/*
 * query_view
 *		One query of the server's view, within the deadline.  NULL with
 *		*why set (malloc'd) when it did not return one row.
 */
static PGresult *
query_view(PGconn *conn, const char *query, const AuditOptions *opts, char **why)
{
	bool		timed_out;
	PGresult   *res = ptp_exec_bounded(conn, query, opts->timeout * 1000, &timed_out);

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		return res;
	*why = timed_out ? ptp_psprintf("no answer within %d s (--timeout)", opts->timeout) :
		ptp_libpq_message(conn);
	PQclear(res);
	return NULL;
}

/*
 * server_view
 *		What the server says it served this session, from pg_tls_audit when
 *		installed there, else pg_stat_ssl: the weak oracle.  Every name is
 *		schema-qualified and the search path is pg_catalog alone, so that
 *		the target's objects cannot answer in the catalog's place.
 */
static void
server_view(Audit *a, PGconn *conn, const AuditOptions *opts)
{
	Oracle	   *o = &a->oracles[ORACLE_SERVER_VIEW];
	PGresult   *res;
	char	   *query = NULL;
	char	   *why = NULL;
	bool		ssl;

	res = query_view(conn, "SET search_path = pg_catalog; "
					 "SELECT (SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e "
					 "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace "
					 "WHERE e.extname OPERATOR(pg_catalog.=) 'pg_tls_audit')", opts, &why);
	if (res != NULL && !PQgetisnull(res, 0, 0))
		query = ptp_psprintf("SELECT s.ssl, c.sha256_fingerprint FROM %s.tls_session() s "
							 "LEFT JOIN %s.tls_server_certificate() c ON true",
							 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 0));
	PQclear(res);
	res = why ? NULL : query_view(conn, query ? query :
								  "SELECT ssl, NULL FROM pg_catalog.pg_stat_ssl "
								  "WHERE pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()",
								  opts, &why);
	if (res == NULL)
	{
		a->server_view = ptp_psprintf("could not be read: %s", why);
		o->detail = ptp_psprintf("the server's view could not be read: %s", why);
		free(why);
		free(query);
		return;
	}
	ssl = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	if (ssl != (a->fingerprint != NULL))
	{
		o->applies = true;
		o->verdict = PATH_INTERCEPTED;
		o->detail = ptp_psprintf("the server says this session %s TLS, the client saw the opposite",
								 ssl ? "uses" : "does not use");
	}
	else if (query == NULL)
		o->detail = ptp_psprintf("pg_tls_audit is not installed in this database, and pg_stat_ssl "
								 "(TLS %s) cannot show the server's certificate", ssl ? "on" : "off");
	else if (a->fingerprint == NULL)
		o->detail = ptp_strdup("no TLS on either side: no certificate to compare");
	else if (PQgetisnull(res, 0, 1) || strcmp(PQgetvalue(res, 0, 1), a->fingerprint) != 0)
	{
		o->applies = true;
		o->verdict = PATH_INTERCEPTED;
		o->detail = ptp_psprintf("the server serves certificate %s, the client received %s",
								 PQgetisnull(res, 0, 1) ? "(none)" : PQgetvalue(res, 0, 1), a->fingerprint);
	}
	else
	{
		o->applies = true;
		o->verdict = PATH_CONFIRMED;
		o->detail = ptp_strdup("tls_server_certificate() is the certificate the client received "
							   "(a row inside the session: an active attacker could rewrite it)");
	}
	a->server_view = ptp_psprintf("%s: TLS %s", query ? "tls_session()" : "pg_stat_ssl", ssl ? "on" : "off");
	PQclear(res);
	free(query);
}

/*
 * channel_binding
 *		The strong oracle without an extension: one more connection, to the
 *		address and port the direct one reached, with channel_binding=require.
 *		Its success proves that the server's tls-server-end-point hash is
 *		the hash of the certificate this client received; a failed check, or
 *		the server's complaint that the client was told of no -PLUS, means a
 *		middlebox re-terminated TLS.  -PLUS not offered over TLS is at best
 *		unconfirmed: a PostgreSQL server always offers it there.
 */
static void
channel_binding(Audit *a, const char *conninfo, const AuditOptions *opts, int index)
{
	Oracle	   *o = &a->oracles[ORACLE_CHANNEL_BINDING];
	int			md = NID_undef;
	char		app[64];
	const char *keys[] = {"host", "hostaddr", "port", "channel_binding", "application_name"};
	const char *vals[] = {a->host, a->hostaddr, a->port, "require", app};
	ConnectTrace trace;
	PGconn	   *conn;
	char	   *msg;

	if (!OBJ_find_sigid_algs(X509_get_signature_nid(a->leaf), &md, NULL) || md == NID_undef)
	{
		o->applies = true;
		o->detail = ptp_psprintf("the server's certificate is signed with %s, for which tls-server-end-point "
								 "defines no hash: it cannot be bound",
								 OBJ_nid2sn(X509_get_signature_nid(a->leaf)));
		return;
	}
	snprintf(app, sizeof(app), "pg_tls_probe audit %d channel binding", index);
	conn = connect_with(conninfo, keys, vals, lengthof(keys), opts, &trace);
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
	{
		SSL		   *ssl = PQsslStruct(conn, "OpenSSL");
		char	   *fp = ssl ? ptp_fingerprint(SSL_get0_peer_certificate(ssl)) : NULL;

		if (fp != NULL && strcmp(fp, a->fingerprint) == 0)
		{
			o->applies = true;
			o->verdict = PATH_CONFIRMED;
			o->detail = ptp_strdup("the server's SCRAM proof covered the certificate the client received "
								   "(tls-server-end-point)");
		}
		else
		{
			o->applies = true;
			o->detail = ptp_strdup("the channel-binding connection received another certificate "
								   "than the direct one");
		}
		free(fp);
		PQfinish(conn);
		return;
	}
	msg = connection_error(conn, &trace, opts);
	if (strstr(msg, "SCRAM channel binding check failed") || strstr(msg, "SCRAM channel binding negotiation error"))
	{
		o->applies = true;
		o->verdict = PATH_INTERCEPTED;
		o->detail = ptp_psprintf("the server's tls-server-end-point does not match the certificate the client "
								 "received: a middlebox re-terminated TLS (%s)", msg);
	}
	else if (strstr(msg, "did not offer an authentication method that supports channel binding"))
	{
		o->applies = true;
		o->detail = ptp_strdup("SCRAM was offered without SCRAM-SHA-256-PLUS over TLS; a PostgreSQL server "
							   "always offers it there, so a middlebox may have taken it away "
							   "(or this is a pooler, not the server)");
	}
	else if (strstr(msg, "without channel binding") || strstr(msg, "not supported by server's authentication request"))
		o->detail = ptp_strdup("the role does not authenticate with SCRAM (cert, trust, password, md5...): "
							   "nothing to bind");
	else
	{
		o->applies = true;
		o->detail = ptp_psprintf("the channel-binding connection failed: %s", msg);
	}
	free(msg);
	PQfinish(conn);
}

/* The strong oracle of a certificate the user gave out of band. */
static void
pinned(Audit *a, const AuditOptions *opts)
{
	Oracle	   *o = &a->oracles[ORACLE_PIN];

	if (opts->pin == NULL)
		o->detail = ptp_strdup("no --server-fingerprint or --server-cert given");
	else if (a->fingerprint == NULL)
		o->detail = ptp_strdup("the client received no certificate to compare");
	else
	{
		o->applies = true;
		o->verdict = strcmp(opts->pin, a->fingerprint) == 0 ? PATH_CONFIRMED : PATH_INTERCEPTED;
		o->detail = o->verdict == PATH_CONFIRMED ?
			ptp_strdup("the client received the pinned certificate") :
			ptp_psprintf("the client received %s, not the pinned %s", a->fingerprint, opts->pin);
	}
}

/*
 * decide_path
 *		Any oracle that saw interception decides (the strongest first);
 *		else the strongest that confirmed; else unconfirmed.
 */
static void
decide_path(Audit *a)
{
	a->path = PATH_UNCONFIRMED;
	a->path_by = -1;
	for (int want = PATH_INTERCEPTED; want >= PATH_CONFIRMED && a->path_by < 0; want--)
		for (int i = 0; i < ORACLE_COUNT && a->path_by < 0; i++)
			if (a->oracles[i].applies && a->oracles[i].verdict == (PathVerdict) want)
			{
				a->path = (PathVerdict) want;
				a->path_by = i;
			}
}

/*
 * cannot_connect
 *		Why the direct connection failed, when that is a finding about the
 *		configuration (its TLS settings, or a detected interception) rather
 *		than a reason the audit could not run: true with a->cannot_connect
 *		set.  TLS failures happen while libpq negotiates SSL, or are named
 *		so by libpq; "no encryption" is the server refusing a client that
 *		would not use TLS.
 */
static bool
cannot_connect(Audit *a, const ConnectTrace *trace, const char *msg)
{
	static const char *const tls_words[] = {
		"SSL", "certificate", "does not match host name", "no encryption", "channel binding",
		"sslrootcert", "private key", "could not find digest for NID", "signature algorithm",
	};
	Oracle	   *cb = &a->oracles[ORACLE_CHANNEL_BINDING];
	bool		tls;

	if (!trace->reached || trace->timed_out)
		return false;
	if (strstr(msg, "SCRAM channel binding check failed") || strstr(msg, "SCRAM channel binding negotiation error"))
	{
		cb->applies = true;
		cb->verdict = PATH_INTERCEPTED;
		cb->detail = ptp_psprintf("the server rejected the client's channel binding: a middlebox "
								  "re-terminated TLS (%s)", msg);
		a->cannot_connect = ptp_psprintf("intercepted: %s", msg);
		return true;
	}
	if (strstr(msg, "no pg_hba.conf entry"))
		tls = strstr(msg, "no encryption") != NULL;
	else if (strstr(msg, "authentication failed") || strstr(msg, "no password supplied"))
		tls = false;
	else
		tls = trace->stage == CONNECTION_SSL_STARTUP;
	for (size_t i = 0; i < lengthof(tls_words) && !tls && !strstr(msg, "authentication failed"); i++)
		tls = strstr(msg, tls_words[i]) != NULL;
	if (tls)
		a->cannot_connect = ptp_strdup(msg);
	return tls;
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
		   const AuditOptions *opts, X509_STORE *store, int libpq, int index)
{
	ProxyOptions po = {0};
	Proxy	   *proxy = NULL;
	X509	   *cert = NULL,
			   *chain = NULL;
	EVP_PKEY   *key = NULL;
	int			port = 0;
	char		port_text[16],
				app[64];
	const char *keys[6];
	const char *vals[6];
	int			n = 0;
	PGconn	   *conn;
	ConnectTrace trace;

	if (spec->min_libpq > libpq)
	{
		r->skipped = ptp_psprintf("needs libpq %d (this is libpq %d)", spec->min_libpq, libpq);
		return;
	}
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
	keys[n] = "application_name", vals[n++] = app;

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
	conn = connect_with(conninfo, keys, vals, n, opts, &trace);
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
		r->detail = ptp_strdup(r->outcome == OUTCOME_REFUSED ? "the other name was refused" :
							   r->outcome == OUTCOME_PLAINTEXT ?
							   "libpq connected under another name in plaintext: no certificate was checked" :
							   "libpq accepted the server's certificate for a name it does not carry");
	}
	if (r->outcome == OUTCOME_REFUSED)
	{
		char	   *msg = connection_error(conn, &trace, opts);
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
 * judge
 *		The overall verdict and the sentence that names what failed.
 */
static void
judge(Audit *a)
{
	PQExpBufferData why;
	PQExpBufferData accepted;

	initPQExpBuffer(&why);
	initPQExpBuffer(&accepted);
	if (a->cannot_connect != NULL)
	{
		/* an interception, named below, is why it could not connect */
		if (a->path != PATH_INTERCEPTED)
			appendPQExpBufferStr(&why, "the configuration cannot connect (see the direct connection)");
	}
	else if (a->direct != OUTCOME_TLS_VERIFIED)
		appendPQExpBuffer(&why, "the direct connection is %s, not tls-verified", outcome_names[a->direct]);
	if (a->path == PATH_INTERCEPTED)
		appendPQExpBuffer(&why, "%sthe path is intercepted (by %s)", why.len ? "; " : "",
						  oracle_info[a->path_by].label);
	for (size_t i = 0; i < lengthof(attacks); i++)
		if (a->results[i].ran && a->results[i].accepted)
			appendPQExpBuffer(&accepted, "%s%s", accepted.len ? ", " : "", attacks[i].name);
	if (accepted.len)
		appendPQExpBuffer(&why, "%sattacks accepted: %s", why.len ? "; " : "", accepted.data);

	if (why.len)
	{
		a->verdict = VERDICT_FAIL;
		a->verdict_text = ptp_strdup(why.data);
	}
	else if (a->path != PATH_CONFIRMED)
	{
		a->verdict = VERDICT_UNCONFIRMED;
		a->verdict_text = ptp_strdup("tls-verified and every attack refused, but nothing confirmed that "
									 "the certificate the client received is the one the server serves");
	}
	else
	{
		a->verdict = VERDICT_PASS;
		a->verdict_text = ptp_psprintf("tls-verified, the path confirmed by %s (%s), every attack refused",
									   oracle_info[a->path_by].label, oracle_info[a->path_by].strength);
	}
	termPQExpBuffer(&why);
	termPQExpBuffer(&accepted);
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
	ConnectTrace trace;
	char		app[64];
	const char *keys[1];
	const char *vals[1];

	initPQExpBuffer(&a->notes);
	initPQExpBuffer(&a->chain);
	a->path_by = -1;
	if (!describe_conninfo(a, conninfo, &parsed))
	{
		a->could_not_run = true;
		PQconninfoFree(parsed);
		return;
	}

	explain_limits(a, parsed, libpq);
	snprintf(app, sizeof(app), "pg_tls_probe audit %d", index);
	keys[0] = "application_name", vals[0] = app;
	conn = connect_with(conninfo, keys, vals, 1, opts, &trace);
	if (conn == NULL)
	{
		a->could_not_run = true;
		a->error = ptp_strdup("out of memory");
		goto done;
	}
	effective = PQconninfo(conn);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		char	   *msg = connection_error(conn, &trace, opts);

		if (!trace.started)
			a->error = ptp_psprintf("invalid connection string: %s", msg);
		else if (!cannot_connect(a, &trace, msg))
			a->error = ptp_psprintf("could not connect directly: %s", msg);
		free(msg);
		if (a->error != NULL)
		{
			a->could_not_run = true;
			goto done;
		}
		a->direct = OUTCOME_REFUSED;
		a->host = ptp_strdup(trace.host);
		a->hostaddr = ptp_strdup(trace.hostaddr);
		a->port = ptp_strdup(trace.port);
		store = trust_store(effective, libpq);
	}
	else
	{
		a->host = ptp_strdup(PQhost(conn));
		a->hostaddr = ptp_strdup(PQhostaddr(conn) ? PQhostaddr(conn) : "");
		a->port = ptp_strdup(PQport(conn));
		if (!PQsslInUse(conn))
			a->direct = OUTCOME_PLAINTEXT;
		else
		{
			SSL		   *ssl = PQsslStruct(conn, "OpenSSL");

			store = trust_store(effective, libpq);
			a->protocol = ptp_strdup(PQsslAttribute(conn, "protocol"));
			a->cipher = ptp_strdup(PQsslAttribute(conn, "cipher"));
			a->direct = ptp_classify_tls(ssl, store, a->host);
			a->leaf = X509_dup(SSL_get0_peer_certificate(ssl));
			a->fingerprint = ptp_fingerprint(a->leaf);
			describe_chain(a, ssl);
		}
		server_view(a, conn, opts);
		PQfinish(conn);
		conn = NULL;
		pinned(a, opts);
		if (a->leaf != NULL)
			channel_binding(a, conninfo, opts, index);
		else
			a->oracles[ORACLE_CHANNEL_BINDING].detail = ptp_strdup("no TLS: nothing to bind");
	}
	for (int i = 0; i < ORACLE_COUNT; i++)
		if (a->oracles[i].detail == NULL)
			a->oracles[i].detail = ptp_strdup("the direct connection failed");
	decide_path(a);

	if (a->host[0] == '/' || a->hostaddr[0] == '\0')
		add_note(a, "the connection uses a Unix socket: there is no network to attack");
	else
	{
		for (size_t i = 0; i < lengthof(attacks); i++)
		{
			/* forgeries copy the server's certificate, or the host name without one */
			if (attacks[i].forgery != NULL && a->leaf == NULL)
				a->leaf = placeholder_victim(a->host);
			if (attacks[i].forgery != NULL && a->leaf == NULL)
			{
				a->results[i].skipped = ptp_strdup("could not mint a forged certificate");
				continue;
			}
			run_attack(a, &attacks[i], &a->results[i], conninfo, opts, store, libpq, index * 100 + (int) i);
		}
	}
	judge(a);

done:
	if (conn)
		PQfinish(conn);
	PQconninfoFree(parsed);
	PQconninfoFree(effective);
	X509_STORE_free(store);
}

/*
 * Prints one line of the report, made printable (ptp_printable()) as a
 * whole: the padded columns hold only the report's own words, so the
 * layout is kept; no trailing blank.
 */
static void
emit(FILE *out, const char *fmt,...) pg_attribute_printf(2, 3);

static void
emit(FILE *out, const char *fmt,...)
{
	va_list		args;
	char	   *line;
	char	   *printable;
	int			len;

	va_start(args, fmt);
	len = vsnprintf(NULL, 0, fmt, args);
	va_end(args);
	line = ptp_malloc0(len + 1);
	va_start(args, fmt);
	vsnprintf(line, len + 1, fmt, args);
	va_end(args);
	printable = ptp_printable(line);
	len = strlen(printable);
	while (len > 0 && printable[len - 1] == ' ')
		printable[--len] = '\0';
	fprintf(out, "%s\n", printable);
	free(printable);
	free(line);
}

/* A JSON string member: ", "name": value". */
static void
json_member(FILE *out, const char *name, const char *value)
{
	fprintf(out, ", \"%s\": ", name);
	ptp_json_string(out, value);
}

static const char *const verdict_names[] = {"PASS", "FAIL", "UNCONFIRMED"};
static const char *const path_marks[] = {"----", "pass", "FAIL"};

#define PATH_HINT "confirm the path with SCRAM channel binding (a role that authenticates with " \
	"scram-sha-256), a pinned certificate (--server-fingerprint SHA256 or --server-cert FILE), " \
	"or pg_tls_audit installed in the target database"

static void
print_text(FILE *out, const Audit *a)
{
	emit(out, "audit of: %s", a->display ? a->display : "(a connection string that does not parse)");
	if (a->notes.len)
		emit(out, "  notes: %s", a->notes.data);
	if (a->error)
	{
		emit(out, "  could not run: %s", a->error);
		return;
	}
	emit(out, "  direct connection to %s (%s) port %s: %s%s%s%s%s%s", a->host, a->hostaddr, a->port,
		 outcome_names[a->direct], a->protocol ? ", " : "", a->protocol ? a->protocol : "",
		 a->cipher ? " " : "", a->cipher ? a->cipher : "",
		 a->cannot_connect ? (a->path == PATH_INTERCEPTED ? "" : ": the configuration cannot connect: ") : "");
	if (a->cannot_connect)
		emit(out, "    %s", a->cannot_connect);
	if (a->chain.len)
	{
		emit(out, "  certificate chain:");
		for (const char *line = a->chain.data; *line;)
		{
			const char *end = strchr(line, '\n');

			emit(out, "    %.*s", (int) (end ? end - line : (long) strlen(line)), line);
			line = end ? end + 1 : line + strlen(line);
		}
	}
	if (a->server_view)
		emit(out, "  server's view: %s", a->server_view);
	if (a->path_by >= 0)
		emit(out, "  path: %s  %s by %s (%s)", path_marks[a->path], path_names[a->path],
			 oracle_info[a->path_by].label, oracle_info[a->path_by].strength);
	else
		emit(out, "  path: %s  unconfirmed: no oracle could confirm it", path_marks[a->path]);
	for (int i = 0; i < ORACLE_COUNT; i++)
		emit(out, "    %-34s %s: %s", oracle_info[i].label,
			 a->oracles[i].applies ? path_names[a->oracles[i].verdict] : "n/a", a->oracles[i].detail);
	emit(out, "  attacks:");
	for (size_t i = 0; i < lengthof(attacks); i++)
	{
		const AttackResult *r = &a->results[i];

		if (r->skipped)
			emit(out, "    %-20s n/a   %s", attacks[i].name, r->skipped);
		else if (r->ran)
			emit(out, "    %-20s %s  %s: %s", attacks[i].name, r->accepted ? "FAIL" : "pass",
				 outcome_names[r->outcome], r->detail);
	}
	emit(out, "  verdict: %s: %s", verdict_names[a->verdict], a->verdict_text);
	if (a->verdict == VERDICT_UNCONFIRMED)
		emit(out, "  hint: %s", PATH_HINT);
}

static void
print_json(FILE *out, const Audit *a)
{
	fputs("{\"connection\": ", out);
	ptp_json_string(out, a->display);
	json_member(out, "error", a->error);
	json_member(out, "notes", a->notes.len ? a->notes.data : NULL);
	if (!a->could_not_run)
	{
		json_member(out, "host", a->host);
		json_member(out, "hostaddr", a->hostaddr);
		json_member(out, "port", a->port);
		fprintf(out, ", \"direct\": \"%s\"", outcome_names[a->direct]);
		json_member(out, "cannot_connect", a->cannot_connect);
		json_member(out, "protocol", a->protocol);
		json_member(out, "cipher", a->cipher);
		json_member(out, "chain", a->chain.len ? a->chain.data : NULL);
		json_member(out, "server_view", a->server_view);
		fprintf(out, ", \"path\": \"%s\", \"by\": ", path_names[a->path]);
		ptp_json_string(out, a->path_by >= 0 ? oracle_info[a->path_by].id : NULL);
		fputs(", \"strength\": ", out);
		ptp_json_string(out, a->path_by >= 0 ? oracle_info[a->path_by].strength : NULL);
		fputs(", \"oracles\": {", out);
		for (int i = 0; i < ORACLE_COUNT; i++)
		{
			fprintf(out, "%s\"%s\": {\"result\": \"%s\", \"detail\": ", i ? ", " : "", oracle_info[i].id,
					a->oracles[i].applies ? path_names[a->oracles[i].verdict] : "n/a");
			ptp_json_string(out, a->oracles[i].detail);
			fputc('}', out);
		}
		fprintf(out, "}, \"interception\": %s, \"attacks\": [", a->path == PATH_INTERCEPTED ? "true" : "false");
		for (size_t i = 0; i < lengthof(attacks); i++)
		{
			const AttackResult *r = &a->results[i];

			fprintf(out, "%s{\"attack\": \"%s\"", i ? ", " : "", attacks[i].name);
			if (r->skipped || !r->ran)
			{
				fputs(", \"ran\": false", out);
				json_member(out, "why", r->skipped);
			}
			else
			{
				fprintf(out, ", \"ran\": true, \"observed\": \"%s\", \"accepted\": %s",
						outcome_names[r->outcome], r->accepted ? "true" : "false");
				json_member(out, "detail", r->detail);
			}
			fputc('}', out);
		}
		fputc(']', out);
		json_member(out, "why", a->verdict_text);
	}
	fprintf(out, ", \"verdict\": \"%s\"}\n", a->could_not_run ? "could not run" :
			a->verdict == VERDICT_PASS ? "pass" : a->verdict == VERDICT_FAIL ? "fail" : "unconfirmed");
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
	printf("Audit a connection string against its real server: connect directly, confirm the\n");
	printf("path to the server, then connect through attacker proxies (strip, forged\n");
	printf("certificates, injected bytes, an error before TLS, direct TLS) and under another\n");
	printf("host name; one verdict per attack.\n\n");
	printf("Usage:\n  %s audit [OPTION]... CONNINFO\n  %s audit [OPTION]... --fleet FILE\n\n",
		   PTP_PROGNAME, PTP_PROGNAME);
	printf("CONNINFO is a keyword=value string or a postgresql:// URI, as libpq takes it; PG*\n");
	printf("variables, service files and .pgpass apply as they would for the client.\n\n");
	printf("Options:\n");
	printf("  --format table|json        output format (default: table)\n");
	printf("  --fleet FILE               audit every connection string in FILE (one per line;\n");
	printf("                             blank lines and lines starting with # are skipped)\n");
	printf("  --jobs N                   fleet audits run at once (default: number of CPUs)\n");
	printf("  --timeout SECS             hard deadline of every connection and query, whatever\n");
	printf("                             the string's connect_timeout says (default %d)\n", DEFAULT_TIMEOUT);
	printf("  --server-fingerprint SHA256  the server certificate's SHA-256 fingerprint, as\n");
	printf("                             \"openssl x509 -fingerprint -sha256\" prints it\n");
	printf("  --server-cert FILE         the server's certificate (PEM), given out of band\n");
	printf("  --engine libpq|psql        psql: make the attacks' connections with psql processes\n");
	printf("                             (the benchmark's reference; verdicts are not classified)\n");
	printf("  -h, --help                 show this help, then exit\n\n");
	printf("The path: the certificate the client received must be the one the server serves.\n");
	printf("It is confirmed, or found intercepted, by SCRAM channel binding (one extra\n");
	printf("connection with channel_binding=require; strong), a pinned certificate (strong),\n");
	printf("or the server's own view through pg_tls_audit in the target database (weak: it\n");
	printf("travels inside the session).  When none applies it is unconfirmed.\n\n");
	printf("Verdicts and exit status:\n");
	printf("  0  PASS         the direct connection is tls-verified, its path confirmed, and\n");
	printf("                  every attack was refused\n");
	printf("  1  FAIL         anything else: a weaker class, an intercepted path, an accepted\n");
	printf("                  attack, or a configuration whose TLS settings stop it connecting\n");
	printf("  1  UNCONFIRMED  all of PASS but the path, which nothing could confirm\n");
	printf("  2  could not run: the server cannot be reached, the string does not parse, or\n");
	printf("                  authentication failed with the string's own credentials\n");
	printf("Passwords never appear in the output.\n");
}

/*
 * normalize_fingerprint
 *		A SHA-256 fingerprint as AB:CD:... (malloc'd) from what openssl
 *		prints ("sha256 Fingerprint=ab:cd:..."), with or without colons;
 *		NULL when it is not one.
 */
static char *
normalize_fingerprint(const char *text)
{
	const char *eq = strchr(text, '=');
	char		hex[65];
	int			n = 0;
	char	   *out;

	for (const char *p = eq ? eq + 1 : text; *p; p++)
	{
		if (*p == ':' || *p == ' ' || *p == '\n')
			continue;
		if (!isxdigit((unsigned char) *p) || n == 64)
			return NULL;
		hex[n++] = (char) toupper((unsigned char) *p);
	}
	if (n != 64)
		return NULL;
	out = ptp_malloc0(32 * 3);
	for (int i = 0; i < 32; i++)
		snprintf(out + i * 3, 4, i < 31 ? "%c%c:" : "%c%c", hex[2 * i], hex[2 * i + 1]);
	return out;
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
		{"server-fingerprint", required_argument, NULL, 6},
		{"server-cert", required_argument, NULL, 7},
		{NULL, 0, NULL, 0}
	};
	AuditOptions opts = {false, DEFAULT_TIMEOUT, 0, NULL, NULL, NULL};
	char	   *psql = NULL;
	long		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char	  **lines;
	int			n;
	Audit	   *audits;
	int			c;
	int			failed = 0,
				unconfirmed = 0,
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
			case 6:
			case 7:
				if (opts.pin != NULL)
					return ptp_usage_error("audit", "give one --server-fingerprint or --server-cert");
				opts.pin = c == 6 ? normalize_fingerprint(optarg) : ptp_file_fingerprint(optarg);
				if (opts.pin == NULL && c == 6)
					return ptp_usage_error("audit", "invalid --server-fingerprint \"%s\" (a SHA-256 "
										   "fingerprint: 32 hexadecimal bytes)", optarg);
				if (opts.pin == NULL)
					return ptp_usage_error("audit", "could not read a certificate from --server-cert \"%s\"",
										   optarg);
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
		failed += !a->could_not_run && a->verdict == VERDICT_FAIL;
		unconfirmed += !a->could_not_run && a->verdict == VERDICT_UNCONFIRMED;
	}
	if (opts.json && n > 1)
		fputs("]\n", stdout);
	if (!opts.json && opts.fleet != NULL)
	{
		emit(stdout, "%-6s %-18s %-11s %-8s %s", "#", "direct", "path", "attacks", "connection (verdict)");
		for (int i = 0; i < n; i++)
		{
			Audit	   *a = &audits[i];
			int			accepted = 0;
			char	   *count;

			for (size_t k = 0; k < lengthof(attacks); k++)
				accepted += a->results[k].ran && a->results[k].accepted;
			count = ptp_psprintf("%d/%d", accepted, (int) lengthof(attacks));
			emit(stdout, "%-6d %-18s %-11s %-8s %s (%s)", i + 1,
				 a->could_not_run ? "-" : outcome_names[a->direct],
				 a->could_not_run ? "-" : path_names[a->path],
				 a->could_not_run ? "-" : count,
				 a->display ? a->display : "(a connection string that does not parse)",
				 a->could_not_run ? a->error : verdict_names[a->verdict]);
			free(count);
		}
		emit(stdout, "fleet: %d audited, %d pass, %d fail, %d unconfirmed, %d could not run",
			 n - broken, n - broken - failed - unconfirmed, failed, unconfirmed, broken);
	}
	if (n == 1 && broken == 1)
		emit(stderr, "%s: %s", PTP_PROGNAME, audits[0].error ? audits[0].error : "could not run");
	return failed + unconfirmed > 0 ? PTP_EXIT_DEVIATION : broken > 0 ? PTP_EXIT_ERROR : PTP_EXIT_OK;
}
