/*-------------------------------------------------------------------------
 *
 * pg_tls_audit.h
 *		Declarations shared by the pg_tls_audit extension's C files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_TLS_AUDIT_H
#define PG_TLS_AUDIT_H

#include "compat.h"
#include "escape.h"
#include "role_list.h"

#include <openssl/x509.h>

#include "access/tupdesc.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "libpq/libpq-be.h"
#include "utils/elog.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

/* Flags for tls_text_from_bytes(). */
#define TLS_TEXT_ESCAPE_BACKSLASH	0x01	/* input is raw, '\' not yet escaped */
#define TLS_TEXT_KEEP_NEWLINES		0x02	/* multi-line text */
#define TLS_TEXT_TRIM				0x04	/* drop trailing line ends */

/* x509_fields.c: certificate and TLS values turned into SQL values */
extern text *tls_text_from_bytes(const char *bytes, size_t len, int flags);
extern text *tls_name_to_text(const X509_NAME *name);
extern text *tls_name_field(const X509_NAME *name, const char *field);
#define TLS_CERTIFICATE_NATTS	14	/* columns of the tls_certificate type */
extern void tls_put_certificate(Tuplestorestate *tupstore, TupleDesc tupdesc,
								X509 *cert);
extern void tls_certificate_values(X509 *cert, Datum *values, bool *nulls);
extern char *tls_fingerprint_text(const unsigned char *md, unsigned int md_len);
extern void tls_put_extensions(Tuplestorestate *tupstore, TupleDesc tupdesc,
							   X509 *cert);

/*
 * An OpenSSL object held across code that can raise an ERROR (palloc,
 * ereport, CHECK_FOR_INTERRUPTS, SPI, a tuplestore).  OpenSSL allocates with
 * malloc, which no resource owner tracks, so such an object is registered
 * with the memory context current when it is made: resetting or deleting
 * that context, as an ERROR's cleanup does, frees it (x509_fields.c).
 */
typedef enum TlsHeldKind
{
	TLS_HELD_X509,
	TLS_HELD_X509_CRL,
	TLS_HELD_X509_STORE,
	TLS_HELD_X509_STORE_CTX,
	TLS_HELD_GENERAL_NAMES,
	TLS_HELD_ASN1_OBJECT,
	TLS_HELD_BIGNUM,
	TLS_HELD_STRING,			/* from OPENSSL_malloc, such as BN_bn2dec's */
	TLS_HELD_BIO,
	TLS_HELD_SSL_CTX,
	TLS_HELD_SSL,
	TLS_HELD_CIPHER_STACK		/* STACK_OF(SSL_CIPHER) */
} TlsHeldKind;

typedef struct TlsHeld
{
	void	   *obj;			/* set by the caller; NULL: nothing to free */
	TlsHeldKind kind;
	MemoryContextCallback callback;
} TlsHeld;

extern TlsHeld *tls_hold(TlsHeldKind kind);
extern void tls_release(TlsHeld *held);
extern void tls_release_all(List *held);

/*
 * What the server knew about one connection's transport when it was
 * captured: plain fixed-size data, so that it can be copied into shared
 * memory by code that must not allocate or fail (see sessions.c).
 * Certificate names are kept as DER and turned into text by the reader, in
 * the reader's database encoding.
 */
#define TLS_AUDIT_PROTOCOL_LEN	16
#define TLS_AUDIT_CIPHER_LEN	64
#define TLS_AUDIT_SNI_LEN		256		/* a host name is at most 255 bytes */
#define TLS_AUDIT_NAME_DER_LEN	1024
#define TLS_AUDIT_SERIAL_LEN	64		/* decimal; RFC 5280 allows 20 octets */
#define TLS_AUDIT_ADDR_LEN		64

typedef struct TlsConnInfo
{
	bool		tls_attempted;	/* the client asked for TLS */
	bool		tls;			/* a TLS session was established */
	char		protocol[TLS_AUDIT_PROTOCOL_LEN];
	char		cipher[TLS_AUDIT_CIPHER_LEN];
	int			cipher_bits;
	uint16		sni_len;		/* 0: no server name sent */
	char		sni[TLS_AUDIT_SNI_LEN];
	bool		peer_certificate;	/* the client presented a certificate */
	uint16		subject_len;	/* 0: none, or too long to keep */
	uint16		issuer_len;
	unsigned char subject[TLS_AUDIT_NAME_DER_LEN];
	unsigned char issuer[TLS_AUDIT_NAME_DER_LEN];
	char		serial[TLS_AUDIT_SERIAL_LEN];	/* "": unknown */
	bool		has_not_after;
	TimestampTz not_after;
	char		client_addr[TLS_AUDIT_ADDR_LEN];	/* "": Unix socket */
	int			client_port;
} TlsConnInfo;

/* Outcomes of a connection attempt, as tls_connection_log names them. */
typedef enum TlsConnOutcome
{
	TLS_OUTCOME_NONE = 0,
	TLS_OUTCOME_ACCEPTED,
	TLS_OUTCOME_REJECTED_BY_POLICY,
	TLS_OUTCOME_AUTHENTICATION_FAILED,
	TLS_OUTCOME_REFUSED,
	TLS_OUTCOME_TLS_HANDSHAKE_FAILED
} TlsConnOutcome;

/* Array size for per-outcome data indexed by TlsConnOutcome. */
#define TLS_NUM_OUTCOMES		(TLS_OUTCOME_TLS_HANDSHAKE_FAILED + 1)

/* pg_tls_audit.c: settings, and whether the preloaded parts are in place */
extern bool tls_audit_log_connections;
extern int	tls_audit_connection_log_size;
extern int	tls_audit_expiry_warning;
extern bool tls_policy_require_tls;
extern int	tls_policy_min_protocol;
extern char *tls_policy_require_client_certificate;
extern char *tls_policy_exempt_roles;
extern bool tls_policy_exempt_local;
extern int	tls_audit_test_log_write_delay;
extern int	tls_audit_test_log_claim_delay;
extern bool tls_audit_is_preloaded(void);
extern void tls_audit_require_preload(void);

/* sessions.c: what each session got, and the tls_sessions view */
extern void tls_capture_connection(Port *port, TlsConnInfo *info);
extern bool tls_asn1_time(const ASN1_TIME *asn1, TimestampTz *result);
extern Datum tls_der_name_datum(const unsigned char *der, int len, bool *isnull);
extern Datum tls_serial_datum(const char *serial, bool *isnull);
extern Datum tls_addr_datum(const char *addr, bool *isnull);
extern Size tls_sessions_shmem_size(void);
extern void tls_sessions_shmem_init(void);
extern void tls_sessions_register(Port *port, const TlsConnInfo *info);

/*
 * The server certificate the newest TLS session was given (sessions.c
 * records it at authentication): what the server serves now, as far as a
 * session has seen.
 */
typedef struct TlsServedCertificate
{
	TimestampTz at;				/* when that session authenticated */
	int			pid;
	unsigned char sha256[32];
} TlsServedCertificate;

extern bool tls_sessions_newest_served(TlsServedCertificate *served);

/* server_certs.c: the certificate and CRL files the settings name */

/* A PEM block of a file that does not decode. */
typedef struct TlsPemBadBlock
{
	int			number;			/* 1: the file's first -----BEGIN line */
	int			line;			/* the line of its -----BEGIN */
	const char *reason;			/* OpenSSL's */
} TlsPemBadBlock;

/* The certificates, or the CRLs, of one PEM file (tls_read_pem_file()). */
typedef struct TlsPemFile
{
	const char *error;			/* why the file was not read, or that it
								 * holds no block of the kind; NULL if none */
	bool		fifo;			/* not read because it is a FIFO, which the
								 * server's own open() would wait on */
	List	   *objects;		/* X509 * or X509_CRL *, those that decode,
								 * in file order */
	List	   *bad_blocks;		/* TlsPemBadBlock *, those that do not */
	bool		first_decoded;	/* the first block of the kind decodes */
	List	   *held;			/* TlsHeld * of objects */
} TlsPemFile;

/*
 * A CRL file that tls_each_crl_file() read: ssl_crl_file, or a file of
 * ssl_crl_dir (in_dir).
 */
typedef void (*TlsCrlFileFn) (const char *path, bool in_dir,
							  const TlsPemFile *file, void *arg);

extern const char *tls_setting(const char *name);
extern char *tls_read_file(const char *path, size_t *len, const char **error,
						   bool *fifo);
extern TlsPemFile *tls_read_pem_file(const char *path, bool crls);
extern void tls_free_pem_file(TlsPemFile *file);
extern List *tls_each_crl_file(TlsCrlFileFn fn, void *arg);
extern List *tls_sent_chain(List *cert_file_certs, List *ca_certs);
extern const char *tls_served_unknown_reason(void);

/* conn_log.c: the ring of recent connection attempts */
extern Size tls_conn_log_shmem_size(void);
extern void tls_conn_log_shmem_init(void);
extern void tls_conn_log_record(Port *port, const TlsConnInfo *info,
								TlsConnOutcome outcome, const char *reason);
extern void tls_conn_log_emit_log(ErrorData *edata);
extern void tls_conn_log_write_line(Port *port, const TlsConnInfo *info,
									TlsConnOutcome outcome);
extern const char *tls_outcome_name(TlsConnOutcome outcome);

/* settings.c: pg_tls_audit.* values the server could not apply */
typedef struct TlsSettingProblem
{
	char	   *name;			/* NULL: a configuration file as a whole */
	char	   *value;
	char	   *filename;		/* NULL: the command line */
	int			sourceline;
	char	   *why;
	bool		policy;			/* the policy fails closed because of it */
} TlsSettingProblem;

extern List *tls_settings_read_at_start(void);
extern void tls_settings_check_at_start(List *raw);
extern List *tls_settings_problems(void);
extern char *tls_setting_problem_text(const TlsSettingProblem *problem);
extern bool tls_settings_policy_unreadable(void);
extern Size tls_settings_shmem_size(void);
extern void tls_settings_shmem_init(void);

/* policy.c: the TLS connection policy (ClientAuthentication_hook) */
typedef struct TlsUnknownRole
{
	const char *setting;		/* the GUC that lists it */
	char	   *name;
	bool		members_of;		/* listed as "+name" */
	char	   *case_match;		/* a role whose name differs only in case */
} TlsUnknownRole;

extern void tls_policy_client_authentication(Port *port, int status);
extern bool tls_policy_check_role_list(char **newval, void **extra,
									   GucSource source);
extern void tls_policy_assign_require_client_certificate(const char *newval,
														 void *extra);
extern void tls_policy_assign_exempt_roles(const char *newval, void *extra);
extern const char *tls_protocol_name(int version);
extern List *tls_policy_unknown_roles(void);
extern char *tls_policy_case_hint(const TlsUnknownRole *unknown);
extern void tls_policy_check_role_change(Node *parsetree);
extern void tls_policy_register_role_check(void);
extern PGDLLEXPORT void tls_policy_role_check_main(Datum arg);

#endif							/* PG_TLS_AUDIT_H */
