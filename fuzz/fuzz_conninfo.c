/*-------------------------------------------------------------------------
 *
 * fuzz_conninfo.c
 *		Fuzz target: the connection-string describer of "pg_tls_probe
 *		audit" (describe_conninfo() and explain_limits() in
 *		harness/audit.c), on any connection string.
 *
 * libpq's own parser is the judge: a string it parses is described unless
 * it is a URI whose user information ended early (its host, port or
 * dbname holds an "@"), and then shown from its fields with every
 * password and sslpassword masked, in a dbname holding a connection
 * string too (expanded once, as libpq does); a string it
 * cannot parse is refused with a reason that echoes none of it but an
 * unknown option's name.  All that is printed, made printable, is safe for
 * a terminal.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "libpq-fe.h"
#include "pg_tls_probe.h"
#include "shim/check.h"
#include "shim/harness_shim.h"

/* Aborts unless text, as the audit prints it, is safe for a terminal. */
static void
check_printed(const char *text)
{
	char	   *printed = ptp_printable(text);

	fuzz_check_printable(printed);
	free(printed);
}

/* True when a URI's host, port or dbname holds an "@" (libpq ended its user information early). */
static bool
ended_early(const char *conninfo, const PQconninfoOption *parsed)
{
	if (strncmp(conninfo, "postgresql://", 13) != 0 && strncmp(conninfo, "postgres://", 11) != 0)
		return false;
	for (const PQconninfoOption *o = parsed; o->keyword != NULL; o++)
		if (o->val != NULL && strchr(o->val, '@') != NULL &&
			(strcmp(o->keyword, "host") == 0 || strcmp(o->keyword, "port") == 0 ||
			 strcmp(o->keyword, "dbname") == 0))
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *conninfo = strndup((const char *) data, size);
	PQconninfoOption *parsed;
	char	   *display;
	char	   *notes;
	char	   *error;
	bool		ok;

	FUZZ_CHECK(conninfo != NULL, "memory");
	parsed = PQconninfoParse(conninfo, NULL);
	ok = fuzz_describe_conninfo(conninfo, &display, &notes, &error);
	FUZZ_CHECK(ok ? display != NULL && error == NULL : display == NULL && error != NULL,
			   "a string is either described or refused with a reason");
	FUZZ_CHECK(ok == (parsed != NULL && !ended_early(conninfo, parsed)),
			   "a string is described exactly when libpq parses it as written");
	if (ok)
	{
		if (strcmp(display, "(from the environment)") != 0)
			fuzz_check_display(parsed, display);
		fuzz_check_secrets_absent(parsed, display);
		check_printed(display);
	}
	else
	{
		fuzz_check_not_echoed(error, conninfo);
		check_printed(error);
	}
	check_printed(notes);

	PQconninfoFree(parsed);
	free(display);
	free(notes);
	free(error);
	free(conninfo);
	return 0;
}
