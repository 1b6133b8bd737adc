/*-------------------------------------------------------------------------
 *
 * fuzz_conninfo.c
 *		Fuzz target: the connection-string describer of "pg_tls_probe
 *		audit" (describe_conninfo() and explain_limits() in
 *		harness/audit.c), on any connection string.
 *
 * libpq's own parser is the judge: when it finds a password or an
 * sslpassword in the string, no spelling of it may appear in anything the
 * audit prints about the string (the options shown, the notes, the error)
 * nor in the string itself as printed.  A string libpq cannot parse is
 * never shown, even in part: libpq's complaint about it, as printed, has
 * no word of four letters or more from the string but libpq's own.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "libpq-fe.h"
#include "pg_tls_probe.h"
#include "shim/check.h"
#include "shim/harness_shim.h"

/*
 * check_printed
 *		Aborts when text, printed as audit.c prints a line, shows a secret
 *		libpq found in the string.
 */
static void
check_printed(const char *text, const PQconninfoOption *parsed)
{
	char	   *printed = ptp_redact(text);

	fuzz_check_one_line(printed);
	for (const PQconninfoOption *o = parsed; o != NULL && o->keyword != NULL; o++)
		if (o->val != NULL && (strcmp(o->keyword, "password") == 0 || strcmp(o->keyword, "sslpassword") == 0))
			fuzz_check_secret_masked(printed, o->val);
	free(printed);
}

/*
 * The words of libpq's messages about a string that does not parse
 * (fe-connect.c, libpq 15 to 18), which may be printed.
 */
static const char *const libpq_words[] = {
	"after", "address", "allowed", "character", "connection", "empty", "encoded", "exceeds",
	"expected", "extra", "forbidden", "host", "info", "internal", "invalid", "IPv6", "looking",
	"matching", "maximum", "memory", "missing", "option", "parameter", "parser", "percent",
	"position", "propagated", "query", "quoted", "reached", "routine", "separator", "size",
	"string", "token", "unexpected", "unterminated", "value", "when",
};

/*
 * check_not_shown
 *		Aborts when printed, libpq's complaint about conninfo as the audit
 *		prints it, holds a word of four letters or more that is not one of
 *		libpq's and is in conninfo.  Numbers are left out: libpq prints a
 *		position.
 */
static void
check_not_shown(const char *printed, const char *conninfo)
{
	for (const char *p = printed; *p;)
	{
		const char *run = p;
		bool		letters = false;

		for (; isalnum((unsigned char) *p); p++)
			letters |= isalpha((unsigned char) *p);
		if (p - run >= 4 && letters &&
			memmem(conninfo, strlen(conninfo), run, p - run) != NULL)
		{
			bool		libpq_own = false;

			for (size_t i = 0; i < lengthof(libpq_words); i++)
				libpq_own |= (strlen(libpq_words[i]) == (size_t) (p - run) &&
							  strncmp(libpq_words[i], run, p - run) == 0);
			FUZZ_CHECK(libpq_own, "no part of a string libpq cannot parse is printed");
		}
		if (p == run)
			p++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *conninfo = strndup((const char *) data, size);
	PQconninfoOption *parsed;
	char	   *libpq_error = NULL;
	char	   *display;
	char	   *notes;
	char	   *error;
	bool		ok;

	FUZZ_CHECK(conninfo != NULL, "memory");
	parsed = PQconninfoParse(conninfo, &libpq_error);
	if (parsed == NULL && libpq_error != NULL)
	{
		char	   *printed;

		/* libpq's own message, before any secret is registered to mask it */
		fuzz_redact_forget();
		printed = ptp_redact_parse_error(libpq_error);
		check_not_shown(printed, conninfo);
		free(printed);
	}

	fuzz_redact_forget();
	ok = fuzz_describe_conninfo(conninfo, &display, &notes, &error);
	FUZZ_CHECK(ok ? display != NULL && error == NULL : display == NULL && error != NULL,
			   "a string is either described or refused with a reason");
	FUZZ_CHECK(parsed != NULL || !ok, "a string libpq cannot parse is refused");
	check_printed(conninfo, parsed);
	if (display != NULL)
		check_printed(display, parsed);
	check_printed(notes, parsed);
	if (error != NULL)
		check_printed(error, parsed);

	PQconninfoFree(parsed);
	PQfreemem(libpq_error);
	free(display);
	free(notes);
	free(error);
	free(conninfo);
	fuzz_redact_forget();
	return 0;
}
