/*-------------------------------------------------------------------------
 *
 * escape.h
 *		The escaper for client-chosen values (escape.c).  Include after
 *		postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_TLS_AUDIT_ESCAPE_H
#define PG_TLS_AUDIT_ESCAPE_H

#include "lib/stringinfo.h"

extern void tls_append_escaped(StringInfo buf, const char *value, size_t len);
extern char *tls_escaped(const char *value);

#endif							/* PG_TLS_AUDIT_ESCAPE_H */
