/*-------------------------------------------------------------------------
 *
 * pg_tls_probe.h
 *		Shared declarations of pg_tls_probe, the client-side harness of
 *		pg_tls_audit: the subcommand entry points, the one-line error
 *		convention, the certificate factory and the child-process helpers.
 *
 * harness/pg_tls_probe.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_TLS_PROBE_H
#define PG_TLS_PROBE_H

#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#ifndef PG_TLS_PROBE_VERSION
#error PG_TLS_PROBE_VERSION must be defined by the Makefile
#endif

#define PTP_PROGNAME "pg_tls_probe"

/* Exit codes shared by every subcommand (see DESIGN.md, "Exit codes"). */
#define PTP_EXIT_OK			0
#define PTP_EXIT_DEVIATION	1
#define PTP_EXIT_ERROR		2

/* Files written by "pg_tls_probe pki DIR". */
#define PTP_ROOT_CA_CRT			"root_ca.crt"
#define PTP_ROOT_CA_KEY			"root_ca.key"
#define PTP_INTERMEDIATE_CA_CRT	"intermediate_ca.crt"
#define PTP_INTERMEDIATE_CA_KEY	"intermediate_ca.key"
#define PTP_SERVER_CRT			"server.crt"
#define PTP_SERVER_KEY			"server.key"
#define PTP_CLIENT_CRT			"client.crt"
#define PTP_CLIENT_KEY			"client.key"
#define PTP_CLIENT_EDGE_CRT		"client_edge.crt"
#define PTP_CLIENT_EDGE_KEY		"client_edge.key"
#define PTP_UNTRUSTED_CA_CRT	"untrusted_ca.crt"
#define PTP_UNTRUSTED_CA_KEY	"untrusted_ca.key"

/* Files the matrix adds to the PKI (harness/scenarios.c). */
#define PTP_CLIENT_REVOKED_CRT	"client_revoked.crt"
#define PTP_CLIENT_REVOKED_KEY	"client_revoked.key"
#define PTP_BUNDLE_CRT			"bundle.crt"	/* untrusted CA + root CA */
#define PTP_CRL_FILE			"crl_bundle.crl"	/* CRLs of root and intermediate */
#define PTP_CRL_DIR				"crldir"

/* The role that client certificates authenticate as (their CN). */
#define PTP_CLIENT_CN			"tls_client"

/*
 * client_edge.crt's organizationName: a NUL inside the value, so its length
 * must always be passed explicitly.
 */
#define PTP_EDGE_ORG			"nul\0byte org inc"
#define PTP_EDGE_ORG_LEN		16

/* Files inside a "pg_tls_probe cluster" directory. */
#define PTP_CLUSTER_MARKER		".pg_tls_probe_cluster"
#define PTP_CLUSTER_ENV			"cluster.env"

/* main.c: errors and usage */

/*
 * Records why the current subcommand failed.  The first message wins: the
 * innermost failure knows the most precise reason, and its callers merely
 * return false.  ptp_fail_openssl appends the oldest queued OpenSSL error.
 */
extern void ptp_fail(const char *fmt,...) pg_attribute_printf(1, 2);
extern void ptp_fail_openssl(const char *fmt,...) pg_attribute_printf(1, 2);
extern bool ptp_has_failed(void);
extern int	ptp_report_failure(void);
extern int	ptp_usage_error(const char *subcommand, const char *fmt,...) pg_attribute_printf(2, 3);

extern bool ptp_parse_int(const char *s, int min, int max, int *out);

/*
 * redact.c: the one redactor, which prints a connection string from its
 * parsed fields, never its text
 */
struct _PQconninfoOption;
struct pg_conn;
extern char *ptp_conninfo_display(const struct _PQconninfoOption *options);
extern const struct _PQconninfoOption *ptp_conninfo_entry(const struct _PQconninfoOption *options,
														 const char *keyword);
extern const char *ptp_conninfo_value(const struct _PQconninfoOption *options, const char *keyword);
extern char *ptp_conninfo_error(const char *conninfo);
extern bool ptp_is_connection_string(const char *s);
extern bool ptp_uri_userinfo_ends_early(const char *conninfo,
										const struct _PQconninfoOption *options);
extern char *ptp_dbname_display(const char *dbname);
extern char *ptp_libpq_message(const struct pg_conn *conn);

/* printable.c: every printed value on one line, safe for a terminal */
extern char *ptp_printable(const char *s);
extern void ptp_json_string(FILE *out, const char *s);

/* pki.c: the certificate factory */

typedef enum PtpKeyType
{
	PTP_KEY_EC_P256,
	PTP_KEY_RSA_2048
} PtpKeyType;

/*
 * One relative distinguished name, added in array order.  type 0 lets
 * OpenSSL pick the ASN.1 string type from its attribute table (value is
 * UTF-8); a V_ASN1_* type stores the bytes as given, bypassing the table's
 * size limits.  len 0 means strlen(value).
 */
typedef struct PtpNameEntry
{
	int			nid;
	int			type;
	const char *value;
	int			len;
} PtpNameEntry;

/*
 * One subjectAltName entry: type is GEN_DNS, GEN_EMAIL, GEN_URI (value is
 * the bytes, len 0 meaning strlen) or GEN_IPADD (value is the textual
 * address).
 */
typedef struct PtpSan
{
	int			type;
	const char *value;
	int			len;
} PtpSan;

/* One extension in OpenSSL's configuration syntax, e.g. "critical,CA:TRUE". */
typedef struct PtpExtension
{
	int			nid;
	const char *value;
} PtpExtension;

/*
 * Everything needed to mint one certificate with a fresh key.
 * issuer_cert/issuer_key NULL means self-signed.  subjectKeyIdentifier is
 * always added, authorityKeyIdentifier whenever there is an issuer.
 * Validity bounds are in seconds relative to now (negative is the past).
 */
typedef struct PtpCertSpec
{
	const PtpNameEntry *subject;
	int			n_subject;
	X509	   *issuer_cert;
	EVP_PKEY   *issuer_key;
	PtpKeyType	key_type;
	const PtpSan *sans;
	int			n_sans;
	const PtpExtension *extensions;
	int			n_extensions;
	int64		not_before;
	int64		not_after;
} PtpCertSpec;

#define PTP_HOUR	INT64CONST(3600)
#define PTP_DAY		(24 * PTP_HOUR)

extern bool ptp_cert_build(const PtpCertSpec *spec, X509 **cert, EVP_PKEY **key);
extern bool ptp_write_pem(const char *path, mode_t mode, EVP_PKEY *key,
						  X509 *const *certs, int n_certs);
extern bool ptp_issue(const char *dir, const char *crt_name, const char *key_name,
					  const PtpCertSpec *spec, X509 *chain_cert,
					  X509 **cert_out, EVP_PKEY **key_out);
extern bool ptp_load_pair(const char *dir, const char *crt_name, const char *key_name,
						  X509 **cert_out, EVP_PKEY **key_out);
extern bool ptp_append_crl(const char *path, X509 *issuer, EVP_PKEY *issuer_key,
						   X509 *const *revoked, int n_revoked);
extern bool ptp_pki_generate(const char *dir);
extern int	ptp_pki_main(int argc, char **argv);

/* attempt.c: every connection the harness opens keeps the server's notices
 * (an unsolicited FATAL on an idle connection among them) off stderr. */
extern struct pg_conn *ptp_connect_quiet(const char *const *keys, const char *const *vals,
										 int timeout_s);

/* run.c: child processes */

/* An OS account that children are run as. */
typedef struct PtpUser
{
	char	   *name;
	uid_t		uid;
	gid_t		gid;
} PtpUser;

extern bool ptp_user_lookup(const char *name, PtpUser *user);
extern bool ptp_user_by_uid(uid_t uid, PtpUser *user);
extern void ptp_user_free(PtpUser *user);
extern int	ptp_user_can_access(const PtpUser *user, const char *path, int mode);

extern void ptp_trap_signals(void);
extern int	ptp_interrupted(void);

/*
 * How ptp_run starts one child.  user NULL keeps the current identity;
 * log_path NULL leaves stdout/stderr alone; clean_env gives the child only
 * PATH and LC_ALL=C; kill_on_interrupt sends it SIGTERM when the user
 * interrupts us (leave it false for children that must finish so that we
 * know what to clean up, such as "pg_ctl start").
 */
typedef struct PtpRunOptions
{
	const PtpUser *user;
	const char *log_path;
	const char *cwd;
	const char *path_prefix;
	bool		clean_env;
	bool		kill_on_interrupt;
} PtpRunOptions;

extern int	ptp_run(char *const argv[], const PtpRunOptions *options);
extern pid_t ptp_start_daemon(char *const argv[], const PtpRunOptions *options);
extern char *ptp_run_capture(char *const argv[]);
extern char *ptp_describe_status(int status);

/* util.c: memory, files, directories and quoting */
extern char *ptp_strdup(const char *s);
extern char *ptp_psprintf(const char *fmt,...) pg_attribute_printf(1, 2);
extern void *ptp_malloc0(size_t size);
extern bool ptp_path_exists(const char *path);
extern bool ptp_remove_tree(const char *path, bool keep_top);
extern char *ptp_last_line(const char *path, const char *needle);
extern bool ptp_write_new_file(const char *path, mode_t mode, const PtpUser *owner, const char *data);
extern bool ptp_copy_file(const char *src, const char *dst, mode_t mode, const PtpUser *owner);
extern bool ptp_make_owned_dir(const char *path, mode_t mode, const PtpUser *owner);
extern char *ptp_shell_quote(const char *value);
extern char *ptp_conf_quote(const char *value);
extern char *ptp_absolute_path(const char *path);
extern bool ptp_dir_is_empty(const char *path);
extern const char *ptp_scratch_dir(void);

/* cluster.c: throwaway TLS servers */

/* Writes a PKI into a directory; false with a failure recorded. */
typedef bool (*PtpPkiMaker) (const char *dir);

typedef struct PtpClusterOptions
{
	const char *action;
	const char *dir;
	const char *pki;			/* an existing PKI, or where make_pki writes one */
	PtpPkiMaker make_pki;		/* with pki: writes it while initdb runs */
	const char *pg_config;
	const char *user;
	int			timeout;
	char	  **conf;
	int			n_conf;
	char	  **hba;
	int			n_hba;
	bool		quiet;			/* do not print the export lines */
} PtpClusterOptions;

/* A running cluster, as ptp_cluster_start() describes it. */
typedef struct PtpClusterInfo
{
	char	   *dir;
	char	   *pkidir;
	char	   *socket_dir;
	char	   *server_dir;		/* the server's copies of the PKI files */
	char	   *data_dir;
	char	   *bindir;			/* the PostgreSQL programs it runs */
	int			port;
	bool		ipv6;
} PtpClusterInfo;

typedef enum PtpPostmasterStart
{
	PTP_POSTMASTER_FAILED,
	PTP_POSTMASTER_READY,
	PTP_POSTMASTER_EXITED
} PtpPostmasterStart;

extern PtpPostmasterStart ptp_postmaster_start(const char *bindir, const PtpUser *user,
											   const char *dir, char *const *extra,
											   int timeout);
extern bool ptp_cluster_start(const PtpClusterOptions *opts, PtpClusterInfo *info);
extern void ptp_cluster_info_free(PtpClusterInfo *info);
extern bool ptp_cluster_stop(const PtpClusterOptions *opts);
extern int	ptp_cluster_main(int argc, char **argv);

/* matrix.c */
extern int	ptp_matrix_main(int argc, char **argv);

/* audit.c */
extern int	ptp_audit_main(int argc, char **argv);

/* drivers.c */
extern int	ptp_drivers_main(int argc, char **argv);

#endif							/* PG_TLS_PROBE_H */
