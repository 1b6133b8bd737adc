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
	{"golden", "", NULL, NULL, "localhost", "127.0.0.1", ssl, HBA_ANY, chain, name, attack, NULL, NULL, START_OK, false, false}
#define SERVER(ssl, hba, chain, name) \
	{"golden", "", NULL, NULL, "localhost", NULL, ssl, hba, chain, name, ATTACK_NONE, NULL, NULL, START_OK, false, false}
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
#define CLIENTCERT_CA	SERVER(true, HBA_CLIENT_CERT_CA, CHAIN_TRUSTED, NAME_MATCH)
#define WONT_START(why) \
	{"golden", "", NULL, NULL, "localhost", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL, NULL, why, false, false}
#define TLS12_SERVER \
	{"golden", "", NULL, NULL, "localhost", NULL, true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH, ATTACK_NONE, NULL, NULL, START_OK, true, true}

/* Clients: sslmode, anchor, then the rarer options. */
#define CLIENT(mode, anchor)	{MODE_##mode, ANCHOR_##anchor, false, CCERT_NONE, CRL_NONE, false, false, TLS_DEFAULT}
#define CB(mode, anchor)		{MODE_##mode, ANCHOR_##anchor, true, CCERT_NONE, CRL_NONE, false, false, TLS_DEFAULT}
#define CCERT(mode, cc)			{MODE_##mode, ANCHOR_RIGHT, false, CCERT_##cc, CRL_NONE, false, false, TLS_DEFAULT}
#define CRL(mode, k)			{MODE_##mode, ANCHOR_RIGHT, false, CCERT_NONE, CRL_##k, false, false, TLS_DEFAULT}
#define TLS(mode, v)			{MODE_##mode, ANCHOR_RIGHT, false, CCERT_NONE, CRL_NONE, false, false, TLS_##v}
#define UNSET(anchor)			{MODE_PREFER, ANCHOR_##anchor, false, CCERT_NONE, CRL_NONE, false, true, TLS_DEFAULT}
#define DIRECT(mode)			{MODE_##mode, ANCHOR_RIGHT, false, CCERT_NONE, CRL_NONE, true, false, TLS_DEFAULT}

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

	{"the CRL of another CA fails the chain", GOOD, CRL(VERIFY_CA, OTHER_CA), 15, OUTCOME_REFUSED, "certificate verify failed", 0, false},
	{"a CRL path that does not exist is no CRL", CHAIN(CHAIN_REVOKED), CRL(VERIFY_FULL, MISSING), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},

	/* server start failures */
	{"a wrong passphrase: the server does not start", WONT_START(START_BAD_PASSPHRASE), CLIENT(DISABLE, NONE), 15, OUTCOME_REFUSED, "could not load private key file", 0, false},
	{"inverted TLS bounds: the server does not start", WONT_START(START_INVERTED_BOUNDS), CLIENT(DISABLE, NONE), 15, OUTCOME_REFUSED, "could not set SSL protocol version range", 0, false},

	/* client TLS bounds */
	{"an invalid ssl_min_protocol_version fails even for disable", GOOD, TLS(DISABLE, INVALID), 15, OUTCOME_REFUSED, "ssl_min_protocol_version", 0, false},
	{"an inverted client range fails", GOOD, TLS(VERIFY_FULL, INVERTED), 15, OUTCOME_REFUSED, "invalid SSL protocol version range", 0, false},
	{"TLS 1.3 minimum against a TLS 1.2 server fails", TLS12_SERVER, TLS(VERIFY_FULL, MIN_13), 15, OUTCOME_REFUSED, "SSL error", 0, false},
	{"TLS 1.3 minimum against a TLS 1.2 server: prefer retries in plaintext", TLS12_SERVER, TLS(PREFER, MIN_13), 15, OUTCOME_PLAINTEXT, NULL, 0, false},
	{"TLS 1.2 maximum against a TLS 1.2 server verifies", TLS12_SERVER, TLS(VERIFY_FULL, MAX_12), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},
	{"TLS 1.3 minimum against a TLS 1.3 server verifies", GOOD, TLS(VERIFY_FULL, MIN_13), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},

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
	{"a client key in DER", CLIENTCERT, CCERT(VERIFY_FULL, DER_KEY), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},
	{"an encrypted client key, the right sslpassword", CLIENTCERT, CCERT(VERIFY_FULL, ENCRYPTED), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},
	{"an encrypted client key, a wrong sslpassword", CLIENTCERT, CCERT(VERIFY_FULL, ENCRYPTED_WRONG), 15, OUTCOME_REFUSED, "could not load private key file", 0, false},
	{"a world-readable client key", CLIENTCERT, CCERT(VERIFY_FULL, KEY_WORLD_READABLE), 15, OUTCOME_REFUSED, "has group or world access", 0, false},
	{"a client certificate without its intermediate", CLIENTCERT, CCERT(VERIFY_FULL, NO_INTERMEDIATE), 15, OUTCOME_REFUSED, "unknown ca", 0, false},
	{"a client certificate from an untrusted issuer", CLIENTCERT, CCERT(REQUIRE, UNTRUSTED), 15, OUTCOME_REFUSED, "unknown ca", 0, false},
	{"a client certificate for another user (verify-full)", CLIENTCERT, CCERT(VERIFY_FULL, OTHER_USER), 15, OUTCOME_REFUSED, "authentication failed for user", 0, false},
	{"a client certificate for another user (verify-ca)", CLIENTCERT_CA, CCERT(VERIFY_FULL, OTHER_USER), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},
	{"a revoked client certificate with a UTF-8 subject", CLIENTCERT, CCERT(VERIFY_FULL, UTF8_REVOKED), 15, OUTCOME_REFUSED, "certificate revoked", 0, false},
	{"sslcertmode needs libpq 16", CLIENTCERT, CCERT(VERIFY_FULL, CERTMODE_DISABLE), 15, OUTCOME_REFUSED, NULL, 16, false},
	{"sslcertmode=disable sends no certificate", CLIENTCERT, CCERT(VERIFY_FULL, CERTMODE_DISABLE), 16, OUTCOME_REFUSED, "valid client certificate", 0, false},
	{"sslcertmode=require: a server with ssl_ca_file always asks", GOOD, CCERT(VERIFY_FULL, CERTMODE_REQUIRE), 16, OUTCOME_TLS_VERIFIED, NULL, 0, false},
	{"sslcertmode=require where one is asked for", CLIENTCERT, CCERT(VERIFY_FULL, CERTMODE_REQUIRE), 17, OUTCOME_TLS_VERIFIED, NULL, 0, false},

	/* channel binding over TLS */
	{"channel binding over verified TLS", GOOD, CB(VERIFY_FULL, RIGHT), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},

	/* libpq versions */
	{"libpq 15: sslrootcert=system is a missing file \"system\" for verify-full", GOOD, CLIENT(VERIFY_FULL, SYSTEM), 15, OUTCOME_REFUSED, "root certificate file", 0, false},
	{"libpq 15: sslrootcert=system is no anchor for require", GOOD, CLIENT(REQUIRE, SYSTEM), 15, OUTCOME_TLS_UNVERIFIED, NULL, 0, false},
	{"libpq 15: a file \"system\" is a root file like any", GOOD, CLIENT(VERIFY_FULL, SYSTEM_FILE), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},
	{"libpq 16: no sslmode with sslrootcert=system is verify-full", NAMES(NAME_MISMATCH), UNSET(SYSTEM), 16, OUTCOME_REFUSED, "does not match host name", 0, false},
	{"libpq 15: no sslmode is prefer", CHAIN(CHAIN_UNTRUSTED_CA), UNSET(RIGHT), 15, OUTCOME_PLAINTEXT, NULL, 0, false},
	{"a root file with only the intermediate fails", GOOD, CLIENT(VERIFY_CA, INTERMEDIATE_ONLY), 15, OUTCOME_REFUSED, "certificate verify failed", 0, false},
	{"a two-CA bundle in the other order verifies", GOOD, CLIENT(VERIFY_FULL, BUNDLE_REVERSED), 15, OUTCOME_TLS_VERIFIED, NULL, 0, false},
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
