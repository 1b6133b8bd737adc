/*-------------------------------------------------------------------------
 *
 * compat.h
 *		The one place where pg_tls_audit adapts to PostgreSQL and OpenSSL
 *		versions.
 *
 * Every other file is written against the newest supported API; the
 * differences between majors are absorbed here so that no #if on a version
 * number appears anywhere else.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_TLS_AUDIT_COMPAT_H
#define PG_TLS_AUDIT_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "pg_tls_audit requires PostgreSQL 15 or later"
#endif

/*
 * Without OpenSSL the server cannot have a TLS session to report on, and
 * Port has no SSL handle to read; refuse to build rather than build a module
 * that always says "no TLS".
 */
#ifndef USE_OPENSSL
#error "pg_tls_audit requires a PostgreSQL server built with OpenSSL (--with-ssl=openssl)"
#endif

#include <openssl/ssl.h>

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "pg_tls_audit requires OpenSSL 3.0 or later"
#endif

/* PostgreSQL 18 lets a module report its name and version to the server. */
#if PG_VERSION_NUM >= 180000
#define PG_TLS_AUDIT_MODULE_MAGIC \
	PG_MODULE_MAGIC_EXT(.name = "pg_tls_audit", .version = PG_TLS_AUDIT_VERSION)
#else
#define PG_TLS_AUDIT_MODULE_MAGIC PG_MODULE_MAGIC
#endif

/* ---- pg_tls_audit 1.1: session slots (extension/sessions.c) ---- */

/*
 * The number of this backend's PGPROC, which indexes the session slots:
 * MyProcNumber from PostgreSQL 17, MyProc->pgprocno before.  Both are
 * assigned before authentication and are below MaxBackends for client
 * backends and WAL senders.
 */
#include "storage/proc.h"
#if PG_VERSION_NUM >= 170000
#define PG_TLS_AUDIT_MY_PROC_NUMBER()	((int) MyProcNumber)
#else
#define PG_TLS_AUDIT_MY_PROC_NUMBER()	(MyProc->pgprocno)
#endif

/* ---- pg_tls_audit 1.1: role-list settings (extension/policy.c) ---- */

/*
 * A GUC check hook's "extra": guc_malloc()'d from PostgreSQL 16, which
 * frees it with guc_free(); malloc()'d before, where GUC code uses free().
 */
#if PG_VERSION_NUM >= 160000
#include "utils/guc.h"
#define pg_tls_audit_guc_malloc(size)	guc_malloc(LOG, (size))
#define pg_tls_audit_guc_free(ptr)		guc_free(ptr)
#else
#define pg_tls_audit_guc_malloc(size)	malloc(size)
#define pg_tls_audit_guc_free(ptr)		free(ptr)
#endif

/* ---- pg_tls_audit 1.2: settings that do not parse (extension/settings.c) ---- */

/*
 * Every setting the server knows, placeholders included: an array and
 * GetNumConfigOptions() before PostgreSQL 16, which made get_guc_variables()
 * return the count.
 */
#include "utils/guc_tables.h"
#if PG_VERSION_NUM >= 160000
#define pg_tls_audit_guc_variables(n)	get_guc_variables(n)
#else
#define pg_tls_audit_guc_variables(n)	(*(n) = GetNumConfigOptions(), get_guc_variables())
#endif

/* ---- pg_tls_audit 1.2: the key-exchange settings (extension/config_audit.c) ---- */

/*
 * PostgreSQL 18 takes a list of groups (ssl_groups, ssl_ecdh_curve being
 * its old name) and the TLS 1.3 suites (ssl_tls13_ciphers); before, one
 * curve, and OpenSSL's default TLS 1.3 suites.  NULL: no such setting.
 */
#if PG_VERSION_NUM >= 180000
#define PG_TLS_AUDIT_GROUPS_SETTING			"ssl_groups"
#define PG_TLS_AUDIT_TLS13_CIPHERS_SETTING	"ssl_tls13_ciphers"
#else
#define PG_TLS_AUDIT_GROUPS_SETTING			"ssl_ecdh_curve"
#define PG_TLS_AUDIT_TLS13_CIPHERS_SETTING	NULL
#endif

#endif							/* PG_TLS_AUDIT_COMPAT_H */
