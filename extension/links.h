/*-------------------------------------------------------------------------
 *
 * links.h
 *		The server's outbound links: the connection strings it uses or
 *		stores, judged by common/conninfo_judgement.c (links.c).  Include
 *		after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_TLS_AUDIT_LINKS_H
#define PG_TLS_AUDIT_LINKS_H

#include "conninfo_judgement.h"
#include "nodes/pg_list.h"

/* One link, as tls_links() returns it.  The strings are palloc'd. */
typedef struct TlsLink
{
	const char *kind;			/* primary_conninfo, wal_receiver, subscription,
								 * foreign_server, user_mapping */
	char	   *database;		/* of a subscription; NULL otherwise */
	char	   *name;
	char	   *source;			/* a setting's file:line, a server's wrapper */
	char	   *server;			/* a user mapping's foreign server */
	char	   *conninfo;		/* re-printed without secrets; NULL when not
								 * read or not parsable */
	const char *unreadable;		/* why the string was not read; NULL if it was */
	CjJudgement *judgement;		/* NULL when the string was not read */
} TlsLink;

extern List *tls_links_read(void);
extern char *tls_links_other_databases(void);
extern const char *tls_link_hint(const char *check);

#endif							/* PG_TLS_AUDIT_LINKS_H */
