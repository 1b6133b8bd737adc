/*-------------------------------------------------------------------------
 *
 * policy.c
 *		The TLS connection policy: require TLS, a minimum protocol version
 *		and, for some roles, a client certificate, as managed services do
 *		with rds.force_ssl or require_secure_transport.
 *
 * It runs in ClientAuthentication_hook, which PostgreSQL calls after the
 * authentication exchange: a "password"-method secret has already crossed
 * the wire when the policy rejects a plaintext connection, so hostssl lines
 * in pg_hba.conf remain the first line of defence and the policy is the
 * safety net that says no when they are wrong.  It also applies to
 * replication connections, which authenticate the same way.
 *
 * The policy fails closed: when it cannot decide (a "+role" in a role list
 * that does not exist, or any error while evaluating it), the connection
 * is rejected.  Every decision is recorded in the connection log.
 *
 * Role lists are read as pg_hba.conf reads its role column: a name matches
 * exactly as written (case-sensitive, never folded to lower case), a
 * double-quoted name may hold commas, blanks or a leading "+", and "+name"
 * stands for the members of role name.  A name that matches no role is
 * reported by a background worker at every reload (and by tls_audit()),
 * since a listed role that does not exist protects nobody.  (ALTER SYSTEM
 * is another matter: the SQL lexer folds an unquoted name to lower case
 * before any of this sees it, so the worker's hint names the role that
 * differs only in case.)
 *
 * A listed role cannot be renamed or dropped, and no role can be renamed
 * to a listed name, while the lists name it (ProcessUtility_hook): the
 * settings name roles, and the postmaster, which reads them, has no
 * catalog access to follow a role by OID.  Refusing keeps what the
 * settings say and what the policy does the same, so that a role holding
 * CREATEROLE cannot lift a requirement by renaming a role.
 *
 * When a policy setting holds a value the server could not apply
 * (settings.c), the policy fails closed: it refuses every connection but
 * a superuser's over the local socket, who can correct the value.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"

#include <sys/socket.h>

#include <openssl/ssl.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "libpq/auth.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"

static const RoleList empty_role_list = {0};
static const RoleList *require_client_certificate_list = &empty_role_list;
static const RoleList *exempt_roles_list = &empty_role_list;

/* What the policy decided about one connection. */
typedef enum PolicyVerdict
{
	POLICY_ACCEPT,
	POLICY_NO_TLS,
	POLICY_OLD_PROTOCOL,
	POLICY_NO_CLIENT_CERTIFICATE,
	POLICY_SETTINGS_UNREADABLE, /* a policy setting could not be applied */
	POLICY_UNDECIDED			/* an error kept the policy from deciding */
} PolicyVerdict;

/*
 * tls_protocol_name
 *		How PostgreSQL's settings spell an OpenSSL protocol version.
 */
const char *
tls_protocol_name(int version)
{
	switch (version)
	{
		case TLS1_VERSION:
			return "TLSv1";
		case TLS1_1_VERSION:
			return "TLSv1.1";
		case TLS1_2_VERSION:
			return "TLSv1.2";
		case TLS1_3_VERSION:
			return "TLSv1.3";
	}
	return "unknown";
}

/*
 * tls_policy_check_role_list
 *		GUC check hook of pg_tls_audit.require_client_certificate and
 *		pg_tls_audit.exempt_roles: parse the list (tls_parse_role_list()); the
 *		parsed list becomes *extra.
 *
 * Whether the roles exist cannot be checked here (the postmaster reads the
 * setting, and has no catalog access): the role check worker reports
 * unknown names at every reload, and the policy rejects a connection when
 * a "+role" it needs is missing.
 */
bool
tls_policy_check_role_list(char **newval, void **extra, GucSource source)
{
	int			max_entries = 1;
	RoleList   *list;
	const char *detail = NULL;

	for (const char *p = *newval; *p; p++)
		if (*p == ',')
			max_entries++;

	list = pg_tls_audit_guc_malloc(offsetof(RoleList, entries) +
								   sizeof(RoleListEntry) * max_entries);
	if (list == NULL)
	{
		GUC_check_errcode(ERRCODE_OUT_OF_MEMORY);
		GUC_check_errmsg("out of memory");
		return false;
	}
	if (!tls_parse_role_list(*newval, list, &detail))
	{
		GUC_check_errdetail("%s", detail);
		pg_tls_audit_guc_free(list);
		return false;
	}
	*extra = list;
	return true;
}

void
tls_policy_assign_require_client_certificate(const char *newval, void *extra)
{
	require_client_certificate_list = extra ? (const RoleList *) extra : &empty_role_list;
}

void
tls_policy_assign_exempt_roles(const char *newval, void *extra)
{
	exempt_roles_list = extra ? (const RoleList *) extra : &empty_role_list;
}

/*
 * role_differing_in_case
 *		The name of a role that differs from name only in case, palloc'd,
 *		or NULL when there is none.  Scans pg_authid: the syscache looks
 *		names up exactly.
 */
static char *
role_differing_in_case(const char *name)
{
	Relation	rel = table_open(AuthIdRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	char	   *match = NULL;

	while (match == NULL && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		const char *rolname = NameStr(((Form_pg_authid) GETSTRUCT(tuple))->rolname);

		if (pg_strcasecmp(rolname, name) == 0 && strcmp(rolname, name) != 0)
			match = pstrdup(rolname);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return match;
}

/*
 * unknown_roles_of
 *		Append to *result a TlsUnknownRole for each entry of list that names
 *		no role.  Needs catalog access.
 */
static void
unknown_roles_of(const RoleList *list, const char *setting, List **result)
{
	for (int i = 0; i < list->n; i++)
	{
		const RoleListEntry *entry = &list->entries[i];
		TlsUnknownRole *unknown;

		if (OidIsValid(get_role_oid(entry->name, true)))
			continue;
		unknown = palloc0(sizeof(TlsUnknownRole));
		unknown->setting = setting;
		unknown->name = pstrdup(entry->name);
		unknown->members_of = entry->members_of;
		unknown->case_match = role_differing_in_case(entry->name);
		*result = lappend(*result, unknown);
	}
}

/*
 * tls_policy_unknown_roles
 *		The entries of both role lists that name no role, as a List of
 *		TlsUnknownRole; case_match is set when a role's name differs only
 *		in case (an unquoted name that ALTER SYSTEM folded to lower case,
 *		or a setting that relied on the case folding of pg_tls_audit 1.1).
 *		Needs catalog access.
 */
List *
tls_policy_unknown_roles(void)
{
	List	   *result = NIL;

	unknown_roles_of(require_client_certificate_list,
					 "pg_tls_audit.require_client_certificate", &result);
	unknown_roles_of(exempt_roles_list, "pg_tls_audit.exempt_roles", &result);
	return result;
}

/*
 * tls_policy_case_hint
 *		The hint for a listed name that matches no role but differs only in
 *		case from role case_match, palloc'd.
 */
char *
tls_policy_case_hint(const TlsUnknownRole *unknown)
{
	return psprintf("Role \"%s\" exists, and names match exactly as written. ALTER SYSTEM folds an unquoted name to lower case: quote it, as in ALTER SYSTEM SET %s = '%s%s'.",
					unknown->case_match, unknown->setting,
					unknown->members_of ? "+" : "", unknown->case_match);
}

/*
 * warn_configuration_problems
 *		One WARNING per pg_tls_audit.* value the server could not apply and
 *		per listed name that matches no role.
 */
static void
warn_configuration_problems(void)
{
	ListCell   *lc;

	StartTransactionCommand();
	foreach(lc, tls_settings_problems())
	{
		TlsSettingProblem *problem = lfirst(lc);

		ereport(WARNING,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 problem->name ?
				 errmsg("pg_tls_audit could not apply \"%s\" = \"%s\"",
						tls_escaped(problem->name), tls_escaped(problem->value)) :
				 errmsg("pg_tls_audit could not read the configuration files"),
				 errdetail("%s.", problem->why),
				 problem->filename && problem->sourceline > 0 ?
				 errcontext("%s line %d", problem->filename, problem->sourceline) :
				 problem->filename ? errcontext("%s", problem->filename) : 0,
				 problem->policy ?
				 errhint("Until it is corrected and the configuration reloaded, the TLS connection policy refuses every connection but a superuser's over the local socket.") :
				 errhint("Correct it and reload.")));
	}
	foreach(lc, tls_policy_unknown_roles())
	{
		TlsUnknownRole *unknown = lfirst(lc);

		ereport(WARNING,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" in %s does not exist",
						unknown->name, unknown->setting),
				 unknown->members_of ?
				 errdetail("The entry \"+%s\" stands for the role's members; until the role exists, connections that the entry may concern are rejected.",
						   unknown->name) :
				 errdetail("The entry matches no connection: role names match exactly as written, as in pg_hba.conf."),
				 unknown->case_match ?
				 errhint("%s", tls_policy_case_hint(unknown)) :
				 errhint("Correct %s and reload.", unknown->setting)));
	}
	CommitTransactionCommand();
}

/*
 * tls_policy_register_role_check
 *		Register the role check worker (from _PG_init, when preloaded).
 */
void
tls_policy_register_role_check(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = 60;
	strlcpy(worker.bgw_library_name, "pg_tls_audit", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "tls_policy_role_check_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "pg_tls_audit role check", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "pg_tls_audit role check", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/*
 * tls_policy_role_check_main
 *		The role check worker: at server start and after every reload, warn
 *		about pg_tls_audit.* values the server could not apply and listed
 *		role names that match no role.  Roles are shared
 *		catalog data, so it connects to no database.
 */
void
tls_policy_role_check_main(Datum arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	warn_configuration_problems();
	for (;;)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH, -1L,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			warn_configuration_problems();
		}
	}
}

/*
 * listing_setting
 *		The role-list setting that has an entry for role name ("name" or
 *		"+name"), or NULL.
 */
static const char *
listing_setting(const char *name)
{
	for (int i = 0; i < require_client_certificate_list->n; i++)
		if (strcmp(require_client_certificate_list->entries[i].name, name) == 0)
			return "pg_tls_audit.require_client_certificate";
	for (int i = 0; i < exempt_roles_list->n; i++)
		if (strcmp(exempt_roles_list->entries[i].name, name) == 0)
			return "pg_tls_audit.exempt_roles";
	return NULL;
}

/*
 * tls_policy_check_role_change
 *		ProcessUtility_hook's check: refuse ALTER ROLE ... RENAME and DROP
 *		ROLE when a role-list setting names the role, and a rename to a
 *		name a list names (see the file header).
 */
void
tls_policy_check_role_change(Node *parsetree)
{
	if (IsA(parsetree, RenameStmt) &&
		((RenameStmt *) parsetree)->renameType == OBJECT_ROLE)
	{
		RenameStmt *stmt = (RenameStmt *) parsetree;
		const char *setting = listing_setting(stmt->subname);

		if (setting != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("role \"%s\" cannot be renamed while %s lists it",
							stmt->subname, setting),
					 errdetail("The policy follows roles by name: under a new name, the role would no longer be subject to the entry."),
					 errhint("Remove the role from %s and reload, rename it, then list it under its new name and reload.",
							 setting)));
		setting = listing_setting(stmt->newname);
		if (setting != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("role \"%s\" cannot be renamed to \"%s\" while %s lists that name",
							stmt->subname, stmt->newname, setting),
					 errdetail("The policy follows roles by name: the renamed role would take over the entry."),
					 errhint("Remove \"%s\" from %s and reload first.", stmt->newname, setting)));
	}
	else if (IsA(parsetree, DropRoleStmt))
	{
		ListCell   *lc;

		foreach(lc, ((DropRoleStmt *) parsetree)->roles)
		{
			RoleSpec   *role = lfirst(lc);
			const char *setting;

			if (role->roletype != ROLESPEC_CSTRING)
				continue;
			setting = listing_setting(role->rolename);
			if (setting != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_IN_USE),
						 errmsg("role \"%s\" cannot be dropped while %s lists it",
								role->rolename, setting),
						 errdetail("A role created later under the same name would take over the entry."),
						 errhint("Remove the role from %s and reload first.", setting)));
		}
	}
}

/*
 * role_in_list
 *		Whether the connecting role is in list, by name or by membership.
 *
 * Names are compared first, so that a role named outright needs no catalog
 * access.  A "+role" that does not exist, or a connecting role that does
 * not exist when membership must be checked, leaves the question open:
 * that is an error, which the caller turns into a rejection.
 */
static bool
role_in_list(const RoleList *list, const char *setting, const char *user_name)
{
	Oid			roleid = InvalidOid;

	for (int i = 0; i < list->n; i++)
	{
		if (!list->entries[i].members_of &&
			strcmp(list->entries[i].name, user_name) == 0)
			return true;
	}

	for (int i = 0; i < list->n; i++)
	{
		Oid			group;

		if (!list->entries[i].members_of)
			continue;
		group = get_role_oid(list->entries[i].name, true);
		if (!OidIsValid(group))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("role \"%s\" in %s does not exist",
							list->entries[i].name, setting)));
		if (!OidIsValid(roleid))
		{
			roleid = get_role_oid(user_name, true);
			if (!OidIsValid(roleid))
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("role \"%s\" does not exist, so its membership in \"%s\" is unknown",
								tls_escaped(user_name), list->entries[i].name)));
		}
		if (is_member_of_role_nosuper(roleid, group))
			return true;
	}
	return false;
}

/*
 * evaluate_policy
 *		The verdict for an authenticated connection.  May raise an error
 *		when it cannot decide (see role_in_list()).
 */
static PolicyVerdict
evaluate_policy(Port *port, const TlsConnInfo *info)
{
	PolicyVerdict verdict = POLICY_ACCEPT;
	bool		local = (port->raddr.addr.ss_family == AF_UNIX);

	/*
	 * Which roles and sockets are exempt may be what could not be read, so
	 * no exemption holds then but the one that lets a superuser repair it.
	 */
	if (tls_settings_policy_unreadable())
	{
		Oid			roleid = get_role_oid(port->user_name, true);

		if (local && OidIsValid(roleid) && superuser_arg(roleid))
			return POLICY_ACCEPT;
		return POLICY_SETTINGS_UNREADABLE;
	}

	if (local && tls_policy_exempt_local)
		return POLICY_ACCEPT;

	if (tls_policy_require_tls && !info->tls)
		verdict = POLICY_NO_TLS;
	else if (tls_policy_min_protocol > 0 && info->tls &&
			 SSL_version(port->ssl) < tls_policy_min_protocol)
		verdict = POLICY_OLD_PROTOCOL;
	else if (require_client_certificate_list->n > 0 &&
			 !(info->tls && port->peer != NULL && port->peer_cert_valid) &&
			 role_in_list(require_client_certificate_list,
						  "pg_tls_audit.require_client_certificate",
						  port->user_name))
		verdict = POLICY_NO_CLIENT_CERTIFICATE;

	if (verdict != POLICY_ACCEPT && exempt_roles_list->n > 0 &&
		role_in_list(exempt_roles_list, "pg_tls_audit.exempt_roles",
					 port->user_name))
		verdict = POLICY_ACCEPT;

	return verdict;
}

/*
 * transport_description
 *		What the client used instead of TLS, for the rejection messages.
 */
static const char *
transport_description(Port *port)
{
	if (port->raddr.addr.ss_family == AF_UNIX)
		return "a Unix socket";
#ifdef ENABLE_GSS
	if (port->gss != NULL && be_gssapi_get_enc(port))
		return "GSSAPI encryption, which is not TLS";
#endif
	return "no encryption";
}

/*
 * rejection_message
 *		What the policy says when it rejects a connection with verdict: the
 *		FATAL's message, which is also the connection log's reason.
 */
static char *
rejection_message(Port *port, PolicyVerdict verdict)
{
	switch (verdict)
	{
		case POLICY_NO_TLS:
			return psprintf("connection requires TLS, but the client connected with %s",
							transport_description(port));
		case POLICY_OLD_PROTOCOL:
			return psprintf("connection requires %s or later, but the client negotiated %s",
							tls_protocol_name(tls_policy_min_protocol),
							SSL_get_version(port->ssl));
		case POLICY_NO_CLIENT_CERTIFICATE:
			return psprintf("connection as role \"%s\" requires a client certificate, but the client %s",
							tls_escaped(port->user_name),
							port->ssl_in_use ? "presented none" : "did not use TLS");
		case POLICY_SETTINGS_UNREADABLE:
			return pstrdup("connection rejected because a setting of the TLS connection policy could not be applied");
		case POLICY_UNDECIDED:
			return pstrdup("connection rejected because the TLS connection policy could not be evaluated");
		case POLICY_ACCEPT:
			break;
	}
	elog(ERROR, "no rejection message for verdict %d", (int) verdict);
	return NULL;
}

/*
 * settings_problems_text
 *		The settings the server could not apply, for the server log only.
 */
static char *
settings_problems_text(void)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, tls_settings_problems())
	{
		TlsSettingProblem *problem = lfirst(lc);

		if (!problem->policy)
			continue;
		if (buf.len > 0)
			appendStringInfoString(&buf, " ");
		appendStringInfoString(&buf, tls_setting_problem_text(problem));
		appendStringInfo(&buf, ": %s.", problem->why);
	}
	return buf.data;
}

/*
 * reject
 *		End the connection with SQLSTATE 28000: message says what the policy
 *		required and what the client used; why_undecided is the error that
 *		kept the policy from deciding (POLICY_UNDECIDED only).
 */
static void
reject(Port *port, PolicyVerdict verdict, const char *message,
	   const char *why_undecided)
{
	/* Read before ereport(): an error inside it would become FATAL. */
	char	   *settings_problems = verdict == POLICY_SETTINGS_UNREADABLE ?
		settings_problems_text() : NULL;

	switch (verdict)
	{
		case POLICY_NO_TLS:
			ereport(FATAL,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg_internal("%s", message),
					 errdetail("The server setting pg_tls_audit.require_tls is on, and role \"%s\" is not exempt from it.",
							   tls_escaped(port->user_name)),
					 errhint("Connect with sslmode=verify-full.")));
			break;
		case POLICY_OLD_PROTOCOL:
			ereport(FATAL,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg_internal("%s", message),
					 errdetail("The server setting pg_tls_audit.min_protocol is %s.",
							   tls_protocol_name(tls_policy_min_protocol)),
					 errhint("Upgrade the client's TLS library, or raise its ssl_max_protocol_version.")));
			break;
		case POLICY_NO_CLIENT_CERTIFICATE:
			ereport(FATAL,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg_internal("%s", message),
					 errdetail("The server setting pg_tls_audit.require_client_certificate lists the role."),
					 errhint("Connect over TLS with sslcert and sslkey.")));
			break;
		case POLICY_SETTINGS_UNREADABLE:
			ereport(FATAL,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg_internal("%s", message),
					 errdetail("The server's configuration gives a pg_tls_audit setting a value that the server could not apply; until it is corrected, the policy refuses every connection but a superuser's over the local socket."),
					 errdetail_log("%s", settings_problems),
					 errhint("A superuser can connect over the local socket, correct the value (tls_audit() names it) and reload.")));
			break;
		case POLICY_UNDECIDED:
		case POLICY_ACCEPT:
			break;
	}
	/* Undecided, or a verdict this switch does not know: fail closed. */
	ereport(FATAL,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg_internal("%s", message),
			 errdetail_internal("The policy check for role \"%s\" failed: %s.",
								tls_escaped(port->user_name),
								why_undecided ? why_undecided : "no reason was given"),
			 errhint("Connections the policy cannot judge are rejected; correct pg_tls_audit.require_client_certificate or pg_tls_audit.exempt_roles and reload.")));
}

/*
 * tls_policy_client_authentication
 *		ClientAuthentication_hook: record the attempt, apply the policy to
 *		an authenticated connection, and register the session's slot.
 */
void
tls_policy_client_authentication(Port *port, int status)
{
	TlsConnInfo info;
	volatile PolicyVerdict verdict = POLICY_UNDECIDED;
	volatile bool decided = false;
	char	   *volatile why_undecided = NULL;
	char	   *message;
	MemoryContext oldcontext = CurrentMemoryContext;

	tls_capture_connection(port, &info);

	if (status != STATUS_OK)
	{
		tls_conn_log_record(port, &info, TLS_OUTCOME_AUTHENTICATION_FAILED,
							status == STATUS_EOF ?
							"the client closed the connection during authentication" : NULL);
		if (tls_audit_log_connections)
			tls_conn_log_write_line(port, &info, TLS_OUTCOME_AUTHENTICATION_FAILED);
		return;
	}

	/*
	 * Only a verdict that evaluate_policy() returned counts; any error, with
	 * or without a message, leaves "decided" false and the connection is
	 * rejected.  The connection ends with FATAL right after a caught error,
	 * which releases whatever the failed evaluation held; nothing in between
	 * depends on it.
	 */
	PG_TRY();
	{
		verdict = evaluate_policy(port, &info);
		decided = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		why_undecided = edata->message;
	}
	PG_END_TRY();

	if (!decided)
		verdict = POLICY_UNDECIDED;

	if (verdict == POLICY_ACCEPT)
	{
		tls_conn_log_record(port, &info, TLS_OUTCOME_ACCEPTED, NULL);
		tls_sessions_register(port, &info);
		if (tls_audit_log_connections)
			tls_conn_log_write_line(port, &info, TLS_OUTCOME_ACCEPTED);
		return;
	}

	message = rejection_message(port, verdict);
	tls_conn_log_record(port, &info, TLS_OUTCOME_REJECTED_BY_POLICY, message);
	if (tls_audit_log_connections)
		tls_conn_log_write_line(port, &info, TLS_OUTCOME_REJECTED_BY_POLICY);
	reject(port, verdict, message, why_undecided);
}
