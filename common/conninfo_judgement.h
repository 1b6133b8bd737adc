/*-------------------------------------------------------------------------
 *
 * conninfo_judgement.h
 *		The judgement of a libpq connection string's TLS settings, shared
 *		by pg_tls_audit (tls_links(), tls_audit()) and pg_tls_probe
 *		(audit --judge): one set of rules, two callers.
 *
 * Plain C over libpq's public API and libc: no server or harness header,
 * no palloc, no ereport, so that it compiles unchanged in both.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CONNINFO_JUDGEMENT_H
#define CONNINFO_JUDGEMENT_H

#include <stdbool.h>
#include <stddef.h>

/* The verdicts, from the best to the worst. */
typedef enum CjVerdict
{
	CJ_VERIFIED,				/* verify-full on a root that exists */
	CJ_LOCAL,					/* Unix-domain socket only: TLS does not apply */
	CJ_CRL_MISSING,				/* verified, but a named CRL file is missing */
	CJ_NO_HOST_CHECK,			/* the chain is verified, the host name is not */
	CJ_UNVERIFIED,				/* TLS without any check of the server */
	CJ_PLAINTEXT_POSSIBLE,		/* disable, allow, prefer */
	CJ_REFUSES,					/* libpq refuses to connect with these settings */
	CJ_UNPARSABLE				/* libpq cannot parse the string */
} CjVerdict;

#define CJ_FIELD_LEN	1024

/* What cj_judge() found; every string is NUL-terminated, "" when unset. */
typedef struct CjJudgement
{
	CjVerdict	verdict;
	const char *verdict_name;	/* "verified", "plaintext-possible", ... */
	const char *severity;		/* "ok", "medium", "high" */
	const char *check;			/* tls_audit()'s check name, NULL when ok */
	int			libpq_version;	/* PQlibVersion() of the judging process */
	char		sslmode[32];	/* effective: the string, PGSSLMODE, libpq's default */
	char		sslrootcert[CJ_FIELD_LEN];	/* as given (or PGSSLROOTCERT) */
	char		root[CJ_FIELD_LEN]; /* the file libpq reads, "system", "" for a socket */
	char		channel_binding[32];
	char		require_auth[128];
	char		reason[4 * CJ_FIELD_LEN];	/* one or more English sentences */
} CjJudgement;

extern void cj_judge(const char *conninfo, CjJudgement *out);
extern char *cj_redacted(const char *conninfo);
extern bool cj_is_libpq_keyword(const char *keyword);

#endif							/* CONNINFO_JUDGEMENT_H */
