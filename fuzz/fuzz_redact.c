/*-------------------------------------------------------------------------
 *
 * fuzz_redact.c
 *		Fuzz target: pg_tls_probe's redactor (harness/redact.c) and its
 *		printable text (harness/printable.c).  The input is a connection
 *		string.
 *
 * libpq's parser is the judge.  A string it parses is shown by
 * ptp_conninfo_display() so that it parses back into the same fields,
 * each password and sslpassword as the mask and a dbname holding a
 * connection string the same way, once (a deeper one is not shown), its
 * length bounded by the string's; no parsed secret appears in it (but as
 * part of what is not secret), and it does not change when the secrets do.
 * A string libpq cannot parse is one ptp_conninfo_error() finds the fault
 * of, and it never echoes the string but an unknown option's name.  Any
 * input, made printable, is UTF-8 without a control character, C1 code
 * point or line separator; as a JSON string, it decodes back to itself.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "libpq-fe.h"
#include "pg_tls_probe.h"
#include "shim/check.h"
#include "shim/harness_shim.h"

/*
 * check_independent
 *		Aborts when display changes as a top-level secret of options does:
 *		the mask says nothing of a secret, not even its length.
 */
static void
check_independent(PQconninfoOption *options, const char *display)
{
	static char *const stand_ins[] = {"", "a stand-in secret longer than most"};

	for (PQconninfoOption *o = options; o->keyword != NULL; o++)
	{
		char	   *val = o->val;

		if (val == NULL || (strcmp(o->keyword, "password") != 0 && strcmp(o->keyword, "sslpassword") != 0))
			continue;
		for (size_t i = 0; i < lengthof(stand_ins); i++)
		{
			char	   *again;

			o->val = stand_ins[i];
			again = ptp_conninfo_display(options);
			FUZZ_CHECK(strcmp(again, display) == 0, "what is shown does not depend on a secret");
			free(again);
		}
		o->val = val;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *conninfo = strndup((const char *) data, size);
	PQconninfoOption *parsed;
	char	   *why;
	char	   *printed;
	char	   *json = NULL;
	size_t		json_len;
	FILE	   *out;

	FUZZ_CHECK(conninfo != NULL, "memory");
	parsed = PQconninfoParse(conninfo, NULL);
	why = ptp_conninfo_error(conninfo);
	FUZZ_CHECK((parsed == NULL) == (why != NULL), "the fault is found where libpq finds one");
	if (why != NULL)
	{
		FUZZ_CHECK(strstr(why, ", at byte ") != NULL, "the fault's position is given");
		fuzz_check_not_echoed(why, conninfo);
	}
	if (parsed != NULL)
	{
		char	   *display = ptp_conninfo_display(parsed);

		fuzz_check_display(parsed, display);
		fuzz_check_secrets_absent(parsed, display);
		check_independent(parsed, display);
		free(display);
	}

	printed = ptp_printable(conninfo);
	fuzz_check_printable(printed);
	out = open_memstream(&json, &json_len);
	FUZZ_CHECK(out != NULL, "memory");
	ptp_json_string(out, conninfo);
	fclose(out);
	fuzz_check_json_string(json, conninfo);

	free(json);
	free(printed);
	free(why);
	PQconninfoFree(parsed);
	free(conninfo);
	return 0;
}
