/*-------------------------------------------------------------------------
 *
 * escape.c
 *		The one escaper for values a client chose (user name, database,
 *		server name) wherever pg_tls_audit writes them into a message or a
 *		log line.
 *
 * It depends on nothing but StringInfo and the UTF-8 helpers of
 * src/common, so that a fuzz target can compile it unchanged.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "escape.h"

#include "mb/pg_wchar.h"

/*
 * escaped_beyond_ascii
 *		Whether a valid code point beyond ASCII is still written as \xNN
 *		bytes: the C1 controls (U+0080 to U+009F), which terminals act on
 *		and among which U+0085 NEXT LINE ends a line; U+2028 LINE SEPARATOR
 *		and U+2029 PARAGRAPH SEPARATOR, at which Python's str.splitlines(),
 *		Java's \R and JavaScript end a line; and the bidirectional controls
 *		(U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069), with
 *		which a value can make a viewer show the rest of the line reordered,
 *		a forged field after it included.
 */
static bool
escaped_beyond_ascii(pg_wchar code)
{
	return (code >= 0x80 && code <= 0x9f) ||
		code == 0x2028 || code == 0x2029 ||
		code == 0x061c || code == 0x200e || code == 0x200f ||
		(code >= 0x202a && code <= 0x202e) ||
		(code >= 0x2066 && code <= 0x2069);
}

/*
 * tls_append_escaped
 *		Append len bytes that a client chose to a message or log line:
 *		'"' and '\\' are escaped with a backslash; the C0 controls, DEL, the
 *		code points of escaped_beyond_ascii() and bytes that are not valid
 *		UTF-8 are written as \xNN, one per byte, so that U+2028 comes out
 *		as \xE2\x80\xA8.  Inside double quotes the text then can neither
 *		end its quotes, nor start a line for any reader that decodes it as
 *		UTF-8, nor pose as another field; and turning each \xNN back into
 *		its byte gives the value exactly as the client sent it.
 */
void
tls_append_escaped(StringInfo buf, const char *value, size_t len)
{
	const unsigned char *p = (const unsigned char *) value;
	const unsigned char *end = p + len;

	while (p < end)
	{
		int			charlen = pg_utf_mblen(p);

		if (*p == '"' || *p == '\\')
		{
			appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, (char) *p++);
		}
		else if (*p >= 0x20 && *p < 0x7f)
			appendStringInfoChar(buf, (char) *p++);
		else if (*p >= 0x80 && charlen <= end - p &&
				 pg_utf8_islegal(p, charlen) &&
				 !escaped_beyond_ascii(utf8_to_unicode(p)))
		{
			appendBinaryStringInfo(buf, (const char *) p, charlen);
			p += charlen;
		}
		else
		{
			/*
			 * One byte at a time: the bytes that follow the first of an
			 * escaped code point are not valid UTF-8 on their own, so each
			 * is escaped in turn.
			 */
			appendStringInfo(buf, "\\x%02X", *p++);
		}
	}
}

/*
 * tls_escaped
 *		A client-chosen string escaped by tls_append_escaped(), palloc'd.
 */
char *
tls_escaped(const char *value)
{
	StringInfoData buf;

	initStringInfo(&buf);
	tls_append_escaped(&buf, value, strlen(value));
	return buf.data;
}
