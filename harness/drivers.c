/*-------------------------------------------------------------------------
 *
 * drivers.c
 *		The "drivers" subcommand: every client the provider's guide names,
 *		configured the way the guide recommends, against a good server,
 *		three bad certificates and two attackers.
 *
 * Each client is a probe in its own language under harness/drivers/<name>/
 * (see the README there), run as a child process with nothing from our
 * environment but PATH: a throwaway HOME that trusts the test root CA, and
 * the same root in SSL_CERT_FILE and NODE_EXTRA_CA_CERTS, so that each stack
 * finds the trust anchor where the guide says it looks.  The servers and
 * proxies are the matrix's (matrix.c): one cluster reconfigured per column,
 * one proxy per attack column.  Every client can set application_name, so
 * the probes of one column share its proxy and each is told apart by the
 * unique application_name the proxy keys its captures by.
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
#error PTP_DRIVERS_DIR must be defined by the Makefile
#endif

#define DEFAULT_TIMEOUT		10
/* A JVM or Prisma start takes seconds of its own on top of the connection. */
#define PROBE_GRACE			30
#define MAX_OUTPUT			16384
#define MAX_FIELDS			16

/* Columns in the order they run: the three on the good server first. */
static const DriverColumn run_order[DCOL_COUNT] = {
	DCOL_GOOD, DCOL_FORGE, DCOL_STRIP, DCOL_MISMATCH, DCOL_UNTRUSTED, DCOL_EXPIRED
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
} DriversOptions;

/* One probe run: one client against one column. */
typedef struct Cell
{
	const DriverSpec *spec;
	DriverColumn column;
	char	   *home;			/* its throwaway HOME, also its working directory */
	char	   *appname;
	bool		ran;
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
	bool		accepted;		/* connected, or for attacks: the proxy got its startup */
	char	   *attacker_got;
	char	   *deviation;		/* why this cell deviates, or NULL */
	double		ms;
} Cell;

typedef struct Row
{
	const DriverSpec *spec;
	Cell		cells[DCOL_COUNT];
	const char *version;
	const char *libpq;
	const char *unavailable;	/* every cell said so: the reason */
	bool		skipped;		/* unavailable, and allowed to be */
	const DriverExpectation *expect;
	char	   *row_deviation;	/* no expectation for this version, forbidden skip */
	bool		claim_holds;
	char	   *claim;
	int			deviations;
} Row;

/* What every probe run of one invocation shares (read-only while running). */
typedef struct ProbeContext
{
	const DriversOptions *opts;
	const char *host;
	int			port;
	const char *password;
	const char *root_cert;
	const char *build_dir;
	const char *logdir;
	const char *path;
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
 * read_result
 *		Fills cell from the last line of out that is a JSON object.
 */
static void
read_result(Cell *cell, char *out)
{
	char	   *line = NULL;
	JsonField	fields[MAX_FIELDS];
	int			n;
	const JsonField *f;

	for (char *tok = strtok(out, "\n"); tok != NULL; tok = strtok(NULL, "\n"))
		if (tok[0] == '{')
			line = tok;
	if (line == NULL)
	{
		cell->no_result = ptp_strdup(cell->timed_out ? "the probe timed out and printed no result" :
									 "the probe printed no JSON line");
		return;
	}
	n = parse_flat_json(line, fields, MAX_FIELDS);
	if (n < 0)
	{
		cell->no_result = ptp_psprintf("the probe printed malformed JSON: %.200s", line);
		return;
	}
	cell->unavailable = json_dup(fields, n, "unavailable");
	f = json_get(fields, n, "connected");
	cell->connected = f != NULL && f->value != NULL && strcmp(f->value, "true") == 0;
	f = json_get(fields, n, "server_ssl");
	cell->server_ssl = f == NULL || f->value == NULL ? -1 : strcmp(f->value, "true") == 0;
	cell->server_tls_version = json_dup(fields, n, "server_tls_version");
	cell->error = json_dup(fields, n, "error");
	cell->version = json_dup(fields, n, "version");
	cell->libpq = json_dup(fields, n, "libpq");
	for (int i = 0; i < n; i++)
	{
		free(fields[i].key);
		free(fields[i].value);
	}
}

/*
 * make_home
 *		The cell's throwaway HOME: .postgresql/root.crt is the right root.
 *		Returns false with a failure recorded.
 */
static bool
make_home(const ProbeContext *ctx, const char *homes, Cell *cell)
{
	char	   *dot;
	char	   *crt;
	bool		ok;

	cell->home = ptp_psprintf("%s/%s-%s", homes, cell->spec->name, driver_columns[cell->column].name);
	dot = ptp_psprintf("%s/.postgresql", cell->home);
	crt = ptp_psprintf("%s/root.crt", dot);
	ok = mkdir(cell->home, 0700) == 0 && mkdir(dot, 0700) == 0;
	if (!ok)
		ptp_fail("could not create directory \"%s\": %s", dot, strerror(errno));
	ok = ok && ptp_copy_file(ctx->root_cert, crt, 0600, NULL);
	free(dot);
	free(crt);
	return ok;
}

/*
 * run_probe
 *		Runs one probe to completion or its deadline and reads its result.
 *		Everything the child needs is built before posix_spawn, which is
 *		safe from threads; the child gets its own process group so that a
 *		deadline also ends the interpreter or JVM its run script started.
 */
static void
run_probe(const ProbeContext *ctx, Cell *cell)
{
	char	   *script = ptp_psprintf("%s/%s/run", ctx->opts->drivers_dir, cell->spec->name);
	char	   *errlog = ptp_psprintf("%s/%s-%s.stderr", ctx->logdir, cell->spec->name,
									  driver_columns[cell->column].name);
	char	   *env[32];
	int			ne = 0;
	char	   *argv[] = {script, NULL};
	int			pipefd[2];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t	defaults;
	pid_t		pid;
	char	   *out = ptp_malloc0(MAX_OUTPUT + 1);
	size_t		len = 0;
	double		start = now_seconds();
	double		deadline = start + ctx->opts->timeout + PROBE_GRACE;
	int			status = 0;

	env[ne++] = ptp_psprintf("PATH=%s", ctx->path);
	env[ne++] = ptp_strdup("LC_ALL=C.UTF-8");
	env[ne++] = ptp_psprintf("HOME=%s", cell->home);
	env[ne++] = ptp_psprintf("PTP_HOST=%s", ctx->host);
	env[ne++] = ptp_psprintf("PTP_PORT=%d", ctx->port);
	env[ne++] = ptp_strdup("PTP_DBNAME=postgres");
	env[ne++] = ptp_psprintf("PTP_USER=%s", MATRIX_SCRAM_ROLE);
	env[ne++] = ptp_psprintf("PTP_PASSWORD=%s", ctx->password);
	env[ne++] = ptp_psprintf("PTP_APPNAME=%s", cell->appname);
	env[ne++] = ptp_psprintf("PTP_ROOT_CERT=%s", ctx->root_cert);
	env[ne++] = ptp_psprintf("PTP_TIMEOUT=%d", ctx->opts->timeout);
	env[ne++] = ptp_psprintf("PTP_BUILD_DIR=%s", ctx->build_dir);
	env[ne++] = ptp_psprintf("SSL_CERT_FILE=%s", ctx->root_cert);
	env[ne++] = ptp_psprintf("NODE_EXTRA_CA_CERTS=%s", ctx->root_cert);
	env[ne] = NULL;

	cell->ran = true;
	if (pipe2(pipefd, O_CLOEXEC) != 0)
	{
		cell->no_result = ptp_psprintf("could not create a pipe: %s", strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addchdir_np(&fa, cell->home);
	posix_spawnattr_init(&attr);
	/* We ignore SIGPIPE for the proxies; the child must not inherit that. */
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
	errno = posix_spawn(&pid, script, &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(pipefd[1]);
	if (errno != 0)
	{
		cell->no_result = ptp_psprintf("could not run \"%s\": %s", script, strerror(errno));
		close(pipefd[0]);
		goto done;
	}

	for (;;)
	{
		struct pollfd pfd = {pipefd[0], POLLIN, 0};
		int			wait_ms = (int) ((deadline - now_seconds()) * 1000);
		ssize_t		r;

		if (wait_ms <= 0 || ptp_interrupted())
		{
			cell->timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, wait_ms) <= 0)
			continue;
		r = read(pipefd[0], out + len, MAX_OUTPUT - len);
		if (r <= 0)
			break;
		len += r;
		if (len >= MAX_OUTPUT)
			break;
	}
	close(pipefd[0]);
	/* A probe that closed stdout but lingers is ended with its group. */
	if (waitpid(pid, &status, WNOHANG) == 0)
	{
		for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; i++)
			usleep(20000);
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	out[len] = '\0';
	redact(out, ctx->password);
	read_result(cell, out);

	{
		FILE	   *fp = fopen(errlog, "r");
		char		line[512];

		if (fp != NULL)
		{
			if (fgets(line, sizeof(line), fp) != NULL)
			{
				line[strcspn(line, "\n")] = '\0';
				redact(line, ctx->password);
				cell->stderr_head = ptp_strdup(line);
			}
			fclose(fp);
		}
	}
	redact(cell->error, ctx->password);

done:
	cell->ms = (now_seconds() - start) * 1000;
	for (int i = 0; i < ne; i++)
		free(env[i]);
	free(out);
	free(script);
	free(errlog);
}

/* The probe runs of one column, shared by the worker threads. */
typedef struct ProbeQueue
{
	const ProbeContext *ctx;
	Cell	  **cells;
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
		Cell	   *c;

		pthread_mutex_lock(&q->lock);
		c = (q->next < q->n && !ptp_interrupted()) ? q->cells[q->next++] : NULL;
		pthread_mutex_unlock(&q->lock);
		if (c == NULL)
			return NULL;
		run_probe(q->ctx, c);
	}
}

/*
 * run_column
 *		Runs the probes of one column on up to jobs threads and waits.
 */
static void
run_column(const ProbeContext *ctx, Cell **cells, int n, int jobs)
{
	ProbeQueue	q = {ctx, cells, n, 0, PTHREAD_MUTEX_INITIALIZER};
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
	for (int i = 0; i < n_matrix_scenarios; i++)
		if (strcmp(matrix_scenarios[i].name, name) == 0)
			return &matrix_scenarios[i];
	return NULL;
}

/*
 * run_drivers
 *		Sets up PKI, server and proxies, runs every cell, tears everything
 *		down.  Returns false with a failure recorded when it could not run.
 */
static bool
run_drivers(const DriversOptions *opts, Row *rows, int n_rows, double *seconds)
{
	Testbed		tb;
	char	   *homes = NULL,
			   *logdir = NULL,
			   *root_cert = NULL,
			   *build_dir = NULL;
	ProbeContext pctx = {0};
	AttemptContext actx = {0};
	bool		ok = false;
	Cell	  **column_cells = ptp_malloc0(n_rows * sizeof(Cell *));
	double		t0 = now_seconds();

	actx.timeout = opts->timeout;
	if (!ptp_testbed_start(&tb, "drivers", opts->pg_config, 60))
		goto done;
	homes = ptp_psprintf("%s/homes", tb.workdir);
	logdir = ptp_psprintf("%s/logs", tb.workdir);
	root_cert = ptp_psprintf("%s/%s", tb.pkidir, PTP_ROOT_CA_CRT);
	build_dir = ptp_psprintf("%s/build", opts->drivers_dir);
	if (mkdir(homes, 0700) != 0 || mkdir(logdir, 0700) != 0)
	{
		ptp_fail("could not create directories in \"%s\": %s", tb.workdir, strerror(errno));
		goto done;
	}

	pctx.opts = opts;
	pctx.host = "localhost";
	pctx.password = tb.password;
	pctx.root_cert = root_cert;
	pctx.build_dir = build_dir;
	pctx.logdir = logdir;
	pctx.path = getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin";
	actx.pkidir = tb.pkidir;

	for (int oi = 0; oi < DCOL_COUNT; oi++)
	{
		DriverColumn col = run_order[oi];
		const Scenario *s = find_scenario(driver_columns[col].scenario);

		if (s == NULL)
		{
			ptp_fail("the matrix has no scenario \"%s\"", driver_columns[col].scenario);
			goto done;
		}
		if (!ptp_testbed_scenario(&tb, s, &actx))
			goto done;
		pctx.port = s->attack != ATTACK_NONE ? actx.proxy_port : tb.info.port;
		for (int r = 0; r < n_rows; r++)
		{
			Cell	   *cell = &rows[r].cells[col];

			cell->appname = ptp_psprintf("ptp-%s-%s", rows[r].spec->name, driver_columns[col].name);
			if (!make_home(&pctx, homes, cell))
				goto done;
			column_cells[r] = cell;
		}
		run_column(&pctx, column_cells, n_rows, opts->jobs);
		if (ptp_interrupted())
		{
			ptp_fail("interrupted; drivers abandoned");
			goto done;
		}
		if (tb.proxy != NULL)
		{
			for (int r = 0; r < n_rows; r++)
			{
				Cell	   *cell = &rows[r].cells[col];
				ProxyCapture cap;

				ptp_proxy_capture(tb.proxy, cell->appname, &cap);
				cell->accepted = cap.startup;
				cell->attacker_got = ptp_proxy_describe(&cap);
			}
		}
		else
			for (int r = 0; r < n_rows; r++)
				rows[r].cells[col].accepted = rows[r].cells[col].connected;
		ptp_testbed_end_scenario(&tb, &actx);
	}
	ok = ptp_testbed_alive(&tb);

done:
	if (!ptp_testbed_stop(&tb, &actx, false))
		ok = false;
	*seconds = now_seconds() - t0;
	free(homes);
	free(logdir);
	free(root_cert);
	free(build_dir);
	free(column_cells);
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
	bool		attack = cell->column == DCOL_FORGE || cell->column == DCOL_STRIP;
	bool		expected;

	if (cell->no_result != NULL)
		return ptp_psprintf("%s%s%s", cell->no_result,
							cell->stderr_head ? "; stderr: " : "",
							cell->stderr_head ? cell->stderr_head : "");
	if (cell->timed_out)
		return ptp_psprintf("the probe did not finish in time");
	expected = e->accepts[cell->column];
	if (attack && !cell->accepted && cell->error != NULL &&
		(strstr(cell->error, "ECONNREFUSED") || strstr(cell->error, "onnection refused")))
		return ptp_psprintf("the client did not reach the proxy (%s): its refusal proves nothing", cell->error);
	if (attack && cell->connected && !cell->accepted)
		return ptp_psprintf("the client reports a connection, but the proxy has no startup under application_name \"%s\"",
							cell->appname);
	if (!attack && cell->connected && cell->server_ssl != 1)
		return ptp_psprintf("connected without TLS, as the server sees it");
	if (cell->accepted != expected)
		return ptp_psprintf("expected %s, observed %s%s%s",
							expected ? (attack ? "the attack accepted" : "a connection") : "a refusal",
							cell->accepted ? (attack ? "the attack accepted" : "a connection") : "a refusal",
							cell->error ? ": " : "", cell->error ? cell->error : "");
	if (!attack && !cell->accepted && e->refusal != NULL &&
		(cell->error == NULL || strstr(cell->error, e->refusal) == NULL))
		return ptp_psprintf("refused for another reason than %s: %s", e->refusal,
							cell->error ? cell->error : "(no message)");
	return NULL;
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
			}
		}
		if (n_unavailable == DCOL_COUNT)
		{
			row->skipped = row->spec->may_be_unavailable || !ci;
			if (!row->skipped)
				row->row_deviation = ptp_psprintf("unavailable under CI=true: %s", row->unavailable);
			else if (!row->spec->may_be_unavailable)
				fprintf(stderr, "%s: warning: %s skipped (%s); under CI=true this fails\n",
						PTP_PROGNAME, row->spec->name, row->unavailable);
			row->claim = ptp_strdup("not tested");
			row->deviations = row->row_deviation != NULL;
			total += row->deviations;
			continue;
		}
		row->unavailable = NULL;
		row->expect = ptp_driver_expectation(row->spec->name, row->version, row->libpq);
		if (row->version == NULL)
			row->row_deviation = ptp_strdup("no probe run reported a result");
		else if (row->expect == NULL)
			row->row_deviation = ptp_psprintf("no expectation for %s at %s%s%s: see harness/driver_expectations.c",
											  row->spec->name, row->version ? row->version : "an unknown version",
											  row->libpq ? " on libpq " : "", row->libpq ? row->libpq : "");
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

		/* The guide's claim: connects to the good server, nothing else. */
		if (row->cells[DCOL_GOOD].no_result != NULL || row->cells[DCOL_GOOD].timed_out)
		{
			row->claim = ptp_strdup("unknown: no result on the good server");
			continue;
		}
		initStringInfo(&claim);
		row->claim_holds = row->cells[DCOL_GOOD].accepted;
		if (!row->cells[DCOL_GOOD].accepted)
			appendStringInfoString(&claim, "refuses the good server");
		for (int c = DCOL_GOOD + 1; c < DCOL_COUNT; c++)
			if (row->cells[c].accepted)
			{
				row->claim_holds = false;
				appendStringInfo(&claim, "%s%s %s", claim.len > 0 ? "; " : "",
								 c == DCOL_FORGE || c == DCOL_STRIP ? "gives its startup to the" : "connects despite the",
								 driver_columns[c].title);
			}
		row->claim = row->claim_holds ? ptp_strdup("holds") :
			ptp_psprintf("does not hold: %s", claim.data);
		pfree(claim.data);
	}
	return total;
}

static const char *
cell_word(const Cell *cell)
{
	bool		attack = cell->column == DCOL_FORGE || cell->column == DCOL_STRIP;

	if (cell->unavailable != NULL || !cell->ran)
		return "-";
	if (cell->no_result != NULL || cell->timed_out)
		return "no result";
	if (attack)
		return cell->accepted ? "ACCEPTED" : "refused";
	return cell->accepted ? "connects" : "refused";
}

static const char *
row_version(const Row *row)
{
	return row->version ? row->version : "-";
}

static void
print_table(FILE *out, const Row *rows, int n, int deviations, double seconds)
{
	fprintf(out, "The guide's recommended TLS settings, per client (pg_tls_probe %s, libpq %d)\n\n",
			PG_TLS_PROBE_VERSION, PQlibVersion());
	fprintf(out, "%-14s", "client");
	for (int c = 0; c < DCOL_COUNT; c++)
		fprintf(out, " %-13s", driver_columns[c].title);
	fprintf(out, " %s\n", "guide's claim");
	for (int r = 0; r < n; r++)
	{
		const Row  *row = &rows[r];

		fprintf(out, "%-14s", row->spec->name);
		if (row->unavailable != NULL)
		{
			fprintf(out, " unavailable: %s\n", row->unavailable);
			continue;
		}
		for (int c = 0; c < DCOL_COUNT; c++)
		{
			char		word[32];

			snprintf(word, sizeof(word), "%s%s", cell_word(&row->cells[c]),
					 row->cells[c].deviation ? " (!)" : "");
			fprintf(out, " %-13s", word);
		}
		fprintf(out, " %s\n", row->claim_holds ? "holds" : "DOES NOT HOLD");
	}

	fprintf(out, "\nVersions and verdicts:\n");
	for (int r = 0; r < n; r++)
	{
		const Row  *row = &rows[r];

		fprintf(out, "  %-14s %s%s%s\n", row->spec->name, row_version(row),
				row->libpq && !strstr(row_version(row), "libpq") ? ", libpq " : "",
				row->libpq && !strstr(row_version(row), "libpq") ? row->libpq : "");
		fprintf(out, "  %-14s recipe: %s%s%s\n", "", row->spec->recipe,
				row->spec->note ? "; " : "", row->spec->note ? row->spec->note : "");
		fprintf(out, "  %-14s claim: %s\n", "", row->claim);
		if (row->unavailable == NULL && !row->cells[DCOL_GOOD].accepted && row->cells[DCOL_GOOD].error)
			fprintf(out, "  %-14s on the good server: %s\n", "", row->cells[DCOL_GOOD].error);
		if (row->expect != NULL)
			fprintf(out, "  %-14s documented: %s\n", "", row->expect->why);
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
	fprintf(out, "\n%d clients, %d deviations from the expectations, %.1f s; "
			"(!) marks a deviation, ACCEPTED an attacker that got the client's startup.\n",
			n, deviations, seconds);
}

static void
print_json(FILE *out, const Row *rows, int n, int deviations, double seconds)
{
	fprintf(out, "{\"pg_tls_probe\": \"%s\", \"libpq\": %d, \"seconds\": %.1f, \"deviations\": %d,\n\"rows\": [\n",
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
		fputs(", \"version\": ", out);
		ptp_json_string(out, row->version);
		fputs(", \"libpq\": ", out);
		ptp_json_string(out, row->libpq);
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
						(c == DCOL_FORGE || c == DCOL_STRIP ? "ACCEPTED" : "connects") : "refused");
			else
				fputs("null", out);
			fprintf(out, ", \"connected\": %s, \"server_ssl\": %s, \"server_tls_version\": ",
					cell->connected ? "true" : "false",
					cell->server_ssl < 0 ? "null" : cell->server_ssl ? "true" : "false");
			ptp_json_string(out, cell->server_tls_version);
			fputs(", \"error\": ", out);
			ptp_json_string(out, cell->error);
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
				fprintf(out, "ok %d - %s %s: %s, as documented\n", t, row->spec->name,
						driver_columns[c].name, cell_word(cell));
				passed++;
			}
		}
		fprintf(out, "# %s (%s): the guide's claim %s\n", row->spec->name, row_version(row), row->claim);
	}
	fprintf(out, "%d passed, %d failed, %d skipped\n", passed, failed, skipped);
}

/*
 * print_markdown
 *		The README's table "What the recommended settings actually do".
 */
static void
print_markdown(FILE *out, const Row *rows, int n)
{
	fprintf(out, "| client | version | the guide's setting |");
	for (int c = 0; c < DCOL_COUNT; c++)
		fprintf(out, " %s |", driver_columns[c].title);
	fprintf(out, " the guide's claim |\n|---|---|---|");
	for (int c = 0; c < DCOL_COUNT; c++)
		fputs("---|", out);
	fputs("---|\n", out);
	for (int r = 0; r < n; r++)
	{
		const Row  *row = &rows[r];

		fprintf(out, "| %s | %s%s%s | `%s` |", row->spec->title, row_version(row),
				row->libpq && !strstr(row_version(row), "libpq") ? ", libpq " : "",
				row->libpq && !strstr(row_version(row), "libpq") ? row->libpq : "",
				row->spec->recipe);
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

static void
drivers_usage(void)
{
	printf("Run every client the provider's guide names, configured as the guide recommends,\n");
	printf("against a good server, a host name mismatch, an untrusted CA, an expired\n");
	printf("certificate, a forging proxy and a stripping proxy; check each client against\n");
	printf("what it is documented to do, and judge the guide's claim that each fails closed.\n\n");
	printf("Usage:\n  %s drivers [OPTION]...\n\n", PTP_PROGNAME);
	printf("Options:\n");
	printf("  --filter NAME[,NAME]...  only these clients:");
	for (int i = 0; i < n_driver_specs; i++)
		printf("%s%s", i % 6 == 0 ? "\n                             " : " ", driver_specs[i].name);
	printf("\n");
	printf("  --format FORMAT          table (default), json, tap, or markdown (the README table)\n");
	printf("  --jobs N                 probes run at once (default: number of CPUs)\n");
	printf("  --timeout SECS           per-connection timeout (default %d)\n", DEFAULT_TIMEOUT);
	printf("  --pg-config PATH         PostgreSQL installation to start the server from\n");
	printf("  --drivers-dir DIR        the probes (default %s)\n", PTP_DRIVERS_DIR);
	printf("  -h, --help               show this help, then exit\n\n");
	printf("Install the clients first: harness/install-drivers.sh.  A client that cannot run\n");
	printf("shows as \"unavailable: <reason>\"; only npgsql may, and under CI=true any other\n");
	printf("is a deviation.\n");
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
				known |= strcmp(driver_specs[i].name, name) == 0;
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
				wanted |= strcmp(driver_specs[i].name, name) == 0;
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
		OPT_FORMAT = 1000, OPT_FILTER, OPT_JOBS, OPT_TIMEOUT, OPT_PG_CONFIG, OPT_DRIVERS_DIR
	};
	static const struct option long_options[] = {
		{"help", no_argument, NULL, 'h'},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"filter", required_argument, NULL, OPT_FILTER},
		{"jobs", required_argument, NULL, OPT_JOBS},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"pg-config", required_argument, NULL, OPT_PG_CONFIG},
		{"drivers-dir", required_argument, NULL, OPT_DRIVERS_DIR},
		{NULL, 0, NULL, 0}
	};
	DriversOptions opts = {DFORMAT_TABLE, NULL, 0, DEFAULT_TIMEOUT, NULL, PTP_DRIVERS_DIR};
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

	rows = ptp_malloc0(n_driver_specs * sizeof(Row));
	n_rows = select_rows(opts.filter, rows);
	if (n_rows < 0)
	{
		free(rows);
		return PTP_EXIT_ERROR;
	}
	{
		char	   *probe = ptp_psprintf("%s/%s/run", opts.drivers_dir, rows[0].spec->name);
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
	switch (opts.format)
	{
		case DFORMAT_TABLE:
			print_table(stdout, rows, n_rows, deviations, seconds);
			break;
		case DFORMAT_JSON:
			print_json(stdout, rows, n_rows, deviations, seconds);
			break;
		case DFORMAT_TAP:
			print_tap(stdout, rows, n_rows);
			break;
		case DFORMAT_MARKDOWN:
			print_markdown(stdout, rows, n_rows);
			break;
	}
	fflush(stdout);
	return deviations > 0 ? PTP_EXIT_DEVIATION : PTP_EXIT_OK;
}
