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
	"1. Every scenario runs sslmode disable once (no trust anchor: disable never reads one) and allow, prefer, require, verify-ca, verify-full with each trust anchor: none, the right CA, a wrong CA, a two-CA bundle, ~/.postgresql/root.crt in a throwaway HOME, sslrootcert=system (before libpq 16: a file \"system\" in the working directory, absent).",
	"2. ssl-off, and the scenarios that test one server property (passphrase, tls12-max, the name checks, clientcert=verify-ca): anchors none and the right CA only.",
	"3. client-cert (the server asks for a certificate): the right CA with each client certificate, none, good and revoked; at verify-full also the leaf without its intermediate, one from an untrusted issuer, a DER key, an encrypted key with the right and a wrong sslpassword, a world-readable key, another user, a revoked UTF-8 subject and sslcertmode=disable; client-cert-verify-ca: none, good and another user at require and verify-full; sslcertmode=require on good (the test server has ssl_ca_file, so it always asks for a certificate) and client-cert at verify-full.",
	"4. channel_binding=require (SCRAM user) where it can change the outcome, on good, untrusted-ca, ssl-off and hostssl-only: each sslmode with the right CA (untrusted-ca: so prefer's plaintext retry is exercised).",
	"5. CRLs (sslcrl file, sslcrldir directory, both holding the CRLs of every CA in the chain; the unrelated CA's CRL alone; a CRL file that does not exist) on revoked and on good: sslmode prefer, require, verify-ca, verify-full with the right CA.",
	"6. sslnegotiation=direct on good, mismatch, untrusted-ca and ssl-off: each sslmode with the right CA (libpq >= 17; listed as \"needs libpq 17\" otherwise).",
	"7. Attacker proxies (strip, strip before a hostssl-only server, forge self-signed / copied names / valid chain for another name, inject, error before TLS) in front of the good server: sslmode disable once, the others with no anchor and with the right CA, and no sslmode with the right CA; channel_binding=require with both anchors on strip and forge-self-signed; the direct variants (forged certificate, no ALPN) with sslnegotiation=direct only: prefer once, require / verify-ca / verify-full with both anchors.",
	"8. No sslmode at all (libpq's default; PGSSLMODE and every PG* variable cleared): every scenario but the direct attacks with the right CA, good also with no anchor and with sslrootcert=system.",
	"9. On good only: the other root files (the two-CA bundle in the other order, the intermediate alone, sslrootcert=system with a file \"system\" in the working directory) with each sslmode but disable; client TLS bounds: ssl_min_protocol_version=TLSv1.3 and ssl_max_protocol_version=TLSv1.2 at prefer, require and verify-full, an invalid version and an inverted range at disable and verify-full. tls12-max adds ssl_min_protocol_version=TLSv1.3 at prefer, require, verify-full and ssl_max_protocol_version=TLSv1.2 at verify-full.",
	"10. Servers that must refuse to start (a wrong passphrase, inverted protocol bounds): one case each, the start itself; no client case runs.",
	"11. Everything else uses channel_binding=disable, no client certificate, no CRL, libpq's default TLS bounds and sslnegotiation=postgres; the host is fixed per scenario.",
	NULL
};

/*
 * The categories of PostgreSQL's src/test/ssl/t/001_ssltests.pl, each named
 * after the test there it corresponds to, and the --filter pattern of the
 * cases that cover it.  "--list" prints the cases; test_cli.sh fails when a
 * category has none.
 */
const SuiteCategory ssl_suite_categories[] = {
	{"restart succeeds with password-protected key file", "passphrase sslmode="},
	{"restart fails with password-protected key file with wrong password", "passphrase-wrong server-start"},
	{"server doesn't accept non-SSL connections", "hostssl-only sslmode=disable"},
	{"connect without server root cert", "good sslmode=*anchor=none"},
	{"connect with wrong server root cert", "good sslmode=*anchor=wrong-ca"},
	{"connect with server CA cert, without root CA", "anchor=intermediate-only"},
	{"connect with correct server CA cert file", "good sslmode=*anchor=right-ca"},
	{"cert root file that contains two certificates, order 1", "*anchor=two-ca-bundle"},
	{"cert root file that contains two certificates, order 2", "anchor=two-ca-bundle-reversed"},
	{"sslcrl option with invalid file name", "crl=missing-file"},
	{"CRL belonging to a different CA", "crl=other-ca"},
	{"CRL with a non-revoked cert", "good sslmode=* crl=file"},
	{"directory CRL with a non-revoked cert", "good sslmode=* crl=dir"},
	{"connects without client-side CRL", "revoked sslmode=verify-*anchor=right-ca"},
	{"does not connect with client-side CRL file", "revoked sslmode=* crl=file"},
	{"does not connect with client-side CRL directory", "revoked sslmode=* crl=dir"},
	{"mismatch between host name and server certificate", "mismatch sslmode="},
	{"host name matching with X.509 Subject Alternative Names", "good sslmode=verify-full"},
	{"host name matching with X.509 Subject Alternative Names wildcard", "wildcard-"},
	{"certificate with both a CN and SANs ignores CN", "cn-ignored-with-sans"},
	{"certificate with a CN and only IP SANs falls back to the CN", "cn-fallback-ip-sans"},
	{"server certificate without CN or SANs", "no-names"},
	{"IP address in a dNSName", "ip-in-dnsname"},
	{"IP address in the CN", "ip-in-cn"},
	{"IP address in a SAN", "ip-san"},
	{"IPv6 address in a SAN", "ipv6-san"},
	{"IPv6 address in a SAN, another form (0:0::1)", "ipv6-long-form"},
	{"IPv6 address with a CIDR suffix", "ipv6-cidr-suffix"},
	{"sslrootcert=system with a private CA", "*sslmode=verify-full anchor=system"},
	{"sslrootcert=system defaults to sslmode=verify-full", "sslmode=unset anchor=system"},
	{"sslrootcert=system names a file before libpq 16", "anchor=system-file"},
	{"no sslmode: libpq's default (prefer)", "sslmode=unset"},
	{"ssl_min_protocol_version above the server's maximum", "tls12-max * ssl_min_protocol_version=TLSv1.3"},
	{"ssl_max_protocol_version within the server's range", "anchor=right-ca ssl_max_protocol_version=TLSv1.2"},
	{"invalid SSL protocol minimum bound", "ssl_min_protocol_version=TLSv1.9"},
	{"invalid SSL protocol version range", "ssl_min_protocol_version=TLSv1.3 ssl_max_protocol_version=TLSv1.2"},
	{"server with inverted protocol bounds does not start", "tls-inverted-bounds server-start"},
	{"certificate authorization fails without client cert", "client-cert sslmode=*anchor=right-ca"},
	{"certificate authorization succeeds with correct client cert", "client-cert=good"},
	{"certificate authorization succeeds with DER-encoded client key", "client-cert=der-key"},
	{"certificate authorization succeeds with encrypted key and correct sslpassword", "*client-cert=encrypted-key"},
	{"certificate authorization fails with wrong sslpassword", "client-cert=encrypted-key-wrong-password"},
	{"certificate authorization fails because of file permissions", "client-cert=key-world-readable"},
	{"certificate authorization fails with client cert belonging to another user", "client-cert sslmode=* client-cert=other-user"},
	{"auth_option clientcert=verify-ca succeeds with mismatching username and Common Name", "client-cert-verify-ca * client-cert=other-user"},
	{"certificate authorization fails with revoked client cert", "client-cert=revoked"},
	{"certificate authorization fails with revoked UTF-8 client cert", "client-cert=utf8-subject-revoked"},
	{"intermediate client certificate is provided by client", "client-cert sslmode=* client-cert=good"},
	{"intermediate client certificate is missing", "client-cert=no-intermediate"},
	{"intermediate client certificate is untrusted", "client-cert=untrusted-issuer"},
	{"sslcertmode=disable / sslcertmode=require", "client-cert=sslcertmode-"},
	{NULL, NULL}
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
	ClientConfig cfg = {MODE_DISABLE, ANCHOR_NONE, false, CCERT_NONE, CRL_NONE, direct, false, TLS_DEFAULT};

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
	static const Anchor other_roots[] = {ANCHOR_BUNDLE_REVERSED, ANCHOR_INTERMEDIATE_ONLY, ANCHOR_SYSTEM_FILE};
	CaseList	list = {NULL, 0, 0, libpq_major};

	for (int i = 0; i < n_matrix_scenarios; i++)
	{
		const Scenario *s = &matrix_scenarios[i];
		ClientConfig base = {MODE_DISABLE, ANCHOR_NONE, false, CCERT_NONE, CRL_NONE, false, false, TLS_DEFAULT};
		bool		is_good = strcmp(s->name, "good") == 0;

		if (s->start_failure != START_OK)
		{
			add_case(&list, s, base);
			continue;
		}
		if (s->attack != ATTACK_NONE)
		{
			add_attack_cases(&list, s);
			if (s->attack == ATTACK_DIRECT || s->attack == ATTACK_DIRECT_NO_ALPN)
				continue;
			base.mode = MODE_PREFER;
			base.mode_unset = true;
			base.anchor = ANCHOR_RIGHT;
			add_case(&list, s, base);
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
				for (int cc = 0; cc <= CCERT_REVOKED; cc++)
				{
					cfg.ccert = (ClientCert) cc;
					add_case(&list, s, cfg);
				}
				for (int cc = CCERT_REVOKED + 1; m == MODE_VERIFY_FULL && cc < CCERT_COUNT; cc++)
				{
					cfg.ccert = (ClientCert) cc;
					add_case(&list, s, cfg);
				}
				continue;
			}
			if (s->hba == HBA_CLIENT_CERT_CA)
			{
				static const ClientCert ccerts[] = {CCERT_NONE, CCERT_GOOD, CCERT_OTHER_USER};

				cfg.anchor = ANCHOR_RIGHT;
				for (size_t cc = 0; (m == MODE_REQUIRE || m == MODE_VERIFY_FULL) && cc < lengthof(ccerts); cc++)
				{
					cfg.ccert = ccerts[cc];
					add_case(&list, s, cfg);
				}
				continue;
			}
			for (int a = 0; a <= ANCHOR_SYSTEM; a++)
			{
				if ((!s->ssl || s->few_anchors) && a != ANCHOR_NONE && a != ANCHOR_RIGHT)
					continue;
				cfg.anchor = (Anchor) a;
				add_case(&list, s, cfg);
			}
			for (size_t a = 0; is_good && a < lengthof(other_roots); a++)
			{
				cfg.anchor = other_roots[a];
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
				cfg.crl = CRL_NONE;
			}
			/* client TLS bounds (rule 9) */
			if (is_good || s->tls12_max)
			{
				for (int v = TLS_MIN_13; v < TLS_COUNT; v++)
				{
					bool		bounds = v == TLS_MIN_13 || v == TLS_MAX_12;
					bool		want;

					if (s->tls12_max)
						want = (v == TLS_MIN_13 && (m == MODE_PREFER || m == MODE_REQUIRE || m == MODE_VERIFY_FULL)) ||
							(v == TLS_MAX_12 && m == MODE_VERIFY_FULL);
					else
						want = bounds ? (m == MODE_PREFER || m == MODE_REQUIRE || m == MODE_VERIFY_FULL) :
							(m == MODE_DISABLE || m == MODE_VERIFY_FULL);
					if (!want)
						continue;
					cfg.tls = (TlsRange) v;
					add_case(&list, s, cfg);
				}
				cfg.tls = TLS_DEFAULT;
			}
			if (m == MODE_VERIFY_FULL && is_good)
			{
				cfg.ccert = CCERT_CERTMODE_REQUIRE;
				add_case(&list, s, cfg);
				cfg.ccert = CCERT_NONE;
			}
		}

		/* no sslmode at all (rule 8) */
		base.mode = MODE_PREFER;
		base.mode_unset = true;
		base.anchor = ANCHOR_RIGHT;
		add_case(&list, s, base);
		if (is_good)
		{
			base.anchor = ANCHOR_NONE;
			add_case(&list, s, base);
			base.anchor = ANCHOR_SYSTEM;
			add_case(&list, s, base);
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

	if (c->scenario->start_failure != START_OK)
		return ptp_psprintf("%s server-start", c->scenario->name);
	return ptp_psprintf("%s sslmode=%s anchor=%s%s%s%s%s%s%s%s%s",
						c->scenario->name, cfg->mode_unset ? "unset" : mode_names[cfg->mode],
						anchor_names[cfg->anchor],
						cfg->tls != TLS_DEFAULT ? " " : "", tls_names[cfg->tls],
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
