/*-------------------------------------------------------------------------
 *
 * role_list.c
 *		The parser of the policy's role-list settings
 *		(pg_tls_audit.require_client_certificate, pg_tls_audit.exempt_roles).
 *
 * The text comes from configuration files, ALTER SYSTEM or the command
 * line.  The parser allocates nothing and calls nothing of the server, so
 * that a fuzz target can compile it unchanged.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "role_list.h"

/*
 * tls_parse_role_list
 *		Split a role-list setting into list (which has room for one entry
 *		per comma, plus one): entries separated by commas, blanks around
 *		them ignored, each an optional "+" followed by a name written as is
 *		or double-quoted ("" stands for a quote inside).  False with
 *		*detail set when the text is not such a list.
 */
bool
tls_parse_role_list(const char *text, RoleList *list, const char **detail)
{
	const char *p = text;

	list->n = 0;
	while (isspace((unsigned char) *p))
		p++;
	if (*p == '\0')
		return true;

	for (;;)
	{
		RoleListEntry *entry = &list->entries[list->n];
		int			len = 0;

		entry->members_of = (*p == '+');
		if (entry->members_of)
			p++;
		if (*p == '"')
		{
			for (p++;; p++)
			{
				if (*p == '\0')
				{
					*detail = "A quoted role name is not terminated.";
					return false;
				}
				if (*p == '"' && p[1] != '"')
					break;
				if (*p == '"')
					p++;
				if (len == NAMEDATALEN - 1)
				{
					*detail = "A role name is longer than 63 bytes.";
					return false;
				}
				entry->name[len++] = *p;
			}
			p++;
		}
		else
		{
			while (*p != '\0' && *p != ',' && !isspace((unsigned char) *p))
			{
				if (*p == '"')
				{
					*detail = "A double quote may only start a role name; quote the whole name.";
					return false;
				}
				if (len == NAMEDATALEN - 1)
				{
					*detail = "A role name is longer than 63 bytes.";
					return false;
				}
				entry->name[len++] = *p++;
			}
		}
		entry->name[len] = '\0';
		if (len == 0)
		{
			*detail = entry->members_of ?
				"\"+\" must be followed by a role name." :
				"The list has an empty entry.";
			return false;
		}
		list->n++;

		while (isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			return true;
		if (*p != ',')
		{
			*detail = "Role names are separated by commas; a name with blanks must be double-quoted.";
			return false;
		}
		p++;
		while (isspace((unsigned char) *p))
			p++;
	}
}
