/*-------------------------------------------------------------------------
 *
 * expectations_test.c
 *		Unit test of the matrix's expectation model (expectations.c).
 *
 * The golden cases below are written by hand from the libpq documentation,
 * independently of the model's table: each gives a server (its SSL, its
 * pg_hba.conf, its certificate chain and names), a client configuration, a
 * libpq version, and what libpq must do.  The test checks that the model
 * agrees with every one of them, and then that every rule matters: with
 * any single rule left out, at least one golden case must come out
 * differently, so a rule that is changed or dropped cannot go unnoticed.
 *
 * Output is TAP, closing with an "N passed, N failed" line.
 *
 * harness/expectations_test.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "matrix.h"

typedef struct Golden
{
	const char *what;
	Scenario	server;
	ClientConfig client;
	int			libpq;
	Outcome		outcome;
	const char *reason;			/* refusals: substring libpq's message must hold */
	int			needs_libpq;
	bool		attack_accepted;	/* attacks: the proxy gets the startup */
} Golden;

/* Servers, by the properties the model reads. */
#define ATTACKER(ssl, chain, name, attack) \
	{"golden", "", NULL, NULL, "localhost", "127.0.0.1", ssl, HBA_ANY, chain, name, attack, NULL}
#define SERVER(ssl, hba, chain, name) \
	{"golden", "", NULL, NULL, "localhost", NULL, ssl, hba, chain, name, ATTACK_NONE, NULL}
#define GOOD		SERVER(true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH)
#define STRIP		ATTACKER(false, CHAIN_TRUSTED, NAME_MATCH, ATTACK_STRIP)
#define FORGE		ATTACKER(true, CHAIN_ATTACKER, NAME_MATCH, ATTACK_FORGE)
#define FORGE_OTHER	ATTACKER(true, CHAIN_TRUSTED, NAME_MISMATCH, ATTACK_FORGE)
#define INJECT		ATTACKER(true, CHAIN_TRUSTED, NAME_MATCH, ATTACK_INJECT)
#define ERROR_E		ATTACKER(true, CHAIN_TRUSTED, NAME_MATCH, ATTACK_ERROR)
#define NO_ALPN		ATTACKER(true, CHAIN_TRUSTED, NAME_MATCH, ATTACK_DIRECT_NO_ALPN)
#define SSL_OFF		SERVER(false, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH)
#define HOSTSSL		SERVER(true, HBA_HOSTSSL_ONLY, CHAIN_TRUSTED, NAME_MATCH)
#define CLIENTCERT	SERVER(true, HBA_CLIENT_CERT, CHAIN_TRUSTED, NAME_MATCH)
#define CHAIN(c)	SERVER(true, HBA_ANY, c, NAME_MATCH)
#define NAMES(n)	SERVER(true, HBA_ANY, CHAIN_TRUSTED, n)

/* Clients: sslmode, anchor, then the rarer options. */
#define CLIENT(mode, anchor)	{MODE_##mode, ANCHOR_##anchor, false, CCERT_NONE, CRL_NONE, false}
#define CB(mode, anchor)		{MODE_##mode, ANCHOR_##anchor, true, CCERT_NONE, CRL_NONE, false}
#define CCERT(mode, cc)			{MODE_##mode, ANCHOR_RIGHT, false, CCERT_##cc, CRL_NONE, false}
#define CRL(mode, k)			{MODE_##mode, ANCHOR_RIGHT, false, CCERT_NONE, CRL_##k, false}
#define DIRECT(mode)			{MODE_##mode, ANCHOR_RIGHT, false, CCERT_NONE, CRL_NONE, true}

static const Golden goldens[] = {
	/* sslmode table: disable, allow */
	{"disable connects in plaintext", GOOD, CLIENT(DISABLE, NONE), 15, OUTCOME_PLAINTEXT, NULL, 0, false},
	{"disable cannot reach a hostssl-only server", HOSTSSL, CLIENT(DISABLE, NONE), 15, OUTCOME_REFUSED, "no pg_hba.conf entry", 0, false},
	{"disable cannot do channel binding", GOOD, CB(DISABLE, RIGHT), 15, OUTCOME_REFUSED, "channel binding", 0, false},
	{"allow tries plaintext first, whatever the anchor", CHAIN(CHAIN_UNTRUSTED_CA), CLIENT(ALLOW, WRONG), 15, OUTCOME_PLAINTEXT, NULL, 0, false},
	{"allow's plaintext attempt fails channel binding", GOOD, CB(ALLOW, RIGHT), 15, OUTCOME_REFUSED, "channel binding", 0, false},
	{"allow falls to SSL on a hostssl-only server", HOSTSSL, CLIENT(ALLOW, RIGHT), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},
	{"allow's SSL retry still verifies with a root file", HOSTSSL, CLIENT(ALLOW, WRONG), 15, OUTCOME_REFUSED, "certificate verify failed", 0, false},

	/* servers without SSL */
	{"require needs a server with SSL", SSL_OFF, CLIENT(REQUIRE, NONE), 15, OUTCOME_REFUSED, "server does not support SSL", 0, false},
	{"verify-full needs a server with SSL", SSL_OFF, CLIENT(VERIFY_FULL, RIGHT), 15, OUTCOME_REFUSED, "server does not support SSL", 0, false},
	{"prefer falls back to plaintext without SSL", SSL_OFF, CLIENT(PREFER, NONE), 15, OUTCOME_PLAINTEXT, NULL, 0, false},
	{"prefer's fallback fails channel binding", SSL_OFF, CB(PREFER, RIGHT), 15, OUTCOME_REFUSED, "channel binding", 0, false},
	{"direct TLS to a server without SSL fails", SSL_OFF, DIRECT(VERIFY_FULL), 17, OUTCOME_REFUSED, NULL, 0, false},

	/* trust anchors */
	{"verify-ca without a root file", GOOD, CLIENT(VERIFY_CA, NONE), 15, OUTCOME_REFUSED, "root certificate file", 0, false},
	{"require without a root file does not verify", GOOD, CLIENT(REQUIRE, NONE), 15, OUTCOME_TLS_UNVERIFIED, NULL, 0, false},
	{"require with a root file verifies (like verify-ca)", CHAIN(CHAIN_EXPIRED), CLIENT(REQUIRE, RIGHT), 15, OUTCOME_REFUSED, "certificate verify failed", 0, false},
	{"require with ~/.postgresql/root.crt verifies", GOOD, CLIENT(REQUIRE, HOME), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},
	{"prefer retries in plaintext after a failed verification", CHAIN(CHAIN_SELF_SIGNED), CLIENT(PREFER, RIGHT), 15, OUTCOME_PLAINTEXT, NULL, 0, false},
	{"prefer's retry fails channel binding", CHAIN(CHAIN_UNTRUSTED_CA), CB(PREFER, RIGHT), 15, OUTCOME_REFUSED, "channel binding", 0, false},
	{"the wrong CA fails verify-full", GOOD, CLIENT(VERIFY_FULL, WRONG), 15, OUTCOME_REFUSED, "certificate verify failed", 0, false},
	{"a bundle holding the right root verifies", GOOD, CLIENT(VERIFY_FULL, BUNDLE), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},
	{"a bundle trusts every CA in it", CHAIN(CHAIN_UNTRUSTED_CA), CLIENT(VERIFY_FULL, BUNDLE), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},
	{"not yet valid fails verify-ca", CHAIN(CHAIN_NOT_YET_VALID), CLIENT(VERIFY_CA, RIGHT), 15, OUTCOME_REFUSED, "certificate verify failed", 0, false},

	/* CRLs */
	{"revoked, no CRL: libpq cannot know", CHAIN(CHAIN_REVOKED), CLIENT(VERIFY_FULL, RIGHT), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},
	{"revoked, CRL file", CHAIN(CHAIN_REVOKED), CRL(VERIFY_FULL, FILE), 15, OUTCOME_REFUSED, "certificate verify failed", 0, false},
	{"revoked, CRL directory", CHAIN(CHAIN_REVOKED), CRL(VERIFY_CA, DIR), 15, OUTCOME_REFUSED, "certificate verify failed", 0, false},
	{"not revoked, CRL file", GOOD, CRL(VERIFY_FULL, FILE), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},

	/* host names, verify-full only */
	{"hostname mismatch", NAMES(NAME_MISMATCH), CLIENT(VERIFY_FULL, RIGHT), 15, OUTCOME_REFUSED, "does not match host name", 0, false},
	{"hostname mismatch passes verify-ca", NAMES(NAME_MISMATCH), CLIENT(VERIFY_CA, RIGHT), 15, OUTCOME_TLS_CHAIN_VERIFIED, NULL, 0, false},
	{"no names at all", NAMES(NAME_NONE), CLIENT(VERIFY_FULL, RIGHT), 15, OUTCOME_REFUSED, "could not get server's host name", 0, false},
	{"NUL in the CN", NAMES(NAME_NUL_IN_CN), CLIENT(VERIFY_FULL, RIGHT), 15, OUTCOME_REFUSED, "embedded null", 0, false},
	{"IP in the CN: libpq accepts, RFC 6125 does not", NAMES(NAME_IP_IN_CN), CLIENT(VERIFY_FULL, RIGHT), 15, OUTCOME_TLS_CHAIN_VERIFIED, NULL, 0, false},

	/* client certificates */
	{"no client certificate where one is required", CLIENTCERT, CCERT(REQUIRE, NONE), 15, OUTCOME_REFUSED, "valid client certificate", 0, false},
	{"prefer cannot escape a required client certificate", CLIENTCERT, CCERT(PREFER, NONE), 15, OUTCOME_REFUSED, "valid client certificate", 0, false},
	{"a revoked client certificate", CLIENTCERT, CCERT(VERIFY_FULL, REVOKED), 15, OUTCOME_REFUSED, "certificate revoked", 0, false},
	{"a good client certificate", CLIENTCERT, CCERT(VERIFY_FULL, GOOD), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},

	/* channel binding over TLS */
	{"channel binding over verified TLS", GOOD, CB(VERIFY_FULL, RIGHT), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},

	/* libpq versions */
	{"sslrootcert=system needs libpq 16", GOOD, CLIENT(VERIFY_FULL, SYSTEM), 15, OUTCOME_REFUSED, NULL, 16, false},
	{"sslrootcert=system verifies on libpq 16", GOOD, CLIENT(VERIFY_FULL, SYSTEM), 16, OUTCOME_TLS_VERIFIED, NULL, 0, false},
	{"sslrootcert=system refuses a weaker sslmode", GOOD, CLIENT(REQUIRE, SYSTEM), 17, OUTCOME_REFUSED, "weak sslmode", 0, false},
	{"sslnegotiation=direct needs libpq 17", GOOD, DIRECT(REQUIRE), 16, OUTCOME_REFUSED, NULL, 17, false},
	{"sslnegotiation=direct refuses prefer", GOOD, DIRECT(PREFER), 17, OUTCOME_REFUSED, "weak sslmode", 0, false},
	{"sslnegotiation=direct verifies", GOOD, DIRECT(VERIFY_FULL), 18, OUTCOME_TLS_VERIFIED, NULL, 0, false},

	/* attackers: accepted means the client gave the proxy its startup */
	{"strip: prefer falls to plaintext", STRIP, CLIENT(PREFER, RIGHT), 15, OUTCOME_PLAINTEXT, NULL, 0, true},
	{"strip: require refuses", STRIP, CLIENT(REQUIRE, NONE), 15, OUTCOME_REFUSED, "server does not support SSL", 0, false},
	{"strip: prefer with channel binding leaks the startup", STRIP, CB(PREFER, RIGHT), 15, OUTCOME_REFUSED, "channel binding", 0, true},
	{"strip: disable never had a chance", STRIP, CLIENT(DISABLE, NONE), 15, OUTCOME_PLAINTEXT, NULL, 0, true},
	{"forge: require without a root file is fooled", FORGE, CLIENT(REQUIRE, NONE), 15, OUTCOME_TLS_UNVERIFIED, NULL, 0, true},
	{"forge: require with a root file refuses", FORGE, CLIENT(REQUIRE, RIGHT), 15, OUTCOME_REFUSED, "certificate verify failed", 0, false},
	{"forge: prefer with a root file falls to plaintext", FORGE, CLIENT(PREFER, RIGHT), 15, OUTCOME_PLAINTEXT, NULL, 0, true},
	{"forge: channel binding refuses under require", FORGE, CB(REQUIRE, NONE), 15, OUTCOME_REFUSED, "channel binding", 0, true},
	{"forge: a valid chain for another name passes verify-ca", FORGE_OTHER, CLIENT(VERIFY_CA, RIGHT), 15, OUTCOME_TLS_CHAIN_VERIFIED, NULL, 0, true},
	{"forge: a valid chain for another name fails verify-full", FORGE_OTHER, CLIENT(VERIFY_FULL, RIGHT), 15, OUTCOME_REFUSED, "does not match host name", 0, false},
	{"forge: verify-full refuses", FORGE, CLIENT(VERIFY_FULL, BUNDLE), 15, OUTCOME_REFUSED, "certificate verify failed", 0, false},
	{"inject: the client aborts", INJECT, CLIENT(PREFER, NONE), 15, OUTCOME_REFUSED, "received unencrypted data after SSL response", 0, false},
	{"inject: verify-full without a root file fails first", INJECT, CLIENT(VERIFY_FULL, NONE), 15, OUTCOME_REFUSED, "root certificate file", 0, false},
	{"inject: allow connects in plaintext first", INJECT, CLIENT(ALLOW, NONE), 15, OUTCOME_PLAINTEXT, NULL, 0, true},
	{"error before TLS: no fallback", ERROR_E, CLIENT(PREFER, NONE), 15, OUTCOME_REFUSED, "error response during SSL exchange", 0, false},
	{"direct without ALPN is refused", NO_ALPN, DIRECT(VERIFY_FULL), 17, OUTCOME_REFUSED, NULL, 0, false},
};

static bool
same_string(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether expectation e says what golden g says. */
static bool
agrees(const Expectation *e, const Golden *g)
{
	if (g->needs_libpq)
		return e->needs_libpq == g->needs_libpq;
	return e->needs_libpq == 0 && e->outcome == g->outcome && same_string(e->reason, g->reason) &&
		e->attack_accepted == g->attack_accepted;
}

int
main(void)
{
	int			n_rules = ptp_model_rule_count();
	int			test = 0;
	int			passed = 0;
	int			failed = 0;

	printf("1..%d\n", (int) lengthof(goldens) + n_rules);

	for (size_t i = 0; i < lengthof(goldens); i++)
	{
		const Golden *g = &goldens[i];
		Expectation e = ptp_expect(&g->server, &g->client, g->libpq, -1);

		if (agrees(&e, g))
		{
			printf("ok %d - %s\n", ++test, g->what);
			passed++;
		}
		else
		{
			printf("not ok %d - %s\n", ++test, g->what);
			printf("# model says %s (rule %s, reason \"%s\", needs libpq %d)\n",
				   outcome_names[e.outcome], e.rule, e.reason ? e.reason : "", e.needs_libpq);
			failed++;
		}
	}

	for (int r = 0; r < n_rules; r++)
	{
		const char *pinned_by = NULL;

		for (size_t i = 0; i < lengthof(goldens) && pinned_by == NULL; i++)
		{
			const Golden *g = &goldens[i];
			Expectation e = ptp_expect(&g->server, &g->client, g->libpq, r);

			if (!agrees(&e, g))
				pinned_by = g->what;
		}
		if (pinned_by != NULL)
		{
			printf("ok %d - leaving out rule %s changes \"%s\"\n", ++test, ptp_model_rule_id(r), pinned_by);
			passed++;
		}
		else
		{
			printf("not ok %d - rule %s can be left out without any golden case noticing\n",
				   ++test, ptp_model_rule_id(r));
			failed++;
		}
	}

	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
