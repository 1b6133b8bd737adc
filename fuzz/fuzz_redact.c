/*-------------------------------------------------------------------------
 *
 * fuzz_redact.c
 *		Fuzz target: pg_tls_probe's redactor (harness/redact.c).  The input
 *		is a secret, a newline, and a text to print (without a newline, the
 *		input is both).
 *
 * Once the secret is registered, no spelling of it that redact.c promises
 * to mask -- as given, percent-decoded, percent-encoded in either case,
 * quoted for a connection string or JSON, and each run of four or more
 * letters and digits -- may appear in what ptp_redact() prints, whatever
 * else is registered; the spellings are computed here independently.  A
 * line is printed as one line.  Of a libpq message quoting an unparsable
 * string, nothing quoted longer than one character survives.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "pg_tls_probe.h"
#include "shim/check.h"
#include "shim/harness_shim.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *input = strndup((const char *) data, size);
	char	   *newline;
	const char *secret = input;
	const char *text = input;
	char	   *printed;

	FUZZ_CHECK(input != NULL, "memory");
	newline = strchr(input, '\n');
	if (newline != NULL)
	{
		*newline = '\0';
		text = newline + 1;
	}

	/* nothing registered: only the line is reshaped, and quotes dropped */
	fuzz_redact_forget();
	printed = ptp_redact_parse_error(text);
	fuzz_check_one_line(printed);
	fuzz_check_quotes_dropped(printed);
	free(printed);

	ptp_secret_add(secret);
	printed = ptp_redact(text);
	fuzz_check_one_line(printed);
	fuzz_check_secret_masked(printed, secret);
	free(printed);

	/* more secrets never unmask one */
	ptp_secrets_guess(text);
	printed = ptp_redact(text);
	fuzz_check_secret_masked(printed, secret);
	free(printed);

	fuzz_redact_forget();
	free(input);
	return 0;
}
