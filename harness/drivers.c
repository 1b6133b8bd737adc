/*-------------------------------------------------------------------------
 *
 * drivers.c
 *		The "drivers" subcommand: every client the provider's guide names,
 *		configured the way the guide recommends, with no TLS setting at
 *		all, and the way the guide's alternatives say, against a good
 *		server, three bad certificates and four attackers.
 *
 * Each client is a probe in its own language under harness/drivers/<name>/
 * (see the README there), run as a child process with nothing from our
 * environment but PATH and a throwaway HOME (which holds
 * .postgresql/root.crt only for recipes that name that file).  The test
 * root CA is put where each stack really looks for "the system store": the
 * probe runs in a private mount namespace in which a copy of /etc/ssl/certs
 * (bundle, hashed directory and the JVM's java/cacerts) that also trusts
 * the test root is bound over the real one, so the machine's own store is
 * never touched.  The servers are the matrix's (matrix.c), one cluster per
 * server configuration, all up at once, so that a row's probe is one
 * process that connects to every column in turn (PTP_TARGETS).  Each attack
 * cell gets a proxy of its own, so that whether it reached the proxy is
 * what the proxy saw, not a guess from its error text.
 *
 * Observations are judged against what each client, at its version, is
 * documented to do (driver_expectations.c): that decides the exit code.
 * The guide's claim, "fails closed everywhere but on the good server", is
 * judged on its own and only reported.
 *
 * harness/drivers.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "drivers.h"
#include "lib/stringinfo.h"
#include "libpq-fe.h"
#include "matrix.h"
#include "pg_tls_probe.h"

#ifndef PTP_DRIVERS_DIR
#error PTP_DRIVERS_DIR (where "make install" puts harness/drivers) must be defined by the Makefile
#endif

#define DEFAULT_TIMEOUT		10
/*
 * Past its connection timeout, what a probe may take before its first line
 * (a JVM or Prisma start takes seconds of its own) and between two.
 */
#define PROBE_GRACE			30
#define TARGET_GRACE		5
#define MAX_OUTPUT			16384
#define MAX_FIELDS			16

/* Columns in the order they run: the three on the good server first. */
static const DriverColumn run_order[DCOL_COUNT] = {
	DCOL_GOOD, DCOL_FORGE, DCOL_INTERCEPT, DCOL_INTERCEPT_STRIP_CB, DCOL_STRIP,
	DCOL_MISMATCH, DCOL_UNTRUSTED, DCOL_EXPIRED
};

/*
 * The trusted interceptor: a valid certificate for the right name from the
 * trusted root, but not the server's own (the EC one), so that SCRAM
 * channel binding, which binds the certificate, can tell.
 */
static const Scenario intercept_scenario = {
	"drivers-intercept", "a proxy re-terminates TLS on another valid certificate for the right name",
	PTP_SERVER_CRT, PTP_SERVER_KEY, "localhost", "127.0.0.1", true, HBA_ANY, CHAIN_TRUSTED, NAME_MATCH,
	ATTACK_FORGE, "server_ec", NULL, START_OK, false, false
};

typedef enum DriversFormat
{
	DFORMAT_TABLE,
	DFORMAT_JSON,
	DFORMAT_TAP,
	DFORMAT_MARKDOWN
} DriversFormat;

typedef struct DriversOptions
{
	DriversFormat format;
	const char *filter;
	int			jobs;
	int			timeout;
	const char *pg_config;
	const char *drivers_dir;
	const char *environment;	/* a label for reports: host, current */
	bool		details;		/* table: the long form instead of the grid */
} DriversOptions;

/* One target of a row's probe: one client against one column. */
typedef struct Cell
{
	const DriverSpec *spec;
	DriverColumn column;
	char	   *appname;
	int			port;			/* the server's, or its own proxy's */
	Proxy	   *proxy;			/* attack columns: its own proxy while it runs */
	bool		reached;		/* attack columns: the proxy accepted a connection */
	bool		ran;			/* it has its result, or its failure */
	char	   *unavailable;	/* the probe's reason, or NULL */
	bool		timed_out;
	char	   *no_result;		/* why no JSON line could be read, or NULL */
	char	   *stderr_head;	/* first line the probe wrote on stderr */
	bool		connected;
	int			server_ssl;		/* -1 unknown, 0 no, 1 yes */
	char	   *server_tls_version;
	char	   *error;
	char	   *version;
	char	   *libpq;
	char	   *ca_store;		/* Node: "bundled" or "openssl" */
	bool		accepted;		/* connected, or for attacks: the proxy got its startup */
	char	   *attacker_got;
	char	   *deviation;		/* why this cell deviates, or NULL */
	double		ms;
} Cell;

typedef struct Row
{
	const DriverSpec *spec;
	Cell		cells[DCOL_COUNT];
	char	   *home;			/* its throwaway HOME, also its working directory */
	const char *version;
	const char *libpq;
	const char *ca_store;
	const char *unavailable;	/* every cell said so: the reason */
	bool		skipped;		/* unavailable, and allowed to be */
	const DriverExpectation *expect;
	char	   *row_deviation;	/* no result at all, forbidden skip */
	bool		unjudged;		/* no expectation covers its version */
	bool		claim_holds;
	char	   *claim;
	int			deviations;
} Row;

/* What every probe run of one invocation shares (read-only while running). */
typedef struct ProbeContext
{
	const DriversOptions *opts;
	const char *host;
	const char *password;
	const char *root_cert;
	const char *build_dir;
	const char *logdir;
	const char *path;
	const char *store;			/* the /etc/ssl/certs that trusts the test root, or NULL */
} ProbeContext;

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * redact
 *		Replaces every occurrence of secret in s (in place, same length).
 *		Probes may echo their connection string in an error.
 */
static void
redact(char *s, const char *secret)
{
	size_t		len = strlen(secret);
	char	   *p;

	if (s == NULL || len == 0)
		return;
	while ((p = strstr(s, secret)) != NULL)
		memset(p, '*', len);
}

/* A flat JSON object: the probes print nothing nested. */
typedef struct JsonField
{
	char	   *key;
	char	   *value;			/* NULL for null; "true"/"false" for booleans */
	bool		is_string;
} JsonField;

/*
 * json_string
 *		Parses the JSON string at *p (at its opening quote) and returns it
 *		malloc'd, with \u escapes outside ASCII as '?'; NULL when malformed.
 */
static char *
json_string(const char **p)
{
	const char *s = *p + 1;
	StringInfoData buf;

	initStringInfo(&buf);
	while (*s != '\0' && *s != '"')
	{
		if (*s != '\\')
		{
			appendStringInfoChar(&buf, *s++);
			continue;
		}
		s++;
		switch (*s)
		{
			case 'n':
			case 'r':
			case 't':
			case 'b':
			case 'f':
				appendStringInfoChar(&buf, ' ');
				break;
			case 'u':
				{
					char		hex[5] = {0};
					long		cp;

					if (strlen(s + 1) < 4)
					{
						pfree(buf.data);
						return NULL;
					}
					memcpy(hex, s + 1, 4);
					cp = strtol(hex, NULL, 16);
					appendStringInfoChar(&buf, cp >= 0x20 && cp < 0x7f ? (char) cp : '?');
					s += 4;
					break;
				}
			case '\0':
				pfree(buf.data);
				return NULL;
			default:
				appendStringInfoChar(&buf, *s);
		}
		s++;
	}
	if (*s != '"')
	{
		pfree(buf.data);
		return NULL;
	}
	*p = s + 1;
	{
		char	   *out = ptp_strdup(buf.data);

		pfree(buf.data);
		return out;
	}
}

/*
 * parse_flat_json
 *		Parses one line holding a flat JSON object into fields.  Returns the
 *		number of fields, or -1 when the line is not such an object.
 */
static int
parse_flat_json(const char *line, JsonField *fields, int max)
{
	const char *p = line;
	int			n = 0;

	while (*p == ' ')
		p++;
	if (*p++ != '{')
		return -1;
	for (;;)
	{
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '}')
			return n;
		if (*p != '"' || n >= max)
			return -1;
		fields[n].key = json_string(&p);
		if (fields[n].key == NULL)
			return -1;
		while (*p == ' ')
			p++;
		if (*p++ != ':')
			return -1;
		while (*p == ' ')
			p++;
		fields[n].is_string = *p == '"';
		if (*p == '"')
		{
			fields[n].value = json_string(&p);
			if (fields[n].value == NULL)
				return -1;
		}
		else
		{
			size_t		len = strcspn(p, ",} ");

			fields[n].value = strncmp(p, "null", 4) == 0 ? NULL : pnstrdup(p, len);
			p += len;
		}
		n++;
	}
}

static const JsonField *
json_get(const JsonField *fields, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(fields[i].key, key) == 0)
			return &fields[i];
	return NULL;
}

static char *
json_dup(const JsonField *fields, int n, const char *key)
{
	const JsonField *f = json_get(fields, n, key);

	return f != NULL && f->value != NULL ? ptp_strdup(f->value) : NULL;
}

/*
 * first_line
 *		The first line of file, redacted, or NULL when it has none.
 */
static char *
first_line(const char *file, const char *password)
{
	FILE	   *fp = fopen(file, "r");
	char		line[512];
	char	   *first = NULL;

	if (fp == NULL)
		return NULL;
	if (fgets(line, sizeof(line), fp) != NULL)
	{
		line[strcspn(line, "\n")] = '\0';
		redact(line, password);
		first = ptp_strdup(line);
	}
	fclose(fp);
	return first;
}

/*
 * take_result
 *		Records in cell what one JSON line of its probe says.
 */
static void
take_result(Cell *cell, const JsonField *fields, int n)
{
	const JsonField *f;

	cell->unavailable = json_dup(fields, n, "unavailable");
	f = json_get(fields, n, "connected");
	cell->connected = f != NULL && f->value != NULL && strcmp(f->value, "true") == 0;
	f = json_get(fields, n, "server_ssl");
	cell->server_ssl = f == NULL || f->value == NULL ? -1 : strcmp(f->value, "true") == 0;
	cell->server_tls_version = json_dup(fields, n, "server_tls_version");
	cell->error = json_dup(fields, n, "error");
	cell->version = json_dup(fields, n, "version");
	cell->libpq = json_dup(fields, n, "libpq");
	cell->ca_store = json_dup(fields, n, "ca_store");
	cell->ran = true;
}

/*
 * take_line
 *		One line a probe printed for cells, its targets: the result of the
 *		cell its "column" names, or an "unavailable" that holds for every
 *		target still waiting.  Anything that is not a JSON object is not a
 *		result (a probe's stray output).  Returns whether it was one.
 */
static bool
take_line(Cell **cells, int n, char *line, const char *password, double ms)
{
	JsonField	fields[MAX_FIELDS];
	int			nf;
	const JsonField *col;
	bool		taken = false;

	if (line[0] != '{')
		return false;
	redact(line, password);
	nf = parse_flat_json(line, fields, MAX_FIELDS);
	if (nf < 0)
	{
		/* its target is the first still waiting: the one it was running */
		for (int i = 0; i < n && !taken; i++)
			if (!cells[i]->ran)
			{
				cells[i]->no_result = ptp_psprintf("the probe printed malformed JSON: %.200s", line);
				cells[i]->ran = taken = true;
				cells[i]->ms = ms;
			}
		return taken;
	}
	col = json_get(fields, nf, "column");
	for (int i = 0; i < n; i++)
	{
		Cell	   *cell = cells[i];

		if (cell->ran)
			continue;
		if (col == NULL ? json_get(fields, nf, "unavailable") != NULL :
			(col->value != NULL && strcmp(col->value, driver_columns[cell->column].name) == 0))
		{
			take_result(cell, fields, nf);
			cell->ms = ms;
			taken = true;
		}
	}
	for (int i = 0; i < nf; i++)
	{
		free(fields[i].key);
		free(fields[i].value);
	}
	return taken;
}

/*
 * make_home
 *		The row's throwaway HOME; .postgresql/root.crt is the right root
 *		when the row's setting reads that file.  Returns false with a
 *		failure recorded.
 */
static bool
make_home(const ProbeContext *ctx, const char *homes, Row *row)
{
	char	   *dot;
	char	   *crt;
	bool		ok;

	row->home = ptp_psprintf("%s/%s", homes, row->spec->name);
	dot = ptp_psprintf("%s/.postgresql", row->home);
	crt = ptp_psprintf("%s/root.crt", dot);
	ok = mkdir(row->home, 0700) == 0 && mkdir(dot, 0700) == 0;
	if (!ok)
		ptp_fail("could not create directory \"%s\": %s", dot, strerror(errno));
	ok = ok && (!row->spec->home_root || ptp_copy_file(ctx->root_cert, crt, 0600, NULL));
	free(dot);
	free(crt);
	return ok;
}

/*
 * run_probe
 *		Runs the row's probe once for cells, its targets in order (every
 *		cell still waiting), and reads each target's line as it comes.  The
 *		probe may take the timeout and a grace from its start or its last
 *		line: past that it is ended, and the target it was on has timed
 *		out.  The first target left without a line is recorded as such;
 *		the ones after it are left for another run.
 *		Everything the child needs is built before posix_spawn, which is
 *		safe from threads; the child gets its own process group so that a
 *		deadline also ends the interpreter or JVM its run script started.
 */
static void
run_probe(const ProbeContext *ctx, const Row *row, Cell **cells, int n)
{
	const DriverSpec *spec = row->spec;
	char	   *script = ptp_psprintf("%s/%s/run", ctx->opts->drivers_dir, spec->probe);
	char	   *errlog = ptp_psprintf("%s/%s-%s.stderr", ctx->logdir, spec->name,
									  driver_columns[cells[0]->column].name);
	StringInfoData targets;
	char	   *env[32];
	int			ne = 0;
	char	   *plain_argv[] = {script, NULL};
	/* unshare -m as root, then the store bound over the real one */
	char	   *store_argv[] = {"/usr/bin/unshare", "--mount", "--propagation", "private", "--",
		"/bin/sh", "-c", "mount --bind \"$1\" /etc/ssl/certs && exec \"$2\"", "sh",
	(char *) ctx->store, script, NULL};
	char	  **argv = ctx->store != NULL ? store_argv : plain_argv;
	int			pipefd[2];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t	defaults;
	pid_t		pid;
	char	   *out = ptp_malloc0(MAX_OUTPUT + 1);
	size_t		len = 0;
	double		last = now_seconds();
	bool		timed_out = false;
	bool		taken = false;	/* a line came: its runtime has started */
	char	   *failure = NULL;
	int			status = 0;

	initStringInfo(&targets);
	for (int i = 0; i < n; i++)
		appendStringInfo(&targets, "%s%s:%d:%s", i > 0 ? " " : "",
						 driver_columns[cells[i]->column].name, cells[i]->port, cells[i]->appname);
	env[ne++] = ptp_psprintf("PATH=%s", ctx->path);
	env[ne++] = ptp_strdup("LC_ALL=C.UTF-8");
	env[ne++] = ptp_psprintf("HOME=%s", row->home);
	env[ne++] = ptp_psprintf("PTP_HOST=%s", ctx->host);
	env[ne++] = ptp_psprintf("PTP_TARGETS=%s", targets.data);
	env[ne++] = ptp_psprintf("PTP_VARIANT=%s", spec->variant);
	env[ne++] = ptp_strdup("PTP_DBNAME=postgres");
	env[ne++] = ptp_psprintf("PTP_USER=%s", MATRIX_SCRAM_ROLE);
	env[ne++] = ptp_psprintf("PTP_PASSWORD=%s", ctx->password);
	env[ne++] = ptp_psprintf("PTP_ROOT_CERT=%s", ctx->root_cert);
	env[ne++] = ptp_psprintf("PTP_TIMEOUT=%d", ctx->opts->timeout);
	env[ne++] = ptp_psprintf("PTP_BUILD_DIR=%s", ctx->build_dir);
	if (spec->probe_env != NULL)
		env[ne++] = ptp_strdup(spec->probe_env);
	env[ne] = NULL;
	pfree(targets.data);

	if (pipe2(pipefd, O_CLOEXEC) != 0)
	{
		failure = ptp_psprintf("could not create a pipe: %s", strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addchdir_np(&fa, row->home);
	posix_spawnattr_init(&attr);
	/* We ignore SIGPIPE for the proxies; the child must not inherit that. */
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
	errno = posix_spawn(&pid, argv[0], &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(pipefd[1]);
	if (errno != 0)
	{
		failure = ptp_psprintf("could not run \"%s\": %s", script, strerror(errno));
		close(pipefd[0]);
		goto done;
	}

	for (;;)
	{
		struct pollfd pfd = {pipefd[0], POLLIN, 0};
		int			wait_ms = (int) ((last + ctx->opts->timeout + (taken ? TARGET_GRACE : PROBE_GRACE) -
									  now_seconds()) * 1000);
		ssize_t		r;
		char	   *nl;

		if (wait_ms <= 0 || ptp_interrupted())
		{
			timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, wait_ms) <= 0)
			continue;
		r = read(pipefd[0], out + len, MAX_OUTPUT - len);
		if (r <= 0)
			break;
		len += r;
		out[len] = '\0';
		while ((nl = strchr(out, '\n')) != NULL)
		{
			double		now = now_seconds();

			*nl = '\0';
			if (take_line(cells, n, out, ctx->password, (now - last) * 1000))
			{
				last = now;
				taken = true;
			}
			len -= nl + 1 - out;
			memmove(out, nl + 1, len + 1);
		}
		/* a line longer than any result: not one */
		if (len >= MAX_OUTPUT)
			len = 0;
	}
	close(pipefd[0]);
	if (len > 0)
	{
		out[len] = '\0';
		(void) take_line(cells, n, out, ctx->password, (now_seconds() - last) * 1000);
	}
	/* A probe that closed stdout but lingers is ended with its group. */
	if (waitpid(pid, &status, WNOHANG) == 0)
	{
		for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; i++)
			usleep(20000);
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
	}

done:
	for (int i = 0; i < n; i++)
	{
		Cell	   *cell = cells[i];

		if (cell->ran)
		{
			redact(cell->error, ctx->password);
			continue;
		}

		/*
		 * Without a probe every target fails alike; otherwise this is the
		 * target it was on, and the ones after it get a run of their own.
		 */
		cell->ran = true;
		cell->timed_out = timed_out;
		cell->no_result = ptp_strdup(failure != NULL ? failure : timed_out ?
									 "the probe timed out and printed no result" :
									 "the probe printed no JSON line");
		cell->stderr_head = first_line(errlog, ctx->password);
		cell->ms = (now_seconds() - last) * 1000;
		if (failure == NULL)
			break;
	}
	for (int i = 0; i < ne; i++)
		free(env[i]);
	free(failure);
	free(out);
	free(script);
	free(errlog);
}

/*
 * run_row
 *		Runs the row's probe for all its columns, in run order, once more
 *		for the targets after one it could not finish.
 */
static void
run_row(const ProbeContext *ctx, Row *row)
{
	for (;;)
	{
		Cell	   *cells[DCOL_COUNT];
		int			n = 0;

		for (int i = 0; i < DCOL_COUNT; i++)
			if (!row->cells[run_order[i]].ran)
				cells[n++] = &row->cells[run_order[i]];
		if (n == 0 || ptp_interrupted())
			return;
		run_probe(ctx, row, cells, n);
	}
}

/* The rows to run, shared by the worker threads. */
typedef struct ProbeQueue
{
	const ProbeContext *ctx;
	Row		   *rows;
	int			n;
	int			next;
	pthread_mutex_t lock;
} ProbeQueue;

static void *
probe_worker(void *arg)
{
	ProbeQueue *q = arg;

	for (;;)
	{
		Row		   *row;

		pthread_mutex_lock(&q->lock);
		row = (q->next < q->n && !ptp_interrupted()) ? &q->rows[q->next++] : NULL;
		pthread_mutex_unlock(&q->lock);
		if (row == NULL)
			return NULL;
		run_row(q->ctx, row);
	}
}

/*
 * run_rows
 *		Runs the probes of rows on up to jobs threads and waits.
 */
static void
run_rows(const ProbeContext *ctx, Row *rows, int n, int jobs)
{
	ProbeQueue	q = {ctx, rows, n, 0, PTHREAD_MUTEX_INITIALIZER};
	pthread_t	threads[64];
	int			started = 0;

	for (int i = 0; i < jobs && i < n; i++)
		if (pthread_create(&threads[started], NULL, probe_worker, &q) == 0)
			started++;
	if (started == 0)
		probe_worker(&q);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
}


static const Scenario *
find_scenario(const char *name)
{
	if (strcmp(name, intercept_scenario.name) == 0)
		return &intercept_scenario;
	for (int i = 0; i < n_matrix_scenarios; i++)
		if (strcmp(matrix_scenarios[i].name, name) == 0)
			return &matrix_scenarios[i];
	return NULL;
}

/*
 * make_store
 *		Builds, under workdir, the copy of /etc/ssl/certs that the probes
 *		see (harness/drivers/system-store.sh).  Returns its path, or NULL
 *		when the probes cannot get a private mount namespace (not root):
 *		they then see the machine's own store, and a warning says so.
 */
static char *
make_store(const DriversOptions *opts, const char *workdir, const char *root_cert)
{
	char	   *script = ptp_psprintf("%s/system-store.sh", opts->drivers_dir);
	char	   *store = ptp_psprintf("%s/ssl-certs", workdir);
	char	   *argv[] = {"/bin/sh", script, store, (char *) root_cert, NULL};
	char	   *out;

	if (geteuid() != 0)
	{
		fprintf(stderr, "%s: warning: not root, so no private mount namespace: the test root is "
				"in no system store, and the recipes that read one refuse the good server\n", PTP_PROGNAME);
		free(script);
		free(store);
		return NULL;
	}
	out = ptp_run_capture(argv);
	free(script);
	if (out == NULL)
	{
		free(store);
		return NULL;
	}
	free(out);
	return store;
}

/*
 * start_cell_proxy
 *		Starts the cell's own proxy in front of the server, with the
 *		credentials the testbed made for the column's attack scenario.
 *		Returns false with a failure recorded.
 */
static bool
start_cell_proxy(const Testbed *tb, const AttemptContext *actx, Cell *cell)
{
	ProxyOptions po = {0};
	const Scenario *s = find_scenario(driver_columns[cell->column].scenario);

	po.kind = s->attack;
	po.upstream_addr = "127.0.0.1";
	po.upstream_port = tb->info.port;
	po.cert = tb->proxy_cert;
	po.key = tb->proxy_key;
	po.chain = tb->proxy_chain;
	po.timeout_ms = actx->timeout * 1000;
	po.strip_channel_binding = driver_columns[cell->column].strip_channel_binding;
	cell->proxy = ptp_proxy_start(&po, &cell->port);
	return cell->proxy != NULL;
}

/*
 * run_drivers
 *		Sets up PKI, servers, store and proxies, runs every row, tears
 *		everything down.  Returns false with a failure recorded when it
 *		could not run.
 *
 * Every server configuration the columns need (the good server, which the
 * four attack columns' proxies stand in front of, and the wrong-host,
 * untrusted-CA and expired ones) is a cluster of its own, all up at once
 * and sharing the PKI and the password: then a row is one probe process
 * that tries every column's target in turn, instead of a runtime (a JVM,
 * .NET, Python with Django, Node with Prisma) started for each cell.
 * Every attack cell still has its own proxy, which holds its own copy of
 * the scenario's certificate, so no cell shares anything with another.
 */
static bool
run_drivers(const DriversOptions *opts, Row *rows, int n_rows, double *seconds)
{
	Testbed		tbs[DCOL_COUNT];
	int			n_tbs = 0;
	char	   *homes = NULL,
			   *logdir = NULL,
			   *root_cert = NULL,
			   *build_dir = NULL,
			   *store = NULL;
	ProbeContext pctx = {0};
	AttemptContext actx = {0};
	bool		ok = false;
	double		t0 = now_seconds();
	const char *build_env = getenv("PTP_DRIVERS_BUILD");

	actx.timeout = opts->timeout;
	if (!ptp_testbed_start(&tbs[n_tbs++], "drivers", opts->pg_config, 60, NULL))
		goto done;
	homes = ptp_psprintf("%s/homes", tbs[0].workdir);
	logdir = ptp_psprintf("%s/logs", tbs[0].workdir);
	root_cert = ptp_psprintf("%s/%s", tbs[0].pkidir, PTP_ROOT_CA_CRT);
	/* install-drivers.sh's PTP_DRIVERS_BUILD, as in a chroot run */
	build_dir = build_env != NULL && build_env[0] == '/' ? ptp_strdup(build_env) :
		ptp_psprintf("%s/build", opts->drivers_dir);
	if (mkdir(homes, 0700) != 0 || mkdir(logdir, 0700) != 0)
	{
		ptp_fail("could not create directories in \"%s\": %s", tbs[0].workdir, strerror(errno));
		goto done;
	}
	store = make_store(opts, tbs[0].workdir, root_cert);
	if (store == NULL && geteuid() == 0)
		goto done;

	pctx.opts = opts;
	pctx.host = "localhost";
	pctx.password = tbs[0].password;
	pctx.root_cert = root_cert;
	pctx.build_dir = build_dir;
	pctx.logdir = logdir;
	pctx.path = getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin";
	pctx.store = store;
	actx.pkidir = tbs[0].pkidir;
	for (int r = 0; r < n_rows; r++)
		if (!make_home(&pctx, homes, &rows[r]))
			goto done;

	for (int k = 0; k < DCOL_COUNT; k++)
	{
		DriverColumn col = run_order[k];
		const Scenario *s = find_scenario(driver_columns[col].scenario);
		Testbed    *tb = NULL;

		if (s == NULL)
		{
			ptp_fail("no scenario \"%s\"", driver_columns[col].scenario);
			goto done;
		}
		for (int i = 0; i < n_tbs && tb == NULL; i++)
			if (tbs[i].applied == NULL || ptp_testbed_same_config(tbs[i].applied, s))
				tb = &tbs[i];
		if (tb == NULL)
		{
			tb = &tbs[n_tbs++];
			if (!ptp_testbed_start(tb, "drivers", opts->pg_config, 60, &tbs[0]))
				goto done;
		}
		if (!ptp_testbed_scenario(tb, s, &actx))
			goto done;
		for (int r = 0; r < n_rows; r++)
		{
			Cell	   *cell = &rows[r].cells[col];

			cell->appname = ptp_psprintf("ptp-%s-%s", rows[r].spec->name, driver_columns[col].name);
			cell->port = tb->info.port;
			if (driver_columns[col].attack && !start_cell_proxy(tb, &actx, cell))
				goto done;
		}
		ptp_testbed_end_scenario(tb, &actx);
	}

	run_rows(&pctx, rows, n_rows, opts->jobs);
	for (int r = 0; r < n_rows; r++)
		for (int c = 0; c < DCOL_COUNT; c++)
		{
			Cell	   *cell = &rows[r].cells[c];
			ProxyCapture cap;

			if (cell->proxy == NULL)
			{
				cell->accepted = cell->connected;
				continue;
			}
			/* its own proxy: whatever application_name it sent (pgjdbc's may come later) */
			ptp_proxy_capture(cell->proxy, NULL, &cap);
			cell->reached = ptp_proxy_connections(cell->proxy) > 0;
			cell->accepted = cap.startup;
			cell->attacker_got = ptp_proxy_describe(&cap);
			ptp_proxy_stop(cell->proxy);
			cell->proxy = NULL;
		}
	if (ptp_interrupted())
	{
		ptp_fail("interrupted; drivers abandoned");
		goto done;
	}
	ok = true;
	for (int i = 0; i < n_tbs; i++)
		ok = ptp_testbed_alive(&tbs[i]) && ok;

done:
	for (int r = 0; r < n_rows; r++)
		for (int c = 0; c < DCOL_COUNT; c++)
			if (rows[r].cells[c].proxy != NULL)
			{
				ptp_proxy_stop(rows[r].cells[c].proxy);
				rows[r].cells[c].proxy = NULL;
			}
	/* the twins first: the first one's directory holds the PKI they use */
	for (int i = n_tbs - 1; i >= 0; i--)
		if (!ptp_testbed_stop(&tbs[i], &actx, false))
			ok = false;
	*seconds = now_seconds() - t0;
	free(homes);
	free(logdir);
	free(root_cert);
	free(build_dir);
	free(store);
	return ok;
}

/*
 * judge_cell
 *		Why cell deviates from expectation e, or NULL when it does not.  e
 *		may be NULL only for a cell that produced no result.
 */
static char *
judge_cell(const Cell *cell, const DriverExpectation *e)
{
	bool		attack = driver_columns[cell->column].attack;
	bool		expected;

	if (cell->no_result != NULL)
		return ptp_psprintf("%s%s%s", cell->no_result,
							cell->stderr_head ? "; stderr: " : "",
							cell->stderr_head ? cell->stderr_head : "");
	if (cell->timed_out)
		return ptp_psprintf("the probe did not finish in time");
	expected = e->accepts[cell->column];
	if (attack && !cell->reached && !e->before_connecting)
		return ptp_psprintf("the client never reached its proxy (%s): its refusal proves nothing",
							cell->error ? cell->error : "no error");
	if (attack && cell->connected && !cell->accepted)
		return ptp_psprintf("the client reports a connection, but its proxy saw no startup");
	if (!attack && cell->connected && cell->server_ssl != 1 && !e->plaintext)
		return ptp_psprintf("connected without TLS, as the server sees it");
	if (cell->accepted != expected)
		return ptp_psprintf("expected %s, observed %s%s%s",
							expected ? (attack ? "the attack accepted" : "a connection") : "a refusal",
							cell->accepted ? (attack ? "the attack accepted" : "a connection") : "a refusal",
							cell->error ? ": " : "", cell->error ? cell->error : "");
	if ((!attack || e->before_connecting) && !cell->accepted && e->refusal != NULL &&
		(cell->error == NULL || strstr(cell->error, e->refusal) == NULL))
		return ptp_psprintf("refused for another reason than %s: %s", e->refusal,
							cell->error ? cell->error : "(no message)");
	return NULL;
}

/*
 * on_path
 *		Whether program is an executable in one of PATH's directories.
 */
static bool
on_path(const char *program)
{
	const char *path = getenv("PATH");
	char	   *copy = ptp_strdup(path ? path : "/usr/bin:/bin");
	bool		found = false;

	for (char *dir = strtok(copy, ":"); dir != NULL && !found; dir = strtok(NULL, ":"))
	{
		char	   *f = ptp_psprintf("%s/%s", dir, program);

		found = access(f, X_OK) == 0;
		free(f);
	}
	free(copy);
	return found;
}

/*
 * judge
 *		Sets each row's expectation, deviations and claim verdict.  Returns
 *		the number of deviations.
 */
static int
judge(Row *rows, int n_rows, bool ci)
{
	int			total = 0;

	for (int r = 0; r < n_rows; r++)
	{
		Row		   *row = &rows[r];
		int			n_unavailable = 0;
		StringInfoData claim;

		for (int c = 0; c < DCOL_COUNT; c++)
		{
			Cell	   *cell = &row->cells[c];

			if (cell->unavailable != NULL)
			{
				n_unavailable++;
				row->unavailable = cell->unavailable;
			}
			if (row->version == NULL && cell->version != NULL)
			{
				row->version = cell->version;
				row->libpq = cell->libpq;
				row->ca_store = cell->ca_store;
			}
		}
		if (n_unavailable == DCOL_COUNT)
		{
			bool		cannot_exist = row->spec->needs != NULL && !on_path(row->spec->needs);

			row->skipped = cannot_exist || !ci;
			if (!row->skipped)
				row->row_deviation = ptp_psprintf("unavailable under CI=true: %s", row->unavailable);
			else if (!cannot_exist)
				fprintf(stderr, "%s: warning: %s skipped (%s); under CI=true this fails\n",
						PTP_PROGNAME, row->spec->name, row->unavailable);
			row->claim = ptp_strdup("not tested");
			row->deviations = row->row_deviation != NULL;
			total += row->deviations;
			continue;
		}
		row->unavailable = NULL;
		row->expect = ptp_driver_expectation(row->spec, row->version, row->libpq, row->ca_store);
		if (row->version == NULL)
			row->row_deviation = ptp_strdup("no probe run reported a result");
		row->unjudged = row->version != NULL && row->expect == NULL;
		row->deviations = row->row_deviation != NULL;
		for (int c = 0; c < DCOL_COUNT; c++)
		{
			Cell	   *cell = &row->cells[c];

			if (cell->unavailable != NULL)
				cell->deviation = ptp_psprintf("unavailable in this column only: %s", cell->unavailable);
			else if (cell->no_result != NULL || cell->timed_out || row->expect != NULL)
				cell->deviation = judge_cell(cell, row->expect);
			row->deviations += cell->deviation != NULL;
		}
		total += row->deviations;

		/*
		 * The guide's claim: connects to the good server, nothing else.  A
		 * trusted interceptor is not held against it: nothing that trusts
		 * the root can refuse one.
		 */
		if (row->cells[DCOL_GOOD].no_result != NULL || row->cells[DCOL_GOOD].timed_out)
		{
			row->claim = ptp_strdup("unknown: no result on the good server");
			continue;
		}
		initStringInfo(&claim);
		row->claim_holds = row->cells[DCOL_GOOD].accepted;
		if (!row->cells[DCOL_GOOD].accepted)
			appendStringInfoString(&claim, "refuses the good server");
		else if (row->cells[DCOL_GOOD].server_ssl != 1)
		{
			row->claim_holds = false;
			appendStringInfoString(&claim, "connects without TLS");
		}
		for (int c = DCOL_GOOD + 1; c < DCOL_COUNT; c++)
			if (row->cells[c].accepted && c != DCOL_INTERCEPT && c != DCOL_INTERCEPT_STRIP_CB)
			{
				row->claim_holds = false;
				appendStringInfo(&claim, "%s%s %s", claim.len > 0 ? "; " : "",
								 driver_columns[c].attack ? "gives its startup to the" : "connects despite the",
								 driver_columns[c].title);
			}
		row->claim = row->claim_holds ? ptp_strdup("holds") :
			ptp_psprintf("does not hold: %s", claim.data);
		pfree(claim.data);
	}
	return total;
}

/*
 * What one cell shows, in every format: a word for the long table, JSON and
 * markdown, a symbol for the grid.  An interceptor's accepted attack says
 * whether the session then noticed: "CB caught it" when the server refused
 * the SCRAM proof bound to the proxy's certificate (the attacker got the
 * startup, never a session), or nothing at all.
 */
typedef enum CellShows
{
	SHOWS_NOT_RUN,
	SHOWS_NO_RESULT,
	SHOWS_CONNECTS,
	SHOWS_PLAINTEXT,
	SHOWS_REFUSED,
	SHOWS_ACCEPTED,
	SHOWS_ACCEPTED_PLAINTEXT,
	SHOWS_UNNOTICED,
	SHOWS_CB_CAUGHT,
	SHOWS_THEN_FAILED,
	SHOWS_COUNT
} CellShows;

typedef struct CellShowsSpec
{
	const char *word;
	char		symbol;
	const char *legend;			/* the grid's legend, NULL: shares one */
} CellShowsSpec;

static const CellShowsSpec cell_shows_specs[SHOWS_COUNT] = {
	[SHOWS_NOT_RUN] = {"-", '-', "not run"},
	[SHOWS_NO_RESULT] = {"no result", '?', "no result"},
	[SHOWS_CONNECTS] = {"connects", 'o', "connects over TLS"},
	[SHOWS_PLAINTEXT] = {"plaintext", 'P', "plaintext: connects without TLS, or the attacker got the startup without TLS"},
	[SHOWS_REFUSED] = {"refused", '.', "refused"},
	[SHOWS_ACCEPTED] = {"ACCEPTED", 'A', "ACCEPTED: the attacker got the startup (on an interceptor: unnoticed)"},
	[SHOWS_ACCEPTED_PLAINTEXT] = {"ACCEPTED, plaintext", 'P', NULL},
	[SHOWS_UNNOTICED] = {"ACCEPTED, unnoticed", 'A', NULL},
	[SHOWS_CB_CAUGHT] = {"CB caught it", 'B', "CB caught it: accepted, then channel binding refused the session"},
	[SHOWS_THEN_FAILED] = {"ACCEPTED, then failed", 'F', "ACCEPTED, then failed for another reason"},
};

/*
 * mentions_channel_binding
 *		Whether a client's error names channel binding, however the client
 *		spells it: "channel binding" (libpq, pgjdbc's "Channel Binding"),
 *		"ChannelBinding" (Npgsql), "channel_binding" (pgx).  Only the word
 *		a cell is shown with depends on it, never a verdict.
 */
static bool
mentions_channel_binding(const char *error)
{
	char		squeezed[512];
	size_t		n = 0;

	for (const char *p = error; p != NULL && *p != '\0' && n + 1 < sizeof(squeezed); p++)
		if (*p != ' ' && *p != '_' && *p != '-')
			squeezed[n++] = pg_ascii_tolower((unsigned char) *p);
	squeezed[n] = '\0';
	return strstr(squeezed, "channelbinding") != NULL;
}

/*
 * cell_shows
 *		What the cell shows (see CellShows).
 */
static CellShows
cell_shows(const Cell *cell)
{
	bool		attack = driver_columns[cell->column].attack;
	bool		interceptor = cell->column == DCOL_INTERCEPT || cell->column == DCOL_INTERCEPT_STRIP_CB;

	if (cell->unavailable != NULL || !cell->ran)
		return SHOWS_NOT_RUN;
	if (cell->no_result != NULL || cell->timed_out)
		return SHOWS_NO_RESULT;
	if (attack && cell->accepted && interceptor)
	{
		if (cell->connected)
			return SHOWS_UNNOTICED;
		return mentions_channel_binding(cell->error) ? SHOWS_CB_CAUGHT : SHOWS_THEN_FAILED;
	}
	if (attack && cell->accepted)
		return cell->connected && cell->server_ssl == 0 ? SHOWS_ACCEPTED_PLAINTEXT : SHOWS_ACCEPTED;
	if (attack || !cell->accepted)
		return SHOWS_REFUSED;
	return cell->server_ssl == 0 ? SHOWS_PLAINTEXT : SHOWS_CONNECTS;
}

/*
 * cell_word
 *		The cell in one or two words, as every format but the grid shows it.
 */
static const char *
cell_word(const Cell *cell)
{
	return cell_shows_specs[cell_shows(cell)].word;
}

/*
 * row_version
 *		The client's version and, when it runs on one, libpq's (malloc'd).
 */
static char *
row_version(const Row *row)
{
	if (row->version == NULL)
		return ptp_strdup("-");
	if (row->libpq != NULL && strstr(row->version, "libpq") == NULL)
		return ptp_psprintf("%s, libpq %s", row->version, row->libpq);
	return ptp_strdup(row->version);
}

static const char *
row_verdict(const Row *row)
{
	if (row->unjudged)
		return "unjudged";
	return row->deviations > 0 ? "DEVIATES" : "as documented";
}

static void
print_table(FILE *out, const DriversOptions *opts, const Row *rows, int n, int deviations,
			double seconds)
{
	int			unjudged = 0;

	fprintf(out, "Each client: the guide's setting, no TLS setting, the guide's alternatives "
			"(%s; pg_tls_probe %s, linked with libpq %d)\n\n",
			opts->environment, PG_TLS_PROBE_VERSION, PQlibVersion());
	fprintf(out, "%-26s", "row");
	for (int c = 0; c < DCOL_COUNT; c++)
		fprintf(out, " %-22s", driver_columns[c].title);
	fprintf(out, " %s\n", "guide's claim");
	for (int r = 0; r < n; r++)
	{
		const Row  *row = &rows[r];

		fprintf(out, "%-26s", row->spec->name);
		if (row->unavailable != NULL)
		{
			fprintf(out, " unavailable: %s\n", row->unavailable);
			continue;
		}
		for (int c = 0; c < DCOL_COUNT; c++)
		{
			char		word[40];

			snprintf(word, sizeof(word), "%s%s", cell_word(&row->cells[c]),
					 row->cells[c].deviation ? " (!)" : "");
			fprintf(out, " %-22s", word);
		}
		fprintf(out, " %s\n", row->claim_holds ? "holds" : "DOES NOT HOLD");
	}

	fprintf(out, "\nVersions and verdicts:\n");
	for (int r = 0; r < n; r++)
	{
		const Row  *row = &rows[r];
		char	   *v = row_version(row);

		unjudged += row->unjudged;
		fprintf(out, "  %-26s %s: %s\n", row->spec->name, v, row->unavailable ? "unavailable" : row_verdict(row));
		fprintf(out, "  %-26s setting: %s%s%s\n", "", row->spec->recipe,
				row->spec->note ? "; " : "", row->spec->note ? row->spec->note : "");
		fprintf(out, "  %-26s claim: %s\n", "", row->claim);
		if (row->unavailable == NULL && !row->cells[DCOL_GOOD].accepted && row->cells[DCOL_GOOD].error)
			fprintf(out, "  %-26s on the good server: %s\n", "", row->cells[DCOL_GOOD].error);
		if (row->expect != NULL)
			fprintf(out, "  %-26s documented: %s\n", "", row->expect->why);
		else if (row->unjudged)
			fprintf(out, "  %-26s no documented behaviour covers this version: shown, not judged\n", "");
		free(v);
	}

	if (deviations > 0)
	{
		fprintf(out, "\nDeviations from the documented behaviour (%d):\n", deviations);
		for (int r = 0; r < n; r++)
		{
			if (rows[r].row_deviation)
				fprintf(out, "  %s: %s\n", rows[r].spec->name, rows[r].row_deviation);
			for (int c = 0; c < DCOL_COUNT; c++)
				if (rows[r].cells[c].deviation)
					fprintf(out, "  %s, %s: %s\n", rows[r].spec->name, driver_columns[c].name,
							rows[r].cells[c].deviation);
		}
	}
	fprintf(out, "\n%d rows, %d unjudged, %d deviations from the expectations, %.1f s; "
			"(!) marks a deviation, ACCEPTED an attacker that got the client's startup.\n",
			n, unjudged, deviations, seconds);
}

/* The grid's column heads, in DriverColumn order: four characters at most. */
static const char *const grid_heads[DCOL_COUNT] = {
	"good", "host", "ca", "exp", "forg", "intc", "i-cb", "strp"
};

#define GRID_VERSION_WIDTH 44
/* a screen: the grid, legend included, is held to it */
#define GRID_MAX_LINES		80

/*
 * grid_row
 *		Appends one row of the grid to buf, without a newline: its name, a
 *		symbol per column, the guide's claim and, when with_version, the
 *		version; an unavailable row says why instead.
 */
static void
grid_row(StringInfo buf, const Row *row, int name_width, bool with_version)
{
	int			start = buf->len;

	appendStringInfo(buf, "%-*s", name_width, row->spec->name);
	if (row->unavailable != NULL)
	{
		appendStringInfo(buf, " unavailable%s: %s", row->row_deviation ? " (!)" : "", row->unavailable);
		/* as wide as the other rows, at most */
		if (buf->len - start > name_width + 5 * DCOL_COUNT + 8)
		{
			buf->len = start + name_width + 5 * DCOL_COUNT + 8;
			buf->data[buf->len] = '\0';
		}
		return;
	}
	for (int c = 0; c < DCOL_COUNT; c++)
		appendStringInfo(buf, "  %c%c ", cell_shows_specs[cell_shows(&row->cells[c])].symbol,
						 row->cells[c].deviation || row->row_deviation ? '!' : ' ');
	appendStringInfo(buf, " %-5s", row->claim_holds ? "holds" : "NO");
	if (with_version)
	{
		char	   *v = row_version(row);

		appendStringInfo(buf, "  %.*s%s", GRID_VERSION_WIDTH, v, row->unjudged ? " (unjudged)" : "");
		free(v);
	}
}

/*
 * grid_versions
 *		Appends each probe's versions ("probe: version"), once each, wrapped
 *		at width: the version column of a grid too long for one.
 */
static void
grid_versions(StringInfo buf, const Row *rows, int n, int width)
{
	int			line_start = buf->len;

	appendStringInfoString(buf, "Versions:");
	for (int r = 0; r < n; r++)
	{
		char	   *v = row_version(&rows[r]);
		bool		seen = rows[r].version == NULL;

		for (int e = 0; e < r && !seen; e++)
			seen = rows[e].version != NULL && strcmp(rows[e].spec->probe, rows[r].spec->probe) == 0 &&
				strcmp(rows[e].version, rows[r].version) == 0 &&
				(rows[e].libpq == NULL) == (rows[r].libpq == NULL) &&
				(rows[e].libpq == NULL || strcmp(rows[e].libpq, rows[r].libpq) == 0);
		if (!seen)
		{
			if (buf->len - line_start + (int) strlen(rows[r].spec->probe) + (int) strlen(v) + 6 > width)
			{
				appendStringInfoString(buf, "\n         ");
				line_start = buf->len - 9;
			}
			appendStringInfo(buf, " %s: %s;", rows[r].spec->probe, v);
		}
		free(v);
	}
	if (buf->data[buf->len - 1] == ';')
		buf->data[--buf->len] = '\0';
	appendStringInfoChar(buf, '\n');
}

/*
 * print_grid
 *		The default report: one line per row, one symbol per column, the
 *		guide's claim and the version, then a legend, on one screen
 *		(GRID_MAX_LINES).  When the rows do not fit one under the other,
 *		they go in two panes side by side, and the versions, once per
 *		probe, under them.  --details prints the long table instead.
 */
static void
print_grid(FILE *out, const DriversOptions *opts, const Row *rows, int n, int deviations,
		   double seconds)
{
	int			unjudged = 0,
				deviating_rows = 0,
				name_width = 3,
				legend_lines = 0,
				pane_rows;
	StringInfoData legend;
	StringInfoData line;
	StringInfoData head;

	for (int r = 0; r < n; r++)
	{
		name_width = Max(name_width, (int) strlen(rows[r].spec->name));
		unjudged += rows[r].unjudged;
		deviating_rows += rows[r].deviations > 0;
	}

	initStringInfo(&legend);
	appendStringInfoString(&legend, "\nColumns:");
	for (int c = 0; c < DCOL_COUNT; c++)
		appendStringInfo(&legend, "%s%s %s", c == DCOL_FORGE ? "\n         " : c > 0 ? "; " : " ",
						 grid_heads[c], driver_columns[c].title);
	appendStringInfoString(&legend, "\nCells:");
	{
		int			width = 8;

		for (int o = 0; o < SHOWS_COUNT; o++)
		{
			if (cell_shows_specs[o].legend == NULL)
				continue;
			if (width > 8 && width + (int) strlen(cell_shows_specs[o].legend) + 4 > 100)
			{
				appendStringInfoString(&legend, ";\n       ");
				width = 8;
			}
			else if (width > 8)
			{
				appendStringInfoChar(&legend, ';');
				width++;
			}
			width += 3 + strlen(cell_shows_specs[o].legend);
			appendStringInfo(&legend, " %c %s", cell_shows_specs[o].symbol, cell_shows_specs[o].legend);
		}
	}
	appendStringInfoString(&legend, "\n        ! after a symbol: deviates from what that client, at that version, is documented to do\n");
	appendStringInfoString(&legend, "claim: the guide's \"fails closed\" claim (a trusted interceptor is not held against it).\n");
	appendStringInfo(&legend, "%d deviations in %d rows, %d rows unjudged; --details: settings, errors and reasons; "
					 "--format json: everything.\n", deviations, deviating_rows, unjudged);
	for (const char *p = legend.data; *p; p++)
		legend_lines += *p == '\n';

	/* title, column heads, the rows, the legend */
	pane_rows = 2 + n + legend_lines <= GRID_MAX_LINES ? n : (n + 1) / 2;

	fprintf(out, "Drivers on %s (pg_tls_probe %s, linked with libpq %d): %d rows, %d deviations, %.1f s\n",
			opts->environment, PG_TLS_PROBE_VERSION, PQlibVersion() / 10000, n, deviations, seconds);
	initStringInfo(&head);
	appendStringInfo(&head, "%-*s", name_width, "row");
	for (int c = 0; c < DCOL_COUNT; c++)
		appendStringInfo(&head, " %-4s", grid_heads[c]);
	appendStringInfoString(&head, "  claim");
	initStringInfo(&line);
	for (int r = 0; r < pane_rows; r++)
	{
		resetStringInfo(&line);
		if (r == 0)
		{
			/* the column heads, once per pane */
			if (pane_rows == n)
				fprintf(out, "%s  version\n", head.data);
			else
				fprintf(out, "%-*s   |  %s\n", name_width + 5 * DCOL_COUNT + 8, head.data, head.data);
		}
		grid_row(&line, &rows[r], name_width, pane_rows == n);
		if (pane_rows < n && r + pane_rows < n)
		{
			appendStringInfoSpaces(&line, name_width + 5 * DCOL_COUNT + 8 - line.len);
			appendStringInfoString(&line, "   |  ");
			grid_row(&line, &rows[r + pane_rows], name_width, false);
		}
		fprintf(out, "%s\n", line.data);
	}
	if (pane_rows < n)
	{
		resetStringInfo(&line);
		grid_versions(&line, rows, n, 2 * (name_width + 5 * DCOL_COUNT + 8) + 6);
		fputs(line.data, out);
	}
	fputs(legend.data, out);
	pfree(legend.data);
	pfree(line.data);
	pfree(head.data);
}

static void
print_json(FILE *out, const DriversOptions *opts, const Row *rows, int n, int deviations,
		   double seconds)
{
	fputs("{\"environment\": ", out);
	ptp_json_string(out, opts->environment);
	fprintf(out, ", \"pg_tls_probe\": \"%s\", \"libpq\": %d, \"seconds\": %.1f, \"deviations\": %d,\n\"rows\": [\n",
			PG_TLS_PROBE_VERSION, PQlibVersion(), seconds, deviations);
	for (int r = 0; r < n; r++)
	{
		const Row  *row = &rows[r];

		fputs("{\"driver\": ", out);
		ptp_json_string(out, row->spec->name);
		fputs(", \"title\": ", out);
		ptp_json_string(out, row->spec->title);
		fputs(", \"recipe\": ", out);
		ptp_json_string(out, row->spec->recipe);
		fputs(", \"note\": ", out);
		ptp_json_string(out, row->spec->note);
		fputs(", \"addition\": ", out);
		ptp_json_string(out, row->spec->addition);
		fputs(", \"probe_env\": ", out);
		ptp_json_string(out, row->spec->probe_env);
		fputs(", \"version\": ", out);
		ptp_json_string(out, row->version);
		fputs(", \"variant\": ", out);
		ptp_json_string(out, row->spec->variant);
		fputs(", \"libpq\": ", out);
		ptp_json_string(out, row->libpq);
		fputs(", \"ca_store\": ", out);
		ptp_json_string(out, row->ca_store);
		fprintf(out, ", \"unjudged\": %s", row->unjudged ? "true" : "false");
		fputs(", \"unavailable\": ", out);
		ptp_json_string(out, row->unavailable);
		fputs(", \"documented\": ", out);
		ptp_json_string(out, row->expect ? row->expect->why : NULL);
		fputs(", \"source\": ", out);
		ptp_json_string(out, row->expect ? row->expect->source : NULL);
		fprintf(out, ", \"claim_holds\": %s, \"claim\": ", row->claim_holds ? "true" : "false");
		ptp_json_string(out, row->claim);
		fputs(", \"deviation\": ", out);
		ptp_json_string(out, row->row_deviation);
		fputs(", \"columns\": {", out);
		for (int c = 0; c < DCOL_COUNT && row->unavailable == NULL; c++)
		{
			const Cell *cell = &row->cells[c];

			fprintf(out, "%s\n  \"%s\": {\"observed\": \"%s\", \"expected\": ", c > 0 ? "," : "",
					driver_columns[c].name, cell_word(cell));
			if (row->expect)
				fprintf(out, "\"%s\"", row->expect->accepts[c] ?
						(driver_columns[c].attack ? "ACCEPTED" : "connects") : "refused");
			else
				fputs("null", out);
			fprintf(out, ", \"connected\": %s, \"server_ssl\": %s, \"server_tls_version\": ",
					cell->connected ? "true" : "false",
					cell->server_ssl < 0 ? "null" : cell->server_ssl ? "true" : "false");
			ptp_json_string(out, cell->server_tls_version);
			fputs(", \"error\": ", out);
			ptp_json_string(out, cell->error);
			fprintf(out, ", \"reached_proxy\": %s", cell->reached ? "true" : "false");
			fputs(", \"attacker_got\": ", out);
			ptp_json_string(out, cell->attacker_got);
			fputs(", \"deviation\": ", out);
			ptp_json_string(out, cell->deviation);
			fprintf(out, ", \"ms\": %.0f}", cell->ms);
		}
		fprintf(out, "}}%s\n", r + 1 < n ? "," : "");
	}
	fputs("]}\n", out);
}

static void
print_tap(FILE *out, const Row *rows, int n)
{
	int			passed = 0,
				failed = 0,
				skipped = 0,
				t = 0;

	fprintf(out, "1..%d\n", n * DCOL_COUNT);
	for (int r = 0; r < n; r++)
	{
		const Row  *row = &rows[r];

		for (int c = 0; c < DCOL_COUNT; c++)
		{
			const Cell *cell = &row->cells[c];

			t++;
			if (row->skipped)
			{
				fprintf(out, "ok %d - %s %s # SKIP unavailable: %s\n", t, row->spec->name,
						driver_columns[c].name, row->unavailable);
				skipped++;
			}
			else if (cell->deviation || row->row_deviation)
			{
				fprintf(out, "not ok %d - %s %s: %s\n", t, row->spec->name, driver_columns[c].name,
						cell_word(cell));
				fprintf(out, "# %s\n", cell->deviation ? cell->deviation : row->row_deviation);
				failed++;
			}
			else
			{
				fprintf(out, "ok %d - %s %s: %s, %s\n", t, row->spec->name,
						driver_columns[c].name, cell_word(cell),
						row->unjudged ? "unjudged (no documented behaviour for this version)" : "as documented");
				passed++;
			}
		}
		{
			char	   *v = row_version(row);

			fprintf(out, "# %s (%s): the guide's claim %s\n", row->spec->name, v, row->claim);
			free(v);
		}
	}
	fprintf(out, "%d passed, %d failed, %d skipped\n", passed, failed, skipped);
}

/*
 * print_markdown
 *		doc/drivers.md's long table: rows of this environment, under a header
 *		unless header is false (the second environment's rows, appended to
 *		the first's by harness/t/test_drivers.sh, make one table).
 */
static void
print_markdown(FILE *out, const DriversOptions *opts, const Row *rows, int n, bool header)
{
	if (header)
	{
		fprintf(out, "| client | setting | where | version |");
		for (int c = 0; c < DCOL_COUNT; c++)
			fprintf(out, " %s |", driver_columns[c].title);
		fprintf(out, " the guide's claim |\n|---|---|---|---|");
		for (int c = 0; c < DCOL_COUNT; c++)
			fputs("---|", out);
		fputs("---|\n", out);
	}
	for (int r = 0; r < n; r++)
	{
		const Row  *row = &rows[r];
		char	   *v = row_version(row);

		fprintf(out, "| %s | `%s` | %s | %s%s |", row->spec->title, row->spec->recipe, opts->environment,
				v, row->unjudged ? " (unjudged)" : "");
		free(v);
		if (row->unavailable != NULL)
		{
			fprintf(out, " unavailable: %s |", row->unavailable);
			for (int c = 1; c < DCOL_COUNT; c++)
				fputs(" |", out);
			fputs(" not tested |\n", out);
			continue;
		}
		for (int c = 0; c < DCOL_COUNT; c++)
			fprintf(out, " %s%s |", cell_word(&row->cells[c]), row->cells[c].deviation ? " (!)" : "");
		fprintf(out, " %s |\n", row->claim);
	}
}

/*
 * print_report
 *		The run in one format (table: the grid, or with opts->details the
 *		long table); header as for print_markdown.
 */
static void
print_report(FILE *out, DriversFormat format, const DriversOptions *opts, const Row *rows, int n,
			 int deviations, double seconds, bool header)
{
	switch (format)
	{
		case DFORMAT_TABLE:
			if (opts->details)
				print_table(out, opts, rows, n, deviations, seconds);
			else
				print_grid(out, opts, rows, n, deviations, seconds);
			break;
		case DFORMAT_JSON:
			print_json(out, opts, rows, n, deviations, seconds);
			break;
		case DFORMAT_TAP:
			print_tap(out, rows, n);
			break;
		case DFORMAT_MARKDOWN:
			print_markdown(out, opts, rows, n, header);
			break;
	}
}

static void
drivers_usage(void)
{
	printf("Run every client the provider's guide names, configured as the guide recommends,\n");
	printf("with no TLS setting at all, and as the guide's alternatives say, against a good\n");
	printf("server, a certificate for another host, an untrusted CA, an expired certificate,\n");
	printf("a forging proxy, two trusted interceptors (channel binding relayed, stripped) and\n");
	printf("a stripping proxy; check each client against what it is documented to do, and\n");
	printf("judge the guide's claim that each fails closed.  Run as root, each probe sees the\n");
	printf("test root CA in the system store (/etc/ssl/certs, bound in a private mount\n");
	printf("namespace; the machine's own store is never changed).\n\n");
	printf("Usage:\n  %s drivers [OPTION]...\n\n", PTP_PROGNAME);
	printf("Options:\n");
	printf("  --filter NAME[,NAME]...  only these rows (a client's name: all its rows):");
	for (int i = 0; i < n_driver_specs; i++)
		printf("%s%s", i % 6 == 0 ? "\n                             " : " ", driver_specs[i].name);
	printf("\n");
	printf("  --format FORMAT          table (default: one line per row, one symbol per column,\n");
	printf("                           a legend, on %d lines at most: in two panes when the rows\n", GRID_MAX_LINES);
	printf("                           need it), json, tap, or markdown (doc/drivers.md's table)\n");
	printf("  --details                table: the long form (every cell in words, each row's\n");
	printf("                           version, setting, claim and documented behaviour)\n");
	printf("  --jobs N                 rows run at once, a probe process each (default: number of CPUs)\n");
	printf("  --timeout SECS           per-connection timeout (default %d)\n", DEFAULT_TIMEOUT);
	printf("  --pg-config PATH         PostgreSQL installation to start the server from\n");
	printf("  --drivers-dir DIR        the probes (default %s, where make install puts them)\n",
		   PTP_DRIVERS_DIR);
	printf("  --environment NAME       what reports call this machine (default host)\n");
	printf("  --no-header              markdown: rows only, to append to another environment's\n");
	printf("  --markdown-to FILE       also write the markdown table to FILE\n");
	printf("  --json-to FILE           also write the JSON report to FILE\n");
	printf("  --grid-to FILE           also write the grid (the default table) to FILE\n");
	printf("  -h, --help               show this help, then exit\n\n");
	printf("Install the clients first: harness/scripts/install-drivers.sh.  A client that cannot run\n");
	printf("shows as \"unavailable: <reason>\"; under CI=true that is a deviation, except for\n");
	printf("a client whose runtime is not on PATH here (npgsql without dotnet).  A client\n");
	printf("version no documented range covers is shown as unjudged, not as a deviation.\n");
	printf("Exit status: 0 every client behaved as documented (documented insecure behaviour\n");
	printf("included), 1 a deviation, 2 could not run.\n");
}

/*
 * select_rows
 *		The rows --filter names (all without one), in the guide's order.
 *		Returns the count, or -1 after printing a usage error.
 */
static int
select_rows(const char *filter, Row *rows)
{
	int			n = 0;

	if (filter != NULL)
	{
		char	   *copy = ptp_strdup(filter);

		for (char *name = strtok(copy, ","); name != NULL; name = strtok(NULL, ","))
		{
			bool		known = false;

			for (int i = 0; i < n_driver_specs; i++)
				known |= strcmp(driver_specs[i].name, name) == 0 || strcmp(driver_specs[i].probe, name) == 0;
			if (!known)
			{
				ptp_usage_error("drivers", "unknown client \"%s\" in --filter", name);
				free(copy);
				return -1;
			}
		}
		free(copy);
	}
	for (int i = 0; i < n_driver_specs; i++)
	{
		bool		wanted = filter == NULL;

		if (filter != NULL)
		{
			char	   *copy = ptp_strdup(filter);

			for (char *name = strtok(copy, ","); name != NULL; name = strtok(NULL, ","))
				wanted |= strcmp(driver_specs[i].name, name) == 0 || strcmp(driver_specs[i].probe, name) == 0;
			free(copy);
		}
		if (!wanted)
			continue;
		rows[n].spec = &driver_specs[i];
		for (int c = 0; c < DCOL_COUNT; c++)
		{
			rows[n].cells[c].spec = &driver_specs[i];
			rows[n].cells[c].column = c;
			rows[n].cells[c].server_ssl = -1;
		}
		n++;
	}
	if (n == 0)
	{
		ptp_usage_error("drivers", "--filter \"%s\" names no client", filter);
		return -1;
	}
	return n;
}

/*
 * ptp_drivers_main
 *		Entry point of "pg_tls_probe drivers".  Returns the exit code.
 */
int
ptp_drivers_main(int argc, char **argv)
{
	enum
	{
		OPT_FORMAT = 1000, OPT_FILTER, OPT_JOBS, OPT_TIMEOUT, OPT_PG_CONFIG, OPT_DRIVERS_DIR,
		OPT_ENVIRONMENT, OPT_NO_HEADER, OPT_MARKDOWN_TO, OPT_DETAILS, OPT_JSON_TO, OPT_GRID_TO
	};
	static const struct option long_options[] = {
		{"help", no_argument, NULL, 'h'},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"filter", required_argument, NULL, OPT_FILTER},
		{"jobs", required_argument, NULL, OPT_JOBS},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"pg-config", required_argument, NULL, OPT_PG_CONFIG},
		{"drivers-dir", required_argument, NULL, OPT_DRIVERS_DIR},
		{"environment", required_argument, NULL, OPT_ENVIRONMENT},
		{"no-header", no_argument, NULL, OPT_NO_HEADER},
		{"markdown-to", required_argument, NULL, OPT_MARKDOWN_TO},
		{"details", no_argument, NULL, OPT_DETAILS},
		{"json-to", required_argument, NULL, OPT_JSON_TO},
		{"grid-to", required_argument, NULL, OPT_GRID_TO},
		{NULL, 0, NULL, 0}
	};
	DriversOptions opts = {DFORMAT_TABLE, NULL, 0, DEFAULT_TIMEOUT, NULL, PTP_DRIVERS_DIR, "host", false};
	bool		header = true;
	/* --markdown-to, --json-to, --grid-to: the same run in other formats */
	struct
	{
		DriversFormat format;
		const char *path;
	}			copies[] = {{DFORMAT_MARKDOWN, NULL}, {DFORMAT_JSON, NULL}, {DFORMAT_TABLE, NULL}};
	char	   *drivers_dir = NULL;
	Row		   *rows;
	int			n_rows;
	int			deviations;
	double		seconds = 0;
	const char *ci = getenv("CI");
	long		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int			c;

	opts.jobs = cpus > 0 ? (int) Min(cpus, 64) : 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'h':
				drivers_usage();
				return PTP_EXIT_OK;
			case OPT_FORMAT:
				if (strcmp(optarg, "table") == 0)
					opts.format = DFORMAT_TABLE;
				else if (strcmp(optarg, "json") == 0)
					opts.format = DFORMAT_JSON;
				else if (strcmp(optarg, "tap") == 0)
					opts.format = DFORMAT_TAP;
				else if (strcmp(optarg, "markdown") == 0)
					opts.format = DFORMAT_MARKDOWN;
				else
					return ptp_usage_error("drivers", "invalid --format \"%s\" (table, json, tap or markdown)", optarg);
				break;
			case OPT_FILTER:
				opts.filter = optarg;
				break;
			case OPT_JOBS:
				if (!ptp_parse_int(optarg, 1, 64, &opts.jobs))
					return ptp_usage_error("drivers", "invalid --jobs \"%s\" (1 to 64)", optarg);
				break;
			case OPT_TIMEOUT:
				if (!ptp_parse_int(optarg, 2, 3600, &opts.timeout))
					return ptp_usage_error("drivers", "invalid --timeout \"%s\" (seconds, 2 to 3600)", optarg);
				break;
			case OPT_PG_CONFIG:
				opts.pg_config = optarg;
				break;
			case OPT_DRIVERS_DIR:
				/* the probes run from a throwaway HOME: no relative paths */
				free(drivers_dir);
				drivers_dir = realpath(optarg, NULL);
				if (drivers_dir == NULL)
					return ptp_usage_error("drivers", "cannot use --drivers-dir \"%s\": %s",
										   optarg, strerror(errno));
				opts.drivers_dir = drivers_dir;
				break;
			case OPT_ENVIRONMENT:
				if (optarg[0] == '\0' || strpbrk(optarg, "|\n\"\\") != NULL)
					return ptp_usage_error("drivers", "invalid --environment \"%s\"", optarg);
				opts.environment = optarg;
				break;
			case OPT_NO_HEADER:
				header = false;
				break;
			case OPT_MARKDOWN_TO:
				copies[0].path = optarg;
				break;
			case OPT_JSON_TO:
				copies[1].path = optarg;
				break;
			case OPT_GRID_TO:
				copies[2].path = optarg;
				break;
			case OPT_DETAILS:
				opts.details = true;
				break;
			case ':':
				return ptp_usage_error("drivers", "option \"%s\" requires an argument", argv[optind - 1]);
			default:
				if (optopt != 0 && optopt != '?')
					return ptp_usage_error("drivers", "unrecognized option \"-%c\"", optopt);
				return ptp_usage_error("drivers", "unrecognized option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ptp_usage_error("drivers", "unexpected argument \"%s\"", argv[optind]);
	if (opts.details && opts.format != DFORMAT_TABLE)
		return ptp_usage_error("drivers", "--details applies to --format table only");

	rows = ptp_malloc0(n_driver_specs * sizeof(Row));
	n_rows = select_rows(opts.filter, rows);
	if (n_rows < 0)
	{
		free(rows);
		return PTP_EXIT_ERROR;
	}
	{
		char	   *probe = ptp_psprintf("%s/%s/run", opts.drivers_dir, rows[0].spec->probe);
		bool		found = access(probe, X_OK) == 0;

		free(probe);
		if (!found)
		{
			free(rows);
			return ptp_usage_error("drivers", "no probes in \"%s\" (--drivers-dir)", opts.drivers_dir);
		}
	}

	/* The proxies write to sockets that clients may have closed. */
	signal(SIGPIPE, SIG_IGN);
	ptp_trap_signals();
	if (!run_drivers(&opts, rows, n_rows, &seconds))
	{
		free(rows);
		return ptp_report_failure();
	}
	deviations = judge(rows, n_rows, ci != NULL && strcmp(ci, "true") == 0);
	print_report(stdout, opts.format, &opts, rows, n_rows, deviations, seconds, header);
	fflush(stdout);
	for (size_t i = 0; i < lengthof(copies); i++)
	{
		FILE	   *fp;

		if (copies[i].path == NULL)
			continue;
		fp = fopen(copies[i].path, "w");
		if (fp == NULL)
		{
			ptp_fail("could not write \"%s\": %s", copies[i].path, strerror(errno));
			return ptp_report_failure();
		}
		/* a copy in table format is the grid, whatever --details says */
		opts.details = false;
		print_report(fp, copies[i].format, &opts, rows, n_rows, deviations, seconds, header);
		if (fclose(fp) != 0)
		{
			ptp_fail("could not write \"%s\": %s", copies[i].path, strerror(errno));
			return ptp_report_failure();
		}
	}
	return deviations > 0 ? PTP_EXIT_DEVIATION : PTP_EXIT_OK;
}
