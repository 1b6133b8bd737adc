/*-------------------------------------------------------------------------
 *
 * cases.c
 *		The case table of "pg_tls_probe matrix": every server scenario
 *		crossed with the client configurations that can change its outcome.
 *
 * The full product of the dimensions (scenario x sslmode x trust anchor x
 * channel_binding x client certificate x CRL x sslnegotiation) is mostly
 * repetition; pruning_rules[] says, in the words "--list" prints, which
 * combinations are kept.  No two cases share the same inputs.
 *
 * harness/cases.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <fnmatch.h>

#include "matrix.h"
#include "pg_tls_probe.h"

const char *const pruning_rules[] = {
	"1. Every scenario runs sslmode disable once (no trust anchor: disable never reads one) and allow, prefer, require, verify-ca, verify-full with each trust anchor: none, the right CA, a wrong CA, a two-CA bundle, ~/.postgresql/root.crt in a throwaway HOME, sslrootcert=system.",
	"2. ssl-off: a server without SSL shows no certificate, so anchors are reduced to none and the right CA.",
	"3. client-cert (the server asks for a certificate): the right CA with each client certificate, none, good and revoked; client certificates are not offered elsewhere, where no server asks for them.",
	"4. channel_binding=require (SCRAM user) where it can change the outcome, on good, untrusted-ca, ssl-off and hostssl-only: each sslmode with the right CA (untrusted-ca: so prefer's plaintext retry is exercised).",
	"5. CRLs (sslcrl file, sslcrldir directory, both holding the CRLs of every CA in the chain) on revoked and on good (a non-revoked certificate still passes): sslmode prefer, require, verify-ca, verify-full with the right CA.",
	"6. sslnegotiation=direct on good, mismatch, untrusted-ca and ssl-off: each sslmode with the right CA (libpq >= 17; listed as \"needs libpq 17\" otherwise).",
	"7. Attacker proxies (strip, strip before a hostssl-only server, forge self-signed / copied names / valid chain for another name, inject, error before TLS) in front of the good server: sslmode disable once, the others with no anchor and with the right CA; channel_binding=require with both anchors on strip and forge-self-signed; the direct variants (forged certificate, no ALPN) with sslnegotiation=direct only: prefer once, require / verify-ca / verify-full with both anchors.",
	"8. Everything else uses channel_binding=disable, no client certificate, no CRL and sslnegotiation=postgres; the host is fixed per scenario.",
	NULL
};

/* Growing array of cases. */
typedef struct CaseList
{
	Case	   *items;
	int			n;
	int			cap;
	int			libpq;
} CaseList;

static void
add_case(CaseList *list, const Scenario *s, ClientConfig cfg)
{
	Case	   *c;

	if (list->n == list->cap)
	{
		list->cap = list->cap ? list->cap * 2 : 256;
		list->items = realloc(list->items, list->cap * sizeof(Case));
		if (list->items == NULL)
		{
			fprintf(stderr, "%s: out of memory\n", PTP_PROGNAME);
			exit(PTP_EXIT_ERROR);
		}
	}
	c = &list->items[list->n];
	memset(c, 0, sizeof(*c));
	c->id = list->n + 1;
	c->scenario = s;
	c->config = cfg;
	c->expect = ptp_expect(s, &cfg, list->libpq, -1);
	list->n++;
}

/*
 * add_attack_cases
 *		The client configurations run through an attacker proxy (rule 8).
 */
static void
add_attack_cases(CaseList *list, const Scenario *s)
{
	static const Anchor anchors[] = {ANCHOR_NONE, ANCHOR_RIGHT};
	bool		direct = s->attack == ATTACK_DIRECT || s->attack == ATTACK_DIRECT_NO_ALPN;
	bool		binding = strcmp(s->name, "attack-strip") == 0 ||
		strcmp(s->name, "attack-forge-self-signed") == 0;
	ClientConfig cfg = {MODE_DISABLE, ANCHOR_NONE, false, CCERT_NONE, CRL_NONE, direct};

	if (direct)
	{
		cfg.mode = MODE_PREFER;
		add_case(list, s, cfg);
		for (int m = MODE_REQUIRE; m < MODE_COUNT; m++)
			for (size_t a = 0; a < lengthof(anchors); a++)
			{
				cfg.mode = (SslMode) m;
				cfg.anchor = anchors[a];
				add_case(list, s, cfg);
			}
		return;
	}
	add_case(list, s, cfg);
	for (int m = MODE_ALLOW; m < MODE_COUNT; m++)
		for (size_t a = 0; a < lengthof(anchors); a++)
		{
			cfg.mode = (SslMode) m;
			cfg.anchor = anchors[a];
			add_case(list, s, cfg);
		}
	for (int m = 0; binding && m < MODE_COUNT; m++)
		for (size_t a = 0; a < lengthof(anchors); a++)
		{
			cfg.mode = (SslMode) m;
			cfg.anchor = anchors[a];
			cfg.channel_binding = true;
			add_case(list, s, cfg);
		}
}

static bool
scenario_is(const Scenario *s, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(s->name, *names) == 0)
			return true;
	return false;
}

/*
 * ptp_build_cases
 *		All cases, by the pruning rules, with their expectations under the
 *		libpq of major version libpq_major.  Returns a malloc'd array.
 */
Case *
ptp_build_cases(int libpq_major, int *n_cases)
{
	static const char *const binding_scenarios[] = {"good", "untrusted-ca", "ssl-off", "hostssl-only", NULL};
	static const char *const crl_scenarios[] = {"good", "revoked", NULL};
	static const char *const direct_scenarios[] = {"good", "mismatch", "untrusted-ca", "ssl-off", NULL};
	CaseList	list = {NULL, 0, 0, libpq_major};

	for (int i = 0; i < n_matrix_scenarios; i++)
	{
		const Scenario *s = &matrix_scenarios[i];
		ClientConfig base = {MODE_DISABLE, ANCHOR_NONE, false, CCERT_NONE, CRL_NONE, false};

		if (s->attack != ATTACK_NONE)
		{
			add_attack_cases(&list, s);
			continue;
		}
		add_case(&list, s, base);
		for (int m = MODE_ALLOW; m < MODE_COUNT; m++)
		{
			ClientConfig cfg = base;

			cfg.mode = (SslMode) m;
			if (s->hba == HBA_CLIENT_CERT)
			{
				cfg.anchor = ANCHOR_RIGHT;
				for (int cc = 0; cc < CCERT_COUNT; cc++)
				{
					cfg.ccert = (ClientCert) cc;
					add_case(&list, s, cfg);
				}
				continue;
			}
			for (int a = 0; a < ANCHOR_COUNT; a++)
			{
				if (!s->ssl && a != ANCHOR_NONE && a != ANCHOR_RIGHT)
					continue;
				cfg.anchor = (Anchor) a;
				add_case(&list, s, cfg);
			}
		}

		for (int m = 0; m < MODE_COUNT; m++)
		{
			ClientConfig cfg = base;

			cfg.mode = (SslMode) m;
			cfg.anchor = ANCHOR_RIGHT;
			if (scenario_is(s, binding_scenarios))
			{
				cfg.channel_binding = true;
				add_case(&list, s, cfg);
				cfg.channel_binding = false;
			}
			if (scenario_is(s, direct_scenarios))
			{
				cfg.direct = true;
				add_case(&list, s, cfg);
				cfg.direct = false;
			}
			if (scenario_is(s, crl_scenarios) && m >= MODE_PREFER)
			{
				for (int k = CRL_FILE; k < CRL_COUNT; k++)
				{
					cfg.crl = (CrlKind) k;
					add_case(&list, s, cfg);
				}
			}
		}
	}
	*n_cases = list.n;
	return list.items;
}

/*
 * ptp_case_label
 *		"scenario sslmode=... anchor=... [options]": the case's inputs in
 *		one malloc'd line, also what --filter matches.
 */
char *
ptp_case_label(const Case *c)
{
	const ClientConfig *cfg = &c->config;

	return ptp_psprintf("%s sslmode=%s anchor=%s%s%s%s%s%s%s",
						c->scenario->name, mode_names[cfg->mode], anchor_names[cfg->anchor],
						cfg->channel_binding ? " channel_binding=require" : "",
						cfg->ccert != CCERT_NONE ? " client-cert=" : "",
						cfg->ccert != CCERT_NONE ? ccert_names[cfg->ccert] : "",
						cfg->crl != CRL_NONE ? " crl=" : "",
						cfg->crl != CRL_NONE ? crl_names[cfg->crl] : "",
						cfg->direct ? " sslnegotiation=direct" : "");
}

/*
 * ptp_case_matches
 *		Whether the case's label matches filter: a shell pattern when it
 *		has one of *?[, else a substring.
 */
bool
ptp_case_matches(const Case *c, const char *filter)
{
	char	   *label;
	bool		match;

	if (filter == NULL)
		return true;
	label = ptp_case_label(c);
	if (strpbrk(filter, "*?[") != NULL)
		match = fnmatch(filter, label, 0) == 0;
	else
		match = strstr(label, filter) != NULL;
	free(label);
	return match;
}
