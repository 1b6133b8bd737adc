/*-------------------------------------------------------------------------
 *
 * audit_path.c
 *		The path model of "pg_tls_probe audit" (DESIGN.md, "The path" and
 *		"Middleboxes"): who the client's TLS endpoint is, decided from the
 *		oracles, and the two legs of a path through a middlebox.
 *
 * The endpoint is the server, a middlebox the user declared, not the
 * server (intercepted, or a middlebox the user did not declare), or
 * unknown.  A strong oracle (channel binding, a pin, a declared middlebox
 * certificate) always outranks a weak one (the server's view of the
 * session, the SCRAM mechanisms the endpoint offered): the weak ones travel
 * inside the session they vouch for.  Among the strong ones a positive
 * match decides before a mismatch, since a pin mismatch is expected when
 * the endpoint is a middlebox the user declared; among the weak ones any
 * sign that the endpoint is not the server decides, since they cannot prove
 * the opposite.
 *
 * From outside, a pooler, a TLS-terminating proxy and an interceptor look
 * alike, so nothing here names an endpoint a middlebox unless the user
 * declared its certificate; a direct session to PostgreSQL is the server,
 * or unknown when nothing could tell.
 *
 * harness/audit_path.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "audit.h"
#include "pg_tls_probe.h"

const OracleInfo oracle_info[ORACLE_COUNT] = {
	{"channel-binding", "SCRAM channel binding", true},
	{"pin", "the pinned certificate", true},
	{"middlebox", "the declared middlebox certificate", true},
	{"server-view", "the server's view", false},
	{"scram-mechanisms", "the SCRAM mechanisms offered", false},
};

const char *const path_names[] = {"unconfirmed", "confirmed", "intercepted", "middlebox"};

/* The verdicts that decide, in the order they do, for each strength. */
static const PathVerdict strong_order[] = {PATH_CONFIRMED, PATH_MIDDLEBOX, PATH_INTERCEPTED};
static const PathVerdict weak_order[] = {PATH_INTERCEPTED, PATH_CONFIRMED};

#define HINT_UNCONFIRMED "confirm the path with SCRAM channel binding (a role that authenticates with " \
	"scram-sha-256), a pinned certificate (--server-fingerprint SHA256 or --server-cert FILE), " \
	"or pg_tls_audit installed in the target database"

#define HINT_DECLARE "if you run this TLS endpoint (a pooler such as PgBouncer, a TLS-terminating proxy), " \
	"declare its certificate with --middlebox-cert FILE or --middlebox-fingerprint SHA256; if it " \
	"should be the server, pin the server's certificate (--server-cert FILE or --server-fingerprint " \
	"SHA256): a mismatch names what answers in its place"

/* channel binding cannot pass an endpoint that offers no -PLUS: never suggest it */
#define HINT_DECLARE_NO_PLUS "this TLS endpoint offers no SCRAM-SHA-256-PLUS, so channel binding cannot " \
	"reach the server through it: " HINT_DECLARE

#define HINT_PLAINTEXT_LEG "make the middlebox connect to the server over TLS and verify its certificate " \
	"(PgBouncer: server_tls_sslmode = verify-full with server_tls_ca_file; a TLS-terminating " \
	"proxy: TLS on its connection to the server too)"

#define HINT_LEG_UNREAD "the server's view of the middlebox's leg could not be read: fix what the " \
	"\"server's view\" line says, then audit again"

/*
 * ptp_oracle_label
 *		The oracle's name for the table; the server's view names its source,
 *		so that pg_tls_audit is named only when it answered.
 */
const char *
ptp_oracle_label(const Audit *a, int oracle)
{
	if (oracle != ORACLE_SERVER_VIEW || a->view_source == NULL)
		return oracle_info[oracle].label;
	return strcmp(a->view_source, "pg_stat_ssl") == 0 ?
		"the server's view (pg_stat_ssl)" : "the server's view (pg_tls_audit tls_session())";
}

/* "strong" or "weak". */
const char *
ptp_oracle_strength(int oracle)
{
	return oracle_info[oracle].strong ? "strong" : "weak";
}

/*
 * ptp_declared_middlebox
 *		The strong oracle of the middleboxes the user declared: the
 *		certificate the client received is one of theirs.
 */
void
ptp_declared_middlebox(Audit *a, const AuditOptions *opts)
{
	Oracle	   *o = &a->oracles[ORACLE_MIDDLEBOX];

	a->middleboxes_declared = opts->n_middleboxes > 0;
	if (opts->n_middleboxes == 0)
		o->detail = ptp_strdup("no --middlebox-cert or --middlebox-fingerprint given");
	else if (a->fingerprint == NULL)
		o->detail = ptp_strdup("the client received no certificate to compare");
	else
	{
		for (int i = 0; i < opts->n_middleboxes; i++)
			if (strcmp(opts->middleboxes[i], a->fingerprint) == 0)
			{
				o->applies = true;
				o->verdict = PATH_MIDDLEBOX;
				o->detail = ptp_strdup("the client received the certificate of a middlebox you declared");
				return;
			}
		o->detail = ptp_psprintf("the client received %s, the certificate of no middlebox you declared",
								 a->fingerprint);
	}
}

/*
 * ptp_scram_mechanisms
 *		The weak oracle of the SCRAM mechanisms the endpoint offered over
 *		TLS: a PostgreSQL server always offers SCRAM-SHA-256-PLUS there, so
 *		an endpoint that offers SCRAM without it is not a PostgreSQL server.
 *		Weak: an active attacker could as well relay the list unchanged.
 */
void
ptp_scram_mechanisms(Audit *a)
{
	Oracle	   *o = &a->oracles[ORACLE_SCRAM_PLUS];

	if (a->scram_without_plus)
	{
		o->applies = true;
		o->verdict = PATH_INTERCEPTED;
		o->detail = ptp_strdup("SCRAM was offered without SCRAM-SHA-256-PLUS over TLS, which a PostgreSQL "
							   "server always offers there: the TLS endpoint is not a PostgreSQL server");
	}
	else
		o->detail = ptp_strdup(a->fingerprint == NULL ? "no TLS: nothing to offer SCRAM-SHA-256-PLUS over" :
							   "no SCRAM offer without SCRAM-SHA-256-PLUS was seen");
}

/*
 * ptp_decide_path
 *		The path and the oracle that decided it (-1 for none): the strong
 *		oracles first, each strength in its own order (see the file header).
 */
void
ptp_decide_path(Audit *a)
{
	a->path = PATH_UNCONFIRMED;
	a->path_by = -1;
	for (int strong = 1; strong >= 0; strong--)
	{
		const PathVerdict *order = strong ? strong_order : weak_order;
		int			n = strong ? lengthof(strong_order) : lengthof(weak_order);

		for (int w = 0; w < n; w++)
			for (int i = 0; i < ORACLE_COUNT; i++)
				if (oracle_info[i].strong == (bool) strong && a->oracles[i].applies &&
					a->oracles[i].verdict == order[w])
				{
					a->path = order[w];
					a->path_by = i;
					return;
				}
	}
}

/*
 * ptp_outranked
 *		A weak oracle that found the path intercepted where a strong one
 *		confirmed it, or -1: the report says the strong one won.
 */
int
ptp_outranked(const Audit *a)
{
	if (a->path != PATH_CONFIRMED || !oracle_info[a->path_by].strong)
		return -1;
	for (int i = 0; i < ORACLE_COUNT; i++)
		if (!oracle_info[i].strong && a->oracles[i].applies && a->oracles[i].verdict == PATH_INTERCEPTED)
			return i;
	return -1;
}

typedef struct Endpoint
{
	const char *id;				/* JSON */
	const char *text;			/* table */
} Endpoint;

/* Who the TLS endpoint is, by path, and when the client had no TLS. */
static const Endpoint endpoints[] = {
	[PATH_UNCONFIRMED] = {"unknown", "unknown: nothing could tell whether it is the server"},
	[PATH_CONFIRMED] = {"server", "the server"},
	[PATH_INTERCEPTED] = {"not-the-server", "not the server: intercepted, or a middlebox you did not declare"},
	[PATH_MIDDLEBOX] = {"declared-middlebox", "a middlebox you declared"},
};
static const Endpoint no_endpoint = {"none", "none: the client did not use TLS"};

/* The endpoint of a's path; never NULL. */
static const Endpoint *
endpoint(const Audit *a)
{
	return a->path == PATH_UNCONFIRMED && a->direct == OUTCOME_PLAINTEXT ? &no_endpoint : &endpoints[a->path];
}

/*
 * ptp_endpoint_id
 *		Who the client's TLS endpoint is, for JSON: "server",
 *		"declared-middlebox", "not-the-server", "unknown", or "none" when
 *		the client connected without TLS and nothing says otherwise.
 */
const char *
ptp_endpoint_id(const Audit *a)
{
	return endpoint(a)->id;
}

/* The same, in words, for the table. */
const char *
ptp_endpoint_text(const Audit *a)
{
	return endpoint(a)->text;
}

/*
 * ptp_leg_certificate
 *		What the certificate the client received is, as far as the user told
 *		us: "declared-middlebox", "pinned", "not-pinned", or NULL.
 */
const char *
ptp_leg_certificate(const Audit *a)
{
	const Oracle *pin = &a->oracles[ORACLE_PIN];

	if (a->oracles[ORACLE_MIDDLEBOX].applies)
		return "declared-middlebox";
	if (pin->applies)
		return pin->verdict == PATH_CONFIRMED ? "pinned" : "not-pinned";
	return NULL;
}

/*
 * ptp_client_leg
 *		The client's leg to its TLS endpoint, and how the client verified
 *		it: libpq's classification against its CA, and the certificate the
 *		user gave.  malloc'd.
 */
char *
ptp_client_leg(const Audit *a)
{
	const char *cert = ptp_leg_certificate(a);

	if (a->fingerprint == NULL)
		return ptp_strdup(a->direct == OUTCOME_PLAINTEXT ? "plaintext: no TLS" :
						  "no session: the direct connection failed");
	return ptp_psprintf("%s, %s (libpq's check against its CA)%s", a->protocol ? a->protocol : "TLS",
						outcome_names[a->direct],
						cert == NULL ? "" :
						strcmp(cert, "declared-middlebox") == 0 ? "; the certificate of a middlebox you declared" :
						strcmp(cert, "pinned") == 0 ? "; the pinned server certificate" :
						"; not the pinned server certificate");
}

/*
 * ptp_server_leg
 *		The TLS endpoint's leg to the server, as the server saw this session,
 *		with the source that said so.  malloc'd.
 */
char *
ptp_server_leg(const Audit *a)
{
	if (!a->view_read)
		return ptp_strdup("unknown: the server's view could not be read");
	if (!a->view_tls)
		return ptp_psprintf("plaintext, as the server saw this session (%s)", a->view_source);
	return ptp_psprintf("TLS%s%s%s, as the server saw this session (%s)", a->view_protocol ? " (" : "",
						a->view_protocol ? a->view_protocol : "", a->view_protocol ? ")" : "", a->view_source);
}

/*
 * ptp_path_hint
 *		The next step that works for this set-up, once the verdict is known;
 *		NULL when the path needs none.
 */
const char *
ptp_path_hint(const Audit *a)
{
	switch (a->path)
	{
		case PATH_INTERCEPTED:
			return a->scram_without_plus ? HINT_DECLARE_NO_PLUS : HINT_DECLARE;
		case PATH_MIDDLEBOX:
			if (!a->view_read)
				return HINT_LEG_UNREAD;
			return a->view_tls ? NULL : HINT_PLAINTEXT_LEG;
		case PATH_UNCONFIRMED:
			return a->verdict == VERDICT_UNCONFIRMED ? HINT_UNCONFIRMED : NULL;
		case PATH_CONFIRMED:
			break;
	}
	return NULL;
}
