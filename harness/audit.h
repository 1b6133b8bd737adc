/*-------------------------------------------------------------------------
 *
 * audit.h
 *		The audit of one connection string (harness/audit.c): what it found,
 *		shared by the files that fill and print it.
 *
 * harness/audit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PTP_AUDIT_H
#define PTP_AUDIT_H

#include <openssl/x509.h>

#include "matrix.h"
#include "pqexpbuffer.h"
#include "proxy.h"

#define AUDIT_ATTACKS		8

/* One attack of the audit: a proxy, or the direct hostname-mismatch probe. */
typedef struct AttackSpec
{
	const char *name;
	AttackKind	kind;
	const char *forgery;		/* "self-signed", "copied", or NULL */
	int			min_libpq;
	const char *explains;
} AttackSpec;

typedef struct AttackResult
{
	bool		ran;
	char	   *skipped;		/* why it did not run */
	Outcome		outcome;
	bool		accepted;		/* the attacker got the startup (or the mismatch connected) */
	char	   *detail;
} AttackResult;

/*
 * What the path of the direct connection is (DESIGN.md, "The path" and
 * "Middleboxes"): its TLS endpoint is the server (confirmed), a middlebox
 * the user declared, not the server (intercepted, or a middlebox the user
 * did not declare), or nothing could tell (unconfirmed).
 */
typedef enum PathVerdict
{
	PATH_UNCONFIRMED,
	PATH_CONFIRMED,
	PATH_INTERCEPTED,
	PATH_MIDDLEBOX
} PathVerdict;

/*
 * The oracles on the path: the strong ones (cryptographic, or given out of
 * band) first, then the weak ones (seen inside the session they vouch for).
 */
typedef enum OracleKind
{
	ORACLE_CHANNEL_BINDING,
	ORACLE_PIN,
	ORACLE_MIDDLEBOX,
	ORACLE_SERVER_VIEW,
	ORACLE_SCRAM_PLUS,
	ORACLE_COUNT
} OracleKind;

typedef struct Oracle
{
	bool		applies;		/* false: n/a; else verdict (unconfirmed: tried, inconclusive) */
	PathVerdict verdict;
	char	   *detail;
} Oracle;

typedef enum Verdict
{
	VERDICT_PASS,
	VERDICT_FAIL,
	VERDICT_UNCONFIRMED
} Verdict;

typedef struct Audit
{
	char	   *display;		/* the connection string as libpq parsed it */
	PQExpBufferData notes;
	bool		could_not_run;
	char	   *error;			/* why it could not run */
	char	   *cannot_connect; /* a finding: the direct connection failed, and why */
	/* the direct connection, or the server it reached */
	char	   *host;
	char	   *hostaddr;
	char	   *port;
	Outcome		direct;
	char	   *protocol;
	char	   *cipher;
	PQExpBufferData chain;
	char	   *server_view;
	X509	   *leaf;
	char	   *fingerprint;	/* of leaf as the client received it */
	Oracle		oracles[ORACLE_COUNT];
	PathVerdict path;
	int			path_by;		/* the deciding OracleKind, -1 for none */
	AttackResult results[AUDIT_ATTACKS];
	Verdict		verdict;
	char	   *verdict_text;
	/* middlebox */
	bool		view_read;		/* the server's view of the session was read */
	bool		view_tls;		/* ... and says the session uses TLS */
	char	   *view_protocol;	/* its TLS protocol, NULL when none or unknown */
	const char *view_source;	/* "pg_stat_ssl" or "pg_tls_audit tls_session()" */
	bool		scram_without_plus; /* SCRAM over TLS offered no -PLUS */
	bool		middleboxes_declared;	/* the user declared one or more */
	const char *hint;			/* the next step, NULL for none */
} Audit;

typedef struct AuditOptions
{
	bool		json;
	int			timeout;
	int			jobs;
	const char *fleet;
	const char *psql;			/* --engine psql: attacks made by psql processes */
	char	   *pin;			/* --server-fingerprint or --server-cert, as AB:CD:... */
	/* middlebox */
	char	  **middleboxes;	/* --middlebox-fingerprint and --middlebox-cert */
	int			n_middleboxes;
} AuditOptions;

/* harness/audit_path.c: the path model */
typedef struct OracleInfo
{
	const char *id;				/* JSON */
	const char *label;			/* table */
	bool		strong;
} OracleInfo;

extern const OracleInfo oracle_info[ORACLE_COUNT];
extern const char *const path_names[];
extern const char *ptp_oracle_label(const Audit *a, int oracle);
extern const char *ptp_oracle_strength(int oracle);
extern void ptp_declared_middlebox(Audit *a, const AuditOptions *opts);
extern void ptp_scram_mechanisms(Audit *a);
extern void ptp_decide_path(Audit *a);
extern int	ptp_outranked(const Audit *a);
extern const char *ptp_endpoint_id(const Audit *a);
extern const char *ptp_endpoint_text(const Audit *a);
extern const char *ptp_leg_certificate(const Audit *a);
extern char *ptp_client_leg(const Audit *a);
extern char *ptp_server_leg(const Audit *a);
extern const char *ptp_path_hint(const Audit *a);

#endif							/* PTP_AUDIT_H */
