/*-------------------------------------------------------------------------
 *
 * redaction_checks.c
 *		What the fuzz targets of pg_tls_probe code assert about its
 *		redacted output: no spelling of a registered secret, one line, no
 *		quoted part of an unparsable string.
 *
 * The spellings a secret must be masked in are computed here from
 * harness/redact.c's promise (its file header), independently of its code.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "check.h"
#include "harness_shim.h"
#include "pqexpbuffer.h"

/*
 * check_absent
 *		Aborts when the len bytes of spelling appear in printed.  Spellings
 *		that cannot be told apart from what the redactor itself writes are
 *		skipped: shorter than four bytes (masked only as words), or holding
 *		'*' (the mask) or white space (printed lines turn line ends into
 *		spaces).
 */
static void
check_absent(const char *printed, const char *spelling, size_t len)
{
	if (len < 4)
		return;
	for (size_t i = 0; i < len; i++)
		if (spelling[i] == '*' || isspace((unsigned char) spelling[i]))
			return;
	FUZZ_CHECK(memmem(printed, strlen(printed), spelling, len) == NULL,
			   "no spelling of a registered secret is printed");
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char) tolower((unsigned char) c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/*
 * check_spellings
 *		Aborts when printed holds s, or s percent-encoded, quoted for a
 *		connection string or JSON, or one of its runs of letters and digits.
 */
static void
check_spellings(const char *printed, const char *s)
{
	PQExpBufferData b;

	check_absent(printed, s, strlen(s));
	initPQExpBuffer(&b);
	for (int lower = 0; lower < 2; lower++)
	{
		resetPQExpBuffer(&b);
		for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		{
			if (isalnum(*p) || strchr("-._~", *p) != NULL)
				appendPQExpBufferChar(&b, (char) *p);
			else
				appendPQExpBuffer(&b, lower ? "%%%02x" : "%%%02X", *p);
		}
		check_absent(printed, b.data, b.len);
	}
	for (const char *quotes = "'\""; *quotes; quotes++)
	{
		resetPQExpBuffer(&b);
		for (const char *p = s; *p; p++)
		{
			if (*p == '\\' || *p == *quotes)
				appendPQExpBufferChar(&b, '\\');
			appendPQExpBufferChar(&b, *p);
		}
		check_absent(printed, b.data, b.len);
	}
	for (const char *p = s; *p;)
	{
		const char *run = p;

		while (isalnum((unsigned char) *p))
			p++;
		check_absent(printed, run, p - run);
		if (p == run)
			p++;
	}
	termPQExpBuffer(&b);
}

/*
 * fuzz_check_secret_masked
 *		check_spellings() of the secret as given and percent-decoded.
 */
void
fuzz_check_secret_masked(const char *printed, const char *secret)
{
	PQExpBufferData decoded;
	size_t		len = strlen(secret);

	check_spellings(printed, secret);
	initPQExpBuffer(&decoded);
	for (size_t i = 0; i < len; i++)
	{
		if (secret[i] == '%' && i + 2 < len && hex_digit(secret[i + 1]) >= 0 && hex_digit(secret[i + 2]) >= 0)
		{
			appendPQExpBufferChar(&decoded, (char) (hex_digit(secret[i + 1]) * 16 + hex_digit(secret[i + 2])));
			i += 2;
		}
		else
			appendPQExpBufferChar(&decoded, secret[i]);
	}
	/* a decoded NUL ends the spelling: no message can carry what follows */
	check_spellings(printed, decoded.data);
	termPQExpBuffer(&decoded);
}

/*
 * fuzz_check_one_line
 *		Aborts unless printed is one line with no trailing blank.
 */
void
fuzz_check_one_line(const char *printed)
{
	size_t		len = strlen(printed);

	FUZZ_CHECK(strpbrk(printed, "\n\r\t") == NULL, "a redacted text is one line");
	FUZZ_CHECK(len == 0 || printed[len - 1] != ' ', "a redacted text has no trailing blank");
}

/*
 * fuzz_check_quotes_dropped
 *		Aborts unless every quoted part of printed is "..." or one
 *		character that is not a letter or a digit.
 */
void
fuzz_check_quotes_dropped(const char *printed)
{
	for (const char *p = strchr(printed, '"'); p != NULL; p = strchr(p + 1, '"'))
	{
		const char *end = strchr(p + 1, '"');

		FUZZ_CHECK(end != NULL, "quotes are balanced");
		FUZZ_CHECK((end - p == 4 && strncmp(p, "\"...\"", 5) == 0) ||
				   (end - p == 2 && !isalnum((unsigned char) p[1])),
				   "nothing quoted survives in a parse error but one punctuation character");
		p = end;
	}
}
