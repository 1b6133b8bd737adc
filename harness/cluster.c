/*-------------------------------------------------------------------------
 *
 * cluster.c
 *		The "cluster" subcommand: throwaway PostgreSQL servers with TLS on,
 *		configured from the harness's test PKI, for tests and demos.
 *
 * "cluster start" builds everything inside one directory marked as ours,
 * runs the server as an unprivileged OS user even when invoked as root, and
 * prints the libpq environment that connects to it with verified TLS.  Any
 * failure or interrupt during start leaves nothing behind: the server is
 * stopped and the directory removed.  "cluster stop" only ever removes a
 * directory that carries our marker.
 *
 * harness/cluster.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "libpq-fe.h"
#include "pg_tls_probe.h"
#include "utils/pidfile.h"

#define DEFAULT_TIMEOUT		60
#define MAX_TIMEOUT			3600
#define FALLBACK_USER		"pg_tls_probe"
#define SUPERUSER			"postgres"
#define PASSWORD_BYTES		16

/* How often ptp_postmaster_start() looks whether the server is ready. */
#define POSTMASTER_POLL_MS	2

/* Longest socket file name the server derives from its directory. */
#define SOCKET_FILE_SUFFIX	"/.s.PGSQL.65535.lock"


/* State of one "cluster start", consulted by the cleanup on failure. */
typedef struct Cluster
{
	char	   *dir;
	bool		created_dir;	/* we made DIR itself: remove it, not just its contents */
	bool		own_contents;	/* DIR is ours to empty on failure */
	bool		server_started; /* a postmaster was started: one may exist */
	char	   *bindir;
	PtpUser		user;
	char	   *pkidir;
	pid_t		pki_pid;		/* the child writing the PKI, 0: none */
	int			pki_fd;			/* reads what that child reports */
	int			port;
	bool		ipv6;
} Cluster;

static const char *const default_hba[] = {
	"hostssl all " PTP_CLIENT_CN " 127.0.0.1/32 cert",
	"hostssl all " PTP_CLIENT_CN " ::1/128 cert",
	"hostssl all all 127.0.0.1/32 scram-sha-256",
	"hostssl all all ::1/128 scram-sha-256",
	"host all all 127.0.0.1/32 scram-sha-256",
	"host all all ::1/128 scram-sha-256",
};

/*
 * Returns the malloc'd path DIR/name.
 */
static char *
cluster_path(const Cluster *c, const char *name)
{
	return ptp_psprintf("%s/%s", c->dir, name);
}

/*
 * Finds pg_config's --bindir and checks that it holds initdb and pg_ctl.
 * Returns the malloc'd directory, or NULL with a failure recorded.
 */
static char *
find_bindir(const char *pg_config)
{
	char	   *argv[3];
	char	   *bindir;

	argv[0] = (char *) (pg_config != NULL ? pg_config : "pg_config");
	argv[1] = "--bindir";
	argv[2] = NULL;
	bindir = ptp_run_capture(argv);
	if (bindir == NULL)
		return NULL;

	for (int i = 0; i < 2; i++)
	{
		char	   *program = ptp_psprintf("%s/%s", bindir, i == 0 ? "initdb" : "pg_ctl");
		bool		ok = access(program, X_OK) == 0;

		if (!ok)
			ptp_fail("\"%s\" is not executable (from \"%s --bindir\")", program, argv[0]);
		free(program);
		if (!ok)
		{
			free(bindir);
			return NULL;
		}
	}
	return bindir;
}

/*
 * Creates the system account FALLBACK_USER.  Returns false with a failure
 * recorded.
 */
static bool
create_system_user(void)
{
	static const char *const useradd_paths[] = {"/usr/sbin/useradd", "/sbin/useradd"};
	static const char *const nologin_paths[] = {"/usr/sbin/nologin", "/sbin/nologin"};
	const char *useradd = NULL;
	const char *shell = "/bin/false";
	char	   *argv[9];
	PtpRunOptions options = {0};
	int			status;
	bool		ok;

	for (size_t i = 0; i < lengthof(useradd_paths); i++)
		if (useradd == NULL && access(useradd_paths[i], X_OK) == 0)
			useradd = useradd_paths[i];
	for (int i = lengthof(nologin_paths) - 1; i >= 0; i--)
		if (access(nologin_paths[i], X_OK) == 0)
			shell = nologin_paths[i];
	if (useradd == NULL)
	{
		ptp_fail("no unprivileged OS user to run the server as: neither \"postgres\" nor \"%s\" exists and useradd was not found (use --user)",
				 FALLBACK_USER);
		return false;
	}

	argv[0] = (char *) useradd;
	argv[1] = "--system";
	argv[2] = "--no-create-home";
	argv[3] = "--home-dir";
	argv[4] = "/nonexistent";
	argv[5] = "--shell";
	argv[6] = (char *) shell;
	argv[7] = FALLBACK_USER;
	argv[8] = NULL;
	options.log_path = "/dev/null";
	options.clean_env = true;
	status = ptp_run(argv, &options);
	if (status < 0)
		return false;
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!ok)
	{
		char	   *how = ptp_describe_status(status);

		ptp_fail("could not create OS user \"%s\": useradd %s", FALLBACK_USER, how);
		free(how);
	}
	return ok;
}

/*
 * Chooses the OS user the server runs as: the invoking user, unless we are
 * root, in which case --user, else "postgres", else FALLBACK_USER (created
 * if needed).  Returns false with a failure recorded.
 */
static bool
resolve_server_user(const char *requested, PtpUser *user)
{
	if (geteuid() != 0)
	{
		if (!ptp_user_by_uid(geteuid(), user))
			return false;
		if (requested != NULL && strcmp(requested, user->name) != 0)
		{
			ptp_fail("--user \"%s\" needs root privileges; without them the server runs as \"%s\"",
					 requested, user->name);
			ptp_user_free(user);
			return false;
		}
		return true;
	}

	if (requested != NULL)
	{
		if (!ptp_user_lookup(requested, user))
		{
			ptp_fail("OS user \"%s\" does not exist", requested);
			return false;
		}
		if (user->uid == 0)
		{
			ptp_fail("PostgreSQL refuses to run as root; --user must name an unprivileged OS user");
			ptp_user_free(user);
			return false;
		}
		return true;
	}

	if (ptp_user_lookup(SUPERUSER, user))
	{
		if (user->uid != 0)
			return true;
		ptp_user_free(user);
	}
	if (ptp_user_lookup(FALLBACK_USER, user))
		return true;
	if (!create_system_user())
		return false;
	if (!ptp_user_lookup(FALLBACK_USER, user))
	{
		ptp_fail("OS user \"%s\" was created but cannot be found", FALLBACK_USER);
		return false;
	}
	return true;
}

/*
 * Creates the cluster directory (or adopts an existing empty one), makes
 * c->dir its canonical absolute path and marks it as ours.  Returns false
 * with a failure recorded.
 */
static bool
claim_directory(Cluster *c, const char *dir_arg)
{
	char	   *abs = ptp_absolute_path(dir_arg);
	struct stat st;
	char	   *canonical;
	char	   *marker;
	char	   *content;
	bool		ok;

	if (abs == NULL)
		return false;
	if (stat(abs, &st) == 0)
	{
		if (!S_ISDIR(st.st_mode))
		{
			ptp_fail("\"%s\" exists and is not a directory", abs);
			free(abs);
			return false;
		}
		if (!ptp_dir_is_empty(abs))
		{
			free(abs);
			return false;
		}
	}
	else
	{
		if (errno != ENOENT || pg_mkdir_p(abs, 0755) != 0)
		{
			ptp_fail("could not create directory \"%s\": %s", abs, strerror(errno));
			free(abs);
			return false;
		}
		c->created_dir = true;
	}

	canonical = realpath(abs, NULL);
	if (canonical == NULL)
	{
		ptp_fail("could not resolve \"%s\": %s", abs, strerror(errno));
		if (c->created_dir)
			rmdir(abs);
		free(abs);
		return false;
	}
	free(abs);
	c->dir = canonical;
	c->own_contents = true;

	/* The server user must be able to traverse it, whatever our umask. */
	if (c->created_dir && chmod(c->dir, 0755) != 0)
	{
		ptp_fail("could not set permissions of \"%s\": %s", c->dir, strerror(errno));
		return false;
	}

	/* The marker records the binaries so that "stop" uses the same ones. */
	marker = cluster_path(c, PTP_CLUSTER_MARKER);
	content = ptp_psprintf("bindir=%s\n", c->bindir);
	ok = ptp_write_new_file(marker, 0644, NULL, content);
	free(content);
	free(marker);
	return ok;
}

/*
 * Checks that the server user can reach the cluster directory and that the
 * socket path fits in sun_path.  Returns false with a failure recorded.
 */
static bool
check_directory_usable(const Cluster *c)
{
	struct sockaddr_un sun;
	size_t		needed = strlen(c->dir) + strlen("/socket") + strlen(SOCKET_FILE_SUFFIX) + 1;
	int			reachable;

	if (needed > sizeof(sun.sun_path))
	{
		ptp_fail("\"%s\" is too long for a Unix socket directory (%zu bytes needed, limit %zu); use a shorter path such as /tmp/ptp",
				 c->dir, needed, sizeof(sun.sun_path));
		return false;
	}

	reachable = ptp_user_can_access(&c->user, c->dir, X_OK);
	if (reachable < 0)
		return false;
	if (reachable == 0)
	{
		ptp_fail("\"%s\" is not reachable by OS user \"%s\"; use a directory such as /tmp/pg_tls_probe-cluster",
				 c->dir, c->user.name);
		return false;
	}
	return true;
}

/*
 * Sets c->pkidir to the PKI the server uses: the --pki directory, checked
 * for the server's files; or a directory to be written by opts->make_pki
 * (opts->pki) or ptp_pki_generate() (DIR/pki), which start_pki() then
 * starts.  Returns false with a failure recorded.
 */
static bool
choose_pki(Cluster *c, const PtpClusterOptions *opts)
{
	static const char *const needed[] = {PTP_SERVER_CRT, PTP_SERVER_KEY, PTP_ROOT_CA_CRT};

	if (opts->pki == NULL)
	{
		c->pkidir = cluster_path(c, "pki");
		return true;
	}
	if (opts->make_pki != NULL)
	{
		c->pkidir = ptp_absolute_path(opts->pki);
		return c->pkidir != NULL;
	}

	c->pkidir = realpath(opts->pki, NULL);
	if (c->pkidir == NULL)
	{
		ptp_fail("could not resolve --pki directory \"%s\": %s", opts->pki, strerror(errno));
		return false;
	}
	for (size_t i = 0; i < lengthof(needed); i++)
	{
		char	   *path = ptp_psprintf("%s/%s", c->pkidir, needed[i]);
		bool		ok = access(path, R_OK) == 0;

		if (!ok)
			ptp_fail("cannot read \"%s\": %s (create the PKI with \"%s pki DIR\")",
					 path, strerror(errno), PTP_PROGNAME);
		free(path);
		if (!ok)
			return false;
	}
	return true;
}

/*
 * Starts writing the PKI that choose_pki() chose, if it is to be written,
 * in a child process: certificate generation (an RSA key above all) takes
 * about as long as initdb, which needs no PKI, so the two run side by side
 * and finish_pki() waits for the child after initdb.  This process must
 * have no other threads yet.  Returns false with a failure recorded.
 */
static bool
start_pki(Cluster *c, const PtpClusterOptions *opts)
{
	PtpPkiMaker make = opts->pki == NULL ? ptp_pki_generate : opts->make_pki;
	int			fds[2];
	pid_t		pid;

	if (make == NULL)
		return true;
	if (pipe2(fds, O_CLOEXEC) != 0)
	{
		ptp_fail("could not create a pipe: %s", strerror(errno));
		return false;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
	{
		ptp_fail("could not fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0)
	{
		/* The failure, if any, travels to the parent as its one line. */
		close(fds[0]);
		if (make(c->pkidir))
			_exit(0);
		if (dup2(fds[1], STDERR_FILENO) >= 0)
			(void) ptp_report_failure();
		_exit(1);
	}
	close(fds[1]);
	c->pki_pid = pid;
	c->pki_fd = fds[0];
	return true;
}

/*
 * Waits for the child of start_pki(), if one runs, and takes over its
 * failure.  With abandon, kills it first: its directory is about to go.
 * Returns false with a failure recorded.
 */
static bool
finish_pki(Cluster *c, bool abandon)
{
	char		report[1024];
	size_t		len = 0;
	int			status = 0;
	bool		ok;

	if (c->pki_pid == 0)
		return true;
	if (abandon)
		kill(c->pki_pid, SIGKILL);
	for (;;)
	{
		ssize_t		n = read(c->pki_fd, report + len, sizeof(report) - 1 - len);

		if (n > 0)
			len += n;
		else if (n == 0 || errno != EINTR || len == sizeof(report) - 1)
			break;
	}
	report[len] = '\0';
	close(c->pki_fd);
	while (waitpid(c->pki_pid, &status, 0) < 0 && errno == EINTR)
		;
	c->pki_pid = 0;
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!ok && !abandon)
	{
		const char *prefix = PTP_PROGNAME ": ";
		char	   *msg = report;

		msg[strcspn(msg, "\n")] = '\0';
		if (strncmp(msg, prefix, strlen(prefix)) == 0)
			msg += strlen(prefix);
		if (msg[0] != '\0')
			ptp_fail("%s", msg);
		else
		{
			char	   *how = ptp_describe_status(status);

			ptp_fail("could not write the PKI in \"%s\": the child %s", c->pkidir, how);
			free(how);
		}
	}
	return ok;
}

/*
 * Creates the directories and files the server user writes to.  Returns
 * false with a failure recorded.
 */
static bool
prepare_server_dirs(const Cluster *c)
{
	static const char *const dirs[] = {"data", "server", "socket"};
	bool		ok = true;
	char	   *log;

	for (size_t i = 0; ok && i < lengthof(dirs); i++)
	{
		char	   *path = cluster_path(c, dirs[i]);

		ok = ptp_make_owned_dir(path, 0700, &c->user);
		free(path);
	}
	if (!ok)
		return false;

	/*
	 * The server's log belongs to its user, who cannot write DIR: "pg_ctl
	 * restart -l" (harness/t/testbed_lib.sh) opens it as that user.
	 */
	log = cluster_path(c, "postgresql.log");
	ok = ptp_write_new_file(log, 0600, &c->user, "");
	free(log);
	return ok;
}

/*
 * Gives the server user its private copies of every certificate, key and
 * CRL of the PKI (PostgreSQL refuses a key that is not its own or that
 * others can read), so that a caller such as the matrix can switch the
 * server between them with a reload.  Returns false with a failure
 * recorded.
 */
static bool
copy_server_pki(const Cluster *c)
{
	bool		ok = true;
	DIR		   *dir;
	struct dirent *de;

	dir = opendir(c->pkidir);
	if (dir == NULL)
	{
		ptp_fail("could not open directory \"%s\": %s", c->pkidir, strerror(errno));
		return false;
	}
	while (ok && (errno = 0, de = readdir(dir)) != NULL)
	{
		const char *dot = strrchr(de->d_name, '.');
		char	   *src;
		char	   *dst;
		struct stat st;

		if (dot == NULL || (strcmp(dot, ".crt") != 0 && strcmp(dot, ".key") != 0 &&
							strcmp(dot, ".crl") != 0))
			continue;
		src = ptp_psprintf("%s/%s", c->pkidir, de->d_name);
		dst = ptp_psprintf("%s/server/%s", c->dir, de->d_name);
		if (stat(src, &st) == 0 && S_ISREG(st.st_mode))
			ok = ptp_copy_file(src, dst, strcmp(dot, ".key") == 0 ? 0600 : 0644, &c->user);
		free(src);
		free(dst);
	}
	if (ok && errno != 0)
	{
		ptp_fail("could not read directory \"%s\": %s", c->pkidir, strerror(errno));
		ok = false;
	}
	closedir(dir);
	return ok;
}

/*
 * Returns a malloc'd phrase explaining why a child failed: its status and
 * the last line it wrote to DIR/setup.log.
 */
static char *
explain_setup_failure(const Cluster *c, int status)
{
	char	   *log = cluster_path(c, "setup.log");
	char	   *line = ptp_last_line(log, NULL);
	char	   *how = ptp_describe_status(status);
	char	   *msg;

	if (line != NULL)
		msg = ptp_psprintf("%s: %s", how, line);
	else
		msg = ptp_strdup(how);
	free(how);
	free(line);
	free(log);
	return msg;
}

/*
 * Runs initdb as the server user with a random superuser password that only
 * DIR/pgpass keeps.  Returns false with a failure recorded.
 */
static bool
run_initdb(const Cluster *c)
{
	unsigned char raw[PASSWORD_BYTES];
	char		password[2 * PASSWORD_BYTES + 1];
	char	   *pwfile = cluster_path(c, "initdb.pwfile");
	char	   *pgpass = cluster_path(c, "pgpass");
	char	   *data = cluster_path(c, "data");
	char	   *log = cluster_path(c, "setup.log");
	char	   *content;
	char	   *initdb;
	char	   *pwopt;
	char	   *argv[12];
	PtpRunOptions options = {0};
	int			status = -1;
	bool		ok = false;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
	{
		ptp_fail_openssl("could not generate a password");
		goto done;
	}
	for (int i = 0; i < PASSWORD_BYTES; i++)
		snprintf(password + 2 * i, 3, "%02x", raw[i]);

	content = ptp_psprintf("%s\n", password);
	ok = ptp_write_new_file(pwfile, 0600, &c->user, content);
	OPENSSL_cleanse(content, strlen(content));
	free(content);
	if (!ok)
		goto done;
	content = ptp_psprintf("*:*:*:%s:%s\n", SUPERUSER, password);
	ok = ptp_write_new_file(pgpass, 0600, NULL, content);
	OPENSSL_cleanse(content, strlen(content));
	free(content);
	if (!ok)
		goto done;

	initdb = ptp_psprintf("%s/initdb", c->bindir);
	pwopt = ptp_psprintf("--pwfile=%s", pwfile);
	argv[0] = initdb;
	argv[1] = "-D";
	argv[2] = data;
	argv[3] = "-U";
	argv[4] = SUPERUSER;
	argv[5] = pwopt;
	argv[6] = "-E";
	argv[7] = "UTF8";
	argv[8] = "--no-locale";
	argv[9] = "--no-sync";
	argv[10] = "--no-instructions";
	argv[11] = NULL;
	options.user = &c->user;
	options.log_path = log;
	options.cwd = c->dir;
	options.path_prefix = c->bindir;
	options.clean_env = true;
	options.kill_on_interrupt = true;
	status = ptp_run(argv, &options);
	free(initdb);
	free(pwopt);

	ok = false;
	if (status >= 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
	{
		char	   *why = explain_setup_failure(c, status);

		ptp_fail("initdb %s", why);
		free(why);
	}
	else if (status >= 0)
		ok = true;

done:
	/* The password must not outlive initdb anywhere but in pgpass. */
	if (unlink(pwfile) != 0 && errno != ENOENT && ok)
	{
		ptp_fail("could not remove \"%s\": %s", pwfile, strerror(errno));
		ok = false;
	}
	OPENSSL_cleanse(password, sizeof(password));
	OPENSSL_cleanse(raw, sizeof(raw));
	free(pwfile);
	free(pgpass);
	free(data);
	free(log);
	return ok;
}

/*
 * Binds a TCP socket of family to addr:port.  Returns the open socket, or
 * -1 (errno set) when that is not possible.
 */
static int
bind_loopback(int family, int port)
{
	int			fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int			rc;

	if (fd < 0)
		return -1;
	if (family == AF_INET6)
	{
		struct sockaddr_in6 a6 = {0};
		int			one = 1;

		/* Only ::1 is being asked about, not the v4-mapped space. */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(port);
		a6.sin6_addr = in6addr_loopback;
		rc = bind(fd, (struct sockaddr *) &a6, sizeof(a6));
	}
	else
	{
		struct sockaddr_in a4 = {0};

		a4.sin_family = AF_INET;
		a4.sin_port = htons(port);
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = bind(fd, (struct sockaddr *) &a4, sizeof(a4));
	}
	if (rc != 0)
	{
		int			save_errno = errno;

		close(fd);
		errno = save_errno;
		return -1;
	}
	return fd;
}

/*
 * Picks a TCP port free on 127.0.0.1 (and on ::1 when this machine has IPv6
 * loopback) and records whether ::1 is usable.  Returns false with a failure
 * recorded.
 */
static bool
choose_port(Cluster *c)
{
	int			probe = bind_loopback(AF_INET6, 0);

	c->ipv6 = probe >= 0;
	if (probe >= 0)
		close(probe);

	for (int attempt = 0; attempt < 50; attempt++)
	{
		struct sockaddr_in a4;
		socklen_t	len = sizeof(a4);
		int			fd4 = bind_loopback(AF_INET, 0);
		int			fd6 = -1;

		if (fd4 < 0)
		{
			ptp_fail("could not bind a TCP socket on 127.0.0.1: %s", strerror(errno));
			return false;
		}
		if (getsockname(fd4, (struct sockaddr *) &a4, &len) != 0)
		{
			ptp_fail("could not read the address of a TCP socket: %s", strerror(errno));
			close(fd4);
			return false;
		}
		c->port = ntohs(a4.sin_port);
		if (c->ipv6)
			fd6 = bind_loopback(AF_INET6, c->port);
		close(fd4);
		if (!c->ipv6 || fd6 >= 0)
		{
			if (fd6 >= 0)
				close(fd6);
			return true;
		}
	}
	ptp_fail("could not find a TCP port free on both 127.0.0.1 and ::1");
	return false;
}

/*
 * Appends a line to an open configuration stream.  Returns nothing; write
 * errors surface when the stream is closed.
 */
static void
append_setting(FILE *fp, const char *name, const char *value, bool quote)
{
	if (quote)
	{
		char	   *quoted = ptp_conf_quote(value);

		fprintf(fp, "%s = %s\n", name, quoted);
		free(quoted);
	}
	else
		fprintf(fp, "%s = %s\n", name, value);
}

/*
 * Closes fp, which was written to path.  Returns false with a failure
 * recorded when anything written was lost.
 */
static bool
close_config(FILE *fp, const char *path)
{
	bool		ok = !ferror(fp);

	if (fclose(fp) != 0)
		ok = false;
	if (!ok)
		ptp_fail("could not write \"%s\": %s", path, strerror(errno));
	return ok;
}

/*
 * Appends our settings, then the --conf lines, to postgresql.conf.  Returns
 * false with a failure recorded.
 */
static bool
write_postgresql_conf(const Cluster *c, const PtpClusterOptions *opts)
{
	char	   *path = cluster_path(c, "data/postgresql.conf");
	FILE	   *fp = fopen(path, "a");
	char	   *value;
	bool		ok;

	if (fp == NULL)
	{
		ptp_fail("could not open \"%s\": %s", path, strerror(errno));
		free(path);
		return false;
	}

	fprintf(fp, "\n# Added by %s cluster start.\n", PTP_PROGNAME);
	value = ptp_psprintf("%d", c->port);
	append_setting(fp, "port", value, false);
	free(value);
	append_setting(fp, "listen_addresses", c->ipv6 ? "127.0.0.1,::1" : "127.0.0.1", true);
	value = cluster_path(c, "socket");
	append_setting(fp, "unix_socket_directories", value, true);
	free(value);
	append_setting(fp, "ssl", "on", false);
	value = cluster_path(c, "server/" PTP_SERVER_CRT);
	append_setting(fp, "ssl_cert_file", value, true);
	free(value);
	value = cluster_path(c, "server/" PTP_SERVER_KEY);
	append_setting(fp, "ssl_key_file", value, true);
	free(value);
	value = cluster_path(c, "server/" PTP_ROOT_CA_CRT);
	append_setting(fp, "ssl_ca_file", value, true);
	free(value);
	append_setting(fp, "password_encryption", "scram-sha-256", true);
	append_setting(fp, "log_connections", "on", false);

	if (opts->n_conf > 0)
		fprintf(fp, "\n# From --conf.\n");
	for (int i = 0; i < opts->n_conf; i++)
		fprintf(fp, "%s\n", opts->conf[i]);

	ok = close_config(fp, path);
	free(path);
	return ok;
}

/*
 * Replaces initdb's pg_hba.conf: trust over the (0700) socket directory,
 * then the --hba lines or our default TLS-first rules.  Returns false with a
 * failure recorded.
 */
static bool
write_pg_hba_conf(const Cluster *c, const PtpClusterOptions *opts)
{
	char	   *path = cluster_path(c, "data/pg_hba.conf");
	FILE	   *fp = fopen(path, "w");

	if (fp == NULL)
	{
		ptp_fail("could not open \"%s\": %s", path, strerror(errno));
		free(path);
		return false;
	}
	fprintf(fp, "# Written by %s cluster start.\n", PTP_PROGNAME);
	fprintf(fp, "# Only the server user and root can reach the socket directory.\n");
	fprintf(fp, "local all all trust\n");
	if (opts->n_hba > 0)
	{
		for (int i = 0; i < opts->n_hba; i++)
			fprintf(fp, "%s\n", opts->hba[i]);
	}
	else
	{
		for (size_t i = 0; i < lengthof(default_hba); i++)
			fprintf(fp, "%s\n", default_hba[i]);
	}
	if (!close_config(fp, path))
	{
		free(path);
		return false;
	}
	free(path);
	return true;
}

/*
 * Runs pg_ctl with the given action arguments as user, logging to
 * DIR/setup.log.  Returns its wait status, or -1 with a failure recorded.
 */
static int
run_pg_ctl(const char *dir, const char *bindir, const PtpUser *user,
		   const char *const *args, int n_args)
{
	char	   *argv[16];
	char	   *pg_ctl = ptp_psprintf("%s/pg_ctl", bindir);
	char	   *data = ptp_psprintf("%s/data", dir);
	char	   *log = ptp_psprintf("%s/setup.log", dir);
	PtpRunOptions options = {0};
	int			n = 0;
	int			status;

	Assert(n_args <= 12);
	argv[n++] = pg_ctl;
	argv[n++] = "-D";
	argv[n++] = data;
	for (int i = 0; i < n_args; i++)
		argv[n++] = (char *) args[i];
	argv[n] = NULL;

	options.user = user;
	options.log_path = log;
	options.cwd = dir;
	options.path_prefix = bindir;
	options.clean_env = true;
	/* A killed "pg_ctl stop" could leave a postmaster half stopped. */
	options.kill_on_interrupt = false;
	status = ptp_run(argv, &options);

	free(pg_ctl);
	free(data);
	free(log);
	return status;
}

/*
 * Whether DATA/postmaster.pid says that the postmaster pid accepts
 * connections.
 */
static bool
postmaster_ready(const char *pidfile, pid_t pid)
{
	FILE	   *fp = fopen(pidfile, "r");
	char		line[MAXPGPATH];
	long		file_pid = 0;
	bool		ready = false;

	if (fp == NULL)
		return false;
	for (int n = 1; fgets(line, sizeof(line), fp) != NULL; n++)
	{
		if (n == 1)
			file_pid = atol(line);
		else if (n == LOCK_FILE_LINE_PM_STATUS)
			ready = strncmp(line, PM_STATUS_READY, strlen(PM_STATUS_READY)) == 0;
	}
	fclose(fp);
	return ready && file_pid == (long) pid;
}

/*
 * Whether process pid still runs.  The postmasters we start are not our
 * children, so their exit leaves a zombie until whoever adopted them reaps
 * it, which can take seconds: one is as good as gone, and kill(pid, 0)
 * would say otherwise.
 */
static bool
process_runs(pid_t pid)
{
	char		path[64];
	char		stat[512];
	FILE	   *fp;
	size_t		len;
	char	   *paren;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	fp = fopen(path, "r");
	if (fp == NULL)
		return kill(pid, 0) == 0 || errno == EPERM;
	len = fread(stat, 1, sizeof(stat) - 1, fp);
	fclose(fp);
	stat[len] = '\0';
	/* "pid (comm) state ...", where comm may hold anything */
	paren = strrchr(stat, ')');
	return paren == NULL || (paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X');
}

/*
 * Stops the postmaster pid that ptp_postmaster_start() gave up on
 * (immediate shutdown), and waits until it has gone.  Returns nothing.
 */
static void
abandon_postmaster(pid_t pid)
{
	kill(pid, SIGQUIT);
	for (int waited = 0; process_runs(pid); waited++)
	{
		if (waited == 5000)
			kill(pid, SIGKILL);
		usleep(1000);
	}
}

/*
 * ptp_postmaster_start
 *		Starts "postgres -D DIR/data", plus the arguments extra (NULL-ended,
 *		or NULL), as user with the binaries of bindir, its output appended
 *		to DIR/postgresql.log, in a session of its own so that it outlives
 *		us as it would under pg_ctl; then waits until it accepts connections
 *		or exits.  pg_ctl -w looks every 100 ms, a test server is ready in a
 *		fraction of that, and the matrix starts three.
 *
 *		Returns PTP_POSTMASTER_READY, or PTP_POSTMASTER_EXITED (its reason
 *		is in the log), or PTP_POSTMASTER_FAILED with a failure recorded
 *		(and the server stopped) when it could not be started or was not
 *		ready within timeout seconds, or when we were interrupted meanwhile
 *		(no failure recorded: the interrupt is the reason).
 */
PtpPostmasterStart
ptp_postmaster_start(const char *bindir, const PtpUser *user, const char *dir,
					 char *const *extra, int timeout)
{
	char	   *postgres = ptp_psprintf("%s/postgres", bindir);
	char	   *data = ptp_psprintf("%s/data", dir);
	char	   *pidfile = ptp_psprintf("%s/postmaster.pid", data);
	char	   *log = ptp_psprintf("%s/postgresql.log", dir);
	char	  **argv;
	int			n_extra = 0;
	PtpRunOptions options = {0};
	PtpPostmasterStart result = PTP_POSTMASTER_FAILED;
	pid_t		pid;

	while (extra != NULL && extra[n_extra] != NULL)
		n_extra++;
	argv = ptp_malloc0((n_extra + 4) * sizeof(char *));
	argv[0] = postgres;
	argv[1] = "-D";
	argv[2] = data;
	for (int i = 0; i < n_extra; i++)
		argv[3 + i] = extra[i];

	options.user = user;
	options.log_path = log;
	options.cwd = dir;
	options.path_prefix = bindir;
	options.clean_env = true;
	pid = ptp_start_daemon(argv, &options);
	for (int waited_ms = 0; pid > 0; waited_ms += POSTMASTER_POLL_MS)
	{
		if (postmaster_ready(pidfile, pid))
		{
			result = PTP_POSTMASTER_READY;
			break;
		}
		if (!process_runs(pid))
		{
			result = PTP_POSTMASTER_EXITED;
			break;
		}
		if (ptp_interrupted())
		{
			abandon_postmaster(pid);
			break;
		}
		if (waited_ms >= timeout * 1000)
		{
			ptp_fail("the server did not accept connections within %d s (see %s)", timeout, log);
			abandon_postmaster(pid);
			break;
		}
		usleep(POSTMASTER_POLL_MS * 1000);
	}
	free(argv);
	free(postgres);
	free(data);
	free(pidfile);
	free(log);
	return result;
}

/*
 * Starts the server and waits until it accepts connections.  Returns false
 * with a failure recorded, quoting the server's last FATAL line.
 */
static bool
start_server(Cluster *c, int timeout)
{
	char	   *log = cluster_path(c, "postgresql.log");
	bool		ok = false;

	c->server_started = true;
	switch (ptp_postmaster_start(c->bindir, &c->user, c->dir, NULL, timeout))
	{
		case PTP_POSTMASTER_READY:
			ok = true;
			break;
		case PTP_POSTMASTER_EXITED:
			{
				char	   *fatal = ptp_last_line(log, "FATAL:");

				if (fatal == NULL)
					fatal = ptp_last_line(log, NULL);
				ptp_fail("server did not start: %s", fatal ? fatal : "it exited and logged nothing");
				free(fatal);
			}
			break;
		case PTP_POSTMASTER_FAILED:
			break;
	}
	free(log);
	return ok;
}

/*
 * Runs one command on conn and checks that it completed; when rows is not
 * negative, also that it affected exactly that many rows.  Returns false
 * with a failure recorded.
 */
static bool
exec_command(PGconn *conn, const char *sql, int rows)
{
	PGresult   *res = PQexec(conn, sql);
	bool		ok = false;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ptp_fail("could not run \"%s\": %s", sql, PQerrorMessage(conn));
	else if (rows >= 0 && atoi(PQcmdTuples(res)) != rows)
		ptp_fail("\"%s\" affected %s rows instead of %d", sql, PQcmdTuples(res), rows);
	else
		ok = true;
	PQclear(res);
	return ok;
}

/*
 * Creates the login role that client certificates authenticate as, over the
 * Unix socket.  Returns false with a failure recorded.
 */
static bool
create_client_role(const Cluster *c, int timeout)
{
	const char *keywords[] = {"host", "port", "user", "dbname", "sslmode",
	"connect_timeout", "application_name", NULL};
	const char *values[8];
	char	   *socket_dir = cluster_path(c, "socket");
	char	   *port = ptp_psprintf("%d", c->port);
	char	   *timeout_text = ptp_psprintf("%d", timeout);
	PGconn	   *conn;
	bool		ok = false;

	values[0] = socket_dir;
	values[1] = port;
	values[2] = SUPERUSER;
	values[3] = "postgres";
	values[4] = "disable";
	values[5] = timeout_text;
	values[6] = PTP_PROGNAME;
	values[7] = NULL;

	conn = ptp_connect_quiet(keywords, values, timeout);
	if (conn == NULL)
		ptp_fail("could not connect over \"%s\": out of memory", socket_dir);
	else if (PQstatus(conn) != CONNECTION_OK)
		ptp_fail("could not connect over \"%s\": %s", socket_dir, PQerrorMessage(conn));
	else
		ok = exec_command(conn, "CREATE ROLE " PTP_CLIENT_CN " LOGIN", -1);

	PQfinish(conn);
	free(socket_dir);
	free(port);
	free(timeout_text);
	return ok;
}

/*
 * Writes DIR/cluster.env and then prints the same lines.  Returns false with
 * a failure recorded.
 */
static bool
publish_environment(const Cluster *c, bool quiet)
{
	char	   *names[10];
	char	   *values[10];
	char	   *path = cluster_path(c, PTP_CLUSTER_ENV);
	size_t		total = 1;
	char	   *text;
	int			n = 0;
	bool		ok;

	names[n] = "PGHOST", values[n++] = ptp_strdup("localhost");
	names[n] = "PGPORT", values[n++] = ptp_psprintf("%d", c->port);
	names[n] = "PGUSER", values[n++] = ptp_strdup(SUPERUSER);
	names[n] = "PGDATABASE", values[n++] = ptp_strdup("postgres");
	names[n] = "PGSSLMODE", values[n++] = ptp_strdup("verify-full");
	names[n] = "PGSSLROOTCERT", values[n++] = ptp_psprintf("%s/%s", c->pkidir, PTP_ROOT_CA_CRT);
	names[n] = "PGPASSFILE", values[n++] = cluster_path(c, "pgpass");
	names[n] = "PG_TLS_PROBE_PKI", values[n++] = ptp_strdup(c->pkidir);
	names[n] = "PG_TLS_PROBE_CLUSTER", values[n++] = ptp_strdup(c->dir);
	names[n] = "PG_TLS_PROBE_SOCKET", values[n++] = cluster_path(c, "socket");

	for (int i = 0; i < n; i++)
	{
		char	   *quoted = ptp_shell_quote(values[i]);

		free(values[i]);
		values[i] = ptp_psprintf("export %s=%s\n", names[i], quoted);
		free(quoted);
		total += strlen(values[i]);
	}
	text = ptp_malloc0(total);
	for (int i = 0; i < n; i++)
	{
		strcat(text, values[i]);
		free(values[i]);
	}

	ok = ptp_write_new_file(path, 0644, NULL, text);
	if (ok && !quiet && (fputs(text, stdout) == EOF || fflush(stdout) != 0))
	{
		ptp_fail("could not write to standard output: %s", strerror(errno));
		ok = false;
	}
	free(text);
	free(path);
	return ok;
}

/*
 * Undoes a failed or interrupted start: stops any postmaster immediately,
 * then removes what we created.  Returns nothing; the original failure is
 * the one reported.
 */
static void
abandon_start(Cluster *c)
{
	if (c->server_started)
	{
		char	   *pidfile = cluster_path(c, "data/postmaster.pid");

		if (ptp_path_exists(pidfile))
		{
			const char *args[] = {"-m", "immediate", "-w", "stop"};

			run_pg_ctl(c->dir, c->bindir, &c->user, args, lengthof(args));
		}
		free(pidfile);
	}
	if (c->own_contents)
		ptp_remove_tree(c->dir, !c->created_dir);
}

/*
 * ptp_cluster_start
 *		Performs "cluster start" and, when info is not NULL, describes the
 *		running cluster there (free it with ptp_cluster_info_free()).
 *		Returns false with a failure recorded, having removed everything it
 *		made.
 */
bool
ptp_cluster_start(const PtpClusterOptions *opts, PtpClusterInfo *info)
{
	Cluster		c = {0};
	bool		have_user = false;
	bool		ok = false;

	/* From here on, Ctrl-C and kill wait for us to clean up. */
	ptp_trap_signals();

#define STEP(call) \
	do { \
		if (!(call)) \
			goto done; \
		if (ptp_interrupted()) \
			goto done; \
	} while (0)

	c.bindir = find_bindir(opts->pg_config);
	STEP(c.bindir != NULL);
	STEP(have_user = resolve_server_user(opts->user, &c.user));
	STEP(claim_directory(&c, opts->dir));
	STEP(check_directory_usable(&c));
	STEP(choose_pki(&c, opts));
	STEP(prepare_server_dirs(&c));
	STEP(start_pki(&c, opts));
	STEP(run_initdb(&c));
	STEP(finish_pki(&c, false));
	STEP(copy_server_pki(&c));
	STEP(choose_port(&c));
	STEP(write_postgresql_conf(&c, opts));
	STEP(write_pg_hba_conf(&c, opts));
	STEP(start_server(&c, opts->timeout));
	STEP(create_client_role(&c, opts->timeout));
	STEP(publish_environment(&c, opts->quiet));
	ok = true;
	if (info != NULL)
	{
		info->dir = ptp_strdup(c.dir);
		info->pkidir = ptp_strdup(c.pkidir);
		info->socket_dir = cluster_path(&c, "socket");
		info->server_dir = cluster_path(&c, "server");
		info->data_dir = cluster_path(&c, "data");
		info->bindir = ptp_strdup(c.bindir);
		info->port = c.port;
		info->ipv6 = c.ipv6;
	}

#undef STEP

done:
	if (!ok)
	{
		int			sig = ptp_interrupted();

		if (sig != 0)
			ptp_fail("interrupted by SIG%s; cluster start abandoned", sigabbrev_np(sig));
		(void) finish_pki(&c, true);
		abandon_start(&c);
	}
	free(c.dir);
	free(c.bindir);
	free(c.pkidir);
	if (have_user)
		ptp_user_free(&c.user);
	return ok;
}

/*
 * ptp_cluster_info_free
 *		Frees what ptp_cluster_start() put in info.
 */
void
ptp_cluster_info_free(PtpClusterInfo *info)
{
	free(info->dir);
	free(info->pkidir);
	free(info->socket_dir);
	free(info->server_dir);
	free(info->data_dir);
	free(info->bindir);
	memset(info, 0, sizeof(*info));
}

/*
 * Returns the bindir recorded in the cluster's marker file (malloc'd), or
 * NULL when it has none.
 */
static char *
marker_bindir(const char *marker)
{
	char	   *line = ptp_last_line(marker, "bindir=");
	char	   *bindir;

	if (line == NULL)
		return NULL;
	bindir = ptp_strdup(line + strlen("bindir="));
	free(line);
	return bindir;
}

/*
 * ptp_cluster_stop
 *		Performs "cluster stop": stops the server if it runs, then removes
 *		the directory, but only a directory that "cluster start" created.
 *		Returns false with a failure recorded.
 */
bool
ptp_cluster_stop(const PtpClusterOptions *opts)
{
	char	   *dir = realpath(opts->dir, NULL);
	char	   *marker = NULL;
	char	   *pidfile = NULL;
	char	   *bindir = NULL;
	PtpUser		owner = {0};
	bool		have_owner = false;
	bool		ok = false;
	struct stat st;

	if (dir == NULL)
	{
		ptp_fail("could not resolve \"%s\": %s", opts->dir, strerror(errno));
		goto done;
	}
	marker = ptp_psprintf("%s/%s", dir, PTP_CLUSTER_MARKER);
	if (lstat(marker, &st) != 0 || !S_ISREG(st.st_mode))
	{
		ptp_fail("\"%s\" was not created by \"%s cluster start\" (no %s); refusing to remove it",
				 dir, PTP_PROGNAME, PTP_CLUSTER_MARKER);
		goto done;
	}

	pidfile = ptp_psprintf("%s/data/postmaster.pid", dir);
	if (ptp_path_exists(pidfile))
	{
		char	   *data = ptp_psprintf("%s/data", dir);
		const char *status_args[] = {"status"};
		char	   *timeout_text = ptp_psprintf("%d", opts->timeout);
		const char *stop_args[] = {"-m", "fast", "-w", "-t", timeout_text, "stop"};
		int			status;

		ok = stat(data, &st) == 0;
		if (!ok)
			ptp_fail("could not stat \"%s\": %s", data, strerror(errno));
		free(data);
		if (ok && geteuid() != 0 && st.st_uid != geteuid())
		{
			ptp_fail("the cluster in \"%s\" belongs to uid %u; stop it as that user or as root",
					 dir, (unsigned int) st.st_uid);
			ok = false;
		}
		if (ok)
			ok = have_owner = ptp_user_by_uid(st.st_uid, &owner);
		if (ok)
		{
			bindir = opts->pg_config != NULL ? find_bindir(opts->pg_config) : marker_bindir(marker);
			if (bindir == NULL)
				bindir = find_bindir(NULL);
			ok = bindir != NULL;
		}

		/* Exit status 3 is pg_ctl's "no server running": a stale pid file. */
		if (ok)
		{
			status = run_pg_ctl(dir, bindir, &owner, status_args, lengthof(status_args));
			ok = status >= 0;
		}
		if (ok && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		{
			status = run_pg_ctl(dir, bindir, &owner, stop_args, lengthof(stop_args));
			if (status >= 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			{
				char	   *how = ptp_describe_status(status);

				ptp_fail("could not stop the server in \"%s\": pg_ctl stop %s (see %s/setup.log)",
						 dir, how, dir);
				free(how);
			}
			ok = status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
		}
		free(timeout_text);
		if (!ok)
			goto done;
	}

	ok = ptp_remove_tree(dir, false);

done:
	free(dir);
	free(marker);
	free(pidfile);
	free(bindir);
	if (have_owner)
		ptp_user_free(&owner);
	return ok;
}

/*
 * Prints the usage of "cluster".  Returns nothing.
 */
static void
cluster_usage(void)
{
	printf("Start or stop a throwaway PostgreSQL cluster with TLS, for tests.\n\n");
	printf("Usage:\n");
	printf("  %s cluster start DIR [OPTION]...\n", PTP_PROGNAME);
	printf("  %s cluster stop DIR [--pg-config PATH] [--timeout SECS]\n\n", PTP_PROGNAME);
	printf("start creates DIR (which must not exist or be empty), runs the server as an\n");
	printf("unprivileged OS user, and prints shell \"export\" lines (also kept in\n");
	printf("DIR/%s) so that\n", PTP_CLUSTER_ENV);
	printf("  eval \"$(%s cluster start /tmp/x)\"; psql -c 'select 1'\n", PTP_PROGNAME);
	printf("connects with verified TLS.  stop stops the server and removes DIR.\n\n");
	printf("Options for start:\n");
	printf("  --pki PKIDIR        use this PKI (from \"%s pki\") instead of a fresh DIR/pki\n", PTP_PROGNAME);
	printf("  --conf NAME=VALUE   append a postgresql.conf line (repeatable)\n");
	printf("  --hba LINE          use these pg_hba.conf lines instead of the defaults (repeatable)\n");
	printf("  --user OSUSER       OS user to run the server as, when run as root\n");
	printf("                      (default: postgres, else a created \"%s\" system user)\n", FALLBACK_USER);
	printf("Options for both:\n");
	printf("  --pg-config PATH    pg_config of the PostgreSQL to use (default: pg_config on PATH)\n");
	printf("  --timeout SECS      seconds to wait for the server to start or stop (default %d)\n", DEFAULT_TIMEOUT);
	printf("  -h, --help          show this help, then exit\n");
}

/*
 * Appends s to a growing array of strings.  Returns nothing.
 */
static void
push_string(char ***array, int *n, char *s)
{
	char	  **bigger = realloc(*array, (*n + 1) * sizeof(char *));

	if (bigger == NULL)
	{
		fprintf(stderr, "%s: out of memory\n", PTP_PROGNAME);
		exit(PTP_EXIT_ERROR);
	}
	bigger[(*n)++] = s;
	*array = bigger;
}

/*
 * Entry point of "pg_tls_probe cluster".  Returns the process exit code.
 */
int
ptp_cluster_main(int argc, char **argv)
{
	enum
	{
		OPT_PKI = 1000,
		OPT_CONF,
		OPT_HBA,
		OPT_PG_CONFIG,
		OPT_USER,
		OPT_TIMEOUT,
	};
	static const struct option long_options[] = {
		{"help", no_argument, NULL, 'h'},
		{"pki", required_argument, NULL, OPT_PKI},
		{"conf", required_argument, NULL, OPT_CONF},
		{"hba", required_argument, NULL, OPT_HBA},
		{"pg-config", required_argument, NULL, OPT_PG_CONFIG},
		{"user", required_argument, NULL, OPT_USER},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{NULL, 0, NULL, 0}
	};
	PtpClusterOptions opts = {0};
	const char *start_only = NULL;
	int			c;
	int			rc;

	opts.timeout = DEFAULT_TIMEOUT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'h':
				cluster_usage();
				rc = PTP_EXIT_OK;
				goto done;
			case OPT_PKI:
				opts.pki = optarg;
				start_only = "--pki";
				break;
			case OPT_CONF:
				if (strchr(optarg, '=') == NULL || strpbrk(optarg, "\r\n") != NULL)
				{
					rc = ptp_usage_error("cluster", "--conf needs one line of the form name=value, got \"%s\"", optarg);
					goto done;
				}
				push_string(&opts.conf, &opts.n_conf, optarg);
				start_only = "--conf";
				break;
			case OPT_HBA:
				if (optarg[0] == '\0' || strpbrk(optarg, "\r\n") != NULL)
				{
					rc = ptp_usage_error("cluster", "--hba needs one non-empty pg_hba.conf line");
					goto done;
				}
				push_string(&opts.hba, &opts.n_hba, optarg);
				start_only = "--hba";
				break;
			case OPT_PG_CONFIG:
				opts.pg_config = optarg;
				break;
			case OPT_USER:
				opts.user = optarg;
				start_only = "--user";
				break;
			case OPT_TIMEOUT:
				{
					char	   *end;
					long		value;

					errno = 0;
					value = strtol(optarg, &end, 10);
					if (errno != 0 || end == optarg || *end != '\0' ||
						value < 1 || value > MAX_TIMEOUT)
					{
						rc = ptp_usage_error("cluster", "invalid --timeout \"%s\" (seconds, 1 to %d)",
											 optarg, MAX_TIMEOUT);
						goto done;
					}
					opts.timeout = (int) value;
				}
				break;
			case ':':
				rc = ptp_usage_error("cluster", "option \"%s\" requires an argument", argv[optind - 1]);
				goto done;
			default:
				if (optopt != 0 && optopt != '?')
					rc = ptp_usage_error("cluster", "unrecognized option \"-%c\"", optopt);
				else
					rc = ptp_usage_error("cluster", "unrecognized option \"%s\"", argv[optind - 1]);
				goto done;
		}
	}

	if (optind >= argc)
	{
		rc = ptp_usage_error("cluster", "missing action (start or stop)");
		goto done;
	}
	opts.action = argv[optind];
	if (strcmp(opts.action, "start") != 0 && strcmp(opts.action, "stop") != 0)
	{
		rc = ptp_usage_error("cluster", "unrecognized action \"%s\" (expected start or stop)", opts.action);
		goto done;
	}
	if (optind + 1 >= argc)
	{
		rc = ptp_usage_error("cluster", "missing DIR");
		goto done;
	}
	opts.dir = argv[optind + 1];
	if (optind + 2 < argc)
	{
		rc = ptp_usage_error("cluster", "too many arguments (first extra: \"%s\")", argv[optind + 2]);
		goto done;
	}

	if (strcmp(opts.action, "start") == 0)
		rc = ptp_cluster_start(&opts, NULL) ? PTP_EXIT_OK : ptp_report_failure();
	else if (start_only != NULL)
		rc = ptp_usage_error("cluster", "option \"%s\" applies only to \"cluster start\"", start_only);
	else
		rc = ptp_cluster_stop(&opts) ? PTP_EXIT_OK : ptp_report_failure();

done:
	free(opts.conf);
	free(opts.hba);
	return rc;
}
