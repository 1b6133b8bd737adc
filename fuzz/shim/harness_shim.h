/*-------------------------------------------------------------------------
 *
 * harness_shim.h
 *		What the fuzz targets of pg_tls_probe code get from fuzz/shim/:
 *		entry points into harness files compiled unchanged, and the
 *		properties they assert.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FUZZ_SHIM_HARNESS_H
#define FUZZ_SHIM_HARNESS_H

#include "libpq-fe.h"

/* audit_describer.c */
extern bool fuzz_describe_conninfo(const char *conninfo, char **display,
								   char **notes, char **error);

/* redaction_checks.c: each aborts when the property does not hold */
extern void fuzz_check_printable(const char *printed);
extern void fuzz_check_json_string(const char *json, const char *original);
extern void fuzz_check_display(const PQconninfoOption *options, const char *display);
extern void fuzz_check_secrets_absent(const PQconninfoOption *options, const char *display);
extern void fuzz_check_not_echoed(const char *why, const char *conninfo);

#endif							/* FUZZ_SHIM_HARNESS_H */
