/*-------------------------------------------------------------------------
 *
 * audit_describer.c
 *		harness/audit.c compiled unchanged for the fuzz targets, with a way
 *		to call its connection-string describer (describe_conninfo() and
 *		explain_limits(), static there) without a server.
 *
 *-------------------------------------------------------------------------
 */
#include "../../harness/audit.c"

#include "harness_shim.h"

/*
 * fuzz_describe_conninfo
 *		What "pg_tls_probe audit" says of conninfo before it connects: true
 *		with the options shown (*display) and the notes on them (*notes),
 *		or false with why it could not run (*error), each malloc'd and not
 *		yet made printable (audit.c does that to every line it prints).
 */
bool
fuzz_describe_conninfo(const char *conninfo, char **display, char **notes,
					   char **error)
{
	Audit		a;
	PQconninfoOption *parsed = NULL;
	bool		ok;

	memset(&a, 0, sizeof(a));
	initPQExpBuffer(&a.notes);
	ok = describe_conninfo(&a, conninfo, &parsed);
	if (ok)
		explain_limits(&a, parsed, PQlibVersion() / 10000);
	PQconninfoFree(parsed);
	*display = a.display;
	*notes = ptp_strdup(a.notes.data);
	*error = a.error;
	termPQExpBuffer(&a.notes);
	return ok;
}
