/*-------------------------------------------------------------------------
 *
 * expectations.c
 *		The expectation model of "pg_tls_probe matrix": what libpq is
 *		documented to do for a server scenario and a client configuration.
 *
 * The model is the table below, read top to bottom; the first rule whose
 * conditions all hold decides.  Conditions are on facts derived from the
 * case (derive_facts()), never on what was observed.  Each rule names its
 * source: the sslmode table and parameter descriptions of the libpq
 * documentation ("Database Connection Control Functions" and "SSL
 * Support"), libpq's code paths where the docs only hint (prefer/allow
 * retries), and the matching category of PostgreSQL's
 * src/test/ssl/t/001_ssltests.pl.  "pg_tls_probe matrix --model" prints
 * it; harness/expectations_test.c pins every rule to a hand-written case.
 *
 * harness/expectations.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "matrix.h"

/* How the client's trust anchor judges the server's chain. */
typedef enum Trust
{
	TRUST_NO_ANCHOR,			/* nothing to verify against */
	TRUST_OK,					/* the chain verifies (CRLs included) */
	TRUST_FAIL					/* it does not: wrong CA, expired, revoked... */
} Trust;

/* A three-valued column: the rule does not care, or requires yes / no. */
typedef enum Tri
{
	ANY = 0,
	YES,
	NO
} Tri;

typedef struct Facts
{
	SslMode		mode;
	Trust		trust;
	NameKind	name;
	bool		server_ssl;
	HbaKind		hba;
	bool		channel_binding;
	ClientCert	ccert;
	bool		system;
	bool		direct;
	AttackKind	attack;
	int			libpq;
	StartFailure start;
	TlsRange	tls;
	bool		tls12_max;		/* the server offers TLS 1.2 at most */
} Facts;

struct ModelRule
{
	const char *id;
	unsigned	modes;			/* bit per SslMode; 0 = any */
	unsigned	trust;			/* bit per Trust; 0 = any */
	unsigned	names;			/* bit per NameKind; 0 = any */
	Tri			server_ssl;
	unsigned	hba;			/* bit per HbaKind; 0 = any */
	Tri			channel_binding;
	unsigned	ccert;			/* bit per ClientCert; 0 = any */
	Tri			system;
	Tri			direct;
	int			libpq_min;		/* 0 = no bound */
	int			libpq_max;
	Outcome		outcome;
	int			needs_libpq;	/* > 0: the case cannot be expressed */
	const char *reason;			/* refusals: a substring of libpq's message */
	const char *source;
	unsigned	attacks;		/* bit per AttackKind; 0 = any */
	bool		leaks;			/* the client sent its startup before refusing */
	unsigned	starts;			/* bit per StartFailure; 0 = any */
	unsigned	tls;			/* bit per TlsRange; 0 = any */
	Tri			tls12_max;
};

#define M(m)	(1u << MODE_##m)
#define T(t)	(1u << TRUST_##t)
#define N(n)	(1u << NAME_##n)
#define H(h)	(1u << HBA_##h)
#define C(c)	(1u << CCERT_##c)
#define A(a)	(1u << ATTACK_##a)
#define S(s)	(1u << START_##s)
#define V(v)	(1u << TLS_##v)
#define TLS_MODES	(M(ALLOW) | M(PREFER) | M(REQUIRE) | M(VERIFY_CA) | M(VERIFY_FULL))
#define VERIFY_MODES (M(VERIFY_CA) | M(VERIFY_FULL))

/* Columns: id, modes, trust, names, server ssl, hba, channel binding,
 * client cert, sslrootcert=system, direct, libpq min, max, outcome,
 * needs libpq, reason, source. */
static const ModelRule model[] = {
	/* A server that must not start: no client case runs against it. */
	{"start-wrong-passphrase", 0, 0, 0, ANY, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "could not load private key file",
	"runtime config docs, ssl_passphrase_command: the command's output is the key's passphrase; a wrong one leaves the key unreadable and the server does not start (001_ssltests.pl: restart fails with password-protected key file with wrong password)",
	0, false, S(BAD_PASSPHRASE), 0, ANY},
	{"start-inverted-bounds", 0, 0, 0, ANY, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "could not set SSL protocol version range",
	"runtime config docs, ssl_max_protocol_version: the upper bound of ssl_min_protocol_version's range; a server whose minimum is above it does not start (001_ssltests.pl: invalid protocol version range)",
	0, false, S(INVERTED_BOUNDS), 0, ANY},

	/* What this libpq cannot express at all. */
	{"needs-16-sslcertmode", 0, 0, 0, ANY, 0, ANY, C(CERTMODE_DISABLE) | C(CERTMODE_REQUIRE), ANY, ANY, 0, 15,
		OUTCOME_REFUSED, 16, NULL,
	"libpq docs, sslcertmode: new in PostgreSQL 16", 0, false, 0, 0, ANY},
	{"needs-17-direct", 0, 0, 0, ANY, 0, ANY, 0, ANY, YES, 0, 16,
		OUTCOME_REFUSED, 17, NULL,
	"libpq docs, sslnegotiation: new in PostgreSQL 17", 0, false, 0, 0, ANY},

	/* Options libpq rejects before connecting, whatever the sslmode. */
	{"tls-version-invalid", 0, 0, 0, ANY, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "ssl_min_protocol_version",
	"libpq docs, ssl_min_protocol_version: valid values are TLSv1, TLSv1.1, TLSv1.2 and TLSv1.3 (001_ssltests.pl: invalid SSL protocol minimum bound)",
	0, false, 0, V(INVALID), ANY},
	{"tls-range-invalid", 0, 0, 0, ANY, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "invalid SSL protocol version range",
	"libpq docs, ssl_max_protocol_version: the upper bound of the range ssl_min_protocol_version starts (001_ssltests.pl: invalid SSL protocol version range)",
	0, false, 0, V(INVERTED), ANY},
	{"system-needs-verify-full", ~M(VERIFY_FULL) & 0x3f, 0, 0, ANY, 0, ANY, 0, YES, ANY, 16, 0,
		OUTCOME_REFUSED, 0, "weak sslmode",
	"libpq docs, sslrootcert=system: any sslmode but verify-full is an error (001_ssltests.pl: sslrootcert=system)", 0, false, 0, 0, ANY},
	{"direct-needs-tls-mode", M(DISABLE) | M(ALLOW) | M(PREFER), 0, 0, ANY, 0, ANY, 0, ANY, YES, 17, 0,
		OUTCOME_REFUSED, 0, "weak sslmode",
	"libpq docs, sslnegotiation=direct: requires sslmode require, verify-ca or verify-full", 0, false, 0, 0, ANY},
	{"direct-no-alpn", 0, 0, 0, ANY, 0, ANY, 0, ANY, YES, 17, 0,
		OUTCOME_REFUSED, 0, NULL,
	"libpq docs, sslnegotiation=direct: the server must negotiate ALPN \"postgresql\"; a TLS endpoint that does not is refused",
	A(DIRECT_NO_ALPN), false, 0, 0, ANY},

	/* sslmode=disable: one plaintext attempt. */
	{"disable-hostssl", M(DISABLE), 0, 0, ANY, H(HOSTSSL_ONLY) | H(CLIENT_CERT) | H(CLIENT_CERT_CA), ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "no pg_hba.conf entry",
	"sslmode table: disable = only try a non-SSL connection; pg_hba.conf: hostssl matches SSL connections only", 0, false, 0, 0, ANY},
	{"disable-channel-binding", M(DISABLE), 0, 0, ANY, 0, YES, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "channel binding",
	"libpq docs, channel_binding=require: the connection must use channel binding, which needs SSL", 0, true, 0, 0, ANY},
	{"disable-plaintext", M(DISABLE), 0, 0, ANY, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_PLAINTEXT, 0, NULL,
	"sslmode table: disable = only try a non-SSL connection (001_ssltests.pl: sslmode=disable)", 0, false, 0, 0, ANY},

	/* sslmode=allow: plaintext first, SSL only if the server refuses it. */
	{"allow-plaintext", M(ALLOW), 0, 0, ANY, H(ANY), NO, 0, ANY, ANY, 0, 0,
		OUTCOME_PLAINTEXT, 0, NULL,
	"sslmode table: allow = first try a non-SSL connection", 0, false, 0, 0, ANY},
	{"allow-channel-binding", M(ALLOW), 0, 0, ANY, H(ANY), YES, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "channel binding",
	"sslmode table (allow tries non-SSL first) + channel_binding=require: libpq fails the plaintext attempt itself, so the server never refuses it and no SSL retry follows", 0, true, 0, 0, ANY},

	/* Attackers that answer the SSLRequest with something other than S or N. */
	{"error-no-fallback", M(PREFER) | M(REQUIRE) | VERIFY_MODES, 0, 0, ANY, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "error response during SSL exchange",
	"CVE-2024-10977, fixed in libpq 15.10/16.6/17.2: an ErrorResponse to SSLRequest is not the server's and no plaintext retry follows",
	A(ERROR), false, 0, 0, ANY},

	/* A server with ssl=off answers the SSLRequest with N. */
	{"no-ssl-required", M(REQUIRE) | VERIFY_MODES, 0, 0, NO, 0, ANY, 0, ANY, NO, 0, 0,
		OUTCOME_REFUSED, 0, "server does not support SSL",
	"sslmode table: require/verify-* = only try an SSL connection", 0, false, 0, 0, ANY},
	{"no-ssl-direct", M(REQUIRE) | VERIFY_MODES, 0, 0, NO, 0, ANY, 0, ANY, YES, 0, 0,
		OUTCOME_REFUSED, 0, NULL,
	"libpq docs, sslnegotiation=direct: the TLS handshake starts at once; a server without SSL cannot complete it (the message varies)", 0, false, 0, 0, ANY},
	{"no-ssl-prefer-channel-binding", M(PREFER), 0, 0, NO, 0, YES, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "channel binding",
	"sslmode table: prefer falls back to non-SSL; channel_binding=require then fails", 0, true, 0, 0, ANY},
	{"no-ssl-prefer", M(PREFER), 0, 0, NO, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_PLAINTEXT, 0, NULL,
	"sslmode table: prefer = first try SSL; if that fails, try non-SSL", 0, false, 0, 0, ANY},

	/* The TLS attempt: a trust anchor is needed to verify. */
	{"verify-without-root", VERIFY_MODES, T(NO_ANCHOR), 0, YES, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "root certificate file",
	"libpq docs, SSL support: verify-ca and verify-full need a root certificate file; before libpq 16, sslrootcert=system names a file \"system\" (001_ssltests.pl: root missing)", 0, false, 0, 0, ANY},

	/* The client's own key, read before the handshake. */
	{"client-key-wrong-password", TLS_MODES, 0, 0, YES, 0, ANY, C(ENCRYPTED_WRONG), ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "could not load private key file",
	"libpq docs, sslpassword: the password for the key in sslkey; a wrong one leaves the key unreadable (001_ssltests.pl: certificate authorization fails with a wrong sslpassword)", 0, false, 0, 0, ANY},
	{"client-key-permissions", TLS_MODES, 0, 0, YES, 0, ANY, C(KEY_WORLD_READABLE), ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "has group or world access",
	"libpq docs, SSL support (client certificates): the key file must not allow any access to world or group (001_ssltests.pl: certificate authorization fails because of file permissions)", 0, false, 0, 0, ANY},

	/* Client and server TLS versions that do not overlap: the handshake fails. */
	{"tls-no-common-version-prefer", M(PREFER), 0, 0, YES, H(ANY), NO, 0, ANY, ANY, 0, 0,
		OUTCOME_PLAINTEXT, 0, NULL,
	"libpq docs, ssl_min_protocol_version; sslmode table: prefer tries non-SSL when the SSL attempt fails", 0, false, 0, V(MIN_13), YES},
	{"tls-no-common-version", M(REQUIRE) | VERIFY_MODES, 0, 0, YES, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "SSL error",
	"libpq docs, ssl_min_protocol_version: the lowest version the client will use; a server that offers less fails the handshake (001_ssltests.pl: ssl_min_protocol_version above the server's maximum)", 0, false, 0, V(MIN_13), YES},

	/* An attacker that slips plaintext in before a handshake the client accepts. */
	{"inject-abort", M(PREFER) | M(REQUIRE) | VERIFY_MODES, 0, 0, ANY, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "received unencrypted data after SSL response",
	"CVE-2021-23222, fixed in libpq 14.1: plaintext bytes after the S, found once the handshake is done, abort the connection without a retry", A(INJECT), false, 0, 0, ANY},
	/*
	 * A failed verification fails the handshake, in every mode that has a
	 * root file: with one, libpq verifies even under prefer and require.
	 */
	{"prefer-retries-plaintext", M(PREFER), T(FAIL), 0, YES, H(ANY), NO, 0, ANY, ANY, 0, 0,
		OUTCOME_PLAINTEXT, 0, NULL,
	"libpq: prefer retries without SSL after a failed SSL attempt (documented insecure: sslmode table, \"I don't care about security\")", 0, false, 0, 0, ANY},
	{"prefer-retry-channel-binding", M(PREFER), T(FAIL), 0, YES, H(ANY), YES, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "channel binding",
	"libpq: prefer's plaintext retry cannot satisfy channel_binding=require", 0, true, 0, 0, ANY},
	{"verify-failed", TLS_MODES, T(FAIL), 0, YES, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "certificate verify failed",
	"libpq docs: if a root certificate file exists, require behaves like verify-ca (001_ssltests.pl: wrong root, expired, revoked with CRL file/dir, untrusted CA)", 0, false, 0, 0, ANY},

	/* verify-full then checks the host name (libpq's rules). */
	{"name-nul", M(VERIFY_FULL), 0, N(NUL_IN_CN), YES, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "embedded null",
	"libpq refuses a certificate name with an embedded NUL (CVE-2009-4034)", 0, false, 0, 0, ANY},
	{"name-none", M(VERIFY_FULL), 0, N(NONE), YES, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "could not get server's host name",
	"libpq docs, SSL support (001_ssltests.pl: server certificate without CN or SANs)", 0, false, 0, 0, ANY},
	{"name-mismatch", M(VERIFY_FULL), 0, N(MISMATCH), YES, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "does not match host name",
	"libpq docs, verify-full: the host name must match the certificate's SAN or, without SANs, its CN (001_ssltests.pl: hostname mismatch, wildcard)", 0, false, 0, 0, ANY},

	/* A forged TLS session: SCRAM channel binding sees the substitution. */
	{"forge-channel-binding", TLS_MODES, T(NO_ANCHOR) | T(OK), 0, YES, 0, YES, 0, ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "channel binding",
	"libpq docs, channel_binding: tls-server-end-point binds SCRAM to the server's certificate, so the real server rejects a session relayed from a forged one",
	A(FORGE) | A(DIRECT), true, 0, 0, ANY},

	/* A server that asks for a client certificate. */
	{"client-cert-missing", TLS_MODES, 0, 0, YES, H(CLIENT_CERT) | H(CLIENT_CERT_CA), ANY, C(NONE) | C(CERTMODE_DISABLE), ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "valid client certificate",
	"pg_hba.conf docs, clientcert=verify-full/verify-ca: the client must present a valid certificate; libpq docs, sslcertmode=disable: none is sent", 0, false, 0, 0, ANY},
	{"client-cert-revoked", TLS_MODES, 0, 0, YES, H(CLIENT_CERT) | H(CLIENT_CERT_CA), ANY, C(REVOKED) | C(UTF8_REVOKED), ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "certificate revoked",
	"runtime config docs, ssl_crl_file: client certificates listed there are rejected in the handshake (001_ssltests.pl: revoked client certificate, with a UTF-8 subject too)", 0, false, 0, 0, ANY},
	{"client-cert-unverifiable", TLS_MODES, 0, 0, YES, H(CLIENT_CERT) | H(CLIENT_CERT_CA), ANY, C(NO_INTERMEDIATE) | C(UNTRUSTED), ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "unknown ca",
	"libpq docs, sslcert: intermediates the server lacks must follow the client certificate in the file; runtime config docs, ssl_ca_file: the CAs client certificates are checked against (001_ssltests.pl: intermediate client certificate is missing / untrusted)", 0, false, 0, 0, ANY},
	{"client-cert-other-user", TLS_MODES, 0, 0, YES, H(CLIENT_CERT), ANY, C(OTHER_USER), ANY, ANY, 0, 0,
		OUTCOME_REFUSED, 0, "authentication failed for user",
	"pg_hba.conf docs, clientcert=verify-full: the certificate's CN must also match the user name (001_ssltests.pl: auth_option clientcert=verify-full fails with mismatching username)", 0, false, 0, 0, ANY},

	/* The TLS session stands; its class is what the client can prove. */
	{"tls-verified", TLS_MODES, T(OK), N(MATCH), YES, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_TLS_VERIFIED, 0, NULL,
	"libpq docs, verify-full; RFC 6125 host check by the harness (001_ssltests.pl: root right, two-CA bundle, SAN DNS, IP SAN, CN-only, wildcard)", 0, false, 0, 0, ANY},
	{"tls-chain-only", TLS_MODES, T(OK), 0, YES, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_TLS_CHAIN_VERIFIED, 0, NULL,
	"libpq docs: verify-ca (and require/prefer with a root file) check the chain, not the name; libpq also matches an IP in the CN, RFC 6125 does not", 0, false, 0, 0, ANY},
	{"tls-unverified", TLS_MODES, T(NO_ANCHOR), 0, YES, 0, ANY, 0, ANY, ANY, 0, 0,
		OUTCOME_TLS_UNVERIFIED, 0, NULL,
	"sslmode table: require without a root file = encrypted, no verification (001_ssltests.pl: root missing, sslmode=require)", 0, false, 0, 0, ANY},
};

const char *const mode_names[MODE_COUNT] = {
	"disable", "allow", "prefer", "require", "verify-ca", "verify-full"
};
const char *const anchor_names[ANCHOR_COUNT] = {
	"none", "right-ca", "wrong-ca", "two-ca-bundle", "home-root.crt", "system",
	"two-ca-bundle-reversed", "intermediate-only", "system-file"
};
const char *const ccert_names[CCERT_COUNT] = {
	"none", "good", "revoked", "no-intermediate", "untrusted-issuer", "der-key",
	"encrypted-key", "encrypted-key-wrong-password", "key-world-readable",
	"other-user", "utf8-subject-revoked", "sslcertmode-disable", "sslcertmode-require"
};
const char *const crl_names[CRL_COUNT] = {"none", "file", "dir", "other-ca", "missing-file"};
const char *const tls_names[TLS_COUNT] = {
	"", "ssl_min_protocol_version=TLSv1.3", "ssl_max_protocol_version=TLSv1.2",
	"ssl_min_protocol_version=TLSv1.9", "ssl_min_protocol_version=TLSv1.3 ssl_max_protocol_version=TLSv1.2"
};

const char *const outcome_names[OUTCOME_COUNT] = {
	"refused", "plaintext", "tls-unverified", "tls-chain-verified", "tls-verified"
};

/*
 * derive_facts
 *		The facts the rules test, from a scenario and a client configuration.
 */
static Facts
derive_facts(const Scenario *s, const ClientConfig *cfg, int libpq_major)
{
	Facts		f;
	bool		chain_ok;

	/*
	 * sslrootcert=system is special from libpq 16; before, it is the file
	 * "system" in the working directory, present only for system-file.
	 */
	f.system = (cfg->anchor == ANCHOR_SYSTEM || cfg->anchor == ANCHOR_SYSTEM_FILE) &&
		libpq_major >= 16;
	/* libpq docs, sslmode: the default is prefer, verify-full with sslrootcert=system */
	f.mode = cfg->mode_unset ? (f.system ? MODE_VERIFY_FULL : MODE_PREFER) : cfg->mode;
	f.name = s->name_kind;
	f.start = s->start_failure;
	f.tls = cfg->tls;
	f.tls12_max = s->tls12_max;
	f.server_ssl = s->ssl;
	/* Behind an attacker, the proxy answers the client, whatever the server's pg_hba.conf. */
	f.hba = s->attack != ATTACK_NONE ? HBA_ANY : s->hba;
	f.channel_binding = cfg->channel_binding;
	f.ccert = cfg->ccert;
	f.direct = cfg->direct;
	f.attack = s->attack;
	f.libpq = libpq_major;

	/*
	 * Against the right root the chain verifies when it was issued under it
	 * and is in date; a revoked one only fails when the client has CRLs.  A
	 * bundle that includes the unrelated CA makes that CA's leaves valid
	 * too: trusting a bundle means trusting every CA in it.
	 */
	chain_ok = (s->chain == CHAIN_TRUSTED && cfg->crl != CRL_OTHER_CA) ||
		(s->chain == CHAIN_REVOKED && (cfg->crl == CRL_NONE || cfg->crl == CRL_MISSING));
	switch (cfg->anchor)
	{
		case ANCHOR_NONE:
			f.trust = TRUST_NO_ANCHOR;
			break;
		case ANCHOR_SYSTEM:
			f.trust = f.system ? (chain_ok ? TRUST_OK : TRUST_FAIL) : TRUST_NO_ANCHOR;
			break;
		case ANCHOR_INTERMEDIATE_ONLY:
			/* libpq docs: the root file must hold the chain up to a root CA */
			f.trust = TRUST_FAIL;
			break;
		case ANCHOR_WRONG:
			/* the "wrong" CA is the one that issued untrusted-ca's leaf */
			f.trust = s->chain == CHAIN_UNTRUSTED_CA ? TRUST_OK : TRUST_FAIL;
			break;
		case ANCHOR_BUNDLE:
		case ANCHOR_BUNDLE_REVERSED:
			f.trust = (chain_ok || s->chain == CHAIN_UNTRUSTED_CA) ? TRUST_OK : TRUST_FAIL;
			break;
		default:
			f.trust = chain_ok ? TRUST_OK : TRUST_FAIL;
			break;
	}
	return f;
}

static bool
tri_holds(Tri t, bool value)
{
	return t == ANY || (t == YES) == value;
}

static bool
bits_hold(unsigned bits, int value)
{
	return bits == 0 || (bits & (1u << value)) != 0;
}

/*
 * rule_holds
 *		Whether every condition of rule r holds for f.
 */
static bool
rule_holds(const ModelRule *r, const Facts *f)
{
	return bits_hold(r->modes, f->mode) &&
		bits_hold(r->trust, f->trust) &&
		bits_hold(r->names, f->name) &&
		tri_holds(r->server_ssl, f->server_ssl) &&
		bits_hold(r->hba, f->hba) &&
		tri_holds(r->channel_binding, f->channel_binding) &&
		bits_hold(r->ccert, f->ccert) &&
		tri_holds(r->system, f->system) &&
		tri_holds(r->direct, f->direct) &&
		bits_hold(r->attacks, f->attack) &&
		bits_hold(r->starts, f->start) &&
		bits_hold(r->tls, f->tls) &&
		tri_holds(r->tls12_max, f->tls12_max) &&
		(r->libpq_min == 0 || f->libpq >= r->libpq_min) &&
		(r->libpq_max == 0 || f->libpq <= r->libpq_max);
}

/*
 * ptp_expect
 *		The expectation for one case: the first rule that holds.  skip_rule
 *		>= 0 leaves that rule out (the unit test's mutations); -1 uses all.
 *		A case no rule covers is expected refused by rule "none", which can
 *		never match an observation's reason.
 */
Expectation
ptp_expect(const Scenario *s, const ClientConfig *cfg, int libpq_major, int skip_rule)
{
	Facts		f = derive_facts(s, cfg, libpq_major);
	Expectation e = {OUTCOME_REFUSED, "(no rule covers this case)", "none", 0, false};

	for (int i = 0; i < (int) lengthof(model); i++)
	{
		if (i == skip_rule || !rule_holds(&model[i], &f))
			continue;
		e.outcome = model[i].outcome;
		e.reason = model[i].reason;
		e.rule = model[i].id;
		e.needs_libpq = model[i].needs_libpq;
		e.attack_accepted = s->attack != ATTACK_NONE && e.needs_libpq == 0 &&
			(e.outcome != OUTCOME_REFUSED || model[i].leaks);
		break;
	}
	return e;
}

int
ptp_model_rule_count(void)
{
	return lengthof(model);
}

const char *
ptp_model_rule_id(int i)
{
	return model[i].id;
}

/*
 * ptp_model_print
 *		The model as a table: one rule per line with its conditions, its
 *		outcome and its source.
 */
void
ptp_model_print(FILE *out)
{
	static const char *const trust_names[] = {"no-anchor", "ok", "fail"};
	static const char *const name_names[] = {"match", "mismatch", "none", "nul-in-cn", "ip-in-cn", "ip-in-dnsname"};
	static const char *const hba_names[] = {"host+hostssl", "hostssl-only", "clientcert", "clientcert=verify-ca"};
	static const char *const start_names[] = {"starts", "wrong-passphrase", "inverted-tls-bounds"};
	static const char *const tri_names[] = {"", "yes", "no"};
	static const char *const attack_names[] = {"none", "strip", "forge", "inject", "error", "direct", "direct-no-alpn"};

	fprintf(out, "Expectation model (first matching rule decides; blank = any):\n\n");
	for (int i = 0; i < (int) lengthof(model); i++)
	{
		const ModelRule *r = &model[i];
		char		cond[1024] = "";

#define ADD_BITS(label, bits, names, count) \
		if ((bits) != 0) \
		{ \
			strlcat(cond, " " label "=", sizeof(cond)); \
			for (int b = 0, first = 1; b < (count); b++) \
				if ((bits) & (1u << b)) \
				{ \
					if (!first) strlcat(cond, "|", sizeof(cond)); \
					strlcat(cond, names[b], sizeof(cond)); \
					first = 0; \
				} \
		}
#define ADD_TRI(label, t) \
		if ((t) != ANY) \
		{ \
			strlcat(cond, " " label "=", sizeof(cond)); \
			strlcat(cond, tri_names[t], sizeof(cond)); \
		}

		ADD_BITS("sslmode", r->modes, mode_names, MODE_COUNT);
		ADD_BITS("trust", r->trust, trust_names, 3);
		ADD_BITS("name", r->names, name_names, 6);
		ADD_TRI("server-ssl", r->server_ssl);
		ADD_BITS("hba", r->hba, hba_names, 4);
		ADD_BITS("server-start", r->starts, start_names, 3);
		ADD_BITS("client-tls", r->tls, tls_names, TLS_COUNT);
		ADD_TRI("server-tls12-max", r->tls12_max);
		ADD_TRI("channel-binding", r->channel_binding);
		ADD_BITS("client-cert", r->ccert, ccert_names, CCERT_COUNT);
		ADD_TRI("system", r->system);
		ADD_TRI("direct", r->direct);
		ADD_BITS("attack", r->attacks, attack_names, ATTACK_COUNT);
#undef ADD_BITS
#undef ADD_TRI
		if (r->libpq_min)
			snprintf(cond + strlen(cond), sizeof(cond) - strlen(cond), " libpq>=%d", r->libpq_min);
		if (r->libpq_max)
			snprintf(cond + strlen(cond), sizeof(cond) - strlen(cond), " libpq<=%d", r->libpq_max);

		fprintf(out, "%-30s%s\n", r->id, cond);
		if (r->needs_libpq)
			fprintf(out, "%30s-> not run: needs libpq %d\n", "", r->needs_libpq);
		else
			fprintf(out, "%30s-> %s%s%s%s%s\n", "", outcome_names[r->outcome],
					r->reason ? " (\"" : "", r->reason ? r->reason : "", r->reason ? "\")" : "",
					r->leaks ? "; the startup was sent first" : "");
		fprintf(out, "%30s   source: %s\n", "", r->source);
	}
}
