/*-------------------------------------------------------------------------
 *
 * asan_early_init.c
 *		A library preloaded after the AddressSanitizer runtime into Debian's
 *		postgres, which is not built with it (testbed_extension_asan.sh):
 *		it makes the runtime start before glibc's gettext lock is taken.
 *
 * Preloaded into a program that was not built with it, the runtime starts
 * at the first malloc().  In Debian's postgres, the first one happens in
 * the constructor of libgpg-error (loaded through libldap and GnuTLS),
 * inside bindtextdomain(), which holds glibc's gettext lock; the runtime's
 * start-up calls dlerror(), which takes that lock again, and the process
 * hangs before main().  This bindtextdomain() allocates first, outside
 * the lock, then hands over to glibc's.
 *
 * harness/t/asan_early_init.c
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <stdlib.h>

typedef char *(*BindTextDomain) (const char *domainname, const char *dirname);

char	   *bindtextdomain(const char *domainname, const char *dirname);

/*
 * bindtextdomain
 *		glibc's bindtextdomain(), once the sanitizer runtime has started;
 *		returns what glibc's returns (NULL on failure, with errno set).
 */
char *
bindtextdomain(const char *domainname, const char *dirname)
{
	static BindTextDomain next;
	void	   *volatile first = malloc(1);

	free(first);
	if (next == NULL)
		next = (BindTextDomain) dlsym(RTLD_NEXT, "bindtextdomain");
	return next(domainname, dirname);
}
