/*-------------------------------------------------------------------------
 *
 * escape.c
 *		The one escaper for values a client chose (user name, database,
 *		server name, application_name) wherever pg_tls_audit writes them
 *		into a message or a log line.
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
 * tls_append_escaped
 *		Append len bytes that a client chose to a message or log line:
 *		'"' and '\\' are escaped with a backslash, control characters and
 *		bytes that are not valid UTF-8 are written as \xNN, so that inside
 *		double quotes the text can neither end its quotes, nor start a
 *		line, nor pose as another field.
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
		else if (*p < 0x20 || *p == 0x7f)
			appendStringInfo(buf, "\\x%02X", *p++);
		else if (*p < 0x80)
			appendStringInfoChar(buf, (char) *p++);
		else if (charlen <= end - p && pg_utf8_islegal(p, charlen))
		{
			appendBinaryStringInfo(buf, (const char *) p, charlen);
			p += charlen;
		}
		else
			appendStringInfo(buf, "\\x%02X", *p++);
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
