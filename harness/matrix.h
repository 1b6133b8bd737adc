/*-------------------------------------------------------------------------
 *
 * matrix.h
 *		Types shared by the parts of "pg_tls_probe matrix": server
 *		scenarios, client configurations, cases, the expectation model,
 *		connection attempts and reports.
 *
 * harness/matrix.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PTP_MATRIX_H
#define PTP_MATRIX_H

#include <stdio.h>

#include "libpq-fe.h"
#include "pg_tls_probe.h"
#include "proxy.h"

/* Files the matrix adds to the fixture PKI (scenarios.c). */
#define MATRIX_BUNDLE_REVERSED_CRT	"bundle_reversed.crt"	/* root CA + untrusted CA */
#define MATRIX_CRL_OTHER_CA			"crl_other_ca.crl"	/* the untrusted CA's CRL only */
#define MATRIX_CRL_MISSING			"no_such_file.crl"
#define MATRIX_SERVER_PASS_KEY		"server_passphrase.key"	/* server_ec.key, encrypted */
#define MATRIX_CLIENT_LEAF_CRT		"client_leaf.crt"	/* client.crt without the intermediate */
#define MATRIX_CLIENT_UNTRUSTED_CRT	"client_untrusted.crt"
#define MATRIX_CLIENT_UNTRUSTED_KEY	"client_untrusted.key"
#define MATRIX_CLIENT_DER_KEY		"client_der.key"
#define MATRIX_CLIENT_ENCRYPTED_KEY	"client_encrypted.key"
#define MATRIX_CLIENT_WORLD_KEY		"client_world_readable.key"
#define MATRIX_CLIENT_UTF8_CRT		"client_utf8_revoked.crt"
#define MATRIX_CLIENT_UTF8_KEY		"client_utf8_revoked.key"
/* The passphrase of both encrypted keys (server and client). */
#define MATRIX_KEY_PASSPHRASE		"pg-tls-probe-key-passphrase"

/* The role the channel_binding cases authenticate as, with SCRAM. */
#define MATRIX_SCRAM_ROLE	"tls_scram"

/* The outcome vocabulary of DESIGN.md, from worst to best. */
typedef enum Outcome
{
	OUTCOME_REFUSED,
	OUTCOME_PLAINTEXT,
	OUTCOME_TLS_UNVERIFIED,
	OUTCOME_TLS_CHAIN_VERIFIED,
	OUTCOME_TLS_VERIFIED,
	OUTCOME_COUNT
} Outcome;

/* What the server's certificate chain is, seen from the right root CA. */
typedef enum ChainKind
{
	CHAIN_TRUSTED,				/* issued under the right root */
	CHAIN_UNTRUSTED_CA,			/* issued by a CA nobody trusts */
	CHAIN_SELF_SIGNED,
	CHAIN_EXPIRED,
	CHAIN_NOT_YET_VALID,
	CHAIN_REVOKED,				/* trusted, but listed in the intermediate's CRL */
	CHAIN_ATTACKER				/* minted by an attacker: no anchor of ours has it */
} ChainKind;

/* How the server certificate's names relate to the host the client asks for. */
typedef enum NameKind
{
	NAME_MATCH,					/* a SAN (or, without SANs, the CN) matches */
	NAME_MISMATCH,
	NAME_NONE,					/* neither SAN nor CN */
	NAME_NUL_IN_CN,				/* the CN hides a NUL byte (CVE-2009-4034) */
	NAME_IP_IN_CN,				/* host is an IP found only in the CN */
	NAME_IP_IN_DNS				/* host is an IP found only as a dNSName SAN */
} NameKind;

/* Which connections the server's pg_hba.conf lets in. */
typedef enum HbaKind
{
	HBA_ANY,					/* host and hostssl lines */
	HBA_HOSTSSL_ONLY,
	HBA_CLIENT_CERT,			/* hostssl with clientcert=verify-full */
	HBA_CLIENT_CERT_CA			/* hostssl with clientcert=verify-ca */
} HbaKind;

/* Why a scenario's server must refuse to start, if it must. */
typedef enum StartFailure
{
	START_OK,
	START_BAD_PASSPHRASE,		/* ssl_passphrase_command gives the wrong one */
	START_INVERTED_BOUNDS		/* ssl_min_protocol_version > ssl_max_... */
} StartFailure;

typedef struct Scenario
{
	const char *name;
	const char *summary;
	const char *cert;			/* certificate chain file in the PKI, NULL: ssl=off */
	const char *key;
	const char *host;			/* what the client asks for (and verifies) */
	const char *hostaddr;		/* where it connects, NULL: resolve host */
	bool		ssl;
	HbaKind		hba;
	ChainKind	chain;			/* for attacks: what the attacker presents */
	NameKind	name_kind;
	AttackKind	attack;			/* not ATTACK_NONE: the client reaches a proxy */
	const char *forgery;		/* forge: "self-signed", "copied" or a PKI file */
	const char *const *settings;	/* "name=value" server settings, NULL-ended */
	StartFailure start_failure; /* not START_OK: the server must not start */
	bool		few_anchors;	/* only the anchors none and right-ca */
	bool		tls12_max;		/* the server offers TLS 1.2 at most */
} Scenario;

typedef enum SslMode
{
	MODE_DISABLE,
	MODE_ALLOW,
	MODE_PREFER,
	MODE_REQUIRE,
	MODE_VERIFY_CA,
	MODE_VERIFY_FULL,
	MODE_COUNT
} SslMode;

/* Where the client's trust anchor comes from. */
typedef enum Anchor
{
	ANCHOR_NONE,				/* no sslrootcert, empty HOME */
	ANCHOR_RIGHT,				/* sslrootcert = the right root */
	ANCHOR_WRONG,				/* sslrootcert = an unrelated CA */
	ANCHOR_BUNDLE,				/* sslrootcert = unrelated CA + right root */
	ANCHOR_HOME,				/* ~/.postgresql/root.crt in a throwaway HOME */
	ANCHOR_SYSTEM,				/* sslrootcert=system, SSL_CERT_FILE = right root */
	ANCHOR_BUNDLE_REVERSED,		/* sslrootcert = right root + unrelated CA */
	ANCHOR_INTERMEDIATE_ONLY,	/* sslrootcert = the intermediate CA alone */
	ANCHOR_SYSTEM_FILE,			/* sslrootcert=system, and ./system = right root */
	ANCHOR_COUNT
} Anchor;

typedef enum ClientCert
{
	CCERT_NONE,
	CCERT_GOOD,
	CCERT_REVOKED,
	CCERT_NO_INTERMEDIATE,		/* the leaf alone: the server has only the root */
	CCERT_UNTRUSTED,			/* issued by a CA the server does not trust */
	CCERT_DER_KEY,				/* the good certificate, its key in DER */
	CCERT_ENCRYPTED,			/* its key encrypted, the right sslpassword */
	CCERT_ENCRYPTED_WRONG,		/* its key encrypted, a wrong sslpassword */
	CCERT_KEY_WORLD_READABLE,	/* its key file mode 0644 */
	CCERT_OTHER_USER,			/* the good certificate, user "postgres" */
	CCERT_UTF8_REVOKED,			/* a revoked certificate with a UTF-8 subject */
	CCERT_CERTMODE_DISABLE,		/* the good certificate, sslcertmode=disable */
	CCERT_CERTMODE_REQUIRE,		/* the good certificate, sslcertmode=require */
	CCERT_COUNT
} ClientCert;

typedef enum CrlKind
{
	CRL_NONE,
	CRL_FILE,					/* sslcrl: CRLs of every CA in the chain */
	CRL_DIR,					/* sslcrldir: the same, hashed */
	CRL_OTHER_CA,				/* sslcrl: only the unrelated CA's CRL */
	CRL_MISSING,				/* sslcrl: a file that does not exist */
	CRL_COUNT
} CrlKind;

/* The client's ssl_min_protocol_version / ssl_max_protocol_version. */
typedef enum TlsRange
{
	TLS_DEFAULT,
	TLS_MIN_13,					/* ssl_min_protocol_version=TLSv1.3 */
	TLS_MAX_12,					/* ssl_max_protocol_version=TLSv1.2 */
	TLS_INVALID,				/* ssl_min_protocol_version=TLSv1.9 */
	TLS_INVERTED,				/* min TLSv1.3, max TLSv1.2 */
	TLS_COUNT
} TlsRange;

typedef struct ClientConfig
{
	SslMode		mode;
	Anchor		anchor;
	bool		channel_binding;	/* channel_binding=require (else disable) */
	ClientCert	ccert;
	CrlKind		crl;
	bool		direct;			/* sslnegotiation=direct (else postgres) */
	bool		mode_unset;		/* no sslmode at all (mode holds prefer) */
	TlsRange	tls;			/* ssl_min/max_protocol_version */
} ClientConfig;

/* What the model expects of one case. */
typedef struct Expectation
{
	Outcome		outcome;
	const char *reason;			/* for OUTCOME_REFUSED: a substring of libpq's message */
	const char *rule;			/* id of the rule that decided */
	int			needs_libpq;	/* > 0: this libpq cannot express the case */
	bool		attack_accepted;	/* attacks: the client gives the proxy its startup */
} Expectation;

/* What happened in one case. */
typedef struct Observation
{
	bool		ran;
	Outcome		outcome;
	char	   *error;			/* libpq's message when refused */
	char	   *protocol;
	char	   *fingerprint;	/* of the certificate the client received */
	bool		server_seen;	/* the server view could be read */
	bool		server_ssl;
	char	   *server_fingerprint; /* what the server says it serves */
	const char *server_source;	/* "tls_server_certificate()" or the file */
	char	   *finding;		/* a client/server disagreement, or NULL */
	bool		attack_accepted;	/* the proxy received the client's startup */
	char	   *attacker_got;	/* what, in words */
	char	   *server_differs;	/* attacks: how the server's view differs */
	double		ms;
} Observation;

typedef struct Case
{
	int			id;
	const Scenario *scenario;
	ClientConfig config;
	Expectation expect;
	Observation seen;
	bool		deviation;
	char	   *deviation_reason;
} Case;

/* What every connection attempt of one matrix run shares (read-only). */
typedef struct AttemptContext
{
	const char *pkidir;
	int			port;
	const char *password;		/* of the SCRAM role; never printed */
	int			timeout;		/* seconds, per connection */
	int			libpq_major;
	bool		use_extension;	/* tls_session() exists in the target */
	struct x509_store_st *stores[ANCHOR_COUNT][2];	/* [anchor][with CRLs] */
	char	  **served_fingerprints;	/* per scenario, from its certificate file */
	const char *psql;			/* --engine psql: this psql, one process per case */
	Proxy	   *proxy;			/* the current attack scenario's proxy */
	int			proxy_port;
} AttemptContext;

/* Names of the enumerations, for reports and --list. */
extern const char *const outcome_names[OUTCOME_COUNT];
extern const char *const mode_names[MODE_COUNT];
extern const char *const anchor_names[ANCHOR_COUNT];
extern const char *const ccert_names[CCERT_COUNT];
extern const char *const crl_names[CRL_COUNT];
extern const char *const tls_names[TLS_COUNT];

/* scenarios.c */
extern const Scenario matrix_scenarios[];
extern const int n_matrix_scenarios;
extern bool ptp_scenarios_pki(const char *dir);

/* cases.c */
typedef struct SuiteCategory
{
	const char *name;			/* the 001_ssltests.pl test it corresponds to */
	const char *filter;			/* the cases covering it, as --filter */
} SuiteCategory;

extern const SuiteCategory ssl_suite_categories[];
extern const char *const pruning_rules[];
extern Case *ptp_build_cases(int libpq_major, int *n_cases);
extern char *ptp_case_label(const Case *c);
extern bool ptp_case_matches(const Case *c, const char *filter);

/* attempt.c */
extern bool ptp_attempt_stores(AttemptContext *ctx);
extern void ptp_attempt_free_stores(AttemptContext *ctx);
extern char *ptp_file_fingerprint(const char *path);
extern char *ptp_fingerprint(X509 *cert);
extern Outcome ptp_classify_tls(SSL *ssl, struct x509_store_st *store, const char *host);
extern const char *ptp_server_view_query(const AttemptContext *ctx);
extern void ptp_attempt(const AttemptContext *ctx, Case *c);
extern char *ptp_find_psql(const char *pg_config);

/*
 * What a bounded connection (ptp_connect_bounded) went through: the last
 * server it reached over the network, how far it got there, and whether it
 * ran out of time.
 */
typedef struct ConnectTrace
{
	bool		started;		/* libpq accepted the options */
	bool		reached;		/* a server answered the TCP connection */
	char		host[256];
	char		hostaddr[64];
	char		port[16];
	ConnStatusType stage;		/* the last step before it ended */
	bool		tls;			/* TLS was in use at that step */
	bool		timed_out;
} ConnectTrace;

extern PGconn *ptp_connect_bounded(const char *const *keys, const char *const *vals,
								   int expand_dbname, int timeout_ms, ConnectTrace *trace);
extern PGresult *ptp_exec_bounded(PGconn *conn, const char *query, int timeout_ms,
								  bool *timed_out);
extern char *ptp_conninfo(const char *const *keys, const char *const *vals);
extern bool ptp_run_psql(const char *psql, const char *const *keys, const char *const *vals,
						 const char *query);

/*
 * testbed.c: the server side of "matrix" and "drivers": a cluster
 * reconfigured per scenario (drivers: one per server configuration, twins
 * sharing one PKI), and the attacker proxy of an attack scenario.
 */
typedef struct Testbed
{
	char	   *workdir;		/* removed by ptp_testbed_stop() */
	char	   *pkidir;
	const char *pg_config;
	int			timeout;
	bool		started;
	PtpClusterInfo info;
	char		password[33];	/* of MATRIX_SCRAM_ROLE; never printed */
	const Scenario *applied;	/* the scenario the server is configured for */
	const Scenario *cert_from;	/* the last applied one that named a certificate */
	char	   *conf_load_time; /* the postmaster's, as of the last reload */
	Proxy	   *proxy;			/* the current attack scenario's */
	X509	   *proxy_cert;
	EVP_PKEY   *proxy_key;
	X509	   *proxy_chain;
} Testbed;

extern PGconn *ptp_superuser_connect(const PtpClusterInfo *info);
extern char *ptp_sql(PGconn *conn, const char *query);
extern bool ptp_sql_ok(PGconn *conn, const char *query);
extern bool ptp_testbed_start(Testbed *tb, const char *name, const char *pg_config, int timeout,
							  const Testbed *twin_of);
extern bool ptp_testbed_same_config(const Scenario *a, const Scenario *b);
extern bool ptp_testbed_scenario(Testbed *tb, const Scenario *s, AttemptContext *ctx);
extern void ptp_testbed_end_scenario(Testbed *tb, AttemptContext *ctx);
extern bool ptp_testbed_alive(const Testbed *tb);
extern bool ptp_testbed_start_failure(Testbed *tb, const Scenario *s, char **fatal);
extern bool ptp_testbed_stop(Testbed *tb, AttemptContext *ctx, bool keep);

/* report.c */
typedef enum ReportFormat
{
	FORMAT_TABLE,				/* the grids, rows that behave alike folded */
	FORMAT_FULL,				/* the grids, a row per scenario */
	FORMAT_DETAILS,				/* the per-case table */
	FORMAT_JSON,
	FORMAT_TAP
} ReportFormat;

extern void ptp_report(FILE *out, ReportFormat format, Case *cases, int n_cases,
					   int libpq_major, const char *server_view, bool color);
extern void ptp_report_list(FILE *out, const Case *cases, int n_cases);

/* expectations.c */
typedef struct ModelRule ModelRule;
extern Expectation ptp_expect(const Scenario *s, const ClientConfig *cfg,
							  int libpq_major, int skip_rule);
extern int	ptp_model_rule_count(void);
extern const char *ptp_model_rule_id(int i);
extern void ptp_model_print(FILE *out);

#endif							/* PTP_MATRIX_H */
