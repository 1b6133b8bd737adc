/*-------------------------------------------------------------------------
 *
 * redact.c
 *		The one redactor of pg_tls_probe: a connection string is printed
 *		from the fields libpq parses it into, never copied, so that what
 *		is secret is left out by its place in the string, not found by its
 *		text.
 *
 * Searching the output for a secret's text cannot work: it misses a
 * secret spelled another way than it was registered, and it reveals one
 * that is an ordinary word by masking that word everywhere else.  Instead,
 * a connection string that parses is printed as keyword=value pairs from
 * PQconninfoParse(), with password and sslpassword masked; a dbname that
 * libpq would expand as a connection string (it holds "=" or starts with
 * a URI prefix) is itself parsed and printed the same way.  libpq expands
 * only that one level; a connection string in the dbname of that one is a
 * plain database name to libpq, and is not shown (printing every level
 * would quote each inside the next, doubling the backslashes at each: a
 * short URI nested in itself would print as megabytes).
 * A string that does not parse is never printed, nor is libpq's complaint
 * about it, which quotes it: instead this file finds where and why it
 * fails by scanning it with libpq's grammar, and names only an unknown
 * option, which is no secret.
 *
 * libpq's messages about a connection never carry the password, but the
 * server quotes the database name it was sent ("database "..." does not
 * exist"), so a message about a connection whose dbname holds a secret is
 * printed without its quoted parts.
 *
 * What is printed still has to be made safe for a terminal or JSON
 * (harness/printable.c): masking and escaping are separate steps.
 *
 * harness/redact.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "libpq-fe.h"
#include "pg_tls_probe.h"
#include "pqexpbuffer.h"

#define MASK		"********"

/* Bytes a value may hold and still be printed without quotes. */
#define PLAIN_VALUE_BYTES \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/:,@%+*="

/* Where and why a connection string does not parse (ptp_conninfo_error). */
typedef struct ParseFailure
{
	bool		failed;
	size_t		offset;			/* 0-based, in bytes */
	const char *kind;			/* what is wrong; NULL for an unknown option */
	char	   *option;			/* that option's name, malloc'd */
} ParseFailure;

/* What a dbname nested too deep to be expanded is shown as. */
#define NOT_EXPANDED	"(not shown: a connection string in a connection string's dbname)"

static void render(PQExpBuffer out, const PQconninfoOption *options, bool nested, bool *hid);

/* The length of the URI prefix conninfo starts with, 0 for none (libpq's). */
static size_t
uri_prefix_length(const char *conninfo)
{
	if (strncmp(conninfo, "postgresql://", 13) == 0)
		return 13;
	if (strncmp(conninfo, "postgres://", 11) == 0)
		return 11;
	return 0;
}

/*
 * ptp_is_connection_string
 *		True when libpq would expand s, given as a dbname, as a connection
 *		string (libpq's recognized_connection_string()).
 */
bool
ptp_is_connection_string(const char *s)
{
	return uri_prefix_length(s) > 0 || strchr(s, '=') != NULL;
}

/* The value of keyword in options; NULL when it has none. */
static const char *
option_value(const PQconninfoOption *options, const char *keyword)
{
	for (; options->keyword != NULL; options++)
		if (strcmp(options->keyword, keyword) == 0)
			return options->val;
	return NULL;
}

/*
 * ptp_uri_userinfo_ends_early
 *		True when conninfo is a URI that libpq parsed into options but not
 *		the ones written: libpq ends the user information at the first "@",
 *		and a "/" before any "@" leaves none, so the rest of a password
 *		holding "@" or "/" becomes the host, the port or the dbname, which
 *		would be printed.  Those never hold "@" in a URI that parsed as
 *		written (an "@" in them must be percent-encoded).
 */
bool
ptp_uri_userinfo_ends_early(const char *conninfo, const PQconninfoOption *options)
{
	static const char *const after_userinfo[] = {"host", "port", "dbname"};

	if (uri_prefix_length(conninfo) == 0)
		return false;
	for (size_t i = 0; i < lengthof(after_userinfo); i++)
	{
		const char *v = option_value(options, after_userinfo[i]);

		if (v != NULL && strchr(v, '@') != NULL)
			return true;
	}
	return false;
}

/* Appends value as a connection string writes it, quoted when it must be. */
static void
append_value(PQExpBuffer out, const char *value)
{
	if (value[0] != '\0' && strspn(value, PLAIN_VALUE_BYTES) == strlen(value))
	{
		appendPQExpBufferStr(out, value);
		return;
	}
	appendPQExpBufferChar(out, '\'');
	for (const char *p = value; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			appendPQExpBufferChar(out, '\\');
		appendPQExpBufferChar(out, *p);
	}
	appendPQExpBufferChar(out, '\'');
}

/*
 * nested_text
 *		The dbname conninfo, a connection string, as render() prints it; a
 *		string that does not parse, or parses into other options than were
 *		written, as a sentence that says so; a URI without a single field,
 *		which holds nothing to hide, as it is.  Sets *hid when anything was
 *		left out.  malloc'd.
 */
static char *
nested_text(const char *conninfo, bool *hid)
{
	PQconninfoOption *options = PQconninfoParse(conninfo, NULL);
	PQExpBufferData inner;
	char	   *text;

	initPQExpBuffer(&inner);
	if (options == NULL)
	{
		char	   *why = ptp_conninfo_error(conninfo);

		appendPQExpBuffer(&inner, "(not shown: a connection string that does not parse: %s)",
						  why ? why : "libpq could not parse it");
		free(why);
		*hid = true;
	}
	else if (ptp_uri_userinfo_ends_early(conninfo, options))
	{
		appendPQExpBufferStr(&inner, "(not shown: a URI whose user information ends early)");
		*hid = true;
	}
	else
		render(&inner, options, true, hid);
	text = ptp_strdup(inner.len > 0 ? inner.data : conninfo);
	termPQExpBuffer(&inner);
	PQconninfoFree(options);
	return text;
}

/*
 * render
 *		Appends the options that have a value, as keyword=value pairs in
 *		libpq's order, those of a dbname's connection string when nested;
 *		sets *hid when a secret was masked or left out.
 */
static void
render(PQExpBuffer out, const PQconninfoOption *options, bool nested, bool *hid)
{
	for (const PQconninfoOption *o = options; o->keyword != NULL; o++)
	{
		if (o->val == NULL)
			continue;
		appendPQExpBuffer(out, "%s%s=", out->len > 0 ? " " : "", o->keyword);
		if (strcmp(o->keyword, "password") == 0 || strcmp(o->keyword, "sslpassword") == 0)
		{
			appendPQExpBufferStr(out, MASK);
			*hid = true;
		}
		else if (strcmp(o->keyword, "dbname") == 0 && ptp_is_connection_string(o->val) && nested)
		{
			append_value(out, NOT_EXPANDED);
			*hid = true;
		}
		else if (strcmp(o->keyword, "dbname") == 0 && ptp_is_connection_string(o->val))
		{
			char	   *text = nested_text(o->val, hid);

			append_value(out, text);
			free(text);
		}
		else
			append_value(out, o->val);
	}
}

/*
 * ptp_conninfo_display
 *		The options of a parsed connection string as a keyword=value string
 *		that parses into the same options, but with every password and
 *		sslpassword masked, a dbname holding a connection string shown the
 *		same way (one level, as libpq expands); "" when no option has a
 *		value.  malloc'd.
 */
char *
ptp_conninfo_display(const PQconninfoOption *options)
{
	PQExpBufferData out;
	bool		hid = false;
	char	   *result;

	initPQExpBuffer(&out);
	render(&out, options, false, &hid);
	result = ptp_strdup(out.data);
	termPQExpBuffer(&out);
	return result;
}

/*
 * ptp_dbname_display
 *		A database name as it may be printed: one holding a connection
 *		string shown from its fields, secrets masked (ptp_conninfo_display's
 *		rule), anything else as it is.  malloc'd.
 */
char *
ptp_dbname_display(const char *dbname)
{
	bool		hid = false;

	return ptp_is_connection_string(dbname) ? nested_text(dbname, &hid) : ptp_strdup(dbname);
}

/*
 * dbname_hides
 *		True when the dbname db would not be printed as it is: a connection
 *		string holding a secret, or one that does not parse.
 */
static bool
dbname_hides(const char *db)
{
	bool		hid = false;

	if (db == NULL || !ptp_is_connection_string(db))
		return false;
	free(nested_text(db, &hid));
	return hid;
}

/*
 * ptp_libpq_message
 *		libpq's error message about conn, on one line (libpq's line breaks
 *		and tabs as spaces, no trailing blank).  When the connection's dbname
 *		holds a secret, everything from the first double quote to the last
 *		is left out: the server quotes the database name it was sent, cut
 *		to 63 bytes, so no quoted part can be told apart from it.  malloc'd.
 */
char *
ptp_libpq_message(const PGconn *conn)
{
	char	   *text = ptp_strdup(conn ? PQerrorMessage(conn) : "out of memory");
	size_t		len;
	char	   *first;
	char	   *last;
	char	   *elided;

	for (char *p = text; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	len = strlen(text);
	while (len > 0 && text[len - 1] == ' ')
		text[--len] = '\0';
	first = strchr(text, '"');
	last = strrchr(text, '"');
	if (conn == NULL || first == NULL || !dbname_hides(PQdb(conn)))
		return text;
	elided = ptp_psprintf("%.*s\"...\"%s (quoted parts not shown: the database name holds a secret)",
						  (int) (first - text), text, last > first ? last + 1 : "");
	free(text);
	return elided;
}

/*
 * Records a failure at offset, and returns false for the scanner to
 * return at once: libpq stops at the first.
 */
static bool
fail_at(ParseFailure *f, size_t offset, const char *kind)
{
	f->failed = true;
	f->offset = offset;
	f->kind = kind;
	return false;
}

/*
 * ptp_conninfo_entry
 *		keyword's entry in options as libpq parsed them; NULL when this
 *		libpq does not know the keyword.
 */
const PQconninfoOption *
ptp_conninfo_entry(const PQconninfoOption *options, const char *keyword)
{
	for (; options != NULL && options->keyword != NULL; options++)
		if (strcmp(options->keyword, keyword) == 0)
			return options;
	return NULL;
}

/*
 * ptp_conninfo_value
 *		keyword's value in options; NULL when it is unset or this libpq does
 *		not know it.
 */
const char *
ptp_conninfo_value(const PQconninfoOption *options, const char *keyword)
{
	const PQconninfoOption *entry = ptp_conninfo_entry(options, keyword);

	return entry ? entry->val : NULL;
}

/* True when keyword is an option this libpq knows (conninfo_storeval()). */
static bool
known_option(const char *keyword)
{
	PQconninfoOption *all = PQconninfoParse("", NULL);
	bool		known = strcmp(keyword, "requiressl") == 0 ||
		ptp_conninfo_entry(all, keyword) != NULL;

	PQconninfoFree(all);
	return known;
}

/* Records an unknown option keyword[0..len), which starts at offset. */
static bool
check_option(ParseFailure *f, const char *keyword, size_t len, size_t offset)
{
	char	   *name = ptp_psprintf("%.*s", (int) len, keyword);

	if (known_option(name))
	{
		free(name);
		return true;
	}
	f->option = name;
	return fail_at(f, offset, NULL);
}

/* The value of the hexadecimal digit c; -1 when it is not one. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * check_decoding
 *		True when s[from..to) percent-decodes as libpq decodes a URI's part
 *		(conninfo_uri_decode()); else false with the failure recorded.
 *		With decoded, the result (malloc'd) is returned there.
 */
static bool
check_decoding(ParseFailure *f, const char *s, size_t from, size_t to, char **decoded)
{
	PQExpBufferData out;

	initPQExpBuffer(&out);
	for (size_t i = from; i < to; i++)
	{
		int			hi,
					lo;

		if (s[i] != '%')
		{
			appendPQExpBufferChar(&out, s[i]);
			continue;
		}
		hi = i + 1 < to ? hex_value(s[i + 1]) : -1;
		lo = i + 2 < to ? hex_value(s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || hi * 16 + lo == 0)
		{
			termPQExpBuffer(&out);
			return fail_at(f, i, hi < 0 || lo < 0 ?
						   "invalid percent-encoding" :
						   "a percent-encoded NUL (%00), which libpq forbids");
		}
		appendPQExpBufferChar(&out, (char) (hi * 16 + lo));
		i += 2;
	}
	if (decoded != NULL)
		*decoded = ptp_strdup(out.data);
	termPQExpBuffer(&out);
	return true;
}

/*
 * scan_keywords
 *		True when s parses as keyword=value pairs (libpq's conninfo_parse());
 *		else false with the first failure recorded.
 */
static bool
scan_keywords(const char *s, ParseFailure *f)
{
	size_t		i = 0;

	for (;;)
	{
		size_t		name,
					name_end;

		while (isspace((unsigned char) s[i]))
			i++;
		if (s[i] == '\0')
			return true;
		name = i;
		while (s[i] != '\0' && s[i] != '=' && !isspace((unsigned char) s[i]))
			i++;
		name_end = i;
		while (isspace((unsigned char) s[i]))
			i++;
		if (s[i] != '=')
			return fail_at(f, name, "an option name without \"=\"");
		i++;
		while (isspace((unsigned char) s[i]))
			i++;
		if (s[i] == '\'')
		{
			size_t		quote = i++;

			for (; s[i] != '\''; i++)
			{
				if (s[i] == '\0')
					return fail_at(f, quote, "a quoted value that is never closed");
				if (s[i] == '\\' && s[i + 1] != '\0')
					i++;
			}
			i++;
		}
		else
		{
			while (s[i] != '\0' && !isspace((unsigned char) s[i]))
				i += s[i] == '\\' && s[i + 1] != '\0' ? 2 : 1;
		}
		if (!check_option(f, s + name, name_end - name, name))
			return false;
	}
}

/*
 * scan_query
 *		True when the query parameters of a URI, from s[i] on, parse as
 *		libpq parses them (conninfo_uri_parse_params()); else false with
 *		the first failure recorded.
 */
static bool
scan_query(const char *s, size_t i, ParseFailure *f)
{
	while (s[i] != '\0')
	{
		size_t		key = i,
					eq = 0;
		char	   *keyword = NULL;
		char	   *value = NULL;
		bool		ok;

		for (; s[i] != '\0' && s[i] != '&'; i++)
		{
			if (s[i] == '=' && eq != 0)
				return fail_at(f, key, "a query parameter with a second \"=\"");
			if (s[i] == '=')
				eq = i;
		}
		if (eq == 0)
			return fail_at(f, key, "a query parameter without \"=\"");
		ok = check_decoding(f, s, key, eq, &keyword) && check_decoding(f, s, eq + 1, i, &value);
		if (ok && !(strcmp(keyword, "ssl") == 0 && strcmp(value, "true") == 0))
			ok = check_option(f, keyword, strlen(keyword), key);
		free(keyword);
		free(value);
		if (!ok)
			return false;
		if (s[i] == '&')
			i++;
	}
	return true;
}

/*
 * scan_uri
 *		True when s, a URI, parses as libpq parses one
 *		(conninfo_uri_parse_options()), in the same order; else false with
 *		the first failure recorded.
 */
static bool
scan_uri(const char *s, ParseFailure *f)
{
	size_t		start = uri_prefix_length(s);
	size_t		i = start + strcspn(s + start, "@/");
	ParseFailure host_failure = {0},
				port_failure = {0};
	char		stop;

	/* user[:password]@, the user information ending at the first "@" */
	if (s[i] == '@')
	{
		size_t		colon = start + strcspn(s + start, ":@");

		if (!check_decoding(f, s, start, colon, NULL) ||
			(s[colon] == ':' && !check_decoding(f, s, colon + 1, i, NULL)))
			return false;
		i++;
	}
	else
		i = start;

	/*
	 * Hosts and ports, comma-separated.  libpq decodes the hosts once all
	 * are read, then the ports, so a bad bracket anywhere is found first,
	 * then the first bad host, then the first bad port.
	 */
	for (;;)
	{
		size_t		host = i,
					host_end;

		if (s[i] == '[')
		{
			host = ++i;
			i += strcspn(s + i, "]");
			if (s[i] == '\0')
				return fail_at(f, host - 1, "an IPv6 address without its closing \"]\"");
			if (i == host)
				return fail_at(f, host - 1, "an empty IPv6 address");
			host_end = i++;
			if (s[i] != '\0' && strchr(":/?,", s[i]) == NULL)
				return fail_at(f, i, "an unexpected character (expected \":\" or \"/\")");
		}
		else
			host_end = i += strcspn(s + i, ":/?,");
		if (!host_failure.failed)
			(void) check_decoding(&host_failure, s, host, host_end, NULL);
		if (s[i] == ':')
		{
			size_t		port = ++i;

			i += strcspn(s + i, "/?,");
			if (!port_failure.failed)
				(void) check_decoding(&port_failure, s, port, i, NULL);
		}
		if (s[i] != ',')
			break;
		i++;
	}
	if (host_failure.failed || port_failure.failed)
	{
		*f = host_failure.failed ? host_failure : port_failure;
		return false;
	}
	stop = s[i];
	if (stop == '/')
	{
		size_t		db = ++i;

		i += strcspn(s + i, "?");
		if (!check_decoding(f, s, db, i, NULL))
			return false;
		stop = s[i];
	}
	return stop == '\0' || scan_query(s, i + 1, f);
}

/*
 * ptp_conninfo_error
 *		Why libpq cannot parse conninfo, and at which byte (counted from 1),
 *		without quoting any of it but the name of an option libpq does not
 *		know; NULL when it follows libpq's grammar.  malloc'd.
 */
char *
ptp_conninfo_error(const char *conninfo)
{
	ParseFailure f = {0};
	char	   *why;

	if (uri_prefix_length(conninfo) > 0 ? scan_uri(conninfo, &f) : scan_keywords(conninfo, &f))
		return NULL;
	if (f.option != NULL)
		why = ptp_psprintf("invalid connection option \"%s\", at byte %zu", f.option, f.offset + 1);
	else
		why = ptp_psprintf("%s, at byte %zu", f.kind, f.offset + 1);
	free(f.option);
	return why;
}
