/*-------------------------------------------------------------------------
 *
 * redaction_checks.c
 *		What the fuzz targets of pg_tls_probe code assert about what it
 *		prints: a connection string shown from its fields with its secrets
 *		masked, a string that does not parse never echoed, and every value
 *		safe for a terminal and for JSON.
 *
 * The checks are written from the promises of harness/redact.c and
 * harness/printable.c (their file headers), not from their code: libpq
 * parses what is shown back, and the Unicode Standard's table of
 * well-formed byte sequences decides what is UTF-8.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "check.h"
#include "harness_shim.h"
#include "libpq-fe.h"

#define FUZZ_MASK	"********"

/* Words of pg_tls_probe's own about a string that does not parse. */
static const char *const own_words[] = {
	"address", "byte", "character", "closed", "closing", "connection", "could", "early", "empty",
	"encoded", "encoding", "ends", "expected", "forbids", "hold", "information", "invalid",
	"IPv6", "libpq", "memory", "name", "never", "option", "parse", "parameter", "password", "percent", "query",
	"quoted", "second", "shown", "string", "that", "them", "unexpected", "user", "value",
	"which", "with", "without", "write",
};

static bool
is_uri(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0;
}

static bool
looks_like_connection_string(const char *s)
{
	return is_uri(s) || strchr(s, '=') != NULL;
}

static bool
is_secret(const char *keyword)
{
	return strcmp(keyword, "password") == 0 || strcmp(keyword, "sslpassword") == 0;
}

/*
 * The well-formed UTF-8 byte sequences (the Unicode Standard, table 3-7):
 * the range of each byte after a lead byte in [first, last].
 */
static const struct
{
	unsigned char first,
				last;
	int			len;
	unsigned char ranges[3][2];
}			well_formed[] = {
	{0xc2, 0xdf, 2, {{0x80, 0xbf}}},
	{0xe0, 0xe0, 3, {{0xa0, 0xbf}, {0x80, 0xbf}}},
	{0xe1, 0xec, 3, {{0x80, 0xbf}, {0x80, 0xbf}}},
	{0xed, 0xed, 3, {{0x80, 0x9f}, {0x80, 0xbf}}},
	{0xee, 0xef, 3, {{0x80, 0xbf}, {0x80, 0xbf}}},
	{0xf0, 0xf0, 4, {{0x90, 0xbf}, {0x80, 0xbf}, {0x80, 0xbf}}},
	{0xf1, 0xf3, 4, {{0x80, 0xbf}, {0x80, 0xbf}, {0x80, 0xbf}}},
	{0xf4, 0xf4, 4, {{0x80, 0x8f}, {0x80, 0xbf}, {0x80, 0xbf}}},
};

/*
 * decode
 *		s (len bytes) as code points, each byte that is not part of a
 *		well-formed sequence as U+FFFD (counted in *invalid); the number
 *		written to out (room for len).
 */
static size_t
decode(const char *s, size_t len, uint32 *out, int *invalid)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t		n = 0;

	for (size_t i = 0; i < len;)
	{
		int			seq = 0;

		for (size_t k = 0; k < lengthof(well_formed) && u[i] >= 0x80; k++)
		{
			bool		ok = u[i] >= well_formed[k].first && u[i] <= well_formed[k].last &&
				i + well_formed[k].len <= len;

			for (int j = 1; ok && j < well_formed[k].len; j++)
				ok = u[i + j] >= well_formed[k].ranges[j - 1][0] && u[i + j] <= well_formed[k].ranges[j - 1][1];
			if (ok)
				seq = well_formed[k].len;
		}
		if (u[i] < 0x80)
			out[n++] = u[i++];
		else if (seq == 0)
		{
			(*invalid)++;
			out[n++] = 0xfffd;
			i++;
		}
		else
		{
			uint32		c = u[i] & (0xff >> (seq + 1));

			for (int j = 1; j < seq; j++)
				c = (c << 6) | (u[i + j] & 0x3f);
			out[n++] = c;
			i += seq;
		}
	}
	return n;
}

static bool
unsafe(uint32 c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029;
}

/*
 * fuzz_check_printable
 *		Aborts unless printed is UTF-8 with no control character, C1 code
 *		point, line or paragraph separator.
 */
void
fuzz_check_printable(const char *printed)
{
	size_t		len = strlen(printed);
	uint32    *chars = malloc((len + 1) * sizeof(uint32));
	int			invalid = 0;
	size_t		n = decode(printed, len, chars, &invalid);

	FUZZ_CHECK(chars != NULL, "memory");
	FUZZ_CHECK(invalid == 0, "a printed value is UTF-8");
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(!unsafe(chars[i]), "a printed value has no control character, C1 or line separator");
	free(chars);
}

/*
 * fuzz_check_json_string
 *		Aborts unless json is one JSON string, printable as it is, that
 *		decodes to original, each byte of it that is not UTF-8 as U+FFFD.
 */
void
fuzz_check_json_string(const char *json, const char *original)
{
	size_t		len = strlen(json);
	uint32    *want = malloc((strlen(original) + 1) * sizeof(uint32));
	uint32    *got = malloc((len + 1) * sizeof(uint32));
	int			invalid = 0;
	size_t		n_want = decode(original, strlen(original), want, &invalid);
	size_t		n_got = 0;
	const char *p = json + 1;

	FUZZ_CHECK(want != NULL && got != NULL, "memory");
	fuzz_check_printable(json);
	FUZZ_CHECK(len >= 2 && json[0] == '"' && json[len - 1] == '"', "a JSON string is quoted");
	while (p < json + len - 1)
	{
		const char *end = p + strcspn(p, "\\\"");

		if (end > json + len - 1)
			end = json + len - 1;
		n_got += decode(p, end - p, got + n_got, &invalid);
		p = end;
		if (p == json + len - 1)
			break;
		FUZZ_CHECK(*p == '\\', "a quote inside a JSON string is escaped");
		p++;
		if (*p == 'u')
		{
			unsigned int c;

			FUZZ_CHECK(sscanf(p + 1, "%4x", &c) == 1 && isxdigit((unsigned char) p[4]), "a \\u escape");
			FUZZ_CHECK(c < 0xd800 || c > 0xdfff, "no surrogate in a JSON string");
			got[n_got++] = c;
			p += 5;
		}
		else
		{
			const char *from = "\"\\/bfnrt";
			const char *to = "\"\\/\b\f\n\r\t";
			const char *esc = strchr(from, *p);

			FUZZ_CHECK(*p != '\0' && esc != NULL, "a JSON escape");
			got[n_got++] = to[esc - from];
			p++;
		}
	}
	FUZZ_CHECK(n_got == n_want && memcmp(got, want, n_got * sizeof(uint32)) == 0,
			   "a JSON string decodes to the value");
	free(want);
	free(got);
}

static void check_fields(const PQconninfoOption *options, const char *display, bool nested);

/*
 * check_nested
 *		Aborts unless shown, the dbname as printed, is original, a dbname
 *		holding a connection string, printed from its fields, or the
 *		sentence that says it is not shown.
 */
static void
check_nested(const char *original, const char *shown)
{
	PQconninfoOption *inner = PQconninfoParse(original, NULL);
	bool		any = false;
	bool		early = false;

	for (PQconninfoOption *o = inner; o != NULL && o->keyword != NULL; o++)
	{
		any |= o->val != NULL;
		early |= o->val != NULL && strchr(o->val, '@') != NULL &&
			(strcmp(o->keyword, "host") == 0 || strcmp(o->keyword, "port") == 0 ||
			 strcmp(o->keyword, "dbname") == 0) && is_uri(original);
	}
	if (inner == NULL || early)
		FUZZ_CHECK(strncmp(shown, "(not shown: ", 12) == 0,
				   "a dbname that does not parse as written is not shown");
	else if (!any)
		FUZZ_CHECK(strcmp(shown, original) == 0, "a connection string without a field is shown as it is");
	else
		check_fields(inner, shown, true);
	PQconninfoFree(inner);
}

/*
 * check_fields
 *		Aborts unless display parses into the fields of options: each
 *		secret as the mask, a dbname holding a connection string the same
 *		way when not nested, else as the sentence that says it is not
 *		shown, every other value as it is.
 */
static void
check_fields(const PQconninfoOption *options, const char *display, bool nested)
{
	PQconninfoOption *back = PQconninfoParse(display, NULL);
	const PQconninfoOption *o = options;
	const PQconninfoOption *b = back;

	FUZZ_CHECK(back != NULL, "a connection string as shown parses");
	for (; o->keyword != NULL; o++, b++)
	{
		FUZZ_CHECK(b->keyword != NULL && strcmp(o->keyword, b->keyword) == 0, "libpq's option table");
		FUZZ_CHECK((o->val == NULL) == (b->val == NULL), "the options shown are the options given");
		if (o->val == NULL)
			continue;
		if (is_secret(o->keyword))
			FUZZ_CHECK(strcmp(b->val, FUZZ_MASK) == 0, "a password or sslpassword is masked");
		else if (strcmp(o->keyword, "dbname") == 0 && looks_like_connection_string(o->val) && nested)
			FUZZ_CHECK(strncmp(b->val, "(not shown: ", 12) == 0, "a connection string is expanded once");
		else if (strcmp(o->keyword, "dbname") == 0 && looks_like_connection_string(o->val))
			check_nested(o->val, b->val);
		else
			FUZZ_CHECK(strcmp(o->val, b->val) == 0, "a value is shown as given");
	}
	PQconninfoFree(back);
}

/*
 * fuzz_check_display
 *		Aborts unless display is options as check_fields() requires, and
 *		no longer than twice the options' values with their keywords and
 *		a sentence for each dbname not shown: quoting is done once.
 */
void
fuzz_check_display(const PQconninfoOption *options, const char *display)
{
	size_t		bound = 0;

	check_fields(options, display, false);
	for (const PQconninfoOption *o = options; o->keyword != NULL; o++)
		if (o->val != NULL)
			bound += strlen(o->keyword) + 3 + 2 * (4 * strlen(o->val) + 200);
	FUZZ_CHECK(strlen(display) <= bound, "what is shown grows with the string, not with its nesting");
}

/*
 * in_shown_values
 *		True when s is part of a keyword, the mask or a value that is not
 *		secret in shown (a connection string as printed) or, unless nested,
 *		in a dbname of it holding one.
 */
static bool
in_shown_values(const char *s, const char *shown, bool nested)
{
	PQconninfoOption *options = PQconninfoParse(shown, NULL);
	bool		found = strstr(FUZZ_MASK, s) != NULL;

	for (PQconninfoOption *o = options; o != NULL && o->keyword != NULL && !found; o++)
	{
		found = strstr(o->keyword, s) != NULL;
		if (o->val != NULL && !is_secret(o->keyword))
			found |= strstr(o->val, s) != NULL ||
				(strcmp(o->keyword, "dbname") == 0 && looks_like_connection_string(o->val) && !nested &&
				 in_shown_values(s, o->val, true));
	}
	PQconninfoFree(options);
	return found;
}

/*
 * fuzz_check_secrets_absent
 *		Aborts when a password or sslpassword of options, or of the
 *		connection strings its dbnames hold (at any depth), is in display,
 *		unless it is also part of what may be shown.  Only secrets of four
 *		or more letters and digits are looked for: shorter ones, or ones
 *		with punctuation, are part of the syntax of any string.
 */
void
fuzz_check_secrets_absent(const PQconninfoOption *options, const char *display)
{
	for (const PQconninfoOption *o = options; o->keyword != NULL; o++)
	{
		if (o->val == NULL)
			continue;
		if (is_secret(o->keyword))
		{
			bool		alnum = strlen(o->val) >= 4;

			for (const char *p = o->val; *p && alnum; p++)
				alnum = isalnum((unsigned char) *p);
			if (alnum && !in_shown_values(o->val, display, false))
				FUZZ_CHECK(strstr(display, o->val) == NULL, "no password or sslpassword is printed");
		}
		else if (strcmp(o->keyword, "dbname") == 0 && looks_like_connection_string(o->val))
		{
			PQconninfoOption *inner = PQconninfoParse(o->val, NULL);

			if (inner != NULL)
				fuzz_check_secrets_absent(inner, display);
			PQconninfoFree(inner);
		}
	}
}

/*
 * fuzz_check_not_echoed
 *		Aborts when why, what is said of conninfo that does not parse, holds
 *		a word of four letters or more that is not pg_tls_probe's own,
 *		outside the one quoted option name, or when that name is not the
 *		one written at the byte why gives, or that byte is not in the
 *		string.
 */
void
fuzz_check_not_echoed(const char *why, const char *conninfo)
{
	const char *open = strstr(why, "option \"");
	const char *close = open ? strrchr(why, '"') : NULL;
	const char *at = NULL;
	long		byte;

	/* the position is the last thing said, after a name that may say anything */
	for (const char *p = strstr(why, ", at byte "); p != NULL; p = strstr(p + 1, ", at byte "))
		at = p;
	byte = at ? atol(at + 10) : 0;

	FUZZ_CHECK(at == NULL || (byte >= 1 && (size_t) byte <= strlen(conninfo) + 1), "a position in the string");
	if (open != NULL && at != NULL)
	{
		size_t		len;

		open += 8;
		len = close - open;
		/* a keyword=value name as written; a URI's is percent-decoded */
		if (!is_uri(conninfo))
			FUZZ_CHECK(strncmp(conninfo + byte - 1, open, len) == 0 &&
					   (conninfo[byte - 1 + len] == '=' || isspace((unsigned char) conninfo[byte - 1 + len])),
					   "the unknown option is the one written there");
	}
	for (const char *p = why; *p;)
	{
		const char *run = p;
		bool		letters = false;

		if (p == open)
		{
			p = close + 1;
			continue;
		}
		for (; isalnum((unsigned char) *p); p++)
			letters |= isalpha((unsigned char) *p);
		if (p - run >= 4 && letters)
		{
			bool		own = false;

			for (size_t i = 0; i < lengthof(own_words) && !own; i++)
				own = strlen(own_words[i]) == (size_t) (p - run) && strncmp(own_words[i], run, p - run) == 0;
			FUZZ_CHECK(own, "nothing of a string that does not parse is printed");
		}
		if (p == run)
			p++;
	}
}
