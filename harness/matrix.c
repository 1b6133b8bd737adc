/*-------------------------------------------------------------------------
 *
 * matrix.c
 *		The "matrix" subcommand: every sslmode combination against every
 *		kind of server certificate, with the outcome confirmed from both
 *		sides and checked against the expectation model.
 *
 * One throwaway cluster serves every scenario in turn: the certificate,
 * ssl on/off and pg_hba.conf change with a reload, which the postmaster
 * applies before it forks the next backend.  Within a scenario the cases
 * run on --jobs threads.  libpq finds ~/.postgresql/root.crt through HOME,
 * a process-wide setting, so the cases that use it run as a group of their
 * own while HOME points at a throwaway home that has one.
 *
 * harness/matrix.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "libpq-fe.h"
#include "matrix.h"
#include "pg_tls_probe.h"

#define DEFAULT_TIMEOUT		10

/* --bench-logins: untimed logins before the timed passes. */
#define BENCH_WARMUP		20

extern char **environ;

typedef struct MatrixOptions
{
	ReportFormat format;
	const char *filter;
	int			jobs;
	bool		keep;
	int			timeout;
	const char *pg_config;
	bool		list;
	bool		model;
	bool		psql;			/* --engine psql: the benchmark's reference */
	bool		timing;			/* --timing: phase times on stderr */
	int			bench_logins;	/* --bench-logins N: engine vs pgbench -C */
} MatrixOptions;

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The cases of one group, shared by the worker threads. */
typedef struct WorkQueue
{
	const AttemptContext *ctx;
	Case	  **cases;
	int			n;
	int			next;
	pthread_mutex_t lock;
} WorkQueue;

static void *
worker(void *arg)
{
	WorkQueue  *q = arg;

	for (;;)
	{
		Case	   *c;

		pthread_mutex_lock(&q->lock);
		c = (q->next < q->n && !ptp_interrupted()) ? q->cases[q->next++] : NULL;
		pthread_mutex_unlock(&q->lock);
		if (c == NULL)
			return NULL;
		ptp_attempt(q->ctx, c);
	}
}

/*
 * run_group
 *		Runs cases on up to jobs threads and waits for all of them.
 */
static void
run_group(const AttemptContext *ctx, Case **cases, int n, int jobs)
{
	WorkQueue	q = {ctx, cases, n, 0, PTHREAD_MUTEX_INITIALIZER};
	pthread_t	threads[64];
	int			started = 0;

	if (n == 0)
		return;
	for (int i = 0; i < jobs && i < n; i++)
		if (pthread_create(&threads[started], NULL, worker, &q) == 0)
			started++;
	if (started == 0)
		worker(&q);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
}

/*
 * clear_libpq_environment
 *		Unsets every PG* variable and the OpenSSL ones, so that only the
 *		case's own settings reach libpq.
 */
static void
clear_libpq_environment(void)
{
	bool		again = true;

	while (again)
	{
		again = false;
		for (char **e = environ; *e != NULL; e++)
		{
			if (strncmp(*e, "PG", 2) == 0 || strncmp(*e, "SSL_CERT_", 9) == 0)
			{
				char	   *name = ptp_strdup(*e);

				*strchr(name, '=') = '\0';
				unsetenv(name);
				free(name);
				again = true;
				break;
			}
		}
	}
}

static bool
make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) != 0 || chmod(path, mode) != 0)
	{
		ptp_fail("could not create directory \"%s\": %s", path, strerror(errno));
		return false;
	}
	return true;
}

/*
 * make_homes
 *		Two throwaway homes: one empty, one whose ~/.postgresql/root.crt is
 *		the right root CA.  Returns false with a failure recorded.
 */
static bool
make_homes(const char *workdir, const char *pkidir, char **empty_home, char **root_home,
		   char **system_dir)
{
	char	   *dotdir;
	char	   *src;
	char	   *dst;
	char	   *system_file;
	bool		ok;

	*empty_home = ptp_psprintf("%s/home-empty", workdir);
	*root_home = ptp_psprintf("%s/home-root-crt", workdir);
	*system_dir = ptp_psprintf("%s/cwd-system-file", workdir);
	dotdir = ptp_psprintf("%s/.postgresql", *root_home);
	src = ptp_psprintf("%s/%s", pkidir, PTP_ROOT_CA_CRT);
	dst = ptp_psprintf("%s/root.crt", dotdir);
	system_file = ptp_psprintf("%s/system", *system_dir);
	ok = make_dir(*empty_home, 0700) && make_dir(*root_home, 0700) && make_dir(dotdir, 0700) &&
		ptp_copy_file(src, dst, 0644, NULL) && make_dir(*system_dir, 0700) &&
		ptp_copy_file(src, system_file, 0644, NULL);
	free(dotdir);
	free(src);
	free(dst);
	free(system_file);
	return ok;
}

/*
 * case_group
 *		Which process-wide setting a case needs: 1 HOME with
 *		~/.postgresql/root.crt, 2 a working directory holding a file
 *		"system", 0 neither (an empty HOME and working directory).
 */
static int
case_group(const Case *c)
{
	if (c->config.anchor == ANCHOR_HOME)
		return 1;
	if (c->config.anchor == ANCHOR_SYSTEM_FILE)
		return 2;
	return 0;
}

/*
 * judge
 *		Compares each case that ran with its expectation.
 */
static int
judge(Case *cases, int n, int libpq_major)
{
	int			deviations = 0;
	const char *ci = getenv("CI");
	bool		strict = ci != NULL && strcmp(ci, "true") == 0 && libpq_major >= 17;

	for (int i = 0; i < n; i++)
	{
		Case	   *c = &cases[i];

		/*
		 * From libpq 17 every case can run; in CI one that did not is a
		 * failure, never a silent skip.
		 */
		if (!c->seen.ran && strict)
		{
			c->deviation_reason = ptp_psprintf("not run under CI=true with libpq %d (needs libpq %d)",
											   libpq_major, c->expect.needs_libpq);
			c->deviation = true;
			deviations++;
			continue;
		}
		if (!c->seen.ran)
			continue;
		if (c->seen.outcome != c->expect.outcome)
			c->deviation_reason = ptp_psprintf("expected %s (rule %s), observed %s%s%s",
											   outcome_names[c->expect.outcome], c->expect.rule,
											   outcome_names[c->seen.outcome],
											   c->seen.error ? ": " : "",
											   c->seen.error ? c->seen.error : "");
		else if (c->seen.outcome == OUTCOME_REFUSED && c->expect.reason != NULL &&
				 (c->seen.error == NULL || strstr(c->seen.error, c->expect.reason) == NULL))
			c->deviation_reason = ptp_psprintf("refused for another reason than \"%s\" (rule %s): %s",
											   c->expect.reason, c->expect.rule,
											   c->seen.error ? c->seen.error : "(no message)");
		else if (c->seen.finding != NULL)
			c->deviation_reason = ptp_psprintf("finding: %s", c->seen.finding);
		else if (c->scenario->attack != ATTACK_NONE &&
				 c->seen.attack_accepted != c->expect.attack_accepted)
			c->deviation_reason = ptp_psprintf("the attack was %s, expected %s (rule %s): the attacker got %s",
											   c->seen.attack_accepted ? "accepted" : "refused",
											   c->expect.attack_accepted ? "accepted" : "refused",
											   c->expect.rule, c->seen.attacker_got);
		else if (c->scenario->attack == ATTACK_ERROR && c->seen.error != NULL &&
				 strstr(c->seen.error, PROXY_INJECTED_TEXT) != NULL)
			c->deviation_reason = ptp_psprintf("libpq shows the attacker's message as the server's: %s",
											   c->seen.error);
		else if (c->scenario->attack != ATTACK_NONE && c->seen.outcome != OUTCOME_REFUSED &&
				 c->seen.server_differs == NULL)
			c->deviation_reason = ptp_psprintf("the server's view of an intercepted session shows no difference");
		c->deviation = c->deviation_reason != NULL;
		deviations += c->deviation;
	}
	return deviations;
}

static void
matrix_usage(void)
{
	printf("Connect with every sslmode combination to servers with good and bad certificates,\n");
	printf("classify what the client received, confirm it from the server's side, and check\n");
	printf("it against libpq's documented behaviour.\n\n");
	printf("Usage:\n  %s matrix [OPTION]...\n\n", PTP_PROGNAME);
	printf("Options:\n");
	printf("  --format table|json|tap  output format (default: table, a grid of outcomes)\n");
	printf("  --full                   table: the grids with a row per scenario and a column per\n");
	printf("                           trust anchor (by default, rows and anchors that behave\n");
	printf("                           alike share one)\n");
	printf("  --details                table: every case on a line of its own instead of the grid\n");
	printf("  --filter PATTERN         only cases whose label contains PATTERN (or matches it, with * ? [)\n");
	printf("  --jobs N                 parallel connections (default: number of CPUs)\n");
	printf("  --keep                   leave the server and PKI in place for inspection\n");
	printf("  --timeout SECS           per-connection timeout (default %d)\n", DEFAULT_TIMEOUT);
	printf("  --pg-config PATH         PostgreSQL installation to start servers from\n");
	printf("  --list                   print the pruning rules and the cases, run nothing\n");
	printf("  --model                  print the expectation model, run nothing\n");
	printf("  --engine libpq|psql      psql: run each case as one psql process instead (the\n");
	printf("                           benchmark's reference; connects only, classifies nothing)\n");
	printf("  --timing                 print the time of each phase on stderr\n");
	printf("  --bench-logins N         for benchmarking (make bench), instead of the cases: N\n");
	printf("                           verify-full TLS logins with SCRAM and channel binding by\n");
	printf("                           this engine, and N by pgbench -C, on one server, --jobs\n");
	printf("                           at a time; prints both rates and their ratio\n");
	printf("  -h, --help               show this help, then exit\n\n");
	printf("Exit status: 0 every case behaved as expected (documented insecure behaviour\n");
	printf("included), 1 a deviation, 2 could not run.\n");
}

/*
 * start_testbed
 *		Starts the test bed of a run: PKI, server, throwaway homes, the
 *		trust stores and fingerprints the attempts compare with, and the
 *		server view (pg_tls_audit where the server has it).  Returns false
 *		with a failure recorded; call ptp_testbed_stop() either way.
 */
static bool
start_testbed(const MatrixOptions *opts, Testbed *tb, AttemptContext *ctx,
			  char **empty_home, char **root_home, char **system_dir,
			  const char **server_view)
{
	PGconn	   *conn;

	if (!ptp_testbed_start(tb, "matrix", opts->pg_config, 60, NULL) ||
		!make_homes(tb->workdir, tb->pkidir, empty_home, root_home, system_dir))
		return false;
	ctx->pkidir = tb->pkidir;
	ctx->port = tb->info.port;
	ctx->password = tb->password;
	if (!ptp_attempt_stores(ctx))
		return false;
	{
		/* sslrootcert=system: OpenSSL's default store, pointed at our root */
		char	   *cert_file = ptp_psprintf("%s/%s", tb->pkidir, PTP_ROOT_CA_CRT);

		setenv("SSL_CERT_FILE", cert_file, 1);
		free(cert_file);
	}

	ctx->served_fingerprints = ptp_malloc0(n_matrix_scenarios * sizeof(char *));
	for (int i = 0; i < n_matrix_scenarios; i++)
		if (matrix_scenarios[i].cert != NULL)
		{
			char	   *path = ptp_psprintf("%s/%s", tb->pkidir, matrix_scenarios[i].cert);

			ctx->served_fingerprints[i] = ptp_file_fingerprint(path);
			free(path);
		}

	conn = ptp_superuser_connect(&tb->info);
	if (conn == NULL)
		return false;
	{
		char	   *avail = ptp_sql(conn, "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_tls_audit'");

		ctx->use_extension = avail != NULL && strcmp(avail, "1") == 0 &&
			ptp_sql_ok(conn, "CREATE EXTENSION IF NOT EXISTS pg_tls_audit");
		PQfinish(conn);
		if (avail == NULL)
			return false;
		free(avail);
	}
	*server_view = ctx->use_extension ?
		"tls_session() and tls_server_certificate() (pg_tls_audit installed in the target)" :
		"pg_stat_ssl, and the certificate file the harness configured (pg_tls_audit is not installed)";
	return true;
}

/*
 * free_observation
 *		Frees what an attempt filled in.
 */
static void
free_observation(Observation *o)
{
	free(o->error);
	free(o->protocol);
	free(o->fingerprint);
	free(o->server_fingerprint);
	free(o->finding);
	free(o->attacker_got);
	free(o->server_differs);
	memset(o, 0, sizeof(*o));
}

/*
 * bench_template
 *		The case --bench-logins repeats: a login to the good server with
 *		sslmode=verify-full and the right root, as the SCRAM role with
 *		channel_binding=require, which the model expects to be
 *		tls-verified.  NULL when this libpq has no such case.
 */
static const Case *
bench_template(const Case *cases, int n)
{
	for (int i = 0; i < n; i++)
	{
		const Case *c = &cases[i];
		const ClientConfig *cfg = &c->config;

		if (strcmp(c->scenario->name, "good") == 0 && cfg->mode == MODE_VERIFY_FULL &&
			!cfg->mode_unset && cfg->anchor == ANCHOR_RIGHT && cfg->channel_binding &&
			cfg->ccert == CCERT_NONE && cfg->crl == CRL_NONE && !cfg->direct &&
			cfg->tls == TLS_DEFAULT && c->expect.needs_libpq == 0 &&
			c->expect.outcome == OUTCOME_TLS_VERIFIED)
			return c;
	}
	return NULL;
}

/*
 * engine_logins
 *		n attempts of template by the matrix engine, jobs at a time, each
 *		as in a matrix run (connect, classify what the client received, ask
 *		the server's view).  Returns their seconds, or -1 with a failure
 *		recorded when one was not a tls-verified session the server
 *		confirmed: a benchmark of failures would measure nothing.
 */
static double
engine_logins(const AttemptContext *ctx, const Case *template, int n, int jobs)
{
	Case	   *copies = ptp_malloc0(n * sizeof(Case));
	Case	  **queue = ptp_malloc0(n * sizeof(Case *));
	double		t0,
				seconds;

	for (int i = 0; i < n; i++)
	{
		copies[i] = *template;
		memset(&copies[i].seen, 0, sizeof(Observation));
		queue[i] = &copies[i];
	}
	t0 = now_seconds();
	run_group(ctx, queue, n, jobs);
	seconds = now_seconds() - t0;
	if (ptp_interrupted())
	{
		ptp_fail("interrupted; benchmark abandoned");
		seconds = -1;
	}
	for (int i = 0; i < n; i++)
	{
		Observation *o = &copies[i].seen;

		if (seconds >= 0 &&
			(!o->ran || o->outcome != OUTCOME_TLS_VERIFIED || o->finding != NULL))
		{
			ptp_fail("benchmark login %d of %d was not a tls-verified session the server confirmed: %s",
					 i + 1, n, o->finding ? o->finding : o->error ? o->error : outcome_names[o->outcome]);
			seconds = -1;
		}
		free_observation(o);
	}
	free(copies);
	free(queue);
	return seconds;
}

/*
 * pgbench_logins
 *		n logins by "pgbench -C", jobs clients on jobs threads, with the
 *		same connection parameters as engine_logins() (the password in a
 *		password file of the work directory) and the same server view query
 *		as their one transaction.  Returns the seconds pgbench's own rate
 *		(including reconnection times) gives, or -1 with a failure recorded.
 */
static double
pgbench_logins(const Testbed *tb, const AttemptContext *ctx, int n, int jobs)
{
	char	   *pgbench = ptp_psprintf("%s/pgbench", tb->info.bindir);
	char	   *script = ptp_psprintf("%s/bench.sql", tb->workdir);
	char	   *passfile = ptp_psprintf("%s/bench.pgpass", tb->workdir);
	char	   *log = ptp_psprintf("%s/pgbench.log", tb->workdir);
	char	   *rootcert = ptp_psprintf("%s/%s", tb->pkidir, PTP_ROOT_CA_CRT);
	char	   *query = ptp_psprintf("%s;\n", ptp_server_view_query(ctx));
	char	   *secret = ptp_psprintf("*:%d:*:%s:%s\n", tb->info.port, MATRIX_SCRAM_ROLE, tb->password);
	char		port[16],
				clients[16],
				per_client[16];
	const char *keys[] = {"host", "port", "dbname", "user", "passfile", "sslmode", "sslrootcert",
	"channel_binding", "gssencmode", NULL};
	const char *vals[] = {"localhost", port, "postgres", MATRIX_SCRAM_ROLE, passfile, "verify-full",
	rootcert, "require", "disable", NULL};
	char	   *conninfo;
	PtpRunOptions run = {0};
	int			status;
	double		seconds = -1;

	snprintf(port, sizeof(port), "%d", tb->info.port);
	snprintf(clients, sizeof(clients), "%d", jobs);
	snprintf(per_client, sizeof(per_client), "%d", n / jobs);
	conninfo = ptp_conninfo(keys, vals);
	(void) unlink(script);
	(void) unlink(passfile);
	(void) unlink(log);
	if (ptp_write_new_file(script, 0644, NULL, query) &&
		ptp_write_new_file(passfile, 0600, NULL, secret))
	{
		char	   *argv[] = {pgbench, "-n", "-C", "-c", clients, "-j", clients, "-t", per_client,
		"-f", script, conninfo, NULL};

		run.log_path = log;
		run.kill_on_interrupt = true;
		status = ptp_run(argv, &run);
		if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		{
			char	   *line = ptp_last_line(log, "tps = ");
			double		rate;

			if (line != NULL && strstr(line, "(including reconnection times)") != NULL &&
				sscanf(line, "tps = %lf", &rate) == 1 && rate > 0)
				seconds = n / rate;
			else
				ptp_fail("pgbench -C printed no rate including reconnection times (see %s)", log);
			free(line);
		}
		else if (status >= 0)
		{
			char	   *how = ptp_describe_status(status);
			char	   *last = ptp_last_line(log, NULL);

			ptp_fail("pgbench -C %s: %s", how, last ? last : "(no output)");
			free(how);
			free(last);
		}
	}
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
	(void) unlink(passfile);
	free(pgbench);
	free(script);
	free(passfile);
	free(log);
	free(rootcert);
	free(query);
	free(conninfo);
	return seconds;
}

/*
 * run_bench
 *		--bench-logins: the matrix engine's connection phase against
 *		pgbench -C, like for like: the same verified TLS login with SCRAM
 *		and channel binding, the same query, the same parallelism, the same
 *		server, in one run.  A warm-up first (the first backends build the
 *		caches that later ones read), then engine, pgbench, pgbench, engine,
 *		so that drift over the run (a neighbour's load) weighs on both
 *		alike; each side's better pass counts.  Returns false with a failure
 *		recorded.
 */
static bool
run_bench(const MatrixOptions *opts, const Case *template, AttemptContext *ctx)
{
	Testbed		tb;
	char	   *empty_home = NULL,
			   *root_home = NULL,
			   *system_dir = NULL;
	const char *server_view = "";
	int			n = opts->bench_logins / opts->jobs * opts->jobs;
	double		engine = -1,
				pgbench = -1;
	bool		ok;

	ok = start_testbed(opts, &tb, ctx, &empty_home, &root_home, &system_dir, &server_view) &&
		ptp_testbed_scenario(&tb, template->scenario, ctx);
	if (ok)
		setenv("HOME", empty_home, 1);
	ok = ok && engine_logins(ctx, template, Min(n, BENCH_WARMUP), opts->jobs) >= 0;
	for (int pass = 0; ok && pass < 4; pass++)
	{
		bool		by_engine = pass == 0 || pass == 3;
		double		seconds = by_engine ? engine_logins(ctx, template, n, opts->jobs) :
			pgbench_logins(&tb, ctx, n, opts->jobs);
		double	   *best = by_engine ? &engine : &pgbench;

		ok = seconds > 0;
		if (ok && (*best < 0 || seconds < *best))
			*best = seconds;
	}
	if (!ptp_testbed_stop(&tb, ctx, opts->keep))
		ok = false;
	if (ok)
	{
		printf("bench-logins: %d logins each: sslmode=verify-full, SCRAM with channel_binding=require, then the server view query; --jobs %d, one server\n",
			   n, opts->jobs);
		printf("engine (pg_tls_probe matrix): %d logins in %.2f s (%.0f logins/s), better of 2 passes\n",
			   n, engine, n / engine);
		printf("pgbench -C: %d logins in %.2f s (%.0f logins/s), better of 2 passes\n",
			   n, pgbench, n / pgbench);
		printf("ratio (engine / pgbench -C): %.0f%%\n", 100 * pgbench / engine);
	}
	free(empty_home);
	free(root_home);
	free(system_dir);
	return ok;
}

/*
 * run_matrix
 *		Sets up PKI and server, runs the selected cases, tears everything
 *		down.  Returns false with a failure recorded when it could not run.
 */
static bool
run_matrix(const MatrixOptions *opts, Case *cases, int n, AttemptContext *ctx,
		   const char **server_view)
{
	Testbed		tb;
	char	   *empty_home = NULL,
			   *root_home = NULL,
			   *system_dir = NULL;
	int			cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool		ok = false;
	Case	  **group = ptp_malloc0(n * sizeof(Case *));
	const Scenario **order = ptp_malloc0(n_matrix_scenarios * sizeof(Scenario *));
	double		t_start = now_seconds(),
				t_cases = 0,
				t_cases_start = 0,
				t_connect = 0,
				t_group;
	int			n_ran = 0;

	if (!start_testbed(opts, &tb, ctx, &empty_home, &root_home, &system_dir, server_view))
		goto done;

	/*
	 * Scenarios that configure the server alike run one after the other,
	 * so that each server configuration costs one reload; the report keeps
	 * the table's order.
	 */
	for (int si = 0, placed = 0; si < n_matrix_scenarios; si++)
	{
		bool		seen = false;

		for (int k = 0; k < placed && !seen; k++)
			seen = order[k] == &matrix_scenarios[si];
		if (seen)
			continue;
		for (int sj = si; sj < n_matrix_scenarios; sj++)
			if (sj == si || ptp_testbed_same_config(&matrix_scenarios[si], &matrix_scenarios[sj]))
				order[placed++] = &matrix_scenarios[sj];
	}

	t_cases_start = now_seconds();
	for (int oi = 0; oi < n_matrix_scenarios; oi++)
	{
		const Scenario *s = order[oi];
		bool		any = false;

		for (int i = 0; i < n; i++)
			any |= cases[i].scenario == s && cases[i].expect.needs_libpq == 0;
		if (!any || s->start_failure != START_OK)
			continue;
		if (!ptp_testbed_scenario(&tb, s, ctx))
			goto done;

		/*
		 * Cases reading ~/.postgresql/root.crt need their own HOME, those
		 * reading ./system their own working directory.
		 */
		for (int g = 0; g < 3; g++)
		{
			int			k = 0;

			for (int i = 0; i < n; i++)
				if (cases[i].scenario == s && cases[i].expect.needs_libpq == 0 &&
					case_group(&cases[i]) == g)
					group[k++] = &cases[i];
			if (k == 0)
				continue;
			setenv("HOME", g == 1 ? root_home : empty_home, 1);
			if (chdir(g == 2 ? system_dir : empty_home) != 0)
			{
				ptp_fail("could not change directory: %s", strerror(errno));
				goto done;
			}
			t_group = now_seconds();
			run_group(ctx, group, k, opts->jobs);
			t_connect += now_seconds() - t_group;
			n_ran += k;
			if (ptp_interrupted())
			{
				ptp_fail("interrupted; matrix abandoned");
				goto done;
			}
		}
		ptp_testbed_end_scenario(&tb, ctx);
	}
	t_cases = now_seconds() - t_cases_start;
	if (!ptp_testbed_alive(&tb))
		goto done;

	/* Last, the servers that must not start: this stops the test server. */
	for (int i = 0; i < n; i++)
	{
		Case	   *c = &cases[i];
		char	   *fatal;

		if (c->scenario->start_failure == START_OK)
			continue;
		if (!ptp_testbed_start_failure(&tb, c->scenario, &fatal))
			goto done;
		c->seen.ran = true;
		c->seen.outcome = fatal != NULL ? OUTCOME_REFUSED : OUTCOME_TLS_UNVERIFIED;
		c->seen.error = fatal != NULL ? fatal : ptp_strdup("the server started");
	}
	ok = true;

done:
	if (cwd >= 0)
	{
		if (fchdir(cwd) != 0 && ok)
		{
			ptp_fail("could not return to the working directory: %s", strerror(errno));
			ok = false;
		}
		close(cwd);
	}
	if (!ptp_testbed_stop(&tb, ctx, opts->keep))
		ok = false;
	if (ok && opts->timing)
		fprintf(stderr, "timing: setup %.2f s, %d cases in %.2f s (%.0f cases/s), %.2f s reconfiguring the server between scenarios, teardown %.2f s\n",
				t_cases_start - t_start, n_ran, t_connect, t_connect > 0 ? n_ran / t_connect : 0.0,
				t_cases - t_connect, now_seconds() - t_start - (t_cases_start - t_start) - t_cases);
	free(empty_home);
	free(root_home);
	free(system_dir);
	free(group);
	free(order);
	return ok;
}

/*
 * ptp_matrix_main
 *		Entry point of "pg_tls_probe matrix".  Returns the exit code.
 */
int
ptp_matrix_main(int argc, char **argv)
{
	enum
	{
		OPT_FORMAT = 1000, OPT_FILTER, OPT_JOBS, OPT_KEEP, OPT_TIMEOUT,
		OPT_PG_CONFIG, OPT_LIST, OPT_MODEL, OPT_ENGINE, OPT_TIMING, OPT_DETAILS,
		OPT_FULL, OPT_BENCH_LOGINS
	};
	static const struct option long_options[] = {
		{"help", no_argument, NULL, 'h'},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"filter", required_argument, NULL, OPT_FILTER},
		{"jobs", required_argument, NULL, OPT_JOBS},
		{"keep", no_argument, NULL, OPT_KEEP},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"pg-config", required_argument, NULL, OPT_PG_CONFIG},
		{"list", no_argument, NULL, OPT_LIST},
		{"model", no_argument, NULL, OPT_MODEL},
		{"engine", required_argument, NULL, OPT_ENGINE},
		{"timing", no_argument, NULL, OPT_TIMING},
		{"details", no_argument, NULL, OPT_DETAILS},
		{"full", no_argument, NULL, OPT_FULL},
		{"bench-logins", required_argument, NULL, OPT_BENCH_LOGINS},
		{NULL, 0, NULL, 0}
	};
	MatrixOptions opts = {FORMAT_TABLE, NULL, 0, false, DEFAULT_TIMEOUT, NULL, false, false, false, false, 0};
	char	   *psql = NULL;
	AttemptContext ctx = {0};
	const char *server_view = "";
	int			libpq_major = PQlibVersion() / 10000;
	Case	   *all;
	Case	   *cases;
	int			n_all,
				n = 0;
	int			c;
	bool		details = false;
	bool		full = false;
	long		cpus = sysconf(_SC_NPROCESSORS_ONLN);

	opts.jobs = cpus > 0 ? (int) Min(cpus, 64) : 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'h':
				matrix_usage();
				return PTP_EXIT_OK;
			case OPT_FORMAT:
				if (strcmp(optarg, "table") == 0)
					opts.format = FORMAT_TABLE;
				else if (strcmp(optarg, "json") == 0)
					opts.format = FORMAT_JSON;
				else if (strcmp(optarg, "tap") == 0)
					opts.format = FORMAT_TAP;
				else
					return ptp_usage_error("matrix", "invalid --format \"%s\" (table, json or tap)", optarg);
				break;
			case OPT_FILTER:
				opts.filter = optarg;
				break;
			case OPT_JOBS:
				if (!ptp_parse_int(optarg, 1, 64, &opts.jobs))
					return ptp_usage_error("matrix", "invalid --jobs \"%s\" (1 to 64)", optarg);
				break;
			case OPT_KEEP:
				opts.keep = true;
				break;
			case OPT_TIMEOUT:
				if (!ptp_parse_int(optarg, 2, 3600, &opts.timeout))
					return ptp_usage_error("matrix", "invalid --timeout \"%s\" (seconds, 2 to 3600)", optarg);
				break;
			case OPT_PG_CONFIG:
				opts.pg_config = optarg;
				break;
			case OPT_LIST:
				opts.list = true;
				break;
			case OPT_MODEL:
				opts.model = true;
				break;
			case OPT_TIMING:
				opts.timing = true;
				break;
			case OPT_DETAILS:
				details = true;
				break;
			case OPT_FULL:
				full = true;
				break;
			case OPT_BENCH_LOGINS:
				if (!ptp_parse_int(optarg, 1, 1000000, &opts.bench_logins))
					return ptp_usage_error("matrix", "invalid --bench-logins \"%s\" (1 to 1000000)", optarg);
				break;
			case OPT_ENGINE:
				if (strcmp(optarg, "psql") == 0)
					opts.psql = true;
				else if (strcmp(optarg, "libpq") != 0)
					return ptp_usage_error("matrix", "invalid --engine \"%s\" (libpq or psql)", optarg);
				break;
			case ':':
				return ptp_usage_error("matrix", "option \"%s\" requires an argument", argv[optind - 1]);
			default:
				if (optopt != 0 && optopt != '?')
					return ptp_usage_error("matrix", "unrecognized option \"-%c\"", optopt);
				return ptp_usage_error("matrix", "unrecognized option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ptp_usage_error("matrix", "unexpected argument \"%s\"", argv[optind]);
	if (details && opts.format != FORMAT_TABLE)
		return ptp_usage_error("matrix", "--details is for --format table");
	if (full && (details || opts.format != FORMAT_TABLE))
		return ptp_usage_error("matrix", "--full is for --format table, without --details");
	if (details)
		opts.format = FORMAT_DETAILS;
	if (full)
		opts.format = FORMAT_FULL;
	if (opts.bench_logins > 0 && (opts.filter != NULL || opts.psql || opts.list || opts.model))
		return ptp_usage_error("matrix", "--bench-logins runs its own logins: no --filter, --engine psql, --list or --model");
	if (opts.bench_logins > 0 && opts.bench_logins < opts.jobs)
		return ptp_usage_error("matrix", "--bench-logins %d is less than --jobs %d", opts.bench_logins, opts.jobs);

	if (opts.model)
	{
		ptp_model_print(stdout);
		return PTP_EXIT_OK;
	}

	all = ptp_build_cases(libpq_major, &n_all);
	cases = ptp_malloc0(n_all * sizeof(Case));
	for (int i = 0; i < n_all; i++)
		if (ptp_case_matches(&all[i], opts.filter))
			cases[n++] = all[i];
	free(all);
	if (n == 0)
	{
		free(cases);
		return ptp_usage_error("matrix", "--filter \"%s\" matches no case (see --list)", opts.filter);
	}
	if (opts.list)
	{
		ptp_report_list(stdout, cases, n);
		free(cases);
		return PTP_EXIT_OK;
	}

	if (opts.psql)
	{
		psql = ptp_find_psql(opts.pg_config);
		if (psql == NULL)
		{
			free(cases);
			return ptp_report_failure();
		}
		ctx.psql = psql;
	}
	clear_libpq_environment();
	/* The proxies write to sockets that clients may have closed. */
	signal(SIGPIPE, SIG_IGN);
	ctx.timeout = opts.timeout;
	ctx.libpq_major = libpq_major;
	ptp_trap_signals();
	if (opts.bench_logins > 0)
	{
		const Case *template = bench_template(cases, n);
		bool		ok;

		if (template == NULL)
		{
			ptp_fail("this libpq has no verify-full case with channel_binding=require to benchmark");
			ok = false;
		}
		else
			ok = run_bench(&opts, template, &ctx);
		ptp_attempt_free_stores(&ctx);
		free(cases);
		return ok ? PTP_EXIT_OK : ptp_report_failure();
	}
	if (!run_matrix(&opts, cases, n, &ctx, &server_view))
	{
		ptp_attempt_free_stores(&ctx);
		free(psql);
		return ptp_report_failure();
	}
	ptp_attempt_free_stores(&ctx);

	if (opts.psql)
	{
		int			ran = 0,
					connected = 0;

		for (int i = 0; i < n; i++)
		{
			ran += cases[i].seen.ran;
			connected += cases[i].seen.ran && cases[i].seen.outcome != OUTCOME_REFUSED;
		}
		printf("engine psql: %d connection attempts by %s, %d connected (no classification: psql shows no peer chain)\n",
			   ran, psql, connected);
		free(psql);
		return PTP_EXIT_OK;
	}

	{
		int			deviations = judge(cases, n, libpq_major);

		const char *no_color = getenv("NO_COLOR");

		ptp_report(stdout, opts.format, cases, n, libpq_major, server_view,
				   opts.format != FORMAT_JSON && opts.format != FORMAT_TAP &&
				   isatty(STDOUT_FILENO) && (no_color == NULL || no_color[0] == '\0'));
		return deviations > 0 ? PTP_EXIT_DEVIATION : PTP_EXIT_OK;
	}
}
