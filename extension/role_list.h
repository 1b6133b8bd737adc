/*-------------------------------------------------------------------------
 *
 * role_list.h
 *		A parsed role-list setting (role_list.c).  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_TLS_AUDIT_ROLE_LIST_H
#define PG_TLS_AUDIT_ROLE_LIST_H

/* A parsed role list setting: names, and "+name" for members of name. */
typedef struct RoleListEntry
{
	bool		members_of;
	char		name[NAMEDATALEN];
} RoleListEntry;

typedef struct RoleList
{
	int			n;
	RoleListEntry entries[FLEXIBLE_ARRAY_MEMBER];
} RoleList;

extern bool tls_parse_role_list(const char *text, RoleList *list,
								const char **detail);

#endif							/* PG_TLS_AUDIT_ROLE_LIST_H */
