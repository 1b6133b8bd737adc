/*-------------------------------------------------------------------------
 *
 * pg_tls_audit.c
 *		Module entry point of pg_tls_audit.
 *
 * The SQL functions work in any backend that loads the library on demand;
 * nothing here requires shared_preload_libraries.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"

#include "fmgr.h"
#include "utils/guc.h"

PG_TLS_AUDIT_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init
 *		Reserve the pg_tls_audit.* namespace, so that a misspelled setting is
 *		reported instead of silently kept as a placeholder.
 */
void
_PG_init(void)
{
	MarkGUCPrefixReserved("pg_tls_audit");
}
