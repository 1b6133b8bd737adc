/*-------------------------------------------------------------------------
 *
 * run.c
 *		Child processes for pg_tls_probe: running PostgreSQL's programs as an
 *		unprivileged OS user (fork, setgid/initgroups/setuid, execve) without
 *		depending on su or sudo, waited for or left running as a daemon,
 *		capturing a program's output, and deferring SIGINT/SIGTERM so that
 *		a subcommand can clean up before it exits.
 *
 * harness/run.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pg_tls_probe.h"

#define CLEAN_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Signals deferred by ptp_trap_signals, and the first one that arrived. */
static sigset_t trapped_signals;
static bool trapping = false;
static int	interrupted_by = 0;

/*
 * Fills *user from a passwd entry.  Returns true.
 */
static bool
user_from_passwd(const struct passwd *pw, PtpUser *user)
{
	user->name = ptp_strdup(pw->pw_name);
	user->uid = pw->pw_uid;
	user->gid = pw->pw_gid;
	return true;
}

/*
 * Looks up an OS account by name.  Returns false, recording nothing, when
 * there is no such account, so that callers can fall back to another one.
 */
bool
ptp_user_lookup(const char *name, PtpUser *user)
{
	struct passwd *pw = getpwnam(name);

	if (pw == NULL)
		return false;
	return user_from_passwd(pw, user);
}

/*
 * Looks up an OS account by uid.  Returns false, with a failure recorded,
 * when the uid has no passwd entry.
 */
bool
ptp_user_by_uid(uid_t uid, PtpUser *user)
{
	struct passwd *pw = getpwuid(uid);

	if (pw == NULL)
	{
		ptp_fail("OS user with uid %u has no passwd entry", (unsigned int) uid);
		return false;
	}
	return user_from_passwd(pw, user);
}

/*
 * Releases what ptp_user_lookup/ptp_user_by_uid allocated.
 */
void
ptp_user_free(PtpUser *user)
{
	free(user->name);
	user->name = NULL;
}

/*
 * Switches the calling child process to user.  Returns false, having written
 * the reason to stderr, when that is impossible.  Only ever called between
 * fork and exec.
 */
static bool
become_user(const PtpUser *user)
{
	if (user == NULL || user->uid == geteuid())
		return true;
	if (geteuid() != 0)
	{
		fprintf(stderr, "%s: cannot run as OS user \"%s\" without root privileges\n",
				PTP_PROGNAME, user->name);
		return false;
	}
	/* Group first: once the uid is dropped we may no longer change it. */
	if (setgid(user->gid) != 0 ||
		initgroups(user->name, user->gid) != 0 ||
		setuid(user->uid) != 0)
	{
		fprintf(stderr, "%s: could not switch to OS user \"%s\": %s\n",
				PTP_PROGNAME, user->name, strerror(errno));
		return false;
	}
	return true;
}

/*
 * Asks, from a child running as user, whether path is accessible with mode
 * (as for access(2)).  Returns 1 when it is, 0 when it is not, and -1 with
 * a failure recorded when the check itself could not be made.
 */
int
ptp_user_can_access(const PtpUser *user, const char *path, int mode)
{
	pid_t		pid;
	int			status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
	{
		ptp_fail("could not fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
	{
		int			devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		if (!become_user(user))
			_exit(2);
		_exit(access(path, mode) == 0 ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0)
	{
		if (errno != EINTR)
		{
			ptp_fail("could not wait for child process: %s", strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) <= 1)
		return WEXITSTATUS(status) == 0 ? 1 : 0;
	ptp_fail("could not check whether OS user \"%s\" can reach \"%s\"",
			 user->name, path);
	return -1;
}

/*
 * Defers SIGINT, SIGTERM and SIGHUP for the rest of the process, so that a
 * subcommand sees them through ptp_interrupted() at a point where it can
 * still clean up, and so that a terminal's Ctrl-C reaches us alone: children
 * then run in their own process group and are stopped by us.
 */
void
ptp_trap_signals(void)
{
	sigemptyset(&trapped_signals);
	sigaddset(&trapped_signals, SIGINT);
	sigaddset(&trapped_signals, SIGTERM);
	sigaddset(&trapped_signals, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &trapped_signals, NULL) == 0)
		trapping = true;
}

/*
 * Returns the first trapped signal that has arrived, or 0 while none has.
 */
int
ptp_interrupted(void)
{
	struct timespec zero = {0, 0};
	int			sig;

	if (!trapping)
		return 0;
	while ((sig = sigtimedwait(&trapped_signals, NULL, &zero)) > 0)
	{
		if (interrupted_by == 0)
			interrupted_by = sig;
	}
	return interrupted_by;
}

/*
 * Builds the environment of a child started with clean_env.  Returns a
 * malloc'd NULL-terminated array.
 */
static char **
clean_environment(const char *path_prefix)
{
	char	  **env = ptp_malloc0(3 * sizeof(char *));

	if (path_prefix != NULL)
		env[0] = ptp_psprintf("PATH=%s:%s", path_prefix, CLEAN_PATH);
	else
		env[0] = ptp_strdup("PATH=" CLEAN_PATH);
	env[1] = ptp_strdup("LC_ALL=C");
	return env;
}

/*
 * Frees what clean_environment() made and closes the log, once a child has
 * them.  Returns nothing.
 */
static void
release_child_setup(char **env, int log_fd)
{
	if (env != NULL)
	{
		for (char **e = env; *e != NULL; e++)
			free(*e);
		free(env);
	}
	if (log_fd >= 0)
		close(log_fd);
}

/*
 * Sets up and execs the child side of ptp_run and ptp_start_daemon.  Never
 * returns.
 */
static void
run_child(char *const argv[], const PtpRunOptions *options, int log_fd,
		  char **env, bool daemon)
{
	sigset_t	none;
	int			devnull;

	/* A daemon also leaves our session, as pg_ctl's server does. */
	if (daemon)
		setsid();
	else if (trapping)
		setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	if (log_fd >= 0)
	{
		dup2(log_fd, STDOUT_FILENO);
		dup2(log_fd, STDERR_FILENO);
	}

	if (!become_user(options->user))
		_exit(127);
	if (options->cwd != NULL && chdir(options->cwd) != 0)
	{
		fprintf(stderr, "%s: could not change directory to \"%s\": %s\n",
				PTP_PROGNAME, options->cwd, strerror(errno));
		_exit(127);
	}
	if (env != NULL)
		execve(argv[0], argv, env);
	else
		execv(argv[0], argv);
	fprintf(stderr, "%s: could not execute \"%s\": %s\n",
			PTP_PROGNAME, argv[0], strerror(errno));
	_exit(127);
}

/*
 * Runs argv (argv[0] an absolute path) as described by options and waits
 * for it.  Returns its wait status, or -1 with a failure recorded when it
 * could not be started or waited for.  When a trapped signal arrives
 * meanwhile, it is latched for ptp_interrupted(), passed on to the child if
 * asked, and -1 is returned with no failure recorded: the interrupt, not
 * the child's complaint about it, is the reason to report.
 */
int
ptp_run(char *const argv[], const PtpRunOptions *options)
{
	int			log_fd = -1;
	char	  **env = NULL;
	sigset_t	wait_set;
	sigset_t	saved_mask;
	pid_t		pid;
	int			status = -1;
	bool		got_signal = false;
	bool		signalled = false;

	if (options->log_path != NULL)
	{
		log_fd = open(options->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0)
		{
			ptp_fail("could not open \"%s\": %s", options->log_path, strerror(errno));
			return -1;
		}
	}
	if (options->clean_env)
		env = clean_environment(options->path_prefix);

	/*
	 * SIGCHLD stays blocked while the child runs so that sigtimedwait below
	 * wakes for it without a race; the timeout is a second line of defence.
	 */
	sigemptyset(&wait_set);
	sigaddset(&wait_set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &wait_set, &saved_mask);
	if (trapping)
	{
		sigaddset(&wait_set, SIGINT);
		sigaddset(&wait_set, SIGTERM);
		sigaddset(&wait_set, SIGHUP);
	}

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		ptp_fail("could not fork: %s", strerror(errno));
	else if (pid == 0)
		run_child(argv, options, log_fd, env, false);
	else
	{
		for (;;)
		{
			struct timespec tick = {0, 100 * 1000 * 1000};
			pid_t		done = waitpid(pid, &status, WNOHANG);
			int			sig;

			if (done == pid)
				break;
			if (done < 0 && errno != EINTR)
			{
				ptp_fail("could not wait for \"%s\": %s", argv[0], strerror(errno));
				status = -1;
				break;
			}
			sig = sigtimedwait(&wait_set, NULL, &tick);
			if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
			{
				if (interrupted_by == 0)
					interrupted_by = sig;
				got_signal = true;
				if (options->kill_on_interrupt && !signalled)
				{
					kill(-pid, SIGTERM);
					kill(pid, SIGTERM);
					signalled = true;
				}
			}
		}
	}

	sigprocmask(SIG_SETMASK, &saved_mask, NULL);
	release_child_setup(env, log_fd);
	return got_signal ? -1 : status;
}

/*
 * Starts argv (argv[0] an absolute path) as described by options, as a
 * daemon: in a session of its own and, by a double fork, not our child, so
 * that whoever adopts orphans reaps it whenever it exits (a child of ours
 * would linger as a zombie that kill(pid, 0) and pg_ctl take for alive).
 * The caller watches it with kill(pid, 0).  Returns its pid, or -1 with a
 * failure recorded.
 */
pid_t
ptp_start_daemon(char *const argv[], const PtpRunOptions *options)
{
	int			log_fd = -1;
	char	  **env = NULL;
	int			fds[2];
	pid_t		middle;
	pid_t		pid = -1;
	int			status;

	if (options->log_path != NULL)
	{
		log_fd = open(options->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0)
		{
			ptp_fail("could not open \"%s\": %s", options->log_path, strerror(errno));
			return -1;
		}
	}
	if (pipe2(fds, O_CLOEXEC) != 0)
	{
		ptp_fail("could not create a pipe: %s", strerror(errno));
		if (log_fd >= 0)
			close(log_fd);
		return -1;
	}
	if (options->clean_env)
		env = clean_environment(options->path_prefix);
	fflush(NULL);
	middle = fork();
	if (middle < 0)
		ptp_fail("could not fork: %s", strerror(errno));
	else if (middle == 0)
	{
		/* The middle process reports the daemon's pid, and exits. */
		pid_t		daemon_pid = fork();

		if (daemon_pid == 0)
			run_child(argv, options, log_fd, env, true);
		_exit(write(fds[1], &daemon_pid, sizeof(daemon_pid)) == sizeof(daemon_pid) ? 0 : 1);
	}
	else
	{
		close(fds[1]);
		fds[1] = -1;
		while (read(fds[0], &pid, sizeof(pid)) < 0 && errno == EINTR)
			;
		while (waitpid(middle, &status, 0) < 0 && errno == EINTR)
			;
		if (pid <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		{
			ptp_fail("could not start \"%s\": fork failed", argv[0]);
			pid = -1;
		}
	}
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	release_child_setup(env, log_fd);
	return pid;
}

/*
 * Runs argv (argv[0] looked up in PATH) with stderr discarded.  Returns its
 * stdout without the trailing newline (malloc'd), or NULL with a failure
 * recorded when it could not run or did not exit with status 0.
 */
char *
ptp_run_capture(char *const argv[])
{
	int			pipe_fds[2];
	pid_t		pid;
	size_t		len = 0;
	size_t		cap = 256;
	char	   *out;
	int			status;

	if (pipe(pipe_fds) != 0)
	{
		ptp_fail("could not create pipe: %s", strerror(errno));
		return NULL;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
	{
		ptp_fail("could not fork: %s", strerror(errno));
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return NULL;
	}
	if (pid == 0)
	{
		int			devnull = open("/dev/null", O_RDWR);
		sigset_t	none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(pipe_fds[0]);
		dup2(pipe_fds[1], STDOUT_FILENO);
		if (devnull >= 0)
		{
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}

	close(pipe_fds[1]);
	out = ptp_malloc0(cap);
	for (;;)
	{
		ssize_t		n;

		if (len + 1 >= cap)
		{
			char	   *bigger = realloc(out, cap * 2);

			if (bigger == NULL)
			{
				fprintf(stderr, "%s: out of memory\n", PTP_PROGNAME);
				exit(PTP_EXIT_ERROR);
			}
			out = bigger;
			cap *= 2;
		}
		n = read(pipe_fds[0], out + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	out[len] = '\0';
	close(pipe_fds[0]);

	while (waitpid(pid, &status, 0) < 0)
	{
		if (errno != EINTR)
		{
			ptp_fail("could not wait for \"%s\": %s", argv[0], strerror(errno));
			free(out);
			return NULL;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
	{
		char	   *how = ptp_describe_status(status);

		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			ptp_fail("could not execute \"%s\"", argv[0]);
		else
			ptp_fail("\"%s\" %s", argv[0], how);
		free(how);
		free(out);
		return NULL;
	}
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		out[--len] = '\0';
	return out;
}

/*
 * Returns a malloc'd phrase such as "exited with status 1" for a wait
 * status, to follow a program's name in a message.
 */
char *
ptp_describe_status(int status)
{
	if (status < 0)
		return ptp_strdup("could not be run");
	if (WIFEXITED(status))
		return ptp_psprintf("exited with status %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return ptp_psprintf("was terminated by signal %d (%s)",
							WTERMSIG(status), strsignal(WTERMSIG(status)));
	return ptp_psprintf("ended with unrecognized status %d", status);
}
