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
 * the certificate against the name the user wrote.  They authenticate as
 * the client would to an attacker holding the server's address: with the
 * user, password and client certificate the direct connection used, handed
 * over explicitly, since a password-file line for the server's port does
 * not match the proxy's (harness/credentials.c).  What the attacker got is
 * what the client sent to the proxy, nothing inferred.
 *
 * The verdict needs three things: the direct connection tls-verified,
 * its path confirmed and every attack refused.  The path is confirmed when
 * the certificate the client received is the one the server serves, by
 * SCRAM channel binding (one extra connection with channel_binding=require:
 * the server's tls-server-end-point hash must match what the client saw),
 * a certificate the user pinned, or the server's own view of the session
 * (weak: it travels inside the session it vouches for).  A TLS endpoint
 * that is not the server is a middlebox the user declared, judged leg by
 * leg, or else intercepted; harness/audit_path.c decides which.  None
 * applicable is UNCONFIRMED, never PASS.
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

#include "audit.h"
#include "conninfo_judgement.h"
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
 *		Notes on what this libpq makes of the settings in effect (from the
 *		string, a service file, the environment or the defaults: PQconninfo
 *		of the connection), where it differs from what the user probably
 *		meant.
 */
static void
explain_limits(Audit *a, const PQconninfoOption *effective, int libpq)
{
	const char *rootcert = ptp_conninfo_value(effective, "sslrootcert");
	const char *mode = ptp_conninfo_value(effective, "sslmode");

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
 * trust_store
 *		The store the client's libpq verified against, built the way libpq
 *		builds it: sslrootcert, else ~/.postgresql/root.crt, loaded only
 *		when the file exists; "system" is OpenSSL's default store from
 *		libpq 16 on, and before that a file named "system" in the working
 *		directory.  With a root file, sslcrl and sslcrldir (else
 *		~/.postgresql/root.crl) are checked for the whole chain when they
 *		load; a missing CRL is no CRL, as for libpq.  NULL when libpq had
 *		no trust anchor (it verified nothing); else *anchor (malloc'd) says
 *		what the store is, for a sentence.
 */
static X509_STORE *
trust_store(const PQconninfoOption *effective, int libpq, char **anchor)
{
	TrustFiles	f;
	X509_STORE *store = X509_STORE_new();
	struct stat st;
	bool		ok;

	*anchor = NULL;
	if (store == NULL)
		return NULL;
	ptp_trust_files(effective, libpq, &f);
	if (f.system)
	{
		ok = X509_STORE_set_default_paths(store) == 1;
		*anchor = ptp_strdup("the system store (sslrootcert=system)");
	}
	else
	{
		ok = f.root != NULL && stat(f.root, &st) == 0 && X509_STORE_load_file(store, f.root) == 1;
		if (ok)
		{
			*anchor = ptp_psprintf("the root file \"%s\"", f.root);
			if ((f.crl != NULL || f.crldir != NULL) && X509_STORE_load_locations(store, f.crl, f.crldir) == 1)
				ok = X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) == 1;
		}
	}
	ptp_trust_files_free(&f);
	ERR_clear_error();
	if (!ok)
	{
		X509_STORE_free(store);
		free(*anchor);
		*anchor = NULL;
		return NULL;
	}
	return store;
}

/*
 * describe_chain
 *		One line per certificate the server sent: subject, issuer, SANs,
 *		expiry and days left, marked when that is soon; a warning for each
 *		certificate expiring soon.
 */
static void
describe_chain(Audit *a, STACK_OF(X509) *chain)
{
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
		appendPQExpBuffer(&a->chain, "; expires %s (%d days left%s)\n", expiry, days,
						  days < 0 || secs < 0 ? "" :
						  days < AUDIT_EXPIRY_URGENT_DAYS ? ": URGENT, see the warnings" :
						  days < AUDIT_EXPIRY_WARNING_DAYS ? ": soon, see the warnings" : "");
		GENERAL_NAMES_free(sans);
		ERR_clear_error();
	}
	ptp_expiry_warnings(chain, &a->warnings);
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
 *		installed there, else pg_stat_ssl: the weak oracle, and the leg to
 *		the server when the TLS endpoint is not the server.  Every name is
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
		query = ptp_psprintf("SELECT s.ssl, c.sha256_fingerprint, s.protocol FROM %s.tls_session() s "
							 "LEFT JOIN %s.tls_server_certificate() c ON true",
							 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 0));
	PQclear(res);
	res = why ? NULL : query_view(conn, query ? query :
								  "SELECT ssl, NULL, version FROM pg_catalog.pg_stat_ssl "
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
	a->view_read = true;
	a->view_tls = ssl;
	a->view_protocol = ssl && !PQgetisnull(res, 0, 2) ? ptp_strdup(PQgetvalue(res, 0, 2)) : NULL;
	a->view_source = query ? "pg_tls_audit tls_session()" : "pg_stat_ssl";
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
	a->server_view = ptp_psprintf("%s: TLS %s", a->view_source, ssl ? "on" : "off");
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
	const char *keys[5 + CREDENTIAL_KEYS] = {"host", "hostaddr", "port", "channel_binding", "application_name"};
	const char *vals[5 + CREDENTIAL_KEYS] = {a->host, a->hostaddr, a->port, "require", app};
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
	conn = connect_with(conninfo, keys, vals, ptp_credentials_append(&a->creds, keys, vals, 5), opts, &trace);
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
		a->scram_without_plus = true;
		o->applies = true;
		o->detail = ptp_strdup("SCRAM was offered without SCRAM-SHA-256-PLUS over TLS: nothing to bind "
							   "(see the SCRAM mechanisms offered)");
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

/*
 * pinned
 *		The strong oracles of the certificates the user gave out of band:
 *		the server's, and those of the middleboxes they declared.
 */
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
	ptp_declared_middlebox(a, opts);
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
	/* the user's own channel_binding=require, refused over TLS: evidence for the SCRAM oracle */
	if (trace->tls && strstr(msg, "did not offer an authentication method that supports channel binding"))
		a->scram_without_plus = true;
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
 * reached_authentication
 *		Whether a connection got past the point where libpq checks the
 *		server's certificate and name: it sent its startup and was waiting
 *		for, or going through, authentication.  An explicit stage, never a
 *		message: whatever authentication did next, the name was accepted.
 */
static bool
reached_authentication(PGconn *conn, const ConnectTrace *trace)
{
	if (PQstatus(conn) == CONNECTION_OK)
		return true;
	switch (trace->stage)
	{
		case CONNECTION_AWAITING_RESPONSE:
		case CONNECTION_AUTH_OK:
		case CONNECTION_SETENV:
		case CONNECTION_CHECK_WRITABLE:
		case CONNECTION_CONSUME:
		case CONNECTION_CHECK_TARGET:
		case CONNECTION_CHECK_STANDBY:
			return true;
		default:
			return false;
	}
}

/*
 * run_attack
 *		One attack: a proxy in front of the server the direct connection
 *		reached, and the user's connection string led to it with the
 *		direct connection's credentials.
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
	const char *keys[4 + CREDENTIAL_KEYS];
	const char *vals[4 + CREDENTIAL_KEYS];
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
		po.ask_client_cert = true;
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
	n = ptp_credentials_append(&a->creds, keys, vals, n);

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
		r->accepted = reached_authentication(conn, &trace);
		r->detail = ptp_strdup(!r->accepted ? "the other name was refused" :
							   r->outcome == OUTCOME_REFUSED ?
							   "libpq did not refuse the other name: the connection reached authentication, "
							   "which then failed, so no certificate check stopped it" :
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
 *		The overall verdict, the sentence that names what failed, and the
 *		next step for the path.
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
		appendPQExpBuffer(&why, "%sthe TLS endpoint is not the server: intercepted, or a middlebox you did "
						  "not declare (by %s, %s)", why.len ? "; " : "",
						  ptp_oracle_label(a, a->path_by), ptp_oracle_strength(a->path_by));
	if (a->path == PATH_MIDDLEBOX && a->view_read && !a->view_tls)
		appendPQExpBuffer(&why, "%sthe middlebox's leg to the server is plaintext (as the server saw this "
						  "session, from %s)", why.len ? "; " : "", a->view_source);
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
	else if (a->path == PATH_UNCONFIRMED)
	{
		a->verdict = VERDICT_UNCONFIRMED;
		a->verdict_text = ptp_strdup("tls-verified and every attack refused, but nothing confirmed that "
									 "the certificate the client received is the one the server serves");
	}
	else if (a->path == PATH_MIDDLEBOX && !a->view_read)
	{
		a->verdict = VERDICT_UNCONFIRMED;
		a->verdict_text = ptp_strdup("tls-verified to a middlebox you declared and every attack refused, "
									 "but the server's view of the middlebox's leg could not be read");
	}
	else if (a->path == PATH_MIDDLEBOX)
	{
		a->verdict = VERDICT_PASS;
		a->verdict_text = ptp_psprintf("tls-verified to a middlebox you declared (by %s, strong), every attack "
									   "refused; the middlebox's leg to the server uses TLS%s%s (as the server "
									   "saw this session, from %s); whether the middlebox verifies the "
									   "server's certificate cannot be seen from here",
									   ptp_oracle_label(a, a->path_by), a->view_protocol ? ", " : "",
									   a->view_protocol ? a->view_protocol : "", a->view_source);
	}
	else
	{
		int			weak = ptp_outranked(a);

		a->verdict = VERDICT_PASS;
		a->verdict_text = ptp_psprintf("tls-verified, the path confirmed by %s (%s), every attack refused%s%s%s",
									   ptp_oracle_label(a, a->path_by), ptp_oracle_strength(a->path_by),
									   weak >= 0 ? "; it outranks " : "",
									   weak >= 0 ? ptp_oracle_label(a, weak) : "",
									   weak >= 0 ? " (weak), which found it intercepted" : "");
	}
	a->hint = ptp_path_hint(a);
	termPQExpBuffer(&why);
	termPQExpBuffer(&accepted);
}

/*
 * explain_refusal
 *		When libpq gave up during the TLS handshake with a trust anchor: the
 *		chain the server sends, fetched again by a handshake that verifies
 *		nothing, shown, and verified against store (anchor says what it is)
 *		to name the X509 error.  A chain that verifies means libpq refused
 *		something else (the host name, the protocol), which its message says.
 */
static void
explain_refusal(Audit *a, const ConnectTrace *trace, const PQconninfoOption *effective,
				X509_STORE *store, const char *anchor, const AuditOptions *opts)
{
	const char *sni = ptp_conninfo_value(effective, "sslsni");
	STACK_OF(X509) *chain = ptp_fetch_chain(trace->hostaddr, trace->port, trace->host,
											sni == NULL || strcmp(sni, "0") != 0, opts->timeout * 1000);

	if (chain == NULL)
		return;
	describe_chain(a, chain);
	(void) ptp_explain_chain(store, chain, anchor, &a->chain_error);
	sk_X509_pop_free(chain, X509_free);
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
	char	   *anchor = NULL;
	char	   *home = NULL;
	CredentialSources sources;
	static const char *const password_key[] = {"password"};
	SettingOrigin password_origin = {0};

	initPQExpBuffer(&a->notes);
	initPQExpBuffer(&a->chain);
	initPQExpBuffer(&a->warnings);
	a->path_by = -1;
	if (!describe_conninfo(a, conninfo, &parsed))
	{
		a->could_not_run = true;
		PQconninfoFree(parsed);
		return;
	}

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
	explain_limits(a, effective, libpq);
	a->n_settings = ptp_setting_origins(conninfo, effective, a->settings);
	ptp_crl_warnings(effective, libpq, &a->warnings);
	home = ptp_libpq_home();
	sources.password = ptp_origins_of(conninfo, effective, password_key, 1, &password_origin) == 1 ?
		&password_origin : NULL;
	sources.passfile = ptp_conninfo_value(effective, "passfile");
	sources.sslcert = ptp_conninfo_value(effective, "sslcert");
	sources.sslkey = ptp_conninfo_value(effective, "sslkey");
	sources.home = home;
	if (PQstatus(conn) != CONNECTION_OK)
	{
		char	   *msg = connection_error(conn, &trace, opts);
		char	   *unresolved = trace.started ? NULL : ptp_unresolved_hosts(effective);

		/* libpq checks the values, then resolves every host, before it starts */
		if (unresolved != NULL && !ptp_options_accepted(conninfo))
		{
			free(unresolved);
			unresolved = NULL;
		}
		if (unresolved != NULL)
			a->error = ptp_psprintf("host name%s %s could not be resolved; libpq said: %s",
									strchr(unresolved, ',') ? "s" : "", unresolved, msg);
		else if (!trace.started)
			a->error = ptp_psprintf("invalid connection string: %s", msg);
		else if (!cannot_connect(a, &trace, msg))
			a->error = ptp_psprintf("could not connect directly: %s", msg);
		free(msg);
		free(unresolved);
		if (a->error != NULL)
		{
			a->could_not_run = true;
			goto done;
		}
		a->direct = OUTCOME_REFUSED;
		if (a->scram_without_plus)
			ptp_scram_mechanisms(a);
		a->host = ptp_strdup(trace.host);
		a->hostaddr = ptp_strdup(trace.hostaddr);
		a->port = ptp_strdup(trace.port);
		store = trust_store(effective, libpq, &anchor);
		if (trace.stage == CONNECTION_SSL_STARTUP && store != NULL)
			explain_refusal(a, &trace, effective, store, anchor, opts);
	}
	else
	{
		a->host = ptp_strdup(PQhost(conn));
		a->hostaddr = ptp_strdup(PQhostaddr(conn) ? PQhostaddr(conn) : "");
		a->port = ptp_strdup(PQport(conn));
		ptp_credentials_take(&a->creds, conn, a->host, a->port, &sources);
		if (!PQsslInUse(conn))
			a->direct = OUTCOME_PLAINTEXT;
		else
		{
			SSL		   *ssl = PQsslStruct(conn, "OpenSSL");

			store = trust_store(effective, libpq, &anchor);
			a->protocol = ptp_strdup(PQsslAttribute(conn, "protocol"));
			a->cipher = ptp_strdup(PQsslAttribute(conn, "cipher"));
			a->direct = ptp_classify_tls(ssl, store, a->host);
			a->leaf = X509_dup(SSL_get0_peer_certificate(ssl));
			a->fingerprint = ptp_fingerprint(a->leaf);
			describe_chain(a, SSL_get_peer_cert_chain(ssl));
		}
		server_view(a, conn, opts);
		PQfinish(conn);
		conn = NULL;
		pinned(a, opts);
		if (a->leaf != NULL)
			channel_binding(a, conninfo, opts, index);
		else
			a->oracles[ORACLE_CHANNEL_BINDING].detail = ptp_strdup("no TLS: nothing to bind");
		ptp_scram_mechanisms(a);
	}
	for (int i = 0; i < ORACLE_COUNT; i++)
		if (a->oracles[i].detail == NULL)
			a->oracles[i].detail = ptp_strdup("the direct connection failed");
	ptp_decide_path(a);

	if (a->host[0] == '/' || a->hostaddr[0] == '\0')
		add_note(a, "the connection uses a Unix socket: there is no network to attack");
	else
	{
		char	   *note = ptp_credentials_note(&a->creds, a->host, a->port);

		add_note(a, "%s", note);
		free(note);
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
	ptp_credentials_free(&a->creds);
	ptp_setting_origin_free(&password_origin);
	free(home);
	PQconninfoFree(parsed);
	PQconninfoFree(effective);
	X509_STORE_free(store);
	free(anchor);
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
static const char *const path_marks[] = {"----", "pass", "FAIL", "pass"};

/* "pass" or "FAIL" as the path decides; a middlebox's plaintext leg fails it */
static const char *
path_mark(const Audit *a)
{
	if (a->path == PATH_MIDDLEBOX && (!a->view_read || !a->view_tls))
		return a->view_read ? "FAIL" : "----";
	return path_marks[a->path];
}

/*
 * print_path
 *		The path, who the TLS endpoint is and, unless it is known to be the
 *		server, the two legs: the client's to the endpoint, and the
 *		endpoint's to the server as the server saw this session.
 */
static void
print_path(FILE *out, const Audit *a)
{
	if (a->path == PATH_MIDDLEBOX)
		emit(out, "  path: %s  through a middlebox you declared, by %s (strong)", path_mark(a),
			 ptp_oracle_label(a, a->path_by));
	else if (a->path_by >= 0)
		emit(out, "  path: %s  %s by %s (%s)", path_mark(a), path_names[a->path],
			 ptp_oracle_label(a, a->path_by), ptp_oracle_strength(a->path_by));
	else
		emit(out, "  path: %s  unconfirmed: no oracle could confirm it", path_mark(a));
	for (int i = 0; i < ORACLE_COUNT; i++)
	{
		/* none declared: a direct session's report never names a middlebox */
		if (i == ORACLE_MIDDLEBOX && !a->middleboxes_declared)
			continue;
		emit(out, "    %-46s %s: %s", ptp_oracle_label(a, i),
			 a->oracles[i].applies ? path_names[a->oracles[i].verdict] : "n/a", a->oracles[i].detail);
	}
	emit(out, "  TLS endpoint: %s", ptp_endpoint_text(a));
	if (a->path != PATH_CONFIRMED && a->fingerprint != NULL)
	{
		bool		declared = a->path == PATH_MIDDLEBOX;
		char	   *client = ptp_client_leg(a);
		char	   *server = ptp_server_leg(a);

		emit(out, "    %-21s %s", declared ? "client -> middlebox:" : "client -> endpoint:", client);
		emit(out, "    %-21s %s", declared ? "middlebox -> server:" : "endpoint -> server:", server);
		free(client);
		free(server);
	}
}

/*
 * settings_line
 *		Where each TLS setting came from, grouped by source in libpq's order,
 *		then those unset: one line, malloc'd.
 */
static char *
settings_line(const Audit *a)
{
	PQExpBufferData line;
	char	   *text;

	initPQExpBuffer(&line);
	for (int from = SETTING_FROM_STRING; from <= SETTING_FROM_DEFAULT; from++)
	{
		int			shown = 0;

		for (int i = 0; i < a->n_settings; i++)
		{
			const SettingOrigin *o = &a->settings[i];

			if (o->from != (SettingSource) from || o->value == NULL)
				continue;
			if (shown++ > 0)
				appendPQExpBufferStr(&line, ", ");
			else if (from == SETTING_FROM_SERVICE)
				appendPQExpBuffer(&line, "%sfrom service \"%s\" in %s: ", line.len ? "; " : "", o->service,
								  o->file);
			else
				appendPQExpBuffer(&line, "%s%s: ", line.len ? "; " : "",
								  from == SETTING_FROM_STRING ? "from the string" :
								  from == SETTING_FROM_ENVIRONMENT ? "from the environment" : "libpq's defaults");
			appendPQExpBuffer(&line, "%s=%s", o->name, o->value);
			if (o->variable != NULL)
				appendPQExpBuffer(&line, " (%s)", o->variable);
		}
	}
	for (int i = 0, shown = 0; i < a->n_settings; i++)
		if (a->settings[i].value == NULL)
			appendPQExpBuffer(&line, "%s%s", shown++ ? ", " : line.len ? "; unset: " : "unset: ",
							  a->settings[i].name);
	text = ptp_strdup(line.data);
	termPQExpBuffer(&line);
	return text;
}

static void
print_text(FILE *out, const Audit *a)
{
	emit(out, "audit of: %s", a->display ? a->display : "(a connection string that does not parse)");
	if (a->notes.len)
		emit(out, "  notes: %s", a->notes.data);
	if (a->n_settings > 0)
	{
		char	   *settings = settings_line(a);

		emit(out, "  settings: %s", settings);
		free(settings);
	}
	for (const char *line = a->warnings.data; line != NULL && *line;)
	{
		const char *end = strchr(line, '\n');

		emit(out, "  warning: %.*s", (int) (end ? end - line : (long) strlen(line)), line);
		line = end ? end + 1 : line + strlen(line);
	}
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
	if (a->chain_error.text)
		emit(out, "    why: %s", a->chain_error.text);
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
	print_path(out, a);
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
	if (a->hint)
		emit(out, "  hint: %s", a->hint);
}

/*
 * print_json_legs
 *		The members "endpoint" (ptp_endpoint_id) and "legs": the client's
 *		leg to the TLS endpoint and the endpoint's to the server as the
 *		server saw this session (tls null: its view could not be read).
 */
static void
print_json_legs(FILE *out, const Audit *a)
{
	char	   *client = ptp_client_leg(a);
	char	   *server = ptp_server_leg(a);

	fprintf(out, ", \"endpoint\": \"%s\", \"legs\": {\"client_to_endpoint\": {\"tls\": %s",
			ptp_endpoint_id(a), a->fingerprint ? "true" : "false");
	json_member(out, "protocol", a->protocol);
	fprintf(out, ", \"ca\": \"%s\"", outcome_names[a->direct]);
	json_member(out, "certificate", ptp_leg_certificate(a));
	json_member(out, "detail", client);
	fprintf(out, "}, \"endpoint_to_server\": {\"tls\": %s",
			!a->view_read ? "null" : a->view_tls ? "true" : "false");
	json_member(out, "protocol", a->view_protocol);
	json_member(out, "source", a->view_source);
	json_member(out, "detail", server);
	fputs("}}", out);
	free(client);
	free(server);
}

static void
print_json(FILE *out, const Audit *a)
{
	fputs("{\"connection\": ", out);
	ptp_json_string(out, a->display);
	json_member(out, "error", a->error);
	json_member(out, "notes", a->notes.len ? a->notes.data : NULL);
	fputs(", \"settings\": {", out);
	for (int i = 0; i < a->n_settings; i++)
	{
		const SettingOrigin *o = &a->settings[i];

		fprintf(out, "%s\"%s\": {\"from\": \"%s\"", i ? ", " : "", o->name, ptp_setting_source_name(o->from));
		json_member(out, "value", o->value);
		if (o->variable != NULL)
			json_member(out, "variable", o->variable);
		if (o->file != NULL)
		{
			json_member(out, "file", o->file);
			json_member(out, "service", o->service);
		}
		fputc('}', out);
	}
	fputs("}, \"warnings\": [", out);
	for (const char *line = a->warnings.data; line != NULL && *line;)
	{
		const char *end = strchr(line, '\n');
		char	   *one = ptp_psprintf("%.*s", (int) (end ? end - line : (long) strlen(line)), line);

		fputs(line == a->warnings.data ? "" : ", ", out);
		ptp_json_string(out, one);
		free(one);
		line = end ? end + 1 : line + strlen(line);
	}
	fputc(']', out);
	if (!a->could_not_run)
	{
		json_member(out, "host", a->host);
		json_member(out, "hostaddr", a->hostaddr);
		json_member(out, "port", a->port);
		fprintf(out, ", \"direct\": \"%s\"", outcome_names[a->direct]);
		json_member(out, "cannot_connect", a->cannot_connect);
		fputs(", \"certificate_error\": ", out);
		if (a->chain_error.text == NULL)
			fputs("null", out);
		else
		{
			fprintf(out, "{\"code\": %d, \"depth\": %d", a->chain_error.code, a->chain_error.depth);
			json_member(out, "error", X509_verify_cert_error_string(a->chain_error.code));
			json_member(out, "subject", a->chain_error.subject);
			json_member(out, "explanation", a->chain_error.text);
			fputc('}', out);
		}
		json_member(out, "protocol", a->protocol);
		json_member(out, "cipher", a->cipher);
		json_member(out, "chain", a->chain.len ? a->chain.data : NULL);
		json_member(out, "server_view", a->server_view);
		fprintf(out, ", \"path\": \"%s\", \"by\": ", path_names[a->path]);
		ptp_json_string(out, a->path_by >= 0 ? oracle_info[a->path_by].id : NULL);
		fputs(", \"strength\": ", out);
		ptp_json_string(out, a->path_by >= 0 ? ptp_oracle_strength(a->path_by) : NULL);
		fputs(", \"oracles\": {", out);
		for (int i = 0; i < ORACLE_COUNT; i++)
		{
			fprintf(out, "%s\"%s\": {\"result\": \"%s\", \"detail\": ", i ? ", " : "", oracle_info[i].id,
					a->oracles[i].applies ? path_names[a->oracles[i].verdict] : "n/a");
			ptp_json_string(out, a->oracles[i].detail);
			fputc('}', out);
		}
		fprintf(out, "}, \"interception\": %s", a->path == PATH_INTERCEPTED ? "true" : "false");
		print_json_legs(out, a);
		fputs(", \"attacks\": [", out);
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
		json_member(out, "hint", a->hint);
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
	printf("  --middlebox-fingerprint SHA256, --middlebox-cert FILE\n");
	printf("                             a middlebox you run between the client and the server\n");
	printf("                             (a pooler, a TLS-terminating proxy): its certificate's\n");
	printf("                             fingerprint, or the certificate (PEM); repeatable\n");
	printf("  --engine libpq|psql        psql: make the attacks' connections with psql processes\n");
	printf("                             (the benchmark's reference; verdicts are not classified)\n");
	printf("  --judge                    connect to nothing: print the verdict on the string's\n");
	printf("                             TLS settings that pg_tls_audit's tls_links() gives a\n");
	printf("                             server's link (exit 0 verified or local, 1 weaker, 2\n");
	printf("                             not parsable)\n");
	printf("  -h, --help                 show this help, then exit\n\n");
	printf("The path: the certificate the client received must be the one the server serves.\n");
	printf("It is confirmed, or found intercepted, by SCRAM channel binding (one extra\n");
	printf("connection with channel_binding=require; strong), a pinned certificate (strong),\n");
	printf("or the server's own view of the session, from pg_tls_audit in the target\n");
	printf("database or pg_stat_ssl (weak: it travels inside the session); SCRAM offered\n");
	printf("without SCRAM-SHA-256-PLUS over TLS means the endpoint is not PostgreSQL (weak).\n");
	printf("A strong oracle outranks a weak one.  When none applies it is unconfirmed.\n");
	printf("A TLS endpoint that is not the server is intercepted, or a middlebox you did not\n");
	printf("declare; one you declared is reported leg by leg, and its leg to the server must\n");
	printf("use TLS as the server saw it.\n\n");
	printf("Verdicts and exit status:\n");
	printf("  0  PASS         the direct connection is tls-verified, its path confirmed (or\n");
	printf("                  through a declared middlebox whose leg to the server uses TLS),\n");
	printf("                  and every attack was refused\n");
	printf("  1  FAIL         anything else: a weaker class, an intercepted path, a declared\n");
	printf("                  middlebox's plaintext leg to the server, an accepted attack, or\n");
	printf("                  a configuration whose TLS settings stop it connecting\n");
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
 * judge_strings
 *		audit --judge: the verdict of common/conninfo_judgement.c on each
 *		string's TLS settings -- the rules pg_tls_audit's tls_links()
 *		applies on a server -- with no connection made.  Returns the exit
 *		code: 0 when every string is verified or local, 2 when one does not
 *		parse, 1 otherwise.
 */
static int
judge_strings(char **lines, int n, bool json)
{
	int			status = PTP_EXIT_OK;

	if (json && n > 1)
		fputs("[\n", stdout);
	for (int i = 0; i < n; i++)
	{
		CjJudgement j;
		char		version[16];

		cj_judge(lines[i], &j);
		snprintf(version, sizeof(version), "%d", j.libpq_version);
		if (json)
		{
			fputs("{\"judgement\": true", stdout);
			json_member(stdout, "verdict", j.verdict_name);
			json_member(stdout, "severity", j.severity);
			json_member(stdout, "check", j.check);
			json_member(stdout, "sslmode", j.sslmode);
			json_member(stdout, "root", j.root);
			json_member(stdout, "libpq_version", version);
			json_member(stdout, "reason", j.reason);
			fputs(n > 1 && i + 1 < n ? "},\n" : "}\n", stdout);
		}
		else
		{
			emit(stdout, "verdict: %s", j.verdict_name);
			emit(stdout, "severity: %s", j.severity);
			emit(stdout, "check: %s", j.check ? j.check : "-");
			emit(stdout, "sslmode: %s", j.sslmode);
			emit(stdout, "root: %s", j.root);
			emit(stdout, "libpq_version: %s", version);
			emit(stdout, "reason: %s", j.reason);
		}
		if (j.verdict == CJ_UNPARSABLE)
			status = PTP_EXIT_ERROR;
		else if (j.verdict != CJ_VERIFIED && j.verdict != CJ_LOCAL && status == PTP_EXIT_OK)
			status = PTP_EXIT_DEVIATION;
	}
	if (json && n > 1)
		fputs("]\n", stdout);
	return status;
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
		{"middlebox-fingerprint", required_argument, NULL, 8},
		{"middlebox-cert", required_argument, NULL, 9},
		{"judge", no_argument, NULL, 10},
		{NULL, 0, NULL, 0}
	};
	AuditOptions opts = {false, DEFAULT_TIMEOUT, 0, NULL, NULL, NULL, NULL, 0};
	char	   *middlebox;
	char	   *psql = NULL;
	long		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	bool		judge = false;
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
			case 8:
			case 9:
				middlebox = c == 8 ? normalize_fingerprint(optarg) : ptp_file_fingerprint(optarg);
				if (middlebox == NULL && c == 8)
					return ptp_usage_error("audit", "invalid --middlebox-fingerprint \"%s\" (a SHA-256 "
										   "fingerprint: 32 hexadecimal bytes)", optarg);
				if (middlebox == NULL)
					return ptp_usage_error("audit", "could not read a certificate from --middlebox-cert \"%s\"",
										   optarg);
				opts.middleboxes = realloc(opts.middleboxes, (opts.n_middleboxes + 1) * sizeof(char *));
				if (opts.middleboxes == NULL)
				{
					fprintf(stderr, "%s: out of memory\n", PTP_PROGNAME);
					exit(PTP_EXIT_ERROR);
				}
				opts.middleboxes[opts.n_middleboxes++] = middlebox;
				break;
			case 10:
				judge = true;
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

	if (judge)
		return judge_strings(lines, n, opts.json);

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
