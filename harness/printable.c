/*-------------------------------------------------------------------------
 *
 * printable.c
 *		Text made safe to print: on a terminal, and as a JSON string.
 *
 * Much of what pg_tls_probe prints comes from elsewhere: connection
 * strings, libpq's and the server's messages, certificate names.  Such a
 * value must not be able to steer a terminal (ESC and other control bytes)
 * or to start a line of its own, which could forge a report's line such as
 * "verdict: PASS".  So every C0 control byte (line ends included), DEL,
 * every C1 code point (U+0080 to U+009F, which some terminals obey as
 * controls), the Unicode line and paragraph separators (U+2028, U+2029),
 * the bidirectional controls (see is_unsafe) and every byte that is not part of well-formed UTF-8 are escaped: \xHH
 * for a byte, \uHHHH for a code point.  Everything else, other scripts
 * included, is printed as it is, so that a printed line keeps its width
 * and a report its columns.  JSON writes the same code points as \u
 * escapes (a JavaScript parser before ES2019 reads U+2028 as a line end),
 * and each byte that is not UTF-8 as U+FFFD, since a JSON text is Unicode.
 *
 * harness/printable.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "pg_tls_probe.h"

/*
 * utf8_char
 *		The length of the well-formed UTF-8 sequence s starts with, with its
 *		code point in *cp; 0 when s[0] starts none (a stray continuation
 *		byte, an overlong form, a surrogate, a code point above U+10FFFF or
 *		a sequence cut short).  s[0] is not NUL.
 */
static int
utf8_char(const unsigned char *s, uint32 *cp)
{
	int			len;
	uint32		min;

	if (s[0] < 0x80)
	{
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, min = 0x80, *cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, min = 0x800, *cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, min = 0x10000, *cp = s[0] & 0x07;
	else
		return 0;
	/* a NUL is not a continuation byte: the check stops at the string's end */
	for (int i = 1; i < len; i++)
	{
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * True for the code points no printed value may carry as they are: the
 * controls, the line separators, and the bidirectional marks, embeddings,
 * overrides and isolates (U+061C, U+200E, U+200F, U+202A to U+202E,
 * U+2066 to U+2069), which reorder what a terminal shows after them, so that a value
 * could make "FAIL" read as "PASS".
 */
static bool
is_unsafe(uint32 cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
		cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * ptp_printable
 *		s (NULL gives "") with every control byte, C1 code point, line or
 *		paragraph separator and byte that is not UTF-8 escaped, so that it
 *		prints as one line and cannot steer a terminal.  malloc'd.
 */
char *
ptp_printable(const char *s)
{
	const unsigned char *p = (const unsigned char *) (s ? s : "");

	/* the longest escape is four characters for a byte, "\xHH" */
	char	   *result = ptp_malloc0(4 * strlen((const char *) p) + 1);
	char	   *o = result;

	while (*p)
	{
		uint32		cp;
		int			len = utf8_char(p, &cp);

		if (len == 0 || (len == 1 && is_unsafe(cp)))
			o += sprintf(o, "\\x%02x", *p);
		else if (is_unsafe(cp))
			o += sprintf(o, "\\u%04x", (unsigned int) cp);
		else
		{
			memcpy(o, p, len);
			o += len;
		}
		p += Max(len, 1);
	}
	*o = '\0';
	return result;
}

/*
 * ptp_json_string
 *		Writes s as a JSON string (null for NULL): quotes, backslashes,
 *		control characters, C1 code points and U+2028/U+2029 as escapes,
 *		each byte that is not UTF-8 as U+FFFD.
 */
void
ptp_json_string(FILE *out, const char *s)
{
	if (s == NULL)
	{
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *) s; *p;)
	{
		uint32		cp;
		int			len = utf8_char(p, &cp);

		if (len == 0)
			fputs("\\ufffd", out);
		else if (cp == '"' || cp == '\\')
			fprintf(out, "\\%c", (char) cp);
		else if (is_unsafe(cp))
			fprintf(out, "\\u%04x", (unsigned int) cp);
		else
			fwrite(p, 1, len, out);
		p += Max(len, 1);
	}
	fputc('"', out);
}
