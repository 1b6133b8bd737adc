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

#include <openssl/x509.h>

#include "access/tupdesc.h"
#include "utils/tuplestore.h"

/* Flags for tls_text_from_bytes(). */
#define TLS_TEXT_ESCAPE_BACKSLASH	0x01	/* input is raw, '\' not yet escaped */
#define TLS_TEXT_KEEP_NEWLINES		0x02	/* multi-line text */
#define TLS_TEXT_TRIM				0x04	/* drop trailing line ends */

/* x509_fields.c: certificate and TLS values turned into SQL values */
extern text *tls_text_from_bytes(const char *bytes, size_t len, int flags);
extern text *tls_name_to_text(const X509_NAME *name);
extern text *tls_name_field(const X509_NAME *name, const char *field);
extern void tls_put_certificate(Tuplestorestate *tupstore, TupleDesc tupdesc,
								X509 *cert);
extern void tls_put_extensions(Tuplestorestate *tupstore, TupleDesc tupdesc,
							   X509 *cert);

#endif							/* PG_TLS_AUDIT_H */
