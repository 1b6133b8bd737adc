/*-------------------------------------------------------------------------
 *
 * harness_shim.h
 *		What the fuzz targets of pg_tls_probe code get from fuzz/shim/:
 *		entry points into harness files compiled unchanged.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FUZZ_SHIM_HARNESS_H
#define FUZZ_SHIM_HARNESS_H

/* redact_registry.c */
extern void fuzz_redact_forget(void);

/* audit_describer.c */
extern bool fuzz_describe_conninfo(const char *conninfo, char **display,
								   char **notes, char **error);

/* redaction_checks.c: each aborts when the property does not hold */
extern void fuzz_check_secret_masked(const char *printed, const char *secret);
extern void fuzz_check_one_line(const char *printed);
extern void fuzz_check_quotes_dropped(const char *printed);

#endif							/* FUZZ_SHIM_HARNESS_H */
