/*-------------------------------------------------------------------------
 *
 * fuzz_role_list.c
 *		Fuzz target: the role-list parser (extension/role_list.c) on any
 *		setting text.
 *
 * The list gets exactly the room policy.c gives it (one entry per comma,
 * plus one), in a block of its own, so that AddressSanitizer sees a write
 * past it.  A list that parses must print back (every name quoted) to
 * text that parses to the same list.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "role_list.h"
#include "shim/check.h"

/*
 * parse
 *		The list text parses to, malloc'd with policy.c's room; NULL with
 *		the reason checked when it does not parse.
 */
static RoleList *
parse(const char *text)
{
	int			max_entries = 1;
	RoleList   *list;
	const char *detail = NULL;

	for (const char *p = text; *p; p++)
		if (*p == ',')
			max_entries++;
	list = malloc(offsetof(RoleList, entries) + sizeof(RoleListEntry) * max_entries);
	FUZZ_CHECK(list != NULL, "memory");
	if (tls_parse_role_list(text, list, &detail))
	{
		FUZZ_CHECK(list->n <= max_entries, "no more entries than commas plus one");
		for (int i = 0; i < list->n; i++)
			FUZZ_CHECK(list->entries[i].name[0] != '\0' &&
					   strnlen(list->entries[i].name, NAMEDATALEN) < NAMEDATALEN,
					   "every name is non-empty and NUL-terminated within NAMEDATALEN");
		return list;
	}
	FUZZ_CHECK(detail != NULL, "a list that does not parse says why");
	free(list);
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text = strndup((const char *) data, size);
	RoleList   *list = parse(text);
	char	   *printed;
	char	   *out;
	RoleList   *again;

	free(text);
	if (list == NULL)
		return 0;

	/* each name quoted with "" for a quote: at most 2 * 63 + 4 bytes */
	printed = out = malloc((size_t) list->n * (2 * NAMEDATALEN + 4) + 1);
	FUZZ_CHECK(printed != NULL, "memory");
	for (int i = 0; i < list->n; i++)
	{
		if (i > 0)
			*out++ = ',';
		if (list->entries[i].members_of)
			*out++ = '+';
		*out++ = '"';
		for (const char *p = list->entries[i].name; *p; p++)
		{
			if (*p == '"')
				*out++ = '"';
			*out++ = *p;
		}
		*out++ = '"';
	}
	*out = '\0';

	again = parse(printed);
	FUZZ_CHECK(again != NULL && again->n == list->n, "the printed list parses to as many entries");
	for (int i = 0; i < list->n; i++)
		FUZZ_CHECK(again->entries[i].members_of == list->entries[i].members_of &&
				   strcmp(again->entries[i].name, list->entries[i].name) == 0,
				   "the printed list parses to the same entries");
	free(again);
	free(printed);
	free(list);
	return 0;
}
