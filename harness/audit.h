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

/* Why the chain the server sends does not verify (audit_messages.c). */
typedef struct ChainError
{
	int			code;			/* X509_V_ERR_*; 0 when nothing was explained */
	int			depth;			/* of the certificate the error is about */
	char	   *subject;		/* of that certificate, RFC 2253 */
	char	   *text;			/* the sentence that names the fault */
} ChainError;

/* Where a setting's value came from, in the order libpq looks. */
typedef enum SettingSource
{
	SETTING_FROM_STRING,
	SETTING_FROM_SERVICE,
	SETTING_FROM_ENVIRONMENT,
	SETTING_FROM_DEFAULT
} SettingSource;

#define AUDIT_SETTINGS		13

/* A certificate of the chain expiring within these many days is a warning, a stronger one. */
#define AUDIT_EXPIRY_WARNING_DAYS	30
#define AUDIT_EXPIRY_URGENT_DAYS	7

typedef struct SettingOrigin
{
	const char *name;
	char	   *value;			/* NULL: unset */
	SettingSource from;
	char	   *variable;		/* SETTING_FROM_ENVIRONMENT */
	char	   *file;			/* SETTING_FROM_SERVICE: the service file... */
	char	   *service;		/* ... and the service in it */
} SettingOrigin;
/*
 * credentials: what the direct connection authenticated with, handed to
 * every attack connection (harness/credentials.c).
 */
typedef struct Credentials
{
	char	   *user;
	char	   *password;		/* NULL when libpq had none; never printed */
	char	   *password_from;	/* where libpq found it, in words */
	char	   *sslcert;		/* as libpq resolves them; NULL without a file */
	char	   *sslkey;
} Credentials;

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
	/* messages */
	PQExpBufferData warnings;	/* one sentence a line; the exit code ignores them */
	ChainError	chain_error;
	SettingOrigin settings[AUDIT_SETTINGS];
	int			n_settings;
	/* credentials */
	Credentials creds;
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

/* The files libpq takes its trust anchor and CRLs from (ptp_trust_files). */
typedef struct TrustFiles
{
	bool		system;			/* sslrootcert=system, from libpq 16 on */
	char	   *root;			/* else this file, NULL without a home */
	char	   *crl;			/* NULL, a file, or the default root.crl */
	bool		crl_is_default;
	char	   *crldir;			/* NULL or a directory */
} TrustFiles;

/* audit_messages.c */
extern void ptp_trust_files(const PQconninfoOption *effective, int libpq, TrustFiles *out);
extern void ptp_trust_files_free(TrustFiles *files);
extern char *ptp_libpq_home(void);
extern char *ptp_unresolved_hosts(const PQconninfoOption *effective);
extern bool ptp_options_accepted(const char *conninfo);
extern STACK_OF(X509) *ptp_fetch_chain(const char *hostaddr, const char *port, const char *host,
									   bool sni, int timeout_ms);
extern bool ptp_explain_chain(X509_STORE *store, STACK_OF(X509) *chain, const char *anchor,
							  ChainError *why);
extern void ptp_expiry_warnings(STACK_OF(X509) *chain, PQExpBuffer warnings);
extern void ptp_crl_warnings(const PQconninfoOption *effective, int libpq, PQExpBuffer warnings);
extern int	ptp_origins_of(const char *conninfo, const PQconninfoOption *effective,
						   const char *const *names, int n_names, SettingOrigin *out);
extern int	ptp_setting_origins(const char *conninfo, const PQconninfoOption *effective,
								SettingOrigin *out);
extern void ptp_setting_origin_free(SettingOrigin *o);
extern const char *ptp_setting_source_name(SettingSource from);
/* credentials: the settings libpq took them from (NULL when unset) */
typedef struct CredentialSources
{
	const SettingOrigin *password;	/* where the string's, a service file's or
									 * PGPASSWORD's came from; unset: none */
	const char *passfile;		/* the password file libpq read */
	const char *sslcert;
	const char *sslkey;
	const char *home;			/* libpq's home directory */
} CredentialSources;

#define CREDENTIAL_KEYS		4	/* most options ptp_credentials_append adds */
extern void ptp_credentials_take(Credentials *c, PGconn *conn, const char *host, const char *port,
								 const CredentialSources *src);
extern int	ptp_credentials_append(const Credentials *c, const char **keys, const char **vals, int n);
extern char *ptp_credentials_note(const Credentials *c, const char *host, const char *port);
extern void ptp_credentials_free(Credentials *c);
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
