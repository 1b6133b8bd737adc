/*-------------------------------------------------------------------------
 *
 * redact.c
 *		The one redactor every string leaving pg_tls_probe goes through:
 *		secrets are masked wherever they appear, in any spelling.
 *
 * A secret is registered once (a password or sslpassword the string
 * gives, the value libpq took from .pgpass or PGPASSWORD, or a value that
 * merely looks like one in a string that does not parse) and is then
 * masked in every spelling a message could carry it in: as given, percent-
 * decoded, percent-encoded (either case), with conninfo quoting, with JSON
 * escapes, and every run of four or more letters and digits of it, so that
 * a partly decoded or cut-up copy is masked too.  A spelling shorter than
 * four characters is masked only where it stands as a word of its own.
 * Masking too much is acceptable; leaking is not.
 *
 * The registry is process-wide (a fleet's secrets mask every line of the
 * fleet's report) and guarded by a mutex, since audits run in threads.
 *
 * harness/redact.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>
#include <pthread.h>

#include "pg_tls_probe.h"
#include "pqexpbuffer.h"

#define MASK			"********"
#define MIN_FRAGMENT	4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char **forms;
static int	n_forms;

/* Adds one spelling, unless empty or known; the caller holds the lock. */
static void
add_form(const char *form, size_t len)
{
	char	  **bigger;

	if (len == 0)
		return;
	for (int i = 0; i < n_forms; i++)
		if (strlen(forms[i]) == len && memcmp(forms[i], form, len) == 0)
			return;
	bigger = realloc(forms, (n_forms + 1) * sizeof(char *));
	if (bigger == NULL)
		return;
	forms = bigger;
	forms[n_forms] = ptp_malloc0(len + 1);
	memcpy(forms[n_forms++], form, len);
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char) tolower((unsigned char) c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Adds s as it would look percent-encoded (either case), quoted in a
 * connection string or escaped in JSON, and its long runs of letters and
 * digits; the caller holds the lock.
 */
static void
add_encodings(const char *s)
{
	PQExpBufferData b;
	size_t		len = strlen(s);

	add_form(s, len);
	initPQExpBuffer(&b);
	for (int lower = 0; lower < 2; lower++)
	{
		resetPQExpBuffer(&b);
		for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		{
			if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~')
				appendPQExpBufferChar(&b, (char) *p);
			else
				appendPQExpBuffer(&b, lower ? "%%%02x" : "%%%02X", *p);
		}
		add_form(b.data, b.len);
	}
	/* conninfo quoting (\\ and \'), JSON escapes (\\ and \") */
	for (int json = 0; json < 2; json++)
	{
		resetPQExpBuffer(&b);
		for (const char *p = s; *p; p++)
		{
			if (*p == '\\' || *p == (json ? '"' : '\''))
				appendPQExpBufferChar(&b, '\\');
			appendPQExpBufferChar(&b, *p);
		}
		add_form(b.data, b.len);
	}
	termPQExpBuffer(&b);
	/* partial copies */
	for (size_t i = 0; i < len;)
	{
		size_t		j = i;

		while (j < len && isalnum((unsigned char) s[j]))
			j++;
		if (j - i >= MIN_FRAGMENT)
			add_form(s + i, j - i);
		i = j > i ? j : i + 1;
	}
}

/*
 * Adds s, and s percent-decoded where a %XX is well formed, with their
 * encodings; the caller holds the lock.
 */
static void
add_spellings(const char *s)
{
	PQExpBufferData decoded;
	size_t		len = strlen(s);

	initPQExpBuffer(&decoded);
	for (size_t i = 0; i < len; i++)
	{
		int			hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
		int			lo = i + 2 < len ? hex_value(s[i + 2]) : -1;

		if (s[i] == '%' && hi >= 0 && lo >= 0)
		{
			appendPQExpBufferChar(&decoded, (char) (hi * 16 + lo));
			i += 2;
		}
		else
			appendPQExpBufferChar(&decoded, s[i]);
	}
	add_encodings(s);
	add_encodings(decoded.data);
	termPQExpBuffer(&decoded);
}

/*
 * ptp_secret_add
 *		Registers secret (NULL and "" are ignored) for every later
 *		ptp_redact.
 */
void
ptp_secret_add(const char *secret)
{
	if (secret == NULL || secret[0] == '\0')
		return;
	pthread_mutex_lock(&lock);
	add_spellings(secret);
	pthread_mutex_unlock(&lock);
}

/*
 * ptp_secrets_guess
 *		Registers whatever in a raw connection string may be a secret,
 *		without trusting it to parse: the values of password and
 *		sslpassword (keyword=value or URI query), a URI's user information
 *		after the first ":" up to the last "@" (libpq versions differ on
 *		where it ends), and PGPASSWORD.
 */
void
ptp_secrets_guess(const char *raw)
{
	static const char *const keys[] = {"password", "sslpassword"};
	const char *scheme = strstr(raw, "://");

	ptp_secret_add(getenv("PGPASSWORD"));
	if (scheme != NULL && strncmp(raw, "postgres", 8) == 0)
	{
		const char *start = scheme + 3;
		const char *at = strrchr(start, '@');
		const char *colon = memchr(start, ':', at ? (size_t) (at - start) : 0);

		if (colon != NULL)
		{
			char	   *value = ptp_psprintf("%.*s", (int) (at - colon - 1), colon + 1);

			ptp_secret_add(value);
			free(value);
		}
	}
	for (size_t k = 0; k < lengthof(keys); k++)
	{
		size_t		klen = strlen(keys[k]);

		for (const char *p = strstr(raw, keys[k]); p != NULL; p = strstr(p + 1, keys[k]))
		{
			const char *v = p + klen;
			PQExpBufferData value;

			/* a keyword, not the tail of another word (sslpassword holds password) */
			if (p > raw && (isalnum((unsigned char) p[-1]) || p[-1] == '_'))
				continue;
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v++ != '=')
				continue;
			while (*v == ' ' || *v == '\t')
				v++;
			initPQExpBuffer(&value);
			if (*v == '\'')
			{
				/* a quoted value, unterminated ones to the end */
				for (v++; *v && *v != '\''; v++)
				{
					if (*v == '\\' && v[1] != '\0')
						v++;
					appendPQExpBufferChar(&value, *v);
				}
			}
			else
				while (*v && !isspace((unsigned char) *v) && *v != '&')
					appendPQExpBufferChar(&value, *v++);
			ptp_secret_add(value.data);
			termPQExpBuffer(&value);
		}
	}
}

/*
 * ptp_redact
 *		text with every registered secret masked, on one line (newlines and
 *		tabs as spaces, no trailing space), malloc'd.  NULL gives "".
 */
char *
ptp_redact(const char *text)
{
	PQExpBufferData out;
	char	   *result;

	initPQExpBuffer(&out);
	pthread_mutex_lock(&lock);
	for (const char *start = text ? text : "", *p = start; *p;)
	{
		size_t		best = 0;

		for (int i = 0; i < n_forms; i++)
		{
			size_t		len = strlen(forms[i]);

			/* a short secret only as a word of its own: "a" is in every word */
			if (len > best && strncmp(p, forms[i], len) == 0 &&
				(len >= MIN_FRAGMENT ||
				 ((p == start || !isalnum((unsigned char) p[-1])) && !isalnum((unsigned char) p[len]))))
				best = len;
		}
		if (best > 0)
		{
			appendPQExpBufferStr(&out, MASK);
			p += best;
		}
		else
		{
			char		ch = *p++;

			appendPQExpBufferChar(&out, ch == '\n' || ch == '\r' || ch == '\t' ? ' ' : ch);
		}
	}
	pthread_mutex_unlock(&lock);
	while (out.len > 0 && out.data[out.len - 1] == ' ')
		out.data[--out.len] = '\0';
	result = ptp_strdup(out.data);
	termPQExpBuffer(&out);
	return result;
}

/*
 * ptp_redact_parse_error
 *		libpq's complaint about a connection string that does not parse,
 *		with everything from its first double quote to its last replaced
 *		by "...": libpq quotes the string, or the part it stopped at,
 *		without escaping the quotes inside it, so no quoted part can be
 *		told from the string's own bytes, and nothing of a string that
 *		does not parse can be trusted to be secret-free.  malloc'd,
 *		redacted.
 */
char *
ptp_redact_parse_error(const char *msg)
{
	PQExpBufferData out;
	const char *text = msg ? msg : "";
	const char *first = strchr(text, '"');
	const char *last = strrchr(text, '"');
	char	   *result;

	initPQExpBuffer(&out);
	if (first == NULL)
		appendPQExpBufferStr(&out, text);
	else
		appendPQExpBuffer(&out, "%.*s\"...\"%s", (int) (first - text), text,
						  last > first ? last + 1 : "");
	result = ptp_redact(out.data);
	termPQExpBuffer(&out);
	return result;
}
