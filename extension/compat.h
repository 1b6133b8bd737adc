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

#endif							/* PG_TLS_AUDIT_COMPAT_H */
