/*-------------------------------------------------------------------------
 *
 * util.c
 *		Allocation, file, directory and quoting helpers shared by the
 *		subcommands: allocations that never return NULL, files created with
 *		an exact mode and owner, whole-file reads and copies, tree removal
 *		that never follows symbolic links, quoting for a POSIX shell and for
 *		postgresql.conf, and where test beds go.
 *
 * Every function records a failure with ptp_fail() and returns false or
 * NULL rather than exiting, so that the caller can clean up; only the
 * allocation helpers, which every file uses, exit when memory runs out.
 *
 * harness/util.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "pg_tls_probe.h"

/* Where ptp_scratch_dir() prefers to put test beds, and the room it wants. */
#define SCRATCH_RAM_DIR			"/dev/shm"
#define SCRATCH_RAM_MIN_FREE	((uint64) 512 * 1024 * 1024)

/* nftw() takes no context argument. */
static bool remove_tree_keep_top;
static bool remove_tree_failed;

/*
 * Running out of memory in a test harness is not worth unwinding for, but it
 * must still honour the one-line, exit-2 contract.  Never returns.
 */
static void
out_of_memory(void)
{
	fprintf(stderr, "%s: out of memory\n", PTP_PROGNAME);
	exit(PTP_EXIT_ERROR);
}

/*
 * Returns a zeroed allocation; never NULL.
 */
void *
ptp_malloc0(size_t size)
{
	void	   *p = calloc(1, size == 0 ? 1 : size);

	if (p == NULL)
		out_of_memory();
	return p;
}

/*
 * Returns a malloc'd copy of s; never NULL.
 */
char *
ptp_strdup(const char *s)
{
	char	   *p = strdup(s);

	if (p == NULL)
		out_of_memory();
	return p;
}

/*
 * Returns a malloc'd formatted string; never NULL.
 */
char *
ptp_psprintf(const char *fmt,...)
{
	va_list		args;
	int			needed;
	char	   *p;

	va_start(args, fmt);
	needed = vsnprintf(NULL, 0, fmt, args);
	va_end(args);
	if (needed < 0)
		out_of_memory();

	p = ptp_malloc0((size_t) needed + 1);
	va_start(args, fmt);
	vsnprintf(p, (size_t) needed + 1, fmt, args);
	va_end(args);
	return p;
}

/*
 * Returns true when path exists (as anything).
 */
bool
ptp_path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * Removes one entry for remove_tree.  Returns 0 so that the walk carries on and
 * removes as much as it can.
 */
static int
remove_tree_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	int			rc;

	if (ftw->level == 0 && remove_tree_keep_top)
		return 0;
	rc = (type == FTW_DP) ? rmdir(path) : unlink(path);
	if (rc != 0 && errno != ENOENT)
	{
		ptp_fail("could not remove \"%s\": %s", path, strerror(errno));
		remove_tree_failed = true;
	}
	return 0;
}

/*
 * Removes path recursively without following symbolic links; with keep_top
 * only its contents.  Returns false with a failure recorded.
 */
bool
ptp_remove_tree(const char *path, bool keep_top)
{
	remove_tree_keep_top = keep_top;
	remove_tree_failed = false;
	if (nftw(path, remove_tree_entry, 32, FTW_DEPTH | FTW_PHYS) != 0)
	{
		if (errno == ENOENT)
			return true;
		ptp_fail("could not remove \"%s\": %s", path, strerror(errno));
		return false;
	}
	return !remove_tree_failed;
}

/*
 * Returns the text after "key=" in the last line of path that contains
 * needle (the whole line when needle is NULL, skipping blank lines), without
 * its newline; malloc'd, or NULL when there is none.
 */
char *
ptp_last_line(const char *path, const char *needle)
{
	FILE	   *fp = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		len;
	char	   *found = NULL;

	if (fp == NULL)
		return NULL;
	while ((len = getline(&line, &cap, fp)) >= 0)
	{
		char	   *start;

		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (needle != NULL)
			start = strstr(line, needle);
		else
			start = len > 0 ? line : NULL;
		if (start != NULL)
		{
			free(found);
			found = ptp_strdup(start);
		}
	}
	free(line);
	fclose(fp);
	return found;
}

/*
 * Creates path with exactly mode, owned by user (when running as root),
 * failing if it exists.  Returns an open descriptor, or -1 with a failure
 * recorded.
 */
static int
create_owned_file(const char *path, mode_t mode, const PtpUser *owner)
{
	int			fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0)
	{
		ptp_fail("could not create \"%s\": %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) != 0 ||
		(owner != NULL && fchown(fd, owner->uid, owner->gid) != 0))
	{
		ptp_fail("could not set owner and permissions of \"%s\": %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Writes len bytes to fd and closes it.  Returns false with a failure
 * recorded (naming path).
 */
static bool
write_and_close(int fd, const char *path, const char *data, size_t len)
{
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			ptp_fail("could not write \"%s\": %s", path, strerror(errno));
			close(fd);
			return false;
		}
		done += n;
	}
	if (close(fd) != 0)
	{
		ptp_fail("could not write \"%s\": %s", path, strerror(errno));
		return false;
	}
	return true;
}

/*
 * Creates path (which must not exist) holding data, with mode and owner.
 * Returns false with a failure recorded.
 */
bool
ptp_write_new_file(const char *path, mode_t mode, const PtpUser *owner, const char *data)
{
	int			fd = create_owned_file(path, mode, owner);

	if (fd < 0)
		return false;
	return write_and_close(fd, path, data, strlen(data));
}

/*
 * Returns the whole content of path (malloc'd, NUL-terminated, length in
 * *len), or NULL with a failure recorded.
 */
static char *
read_file(const char *path, size_t *len)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char	   *data;
	size_t		done = 0;

	if (fd < 0)
	{
		ptp_fail("could not open \"%s\": %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
	{
		ptp_fail("\"%s\" is not a regular file", path);
		close(fd);
		return NULL;
	}
	data = ptp_malloc0((size_t) st.st_size + 1);
	while (done < (size_t) st.st_size)
	{
		ssize_t		n = read(fd, data + done, (size_t) st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			ptp_fail("could not read \"%s\": %s", path,
					 n == 0 ? "file shrank while reading" : strerror(errno));
			free(data);
			close(fd);
			return NULL;
		}
		done += n;
	}
	close(fd);
	*len = done;
	return data;
}

/*
 * Copies src to a new file dst with mode and owner.  Returns false with a
 * failure recorded.
 */
bool
ptp_copy_file(const char *src, const char *dst, mode_t mode, const PtpUser *owner)
{
	size_t		len;
	char	   *data = read_file(src, &len);
	int			fd;
	bool		ok;

	if (data == NULL)
		return false;
	fd = create_owned_file(dst, mode, owner);
	ok = fd >= 0 && write_and_close(fd, dst, data, len);
	OPENSSL_cleanse(data, len);
	free(data);
	return ok;
}

/*
 * Creates directory path with exactly mode, owned by owner.  Returns false
 * with a failure recorded.
 */
bool
ptp_make_owned_dir(const char *path, mode_t mode, const PtpUser *owner)
{
	if (mkdir(path, mode) != 0)
	{
		ptp_fail("could not create directory \"%s\": %s", path, strerror(errno));
		return false;
	}
	if (chmod(path, mode) != 0 ||
		(owner != NULL && chown(path, owner->uid, owner->gid) != 0))
	{
		ptp_fail("could not set owner and permissions of \"%s\": %s", path, strerror(errno));
		return false;
	}
	return true;
}

/*
 * Returns a malloc'd copy of value quoted for a POSIX shell: unchanged when
 * it has nothing a shell would interpret, otherwise in single quotes.
 */
char *
ptp_shell_quote(const char *value)
{
	static const char safe[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-";
	size_t		n_quotes = 0;
	char	   *out;
	char	   *o;

	if (value[0] != '\0' && strspn(value, safe) == strlen(value))
		return ptp_strdup(value);

	for (const char *p = value; *p != '\0'; p++)
		if (*p == '\'')
			n_quotes++;
	out = ptp_malloc0(strlen(value) + 3 * n_quotes + 3);
	o = out;
	*o++ = '\'';
	for (const char *p = value; *p != '\0'; p++)
	{
		if (*p == '\'')
		{
			memcpy(o, "'\\''", 4);
			o += 4;
		}
		else
			*o++ = *p;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/*
 * Returns a malloc'd copy of value as a postgresql.conf string literal,
 * quotes and backslashes escaped.
 */
char *
ptp_conf_quote(const char *value)
{
	char	   *out = ptp_malloc0(2 * strlen(value) + 3);
	char	   *o = out;

	*o++ = '\'';
	for (const char *p = value; *p != '\0'; p++)
	{
		if (*p == '\'' || *p == '\\')
			*o++ = *p;
		*o++ = *p;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/*
 * Returns a malloc'd absolute form of path (relative to the current
 * directory, trailing slashes removed), or NULL with a failure recorded.
 */
char *
ptp_absolute_path(const char *path)
{
	char	   *abs;
	size_t		len;

	if (path[0] == '/')
		abs = ptp_strdup(path);
	else
	{
		char	   *cwd = getcwd(NULL, 0);

		if (cwd == NULL)
		{
			ptp_fail("could not determine the current directory: %s", strerror(errno));
			return NULL;
		}
		abs = ptp_psprintf("%s/%s", cwd, path);
		free(cwd);
	}
	len = strlen(abs);
	while (len > 1 && abs[len - 1] == '/')
		abs[--len] = '\0';
	return abs;
}

/*
 * Returns true when directory path has no entries; false, with a failure
 * recorded, when it has some or cannot be read.
 */
bool
ptp_dir_is_empty(const char *path)
{
	DIR		   *d = opendir(path);
	struct dirent *de;
	bool		empty = true;

	if (d == NULL)
	{
		ptp_fail("could not open directory \"%s\": %s", path, strerror(errno));
		return false;
	}
	while ((de = readdir(d)) != NULL)
	{
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
		{
			empty = false;
			break;
		}
	}
	closedir(d);
	if (!empty)
		ptp_fail("\"%s\" exists and is not empty; give a new or empty directory", path);
	return empty;
}

/*
 * Returns the directory that throwaway test beds go under: $TMPDIR when it
 * is set (it must then be reachable by the server's OS user), else
 * /dev/shm when it is a world-writable RAM file system with room to spare,
 * else /tmp.
 *
 * initdb creates some 1,000 files and the matrix removes them again a few
 * seconds later.  On a disk file system that other test runs also fill and
 * empty, creating them costs far more than the data they hold: on ext4,
 * inode allocation skips recently deleted inodes one by one, which took
 * more than half of initdb's time on the machines this was measured on.
 * A RAM file system has no such cost, and the cluster is thrown away
 * anyway.  /dev/shm is also where the server puts its dynamic shared
 * memory, so a small one (64 MB, as containers often have) is left alone.
 */
const char *
ptp_scratch_dir(void)
{
	const char *tmpdir = getenv("TMPDIR");
	struct statfs fs;
	struct stat st;

	if (tmpdir != NULL && tmpdir[0] == '/')
		return tmpdir;
	if (statfs(SCRATCH_RAM_DIR, &fs) == 0 && fs.f_type == TMPFS_MAGIC &&
		(uint64) fs.f_bavail * fs.f_bsize >= SCRATCH_RAM_MIN_FREE &&
		stat(SCRATCH_RAM_DIR, &st) == 0 && S_ISDIR(st.st_mode) &&
		(st.st_mode & (S_IRWXO | S_ISVTX)) == (S_IRWXO | S_ISVTX) &&
		access(SCRATCH_RAM_DIR, W_OK | X_OK) == 0)
		return SCRATCH_RAM_DIR;
	return "/tmp";
}
