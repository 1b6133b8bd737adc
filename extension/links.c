/*-------------------------------------------------------------------------
 *
 * links.c
 *		tls_links(): every connection string the server itself uses or
 *		stores as a libpq client, each judged on its TLS settings.
 *
 * The sources: primary_conninfo as configured (with its file and line)
 * and as the running WAL receiver reports it; every subscription of the
 * cluster (pg_subscription is shared); the foreign servers of
 * postgres_fdw and dblink_fdw in the current database and their user
 * mappings.  Foreign servers of other databases cannot be read from here:
 * tls_links_other_databases() names the databases the shared catalogs
 * show to hold some.
 *
 * Each string is judged in this process (common/conninfo_judgement.c),
 * with the libpq the server loads, its environment and the home
 * directory of its OS user, which decide what the link really does.
 *
 * Strings are read with the caller's own privileges, as PostgreSQL grants
 * them: primary_conninfo needs pg_read_all_settings, the WAL receiver's
 * string pg_read_all_stats, a subscription's the column privilege on
 * subconninfo (superusers only, by default), a foreign server's the one on
 * srvoptions; a user mapping's options are shown as pg_user_mappings shows
 * them.  A link the caller may not read is returned without its string,
 * with the reason.  Secrets never leave: each string is re-printed from
 * libpq's parse of it with its password and sslpassword masked.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"
#include "catalog_query.h"
#include "links.h"

#include <stdlib.h>

#include "catalog/pg_authid_d.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "libpq-fe.h"

#define TLS_LINKS_NATTS		14

PG_FUNCTION_INFO_V1(tls_links);

/*
 * add_link
 *		Appends one link to *links: judged and re-printed when conninfo (the
 *		raw string) is given, else unreadable says why it was not read.
 */
static void
add_link(List **links, const char *kind, const char *database, const char *name,
		 const char *source, const char *server, const char *conninfo,
		 const char *unreadable)
{
	TlsLink    *link = palloc0(sizeof(TlsLink));

	link->kind = kind;
	link->database = database ? pstrdup(database) : NULL;
	link->name = pstrdup(name);
	link->source = source ? pstrdup(source) : NULL;
	link->server = server ? pstrdup(server) : NULL;
	link->unreadable = unreadable;
	if (conninfo != NULL)
	{
		char	   *redacted = cj_redacted(conninfo);

		link->judgement = palloc(sizeof(CjJudgement));
		cj_judge(conninfo, link->judgement);
		if (redacted != NULL)
		{
			link->conninfo = pstrdup(redacted);
			free(redacted);
		}
	}
	*links = lappend(*links, link);
}

/* Column col of SPI's row i as a palloc'd string; NULL for NULL. */
static char *
spi_text(uint64 i, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, col);
}

/*
 * read_primary_conninfo
 *		primary_conninfo, when set, with the file and line that set it.
 */
static void
read_primary_conninfo(List **links)
{
	const char *value = GetConfigOption("primary_conninfo", false, false);
	char	   *source = NULL;

	if (value == NULL || value[0] == '\0')
		return;
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_SETTINGS))
	{
		add_link(links, "primary_conninfo", NULL, "primary_conninfo", NULL, NULL, NULL,
				 "primary_conninfo is visible only to superusers and members of pg_read_all_settings");
		return;
	}
	if (SPI_execute("SELECT setting, sourcefile, sourceline FROM pg_catalog.pg_settings "
					"WHERE name OPERATOR(pg_catalog.=) 'primary_conninfo'",
					true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read primary_conninfo from pg_settings");
	if (spi_text(0, 2) != NULL)
		source = psprintf("%s:%s", spi_text(0, 2), spi_text(0, 3));
	add_link(links, "primary_conninfo", NULL, "primary_conninfo", source, NULL,
			 spi_text(0, 1), NULL);
}

/*
 * read_wal_receiver
 *		The running WAL receiver's string, as libpq resolved it (PostgreSQL
 *		already masks its password there).
 */
static void
read_wal_receiver(List **links)
{
	if (SPI_execute("SELECT pid, conninfo FROM pg_catalog.pg_stat_wal_receiver "
					"WHERE pid IS NOT NULL", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_stat_wal_receiver");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *conninfo = spi_text(i, 2);

		add_link(links, "wal_receiver", NULL, psprintf("pid %s", spi_text(i, 1)), NULL, NULL,
				 conninfo,
				 conninfo ? NULL : "the WAL receiver's connection string is visible only to superusers and members of pg_read_all_stats");
	}
}

/*
 * read_subscriptions
 *		Every subscription of the cluster; the string only where the caller
 *		has the column privilege on subconninfo.
 */
static void
read_subscriptions(List **links)
{
	bool		may_read = tls_spi_bool("SELECT pg_catalog.has_column_privilege("
										"'pg_catalog.pg_subscription', 'subconninfo', 'SELECT')");

	if (SPI_execute(may_read ?
					"SELECT s.subname, d.datname, s.subconninfo FROM pg_catalog.pg_subscription s "
					"JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.subdbid "
					"ORDER BY d.datname, s.subname" :
					"SELECT s.subname, d.datname FROM pg_catalog.pg_subscription s "
					"JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.subdbid "
					"ORDER BY d.datname, s.subname",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_subscription");
	for (uint64 i = 0; i < SPI_processed; i++)
		add_link(links, "subscription", spi_text(i, 2), spi_text(i, 1), NULL, NULL,
				 may_read ? spi_text(i, 3) : NULL,
				 may_read ? NULL : "a subscription's connection string (pg_subscription.subconninfo) is readable only by superusers");
}

/*
 * append_options
 *		Appends to buf, as keyword='value', each "keyword=value" element of
 *		a foreign server's or user mapping's options (column col of SPI's
 *		row i) that libpq knows; the others are the wrapper's own.
 */
static void
append_options(StringInfo buf, uint64 i, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, col, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (isnull)
		return;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (int e = 0; e < n; e++)
	{
		char	   *option;
		char	   *eq;

		if (nulls[e])
			continue;
		option = TextDatumGetCString(elems[e]);
		eq = strchr(option, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (!cj_is_libpq_keyword(option))
			continue;
		appendStringInfo(buf, "%s%s='", buf->len > 0 ? " " : "", option);
		for (const char *p = eq + 1; *p; p++)
		{
			if (*p == '\'' || *p == '\\')
				appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, *p);
		}
		appendStringInfoChar(buf, '\'');
	}
}

/*
 * The foreign servers of postgres_fdw and dblink_fdw (found by their
 * validator, whatever the wrapper's name), each followed by its user
 * mappings: srvname, fdwname, the server's options, usename (NULL on the
 * server's own row), the mapping's options.  The two %s are the
 * expressions of the options, NULL for a caller who may not read them.
 */
#define LIBPQ_SERVERS_QUERY \
	"WITH s AS (SELECT s.oid, s.srvname, w.fdwname, %s AS srvoptions " \
	"           FROM pg_catalog.pg_foreign_server s " \
	"           JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid OPERATOR(pg_catalog.=) s.srvfdw " \
	"           JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) w.fdwvalidator " \
	"           WHERE p.proname OPERATOR(pg_catalog.=) " \
	"                 ANY (ARRAY['postgres_fdw_validator', 'dblink_fdw_validator']::pg_catalog.name[])) " \
	"SELECT srvname, fdwname, srvoptions, NULL::pg_catalog.name, NULL::pg_catalog.text[] FROM s " \
	"UNION ALL " \
	"SELECT s.srvname, s.fdwname, s.srvoptions, m.usename, %s FROM s " \
	"JOIN pg_catalog.pg_user_mappings m ON m.srvid OPERATOR(pg_catalog.=) s.oid " \
	"ORDER BY 1, 4 NULLS FIRST"

/*
 * read_foreign_servers
 *		The current database's foreign servers of postgres_fdw and
 *		dblink_fdw, then their user mappings, each judged on the server's
 *		options followed by its own (libpq takes the last value of a
 *		keyword).
 */
static void
read_foreign_servers(List **links)
{
	bool		may_read = tls_spi_bool("SELECT pg_catalog.has_column_privilege("
										"'pg_catalog.pg_foreign_server', 'srvoptions', 'SELECT')");
	const char *unreadable = may_read ? NULL :
		"a foreign server's options (pg_foreign_server.srvoptions) are not readable by this role";

	if (SPI_execute(may_read ? psprintf(LIBPQ_SERVERS_QUERY, "s.srvoptions", "m.umoptions") :
					psprintf(LIBPQ_SERVERS_QUERY, "NULL::pg_catalog.text[]", "NULL::pg_catalog.text[]"),
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the foreign servers");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *server = spi_text(i, 1);
		char	   *user = spi_text(i, 4);
		StringInfoData conninfo;

		initStringInfo(&conninfo);
		append_options(&conninfo, i, 3);
		if (user == NULL)
		{
			add_link(links, "foreign_server", NULL, server, spi_text(i, 2), NULL,
					 may_read ? conninfo.data : NULL, unreadable);
			continue;
		}
		append_options(&conninfo, i, 5);
		add_link(links, "user_mapping", NULL, psprintf("%s@%s", user, server),
				 spi_text(i, 2), server, may_read ? conninfo.data : NULL, unreadable);
	}
}

/*
 * tls_links_read
 *		Every link the caller may know of (see the file header), in the
 *		order primary_conninfo, WAL receiver, subscriptions, foreign servers
 *		each followed by its user mappings.  Runs inside
 *		tls_catalog_queries_begin().
 */
List *
tls_links_read(void)
{
	List	   *links = NIL;

	read_primary_conninfo(&links);
	read_wal_receiver(&links);
	read_subscriptions(&links);
	read_foreign_servers(&links);
	return links;
}

/*
 * tls_links_other_databases
 *		The other databases that the shared catalog pg_shdepend shows to
 *		hold foreign servers or user mappings, as a list of quoted names
 *		(escaped); NULL when it shows none.  Those of the bootstrap
 *		superuser leave no trace there (nothing depends on a pinned role),
 *		so a database not named may still hold some.  Runs inside
 *		tls_catalog_queries_begin().
 */
char *
tls_links_other_databases(void)
{
	StringInfoData names;

	if (SPI_execute("SELECT DISTINCT d.datname FROM pg_catalog.pg_shdepend sd "
					"JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) sd.dbid "
					"WHERE sd.classid OPERATOR(pg_catalog.=) ANY (ARRAY["
					"      'pg_catalog.pg_foreign_server'::pg_catalog.regclass, "
					"      'pg_catalog.pg_user_mapping'::pg_catalog.regclass]::pg_catalog.oid[]) "
					"AND d.datname OPERATOR(pg_catalog.<>) pg_catalog.current_database() "
					"ORDER BY 1", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_shdepend");
	if (SPI_processed == 0)
		return NULL;
	initStringInfo(&names);
	for (uint64 i = 0; i < SPI_processed; i++)
		appendStringInfo(&names, "%s\"%s\"", i > 0 ? ", " : "", tls_escaped(spi_text(i, 1)));
	return names.data;
}

/*
 * tls_link_hint
 *		tls_audit()'s hint for a link finding's check (CjJudgement.check).
 */
const char *
tls_link_hint(const char *check)
{
	if (strcmp(check, "link_plaintext_possible") == 0 || strcmp(check, "link_unverified") == 0)
		return "Set sslmode=verify-full and sslrootcert (a CA file readable by the server's OS user, or system with libpq 16 and later) in the link's connection string.";
	if (strcmp(check, "link_no_host_check") == 0)
		return "Use sslmode=verify-full, with a server certificate that names the host the link connects to.";
	if (strcmp(check, "link_root_missing") == 0)
		return "Install the CA certificate at the root file's path, readable by the server's OS user, or point sslrootcert at one.";
	if (strcmp(check, "link_crl_missing") == 0)
		return "Install the CRL where sslcrl or sslcrldir points, readable by the server's OS user, or remove the setting.";
	return "Correct the connection string: the link cannot connect as it is.";
}

/* Sets column c to s as text; NULL when s is NULL or empty. */
static void
set_text(Datum *values, bool *nulls, int c, const char *s)
{
	nulls[c] = (s == NULL || s[0] == '\0');
	values[c] = nulls[c] ? (Datum) 0 : CStringGetTextDatum(s);
}

/*
 * tls_links
 *		One row per link (see the file header): kind, database, name,
 *		source, conninfo (without secrets), the effective sslmode, the
 *		sslrootcert given, the root file libpq reads, channel_binding,
 *		require_auth, the server's libpq version, verdict, severity and
 *		reason.  The settings are NULL for a link whose string the caller
 *		may not read (verdict "not-readable", reason why).
 */
Datum
tls_links(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			save_nestlevel;
	List	   *links;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	save_nestlevel = tls_catalog_queries_begin();
	links = tls_links_read();

	foreach(lc, links)
	{
		TlsLink    *link = lfirst(lc);
		CjJudgement *j = link->judgement;
		Datum		values[TLS_LINKS_NATTS];
		bool		nulls[TLS_LINKS_NATTS];

		set_text(values, nulls, 0, link->kind);
		set_text(values, nulls, 1, link->database);
		set_text(values, nulls, 2, link->name);
		set_text(values, nulls, 3, link->source);
		set_text(values, nulls, 4, link->conninfo);
		set_text(values, nulls, 5, j ? j->sslmode : NULL);
		set_text(values, nulls, 6, j ? j->sslrootcert : NULL);
		set_text(values, nulls, 7, j ? j->root : NULL);
		set_text(values, nulls, 8, j ? j->channel_binding : NULL);
		set_text(values, nulls, 9, j ? j->require_auth : NULL);
		values[10] = Int32GetDatum(PQlibVersion());
		nulls[10] = false;
		set_text(values, nulls, 11, j ? j->verdict_name : "not-readable");
		set_text(values, nulls, 12, j ? j->severity : NULL);
		set_text(values, nulls, 13, j ? j->reason : link->unreadable);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	tls_catalog_queries_end(save_nestlevel);
	return (Datum) 0;
}
