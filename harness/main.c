/*-------------------------------------------------------------------------
 *
 * main.c
 *		Command line of pg_tls_probe: global options, the subcommand table,
 *		and the conventions every subcommand shares (one-line errors on
 *		stderr, exit code 2 when a subcommand could not run).
 *
 * harness/main.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <getopt.h>

#include <openssl/err.h>

#include "pg_tls_probe.h"
#include "proxy.h"

typedef struct PtpSubcommand
{
	const char *name;
	int			(*main) (int argc, char **argv);
	const char *summary;
} PtpSubcommand;

static const PtpSubcommand subcommands[] = {
	{"pki", ptp_pki_main, "write a fresh test PKI (CAs, server and client certificates)"},
	{"cluster", ptp_cluster_main, "start or stop a throwaway TLS PostgreSQL cluster"},
	{"matrix", ptp_matrix_main, "every sslmode against every kind of server certificate"},
	{"audit", ptp_audit_main, "a connection string against its real server and every attack"},
	{"proxy", ptp_proxy_main, "an attacker proxy in front of a server, for tests (intercept, strip)"},
	{"drivers", ptp_drivers_main, "each client's recommended TLS setting against bad servers and attackers"},
};

static char failure[1024];

/*
 * Prints the top-level usage.  Returns nothing.
 */
static void
usage(void)
{
	printf("%s probes how PostgreSQL clients and servers use TLS.\n\n", PTP_PROGNAME);
	printf("Usage:\n");
	printf("  %s [--help] [--version] SUBCOMMAND [OPTION]...\n\n", PTP_PROGNAME);
	printf("Subcommands:\n");
	for (size_t i = 0; i < lengthof(subcommands); i++)
		printf("  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
	printf("\nOptions:\n");
	printf("  -h, --help     show this help, then exit\n");
	printf("  -V, --version  output version information, then exit\n");
	printf("\nRun \"%s SUBCOMMAND --help\" for the options of a subcommand.\n", PTP_PROGNAME);
	printf("Exit status: 0 success, 1 deviation found, 2 could not run.\n");
}

static bool record_failure(const char *fmt, va_list args) pg_attribute_printf(1, 0);

/*
 * ptp_parse_int
 *		Parses s as a whole decimal number within [min, max] into *out, for
 *		the options every subcommand spells the same (--jobs, --timeout).
 *		Returns false, with *out untouched, for anything else.
 */
bool
ptp_parse_int(const char *s, int min, int max, int *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = (int) v;
	return true;
}

/*
 * Formats into the failure buffer unless a failure is already recorded.
 * Returns true when this call recorded the message.
 */
static bool
record_failure(const char *fmt, va_list args)
{
	if (failure[0] != '\0')
		return false;
	vsnprintf(failure, sizeof(failure), fmt, args);
	if (failure[0] == '\0')
		strlcpy(failure, "unknown error", sizeof(failure));
	return true;
}

/*
 * Records why the subcommand failed (see pg_tls_probe.h).  Returns nothing.
 */
void
ptp_fail(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	record_failure(fmt, args);
	va_end(args);
}

/*
 * Like ptp_fail, appending the reason OpenSSL queued, and empties OpenSSL's
 * error queue so that the next failure does not inherit stale errors.
 * Returns nothing.
 */
void
ptp_fail_openssl(const char *fmt,...)
{
	va_list		args;
	bool		recorded;
	unsigned long code;

	va_start(args, fmt);
	recorded = record_failure(fmt, args);
	va_end(args);

	/* The oldest queued error is the root cause; later ones are context. */
	code = ERR_peek_error();
	if (recorded && code != 0)
	{
		size_t		used = strlen(failure);
		const char *reason = ERR_reason_error_string(code);

		if (reason != NULL)
			snprintf(failure + used, sizeof(failure) - used, ": %s", reason);
		else
			snprintf(failure + used, sizeof(failure) - used,
					 ": OpenSSL error %lu", code);
	}
	ERR_clear_error();
}

/*
 * Returns true once a failure has been recorded.
 */
bool
ptp_has_failed(void)
{
	return failure[0] != '\0';
}

/*
 * Prints the recorded failure as one line on stderr, made printable (see
 * printable.c): a value it quotes cannot steer the terminal or start a line
 * of its own.  Returns the exit code for "could not run".
 */
int
ptp_report_failure(void)
{
	size_t		len;
	char	   *printable;

	if (failure[0] == '\0')
		strlcpy(failure, "failed for an unknown reason", sizeof(failure));

	/* Messages from libpq and logs carry newlines; the contract is one line. */
	for (char *p = failure; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	len = strlen(failure);
	while (len > 0 && failure[len - 1] == ' ')
		failure[--len] = '\0';

	printable = ptp_printable(failure);
	fprintf(stderr, "%s: %s\n", PTP_PROGNAME, printable);
	free(printable);
	return PTP_EXIT_ERROR;
}

/*
 * Prints a usage error as one line on stderr, pointing at the right --help;
 * the argument it echoes is made printable.  Returns the exit code for
 * "could not run".
 */
int
ptp_usage_error(const char *subcommand, const char *fmt,...)
{
	va_list		args;
	char		message[512];
	char	   *printable;

	va_start(args, fmt);
	vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);

	printable = ptp_printable(message);
	if (subcommand != NULL)
		fprintf(stderr, "%s: %s (try \"%s %s --help\")\n",
				PTP_PROGNAME, printable, PTP_PROGNAME, subcommand);
	else
		fprintf(stderr, "%s: %s (try \"%s --help\")\n",
				PTP_PROGNAME, printable, PTP_PROGNAME);
	free(printable);
	return PTP_EXIT_ERROR;
}

/*
 * Parses the global options and hands the rest to the subcommand.  Returns
 * the process exit code.
 */
int
main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	int			c;
	int			first;
	const char *name;

	opterr = 0;
	/* "+" stops at the subcommand, whose options are its own business. */
	while ((c = getopt_long(argc, argv, "+:hV", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'h':
				usage();
				return PTP_EXIT_OK;
			case 'V':
				printf("%s %s\n", PTP_PROGNAME, PG_TLS_PROBE_VERSION);
				return PTP_EXIT_OK;
			default:
				if (optopt != 0 && optopt != '?')
					return ptp_usage_error(NULL, "unrecognized option \"-%c\"", optopt);
				return ptp_usage_error(NULL, "unrecognized option \"%s\"", argv[optind - 1]);
		}
	}

	if (optind >= argc)
		return ptp_usage_error(NULL, "no subcommand given");

	first = optind;
	name = argv[first];
	for (size_t i = 0; i < lengthof(subcommands); i++)
	{
		if (strcmp(subcommands[i].name, name) == 0)
		{
			/* glibc rescans from scratch, treating argv[0] as the name. */
			optind = 0;
			return subcommands[i].main(argc - first, argv + first);
		}
	}
	return ptp_usage_error(NULL, "unrecognized subcommand \"%s\"", name);
}
