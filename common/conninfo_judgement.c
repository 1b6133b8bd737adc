/*-------------------------------------------------------------------------
 *
 * conninfo_judgement.c
 *		The rules that turn a libpq connection string into a verdict on its
 *		TLS settings, and its re-print without secrets.
 *
 * Compiled unchanged into the server extension (links.c: the server's
 * own outbound links) and into pg_tls_probe (audit --judge), so that a
 * string gets the same verdict from both: a test feeds both the same
 * strings and compares.  Hence only libpq's public API and libc here: no
 * postgres.h, no palloc, no ereport; memory is malloc'd and freed before
 * returning, or handed to the caller to free().
 *
 * The string is parsed with libpq's own parser (PQconninfoParse), and
 * every setting it does not give takes the value libpq would: the
 * environment variable of the judging process, then libpq's compiled-in
 * default.  A service file is not read (libpq has no public API that
 * reads one without connecting): the verdict is then made without it,
 * which can only be stricter for sslmode, and the reason says so.  The
 * rules follow libpq's own behaviour, by PQlibVersion():
 *
 *	- disable, allow and prefer can end up in plaintext;
 *	- require verifies nothing, unless the root file exists, when libpq
 *	  verifies the chain as verify-ca does (for backwards compatibility);
 *	- verify-ca and verify-full refuse to connect without a root file;
 *	- sslrootcert=system means the system's store from libpq 16 (which
 *	  then defaults sslmode to verify-full and refuses a weaker one), and
 *	  a file named "system" before;
 *	- a CRL file that is named but missing is skipped by libpq without a
 *	  word: revocations are then not checked;
 *	- a Unix-domain socket never uses TLS.
 *
 * Reasons hold no value the string chose, only fixed text and numbers:
 * the callers show those values in fields of their own, escaped as each
 * output needs.
 *
 *-------------------------------------------------------------------------
 */
#include "conninfo_judgement.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libpq-fe.h"

/* The value libpq would use for keyword, and where it came from. */
typedef struct Setting
{
	const char *value;			/* NULL: none at all */
	bool		given;			/* by the string itself */
} Setting;

static const char *const verdict_names[] = {
	"verified", "local", "crl-missing", "no-host-check", "unverified",
	"plaintext-possible", "refuses", "unparsable"
};

/*
 * setting
 *		keyword's value in the parsed options: the string's, else the
 *		judging process's environment variable, else libpq's compiled-in
 *		default (value NULL when there is none).
 */
static Setting
setting(const PQconninfoOption *opts, const char *keyword)
{
	Setting		s = {NULL, false};

	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
	{
		if (strcmp(o->keyword, keyword) != 0)
			continue;
		if (o->val != NULL)
		{
			s.value = o->val;
			s.given = true;
		}
		else if (o->envvar != NULL && getenv(o->envvar) != NULL)
			s.value = getenv(o->envvar);
		else
			s.value = o->compiled;
		break;
	}
	return s;
}

static bool
is_set(Setting s)
{
	return s.value != NULL && s.value[0] != '\0';
}

/* Copies src (NULL: "") into a fixed field, truncating. */
static void
copy_field(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

static void
add_reason(CjJudgement *out, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* Appends a sentence to out->reason, a space before it when not the first. */
static void
add_reason(CjJudgement *out, const char *fmt,...)
{
	size_t		used = strlen(out->reason);
	va_list		args;

	if (used > 0 && used + 1 < sizeof(out->reason))
		out->reason[used++] = ' ';
	va_start(args, fmt);
	vsnprintf(out->reason + used, sizeof(out->reason) - used, fmt, args);
	va_end(args);
}

static void
set_verdict(CjJudgement *out, CjVerdict verdict, const char *severity, const char *check)
{
	out->verdict = verdict;
	out->verdict_name = verdict_names[verdict];
	out->severity = severity;
	out->check = check;
}

/*
 * home_directory
 *		The home directory in which libpq libpq_version looks for
 *		"~/.postgresql": from libpq 18, $HOME when it is set and not empty;
 *		otherwise, and always before 18, the one of the process's effective
 *		user in the password database.  "" when there is none.
 */
static void
home_directory(int libpq_version, char *buf, size_t len)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (libpq_version >= 180000 && home != NULL && home[0] != '\0')
	{
		copy_field(buf, len, home);
		return;
	}
	pw = getpwuid(geteuid());
	copy_field(buf, len, pw != NULL ? pw->pw_dir : NULL);
}

/*
 * only_unix_sockets
 *		Whether every host of the string is a Unix-domain socket (a
 *		directory, or an abstract socket with "@"), or none is given and
 *		libpq falls back to its socket directory.  A hostaddr makes it TCP.
 */
static bool
only_unix_sockets(Setting host, Setting hostaddr)
{
	const char *p;

	if (is_set(hostaddr))
		return false;
	if (!is_set(host))
		return true;
	p = host.value;
	for (;;)
	{
		/* an empty element is the default socket too */
		if (*p != '/' && *p != '@' && *p != ',' && *p != '\0')
			return false;
		p = strchr(p, ',');
		if (p == NULL)
			return true;
		p++;
	}
}

/* Whether the judging process can read the file at path (as libpq would). */
static bool
readable(const char *path)
{
	return path[0] != '\0' && access(path, R_OK) == 0;
}

/*
 * judge_parsed
 *		The verdict on parsed options (see the file header), into out.
 */
static void
judge_parsed(const PQconninfoOption *opts, CjJudgement *out)
{
	Setting		sslmode = setting(opts, "sslmode");
	Setting		rootcert = setting(opts, "sslrootcert");
	Setting		crl = setting(opts, "sslcrl");
	Setting		crldir = setting(opts, "sslcrldir");
	Setting		cb = setting(opts, "channel_binding");
	Setting		require_auth = setting(opts, "require_auth");
	Setting		service = setting(opts, "service");
	bool		system_store = false;
	bool		root_ok;
	const char *mode;

	copy_field(out->sslrootcert, sizeof(out->sslrootcert), rootcert.value);
	copy_field(out->channel_binding, sizeof(out->channel_binding), cb.value);
	copy_field(out->require_auth, sizeof(out->require_auth), require_auth.value);

	if (is_set(rootcert) && strcmp(rootcert.value, "system") == 0)
	{
		if (out->libpq_version >= 160000)
			system_store = true;
		else
			add_reason(out, "sslrootcert=system is not supported by libpq %d: it names a file \"system\" in the working directory.",
					   out->libpq_version / 10000);
	}
	if (system_store)
		copy_field(out->root, sizeof(out->root), "system");
	else if (is_set(rootcert))
		copy_field(out->root, sizeof(out->root), rootcert.value);
	else
	{
		char		home[CJ_FIELD_LEN];

		home_directory(out->libpq_version, home, sizeof(home));
		snprintf(out->root, sizeof(out->root), "%s/.postgresql/root.crt", home);
	}
	root_ok = system_store || readable(out->root);

	/* libpq 16 and later default to verify-full with the system's store. */
	mode = sslmode.value;
	if (system_store && !sslmode.given && getenv("PGSSLMODE") == NULL)
		mode = "verify-full";
	if (mode == NULL)
		mode = "prefer";
	copy_field(out->sslmode, sizeof(out->sslmode), mode);

	if (is_set(service) || getenv("PGSERVICE") != NULL)
		add_reason(out, "The settings of its service are not read: it is judged without them.");

	if (only_unix_sockets(setting(opts, "host"), setting(opts, "hostaddr")))
	{
		set_verdict(out, CJ_LOCAL, "ok", NULL);
		out->root[0] = '\0';
		add_reason(out, "It connects over a Unix-domain socket, where libpq never uses TLS.");
		return;
	}

	if (strcmp(mode, "disable") != 0 && strcmp(mode, "allow") != 0 &&
		strcmp(mode, "prefer") != 0 && strcmp(mode, "require") != 0 &&
		strcmp(mode, "verify-ca") != 0 && strcmp(mode, "verify-full") != 0)
	{
		set_verdict(out, CJ_REFUSES, "high", "link_refuses");
		add_reason(out, "Its sslmode is not one libpq knows: libpq refuses to connect.");
		return;
	}
	if (system_store && strcmp(mode, "verify-full") != 0)
	{
		set_verdict(out, CJ_REFUSES, "high", "link_refuses");
		add_reason(out, "libpq %d refuses sslrootcert=system with an sslmode weaker than verify-full.",
				   out->libpq_version / 10000);
		return;
	}
	if (is_set(cb) && strcmp(cb.value, "require") == 0 && strcmp(mode, "disable") == 0)
	{
		set_verdict(out, CJ_REFUSES, "high", "link_refuses");
		add_reason(out, "channel_binding=require needs TLS, which sslmode=disable turns off: libpq refuses to connect.");
		return;
	}

	if (strcmp(mode, "disable") == 0 || strcmp(mode, "allow") == 0 || strcmp(mode, "prefer") == 0)
	{
		set_verdict(out, CJ_PLAINTEXT_POSSIBLE, "high", "link_plaintext_possible");
		add_reason(out, "sslmode=%s%s: %s.", mode, sslmode.given ? "" : " (libpq's default)",
				   strcmp(mode, "disable") == 0 ? "the link never uses TLS" :
				   "an attacker who answers the SSLRequest with N gets the session in plaintext, and no server certificate is verified when TLS is used");
		if (is_set(cb) && strcmp(cb.value, "require") == 0)
			add_reason(out, "channel_binding=require then stops the session at authentication, but the startup packet (user and database) has already gone out in plaintext.");
	}
	else if (strcmp(mode, "require") == 0)
	{
		if (root_ok)
		{
			set_verdict(out, CJ_NO_HOST_CHECK, "medium", "link_no_host_check");
			add_reason(out, "sslmode=require with an existing root file: libpq verifies the chain, as verify-ca does, but not that the certificate names the host.");
		}
		else
		{
			set_verdict(out, CJ_UNVERIFIED, "high", "link_unverified");
			add_reason(out, "sslmode=require without a root file: libpq accepts any certificate, so whoever answers in the server's place is trusted.");
		}
	}
	else if (!root_ok)
	{
		set_verdict(out, CJ_REFUSES, "high", "link_root_missing");
		add_reason(out, "sslmode=%s, but the root file cannot be read by this process: libpq refuses to connect.", mode);
	}
	else if (strcmp(mode, "verify-ca") == 0)
	{
		set_verdict(out, CJ_NO_HOST_CHECK, "medium", "link_no_host_check");
		add_reason(out, "sslmode=verify-ca: any certificate the root signed is accepted, whatever host it names.");
	}
	else if ((is_set(crl) && !readable(crl.value)) || (is_set(crldir) && !readable(crldir.value)))
	{
		set_verdict(out, CJ_CRL_MISSING, "medium", "link_crl_missing");
		add_reason(out, "sslmode=verify-full, but a CRL it names cannot be read; libpq then skips it without a word, so revoked certificates are accepted.");
	}
	else
	{
		set_verdict(out, CJ_VERIFIED, "ok", NULL);
		add_reason(out, "sslmode=verify-full%s: the chain and the host name are verified.",
				   system_store ? " on the system's root store" : "");
	}

	if (is_set(cb) && strcmp(cb.value, "require") == 0 && out->verdict != CJ_PLAINTEXT_POSSIBLE)
		add_reason(out, "channel_binding=require: the session also needs the server to prove, through SCRAM, that it saw this TLS certificate.");
	if (is_set(require_auth))
		add_reason(out, "require_auth limits the authentication methods the server may ask for.");
}

/*
 * cj_judge
 *		The verdict on conninfo's TLS settings, as this process's libpq
 *		would apply them, into out (never fails: a string libpq cannot
 *		parse is the verdict "unparsable", whose reason does not quote
 *		libpq's message, which may hold a piece of a password).
 */
void
cj_judge(const char *conninfo, CjJudgement *out)
{
	PQconninfoOption *opts;
	char	   *err = NULL;

	memset(out, 0, sizeof(*out));
	out->libpq_version = PQlibVersion();
	opts = PQconninfoParse(conninfo, &err);
	if (opts == NULL)
	{
		set_verdict(out, CJ_UNPARSABLE, "high", "link_unparsable");
		add_reason(out, "libpq %d cannot parse it, so the link cannot connect (libpq's message is not shown: it may quote a secret).",
				   out->libpq_version / 10000);
		PQfreemem(err);
		return;
	}
	judge_parsed(opts, out);
	PQconninfoFree(opts);
}

/*
 * cj_is_libpq_keyword
 *		Whether keyword is a connection option of this process's libpq
 *		(the options of a foreign server that are not are the wrapper's own).
 */
bool
cj_is_libpq_keyword(const char *keyword)
{
	PQconninfoOption *defaults = PQconndefaults();
	bool		found = false;

	if (defaults == NULL)
		return false;
	for (const PQconninfoOption *o = defaults; o->keyword != NULL; o++)
		if (strcmp(o->keyword, keyword) == 0)
			found = true;
	PQconninfoFree(defaults);
	return found;
}

/* A growing string for cj_redacted(); data NULL once out of memory. */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

static void
buf_putc(Buf *b, char c)
{
	if (b->data == NULL)
		return;
	if (b->len + 2 > b->cap)
	{
		char	   *bigger = realloc(b->data, b->cap * 2);

		if (bigger == NULL)
		{
			free(b->data);
			b->data = NULL;
			return;
		}
		b->data = bigger;
		b->cap *= 2;
	}
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

static void
buf_puts(Buf *b, const char *s)
{
	while (*s)
		buf_putc(b, *s++);
}

/*
 * cj_redacted
 *		conninfo re-printed from libpq's parse of it, keyword='value' for
 *		each option it sets, with the values of libpq's secret options
 *		(those it displays as "*": password, sslpassword) replaced by
 *		********.  malloc'd, for the caller to free(); NULL when libpq
 *		cannot parse the string or memory ran out.
 */
char *
cj_redacted(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	Buf			b = {malloc(64), 0, 64};

	if (opts == NULL || b.data == NULL)
	{
		PQconninfoFree(opts);
		free(b.data);
		return NULL;
	}
	b.data[0] = '\0';
	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
	{
		if (o->val == NULL)
			continue;
		if (b.len > 0)
			buf_putc(&b, ' ');
		buf_puts(&b, o->keyword);
		buf_puts(&b, "='");
		if (o->dispchar != NULL && strchr(o->dispchar, '*') != NULL)
			buf_puts(&b, "********");
		else
			for (const char *p = o->val; *p; p++)
			{
				if (*p == '\'' || *p == '\\')
					buf_putc(&b, '\\');
				buf_putc(&b, *p);
			}
		buf_putc(&b, '\'');
	}
	PQconninfoFree(opts);
	return b.data;
}
