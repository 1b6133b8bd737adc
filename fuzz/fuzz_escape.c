/*-------------------------------------------------------------------------
 *
 * fuzz_escape.c
 *		Fuzz target: the escaper of client-chosen values
 *		(extension/escape.c), on any bytes.
 *
 * What it writes must stay inside its double quotes on one line of any
 * log reader: no control byte, no C1 code point, no U+2028, U+2029 or
 * bidirectional control raw, no unescaped quote, valid UTF-8; and it must
 * decode back to exactly the bytes given (\" \\ and \xNN are its only escapes).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "escape.h"
#include "mb/pg_wchar.h"
#include "shim/check.h"
#include "shim/server.h"

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * check_escaped
 *		Aborts unless out (len bytes) is safe inside quotes on one line and
 *		decodes to the size bytes of data.
 */
static void
check_escaped(const char *out, int len, const uint8_t *data, size_t size)
{
	const unsigned char *p = (const unsigned char *) out;
	const unsigned char *end = p + len;
	size_t		decoded = 0;

	FUZZ_CHECK(pg_encoding_verifymbstr(PG_UTF8, out, len) == len, "the escaped text is valid UTF-8");
	while (p < end)
	{
		unsigned char byte;

		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f, "no control byte is written raw");
		FUZZ_CHECK(!(p[0] == 0xc2 && end - p >= 2 && p[1] >= 0x80 && p[1] <= 0x9f),
				   "no C1 code point (U+0080-U+009F, NEL among them) is written raw");
		FUZZ_CHECK(!(p[0] == 0xe2 && end - p >= 3 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)),
				   "U+2028 and U+2029 are not written raw");
		FUZZ_CHECK(!(p[0] == 0xd8 && end - p >= 2 && p[1] == 0x9c) &&
				   !(p[0] == 0xe2 && end - p >= 3 && p[1] == 0x80 &&
					 (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae))) &&
				   !(p[0] == 0xe2 && end - p >= 3 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9),
				   "no bidirectional control is written raw");
		FUZZ_CHECK(*p != '"', "a quote is always escaped");
		if (*p == '\\')
		{
			FUZZ_CHECK(end - p >= 2, "a backslash is never last");
			if (p[1] == '"' || p[1] == '\\')
			{
				byte = p[1];
				p += 2;
			}
			else
			{
				FUZZ_CHECK(p[1] == 'x' && end - p >= 4 &&
						   hex_digit(p[2]) >= 0 && hex_digit(p[3]) >= 0,
						   "a backslash starts \\\", \\\\ or \\xNN");
				byte = (unsigned char) (hex_digit(p[2]) * 16 + hex_digit(p[3]));
				p += 4;
			}
		}
		else
			byte = *p++;
		FUZZ_CHECK(decoded < size && data[decoded] == byte, "the escaped text decodes to the input");
		decoded++;
	}
	FUZZ_CHECK(decoded == size, "the escaped text decodes to all of the input");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	StringInfoData buf;
	char	   *text = strndup((const char *) data, size);
	char	   *escaped;

	FUZZ_CHECK(text != NULL, "memory");
	initStringInfo(&buf);
	tls_append_escaped(&buf, (const char *) data, size);
	check_escaped(buf.data, buf.len, data, size);

	/* tls_escaped() is the same escaper, up to the first NUL */
	escaped = tls_escaped(text);
	resetStringInfo(&buf);
	tls_append_escaped(&buf, text, strlen(text));
	FUZZ_CHECK(strcmp(escaped, buf.data) == 0, "tls_escaped() escapes as tls_append_escaped() does");

	free(text);
	fuzz_end_input();
	return 0;
}
