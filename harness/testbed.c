/*-------------------------------------------------------------------------
 *
 * testbed.c
 *		The server side of a run of "matrix" or "drivers": a fresh PKI, one
 *		throwaway cluster switched from scenario to scenario with reloads, a
 *		SCRAM role, and the attacker proxy of an attack scenario.
 *
 * harness/testbed.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "libpq-fe.h"
#include "matrix.h"
#include "pg_tls_probe.h"

/* The settings of the current scenario, in the data directory. */
#define SCENARIO_CONF "pg_tls_probe_scenario.conf"

/* How long a reload may take to reach the postmaster. */
#define RELOAD_WAIT_MS		10000

/*
 * ptp_superuser_connect
 *		A connection to the cluster over its Unix socket, or NULL with a
 *		failure recorded.
 */
PGconn *
ptp_superuser_connect(const PtpClusterInfo *info)
{
	char		port[16];
	const char *keys[] = {"host", "port", "user", "dbname", "application_name", NULL};
	const char *vals[] = {info->socket_dir, port, "postgres", "postgres", "pg_tls_probe", NULL};
	PGconn	   *conn;

	snprintf(port, sizeof(port), "%d", info->port);
	conn = ptp_connect_quiet(keys, vals, 60);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		ptp_fail("the test server does not answer on \"%s\": %s", info->socket_dir,
				 PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/*
 * ptp_sql
 *		Runs one statement; returns its first value (malloc'd, "" for none),
 *		or NULL with a failure recorded.
 */
char *
ptp_sql(PGconn *conn, const char *query)
{
	PGresult   *res = PQexec(conn, query);
	char	   *value = NULL;

	if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK)
		value = ptp_strdup(PQntuples(res) > 0 && PQnfields(res) > 0 ? PQgetvalue(res, 0, 0) : "");
	else
		ptp_fail("query on the test server failed: %s", PQerrorMessage(conn));
	PQclear(res);
	return value;
}

bool
ptp_sql_ok(PGconn *conn, const char *query)
{
	char	   *v = ptp_sql(conn, query);

	free(v);
	return v != NULL;
}

/*
 * write_hba
 *		Writes the scenario's pg_hba.conf: local trust for the harness, then
 *		the TCP lines of the scenario's kind.  The SCRAM role serves the
 *		channel_binding cases; every other case authenticates with trust,
 *		which changes nothing in TLS and spares two key derivations per
 *		connection.  Returns false with a failure recorded.
 */
static bool
write_hba(const PtpClusterInfo *info, HbaKind hba)
{
	char	   *path = ptp_psprintf("%s/pg_hba.conf", info->data_dir);
	FILE	   *fp = fopen(path, "w");
	static const char *const nets[] = {"127.0.0.1/32", "::1/128"};
	bool		ok;

	if (fp == NULL)
	{
		ptp_fail("could not write \"%s\": %s", path, strerror(errno));
		free(path);
		return false;
	}
	fprintf(fp, "local all all trust\n");
	for (int i = 0; i < 2; i++)
	{
		const char *cert = hba == HBA_CLIENT_CERT ? " clientcert=verify-full" :
			hba == HBA_CLIENT_CERT_CA ? " clientcert=verify-ca" : "";

		fprintf(fp, "hostssl all %s %s scram-sha-256%s\n", MATRIX_SCRAM_ROLE, nets[i], cert);
		fprintf(fp, "hostssl all all %s trust%s\n", nets[i], cert);
		if (hba == HBA_ANY)
		{
			fprintf(fp, "host all %s %s scram-sha-256\n", MATRIX_SCRAM_ROLE, nets[i]);
			fprintf(fp, "host all all %s trust\n", nets[i]);
		}
	}
	ok = fclose(fp) == 0;
	if (!ok)
		ptp_fail("could not write \"%s\": %s", path, strerror(errno));
	free(path);
	return ok;
}

/*
 * server_ssl
 *		Whether the server has SSL in scenario s: behind an attacker it
 *		always has, whatever the client sees.
 */
static bool
server_ssl(const Scenario *s)
{
	return s->ssl || s->attack != ATTACK_NONE;
}

/*
 * postmaster_pid
 *		The pid in DATA/postmaster.pid, or 0 when there is none.
 */
static pid_t
postmaster_pid(const PtpClusterInfo *info)
{
	char	   *pidfile = ptp_psprintf("%s/postmaster.pid", info->data_dir);
	FILE	   *fp = fopen(pidfile, "r");
	long		pid = 0;

	if (fp != NULL)
	{
		if (fscanf(fp, "%ld", &pid) != 1 || pid < 0)
			pid = 0;
		fclose(fp);
	}
	free(pidfile);
	return (pid_t) pid;
}

/*
 * configure_scenario
 *		Points the server at the scenario's certificate, SSL setting and
 *		pg_hba.conf, reloads, and waits until the postmaster has applied it
 *		(a new backend inherits the postmaster's reload time).  Returns false
 *		with a failure recorded.
 */
static bool
configure_scenario(Testbed *tb, const Scenario *s)
{
	const PtpClusterInfo *info = &tb->info;
	char	   *path = ptp_psprintf("%s/%s", info->data_dir, SCENARIO_CONF);
	PGconn	   *conn;
	pid_t		pid;
	FILE	   *fp;
	bool		ok;

	ok = write_hba(info, s->hba);
	/* A scenario without a certificate keeps the one the server has. */
	if (s->cert != NULL)
		tb->cert_from = s;

	/*
	 * One file, included by postgresql.conf, holds everything a scenario
	 * sets, so that the previous scenario's settings go with one write and
	 * one reload (ALTER SYSTEM would rewrite and fsync a file per setting).
	 */
	fp = ok ? fopen(path, "w") : NULL;
	if (ok && fp == NULL)
	{
		ptp_fail("could not write \"%s\": %s", path, strerror(errno));
		ok = false;
	}
	if (fp != NULL)
	{
		fprintf(fp, "ssl = %s\n", server_ssl(s) ? "on" : "off");
		for (const char *const *set = s->settings; set && *set; set++)
		{
			const char *eq = strchr(*set, '=');

			fprintf(fp, "%.*s = '", (int) (eq - *set), *set);
			for (const char *c = eq + 1; *c; c++)
			{
				if (*c == '\'')
					fputc('\'', fp);
				fputc(*c, fp);
			}
			fputs("'\n", fp);
		}
		if (tb->cert_from != NULL)
			fprintf(fp, "ssl_cert_file = '%s/%s'\nssl_key_file = '%s/%s'\n",
					info->server_dir, tb->cert_from->cert, info->server_dir, tb->cert_from->key);
		if (fclose(fp) != 0)
		{
			ptp_fail("could not write \"%s\": %s", path, strerror(errno));
			ok = false;
		}
	}
	free(path);

	/*
	 * What pg_reload_conf() would do, without a backend to run it: only
	 * the connections that check the reload need one.
	 */
	pid = ok ? postmaster_pid(info) : 0;
	if (ok && (pid == 0 || kill(pid, SIGHUP) != 0))
	{
		ptp_fail("could not signal the test server to reload: %s",
				 pid == 0 ? "it has no postmaster.pid" : strerror(errno));
		ok = false;
	}

	for (int waited = 0; ok; waited += 1)
	{
		char	   *now;

		conn = ptp_superuser_connect(info);
		if (conn == NULL)
		{
			ok = false;
			break;
		}
		now = ptp_sql(conn, "SELECT pg_conf_load_time()");
		PQfinish(conn);
		if (now == NULL)
			ok = false;
		else if (strcmp(now, tb->conf_load_time) != 0)
		{
			free(tb->conf_load_time);
			tb->conf_load_time = now;
			break;
		}
		free(now);
		if (waited >= RELOAD_WAIT_MS)
		{
			ptp_fail("the test server did not reload its configuration for scenario \"%s\"", s->name);
			ok = false;
		}
		usleep(1000);
	}
	return ok;
}

/*
 * ptp_testbed_same_config
 *		Whether scenarios a and b configure the server alike: run one after
 *		the other, they share one reload.
 */
bool
ptp_testbed_same_config(const Scenario *a, const Scenario *b)
{
	return server_ssl(a) == server_ssl(b) && a->hba == b->hba && a->settings == b->settings &&
		((a->key == NULL && b->key == NULL) ||
		 (a->key != NULL && b->key != NULL && strcmp(a->key, b->key) == 0)) &&
		((a->cert == NULL && b->cert == NULL) ||
		 (a->cert != NULL && b->cert != NULL && strcmp(a->cert, b->cert) == 0));
}

/*
 * start_attacker
 *		Starts the proxy of attack scenario s in front of the server, with
 *		the certificate its forgery names: a self-signed copy or an attacker
 *		CA's copy of the server's certificate, or a PKI certificate (sent
 *		with the intermediate).  Returns false with a failure recorded.
 */
static bool
start_attacker(Testbed *tb, const Scenario *s, AttemptContext *ctx)
{
	ProxyOptions po = {0};
	const char *pkidir = tb->pkidir;
	X509	  **cert = &tb->proxy_cert;
	EVP_PKEY  **key = &tb->proxy_key;
	X509	  **chain = &tb->proxy_chain;

	po.kind = s->attack;
	po.upstream_addr = "127.0.0.1";
	po.upstream_port = tb->info.port;
	po.timeout_ms = ctx->timeout * 1000;
	if (s->forgery != NULL &&
		(strcmp(s->forgery, "self-signed") == 0 || strcmp(s->forgery, "copied") == 0))
	{
		X509	   *victim;
		EVP_PKEY   *victim_key;
		bool		ok;

		if (!ptp_load_pair(pkidir, PTP_SERVER_CRT, PTP_SERVER_KEY, &victim, &victim_key))
			return false;
		ok = ptp_mint_forgery(victim, strcmp(s->forgery, "self-signed") == 0, cert, key, chain);
		X509_free(victim);
		EVP_PKEY_free(victim_key);
		if (!ok)
			return false;
	}
	else if (s->forgery != NULL)
	{
		char	   *crt = ptp_psprintf("%s.crt", s->forgery);
		char	   *k = ptp_psprintf("%s.key", s->forgery);
		EVP_PKEY   *ca_key = NULL;
		bool		ok;

		ok = ptp_load_pair(pkidir, crt, k, cert, key) &&
			ptp_load_pair(pkidir, PTP_INTERMEDIATE_CA_CRT, PTP_INTERMEDIATE_CA_KEY, chain, &ca_key);
		EVP_PKEY_free(ca_key);
		free(crt);
		free(k);
		if (!ok)
			return false;
	}
	po.cert = *cert;
	po.key = *key;
	po.chain = *chain;
	tb->proxy = ptp_proxy_start(&po, &ctx->proxy_port);
	ctx->proxy = tb->proxy;
	return tb->proxy != NULL;
}

/*
 * ptp_testbed_end_scenario
 *		Stops the scenario's proxy, if any, and frees its certificate.
 */
void
ptp_testbed_end_scenario(Testbed *tb, AttemptContext *ctx)
{
	ptp_proxy_stop(tb->proxy);
	tb->proxy = NULL;
	ctx->proxy = NULL;
	X509_free(tb->proxy_cert);
	EVP_PKEY_free(tb->proxy_key);
	X509_free(tb->proxy_chain);
	tb->proxy_cert = tb->proxy_chain = NULL;
	tb->proxy_key = NULL;
}


/*
 * library_installed
 *		Whether the PostgreSQL of pg_config has the pg_tls_audit library,
 *		which can then be preloaded.
 */
static bool
library_installed(const char *pg_config)
{
	char	   *argv[] = {(char *) (pg_config ? pg_config : "pg_config"), "--pkglibdir", NULL};
	char	   *dir = ptp_run_capture(argv);
	char	   *path;
	bool		found;

	if (dir == NULL)
		return false;
	dir[strcspn(dir, "\r\n")] = '\0';
	path = ptp_psprintf("%s/pg_tls_audit.so", dir);
	found = access(path, R_OK) == 0;
	free(path);
	free(dir);
	return found;
}

/*
 * testbed_pki
 *		Writes the fixture PKI and the scenarios' certificates into dir.
 *		Returns false with a failure recorded.
 */
static bool
testbed_pki(const char *dir)
{
	return ptp_pki_generate(dir) && ptp_scenarios_pki(dir);
}

/*
 * ptp_testbed_start
 *		Makes pg_tls_probe-NAME-XXXXXX under ptp_scratch_dir() with the
 *		fixture and scenario PKI, starts the cluster (pg_tls_audit preloaded
 *		where installed: its functions then need no per-backend load), and
 *		creates the SCRAM role with a fresh password.  With twin_of, the new
 *		cluster uses that testbed's PKI and the same password instead, so
 *		that a client sees the two as one deployment's servers.  Returns
 *		false with a failure recorded; call ptp_testbed_stop() either way.
 */
bool
ptp_testbed_start(Testbed *tb, const char *name, const char *pg_config, int timeout,
				  const Testbed *twin_of)
{
	const char *tmpdir = ptp_scratch_dir();
	char	   *template;
	char	   *conf[7];
	int			n_conf = 0;
	PtpClusterOptions copts = {0};
	unsigned char pw_bytes[16];
	PGconn	   *conn;
	char	   *query;
	bool		ok;

	template = ptp_psprintf("%s/pg_tls_probe-%s-XXXXXX", tmpdir, name);
	memset(tb, 0, sizeof(*tb));
	tb->pg_config = pg_config;
	tb->timeout = timeout;
	if (mkdtemp(template) == NULL || chmod(template, 0755) != 0)
	{
		ptp_fail("could not create a work directory under %s: %s", tmpdir, strerror(errno));
		free(template);
		return false;
	}
	tb->workdir = template;
	tb->pkidir = twin_of != NULL ? ptp_strdup(twin_of->pkidir) : ptp_psprintf("%s/pki", tb->workdir);

	/* The server checks client certificates against the same CRLs. */
	conf[n_conf++] = ptp_psprintf("ssl_crl_file = '%s/cluster/server/%s'", tb->workdir, PTP_CRL_FILE);
	conf[n_conf++] = ptp_strdup("log_connections = off");
	/* The passphrase scenario's key; reloads re-read it. */
	conf[n_conf++] = ptp_strdup("ssl_passphrase_command = 'echo " MATRIX_KEY_PASSPHRASE "'\n"
								"ssl_passphrase_command_supports_reload = on");
	conf[n_conf++] = ptp_strdup("max_connections = 100\nshared_buffers = 16MB");

	/*
	 * A server thrown away within seconds needs no durability, and
	 * autovacuum would only compete with the cases for the CPU.
	 */
	conf[n_conf++] = ptp_strdup("fsync = off\nautovacuum = off");
	conf[n_conf++] = ptp_strdup("include_if_exists = '" SCENARIO_CONF "'");
	if (library_installed(pg_config))
		conf[n_conf++] = ptp_strdup("shared_preload_libraries = 'pg_tls_audit'");
	copts.dir = ptp_psprintf("%s/cluster", tb->workdir);
	copts.pki = tb->pkidir;
	copts.make_pki = twin_of != NULL ? NULL : testbed_pki;
	copts.pg_config = pg_config;
	copts.timeout = timeout;
	copts.conf = conf;
	copts.n_conf = n_conf;
	copts.quiet = true;
	tb->started = ptp_cluster_start(&copts, &tb->info);
	free((char *) copts.dir);
	for (int i = 0; i < n_conf; i++)
		free(conf[i]);
	if (!tb->started)
		return false;

	if (twin_of != NULL)
		memcpy(tb->password, twin_of->password, sizeof(tb->password));
	else if (RAND_bytes(pw_bytes, sizeof(pw_bytes)) != 1)
	{
		ptp_fail_openssl("could not generate a password");
		return false;
	}
	else
		for (size_t i = 0; i < sizeof(pw_bytes); i++)
			snprintf(tb->password + 2 * i, 3, "%02x", pw_bytes[i]);
	conn = ptp_superuser_connect(&tb->info);
	if (conn == NULL)
		return false;
	query = ptp_psprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", MATRIX_SCRAM_ROLE, tb->password);
	ok = ptp_sql_ok(conn, query);
	free(query);
	/* What configure_scenario() compares with to see its reload applied */
	if (ok)
		ok = (tb->conf_load_time = ptp_sql(conn, "SELECT pg_conf_load_time()")) != NULL;
	PQfinish(conn);
	return ok;
}

/*
 * ptp_testbed_scenario
 *		Puts the server (when its configuration differs from the last one
 *		applied) and, for an attack scenario, a proxy in place for s.
 *		ctx->proxy and ctx->proxy_port name the proxy.  Returns false with a
 *		failure recorded.
 */
bool
ptp_testbed_scenario(Testbed *tb, const Scenario *s, AttemptContext *ctx)
{
	/* Consecutive scenarios often share a server configuration. */
	if (tb->applied == NULL || !ptp_testbed_same_config(tb->applied, s))
	{
		if (!configure_scenario(tb, s))
			return false;
		tb->applied = s;
	}
	return s->attack == ATTACK_NONE || start_attacker(tb, s, ctx);
}

/*
 * stop_postmaster
 *		Fast shutdown of the postmaster whose pid DATA/postmaster.pid holds
 *		(one this test bed started), waiting until it has removed the file.
 *		Returns false with a failure recorded.
 */
static bool
stop_postmaster(const PtpClusterInfo *info, int timeout)
{
	char	   *pidfile = ptp_psprintf("%s/postmaster.pid", info->data_dir);
	long		pid = (long) postmaster_pid(info);
	bool		ok = true;

	if (pid > 0 && kill((pid_t) pid, SIGINT) == 0)
	{
		for (int waited = 0; access(pidfile, F_OK) == 0; waited++)
		{
			if (waited >= timeout * 1000)
			{
				ptp_fail("the test server (pid %ld) did not stop within %d s", pid, timeout);
				ok = false;
				break;
			}
			usleep(1000);
		}
	}
	free(pidfile);
	return ok;
}

/*
 * last_fatal
 *		The last line holding "FATAL:" that path gained past offset, from
 *		after that word (malloc'd), or NULL.
 */
static char *
last_fatal(const char *path, long offset)
{
	FILE	   *fp = fopen(path, "r");
	char		line[1024];
	char	   *found = NULL;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, offset, SEEK_SET) == 0)
		while (fgets(line, sizeof(line), fp) != NULL)
		{
			char	   *at = strstr(line, "FATAL:");

			if (at == NULL)
				continue;
			at += strlen("FATAL:");
			at += strspn(at, " ");
			at[strcspn(at, "\r\n")] = '\0';
			free(found);
			found = ptp_strdup(at);
		}
	fclose(fp);
	return found;
}

/*
 * ptp_testbed_start_failure
 *		For scenario s, whose server must not start: stops the test server
 *		(the matrix tries these last), starts it once with s's certificate,
 *		key and settings, and sets *fatal to the server's FATAL line
 *		(malloc'd), or to NULL when it started after all (it is then
 *		stopped again).  Returns false with a failure recorded when it could
 *		not try.
 */
bool
ptp_testbed_start_failure(Testbed *tb, const Scenario *s, char **fatal)
{
	char	   *log;
	char	   *extra[2 * 16 + 1];
	int			n = 0;
	PtpUser		owner;
	PtpPostmasterStart started;
	struct stat st;

	*fatal = NULL;
	if (!stop_postmaster(&tb->info, tb->timeout))
		return false;
	if (stat(tb->info.data_dir, &st) != 0 || !ptp_user_by_uid(st.st_uid, &owner))
	{
		ptp_fail("could not find the owner of \"%s\"", tb->info.data_dir);
		return false;
	}
	log = ptp_psprintf("%s/postgresql.log", tb->info.dir);
	extra[n++] = "-c";
	extra[n++] = ptp_strdup("ssl=on");
	extra[n++] = "-c";
	extra[n++] = ptp_psprintf("ssl_cert_file=%s/%s", tb->info.server_dir, s->cert);
	extra[n++] = "-c";
	extra[n++] = ptp_psprintf("ssl_key_file=%s/%s", tb->info.server_dir, s->key);
	for (const char *const *set = s->settings; set && *set && n + 2 < (int) lengthof(extra); set++)
	{
		extra[n++] = "-c";
		extra[n++] = ptp_strdup(*set);
	}
	extra[n] = NULL;
	if (stat(log, &st) != 0)
		st.st_size = 0;
	started = ptp_postmaster_start(tb->info.bindir, &owner, tb->info.dir, extra,
								   tb->timeout);
	if (started == PTP_POSTMASTER_READY)
		(void) stop_postmaster(&tb->info, tb->timeout);
	else if (started == PTP_POSTMASTER_EXITED)
	{
		*fatal = last_fatal(log, (long) st.st_size);
		if (*fatal == NULL)
			*fatal = ptp_strdup("the server did not start, and logged no FATAL line");
	}
	ptp_user_free(&owner);
	for (int i = 1; i < n; i += 2)
		free(extra[i]);
	free(log);
	return started != PTP_POSTMASTER_FAILED;
}

/*
 * ptp_testbed_alive
 *		Whether the server still answers: one that died mid-run must not
 *		pass for a wall of refusals.  False with a failure recorded.
 */
bool
ptp_testbed_alive(const Testbed *tb)
{
	PGconn	   *conn = ptp_superuser_connect(&tb->info);

	PQfinish(conn);
	return conn != NULL;
}

/*
 * ptp_testbed_stop
 *		Stops the cluster and removes the work directory, unless keep (then
 *		says where they are and how to remove them).  Returns false with a
 *		failure recorded.
 */
bool
ptp_testbed_stop(Testbed *tb, AttemptContext *ctx, bool keep)
{
	bool		ok = true;

	ptp_testbed_end_scenario(tb, ctx);
	if (tb->started && keep)
		fprintf(stderr, "%s: kept the server in %s and the PKI in %s; when done: %s cluster stop %s && rm -r %s\n",
				PTP_PROGNAME, tb->info.dir, tb->pkidir, PTP_PROGNAME, tb->info.dir, tb->workdir);
	else
	{
		if (tb->started)
		{
			PtpClusterOptions stop = {0};

			stop.dir = tb->info.dir;
			stop.pg_config = tb->pg_config;
			stop.timeout = tb->timeout;
			ok = ptp_cluster_stop(&stop);
		}
		if (tb->workdir != NULL && !ptp_remove_tree(tb->workdir, false))
			ok = false;
	}
	if (tb->started)
		ptp_cluster_info_free(&tb->info);
	free(tb->workdir);
	free(tb->pkidir);
	free(tb->conf_load_time);
	memset(tb, 0, sizeof(*tb));
	return ok;
}
