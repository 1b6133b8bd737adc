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
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"

#include <sys/socket.h>

#include <openssl/ssl.h>

#include "libpq/auth.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

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

static const RoleList empty_role_list = {0};
static const RoleList *require_client_certificate_list = &empty_role_list;
static const RoleList *exempt_roles_list = &empty_role_list;

/* What the policy decided about one connection. */
typedef enum PolicyVerdict
{
	POLICY_ACCEPT,
	POLICY_NO_TLS,
	POLICY_OLD_PROTOCOL,
	POLICY_NO_CLIENT_CERTIFICATE
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
 *		pg_tls_audit.exempt_roles: a comma-separated list of role names,
 *		each optionally prefixed by "+".  The parsed list becomes *extra.
 *
 * Whether the roles exist cannot be checked here (the postmaster reads the
 * setting, and has no catalog access); the policy checks it when it needs
 * a role, and rejects the connection when the role is missing.
 */
bool
tls_policy_check_role_list(char **newval, void **extra, GucSource source)
{
	char	   *rawstring = pstrdup(*newval);
	List	   *elems;
	ListCell   *lc;
	RoleList   *list;
	int			i = 0;

	if (!SplitIdentifierString(rawstring, ',', &elems))
	{
		GUC_check_errdetail("List syntax is invalid.");
		pfree(rawstring);
		list_free(elems);
		return false;
	}

	list = pg_tls_audit_guc_malloc(offsetof(RoleList, entries) +
								   sizeof(RoleListEntry) * list_length(elems));
	if (list == NULL)
	{
		GUC_check_errcode(ERRCODE_OUT_OF_MEMORY);
		GUC_check_errmsg("out of memory");
		pfree(rawstring);
		list_free(elems);
		return false;
	}
	list->n = list_length(elems);

	foreach(lc, elems)
	{
		const char *name = (const char *) lfirst(lc);
		bool		members_of = (name[0] == '+');

		if (members_of)
			name++;
		if (name[0] == '\0')
		{
			GUC_check_errdetail("\"+\" must be followed by a role name.");
			pg_tls_audit_guc_free(list);
			pfree(rawstring);
			list_free(elems);
			return false;
		}
		list->entries[i].members_of = members_of;
		strlcpy(list->entries[i].name, name, NAMEDATALEN);
		i++;
	}

	pfree(rawstring);
	list_free(elems);
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
								user_name, list->entries[i].name)));
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
 * reject
 *		End the connection with SQLSTATE 28000, saying what the policy
 *		required and what the client used.
 */
static void
reject(Port *port, PolicyVerdict verdict)
{
	switch (verdict)
	{
		case POLICY_NO_TLS:
			ereport(FATAL,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("connection requires TLS, but the client connected with %s",
							transport_description(port)),
					 errdetail("The server setting pg_tls_audit.require_tls is on, and role \"%s\" is not exempt from it.",
							   port->user_name),
					 errhint("Connect with sslmode=verify-full.")));
			break;
		case POLICY_OLD_PROTOCOL:
			ereport(FATAL,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("connection requires %s or later, but the client negotiated %s",
							tls_protocol_name(tls_policy_min_protocol),
							SSL_get_version(port->ssl)),
					 errdetail("The server setting pg_tls_audit.min_protocol is %s.",
							   tls_protocol_name(tls_policy_min_protocol)),
					 errhint("Upgrade the client's TLS library, or raise its ssl_max_protocol_version.")));
			break;
		case POLICY_NO_CLIENT_CERTIFICATE:
			ereport(FATAL,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("connection as role \"%s\" requires a client certificate, but the client %s",
							port->user_name,
							port->ssl_in_use ? "presented none" : "did not use TLS"),
					 errdetail("The server setting pg_tls_audit.require_client_certificate lists the role."),
					 errhint("Connect over TLS with sslcert and sslkey.")));
			break;
		case POLICY_ACCEPT:
			break;
	}
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
	volatile PolicyVerdict verdict = POLICY_ACCEPT;
	char	   *volatile undecided = NULL;
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
	 * The connection ends with FATAL right after a caught error, which
	 * releases whatever the failed evaluation held; nothing in between
	 * depends on it.
	 */
	PG_TRY();
	{
		verdict = evaluate_policy(port, &info);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		undecided = edata->message;
	}
	PG_END_TRY();

	if (undecided == NULL && verdict == POLICY_ACCEPT)
	{
		tls_conn_log_record(port, &info, TLS_OUTCOME_ACCEPTED, NULL);
		tls_sessions_register(port, &info);
		if (tls_audit_log_connections)
			tls_conn_log_write_line(port, &info, TLS_OUTCOME_ACCEPTED);
		return;
	}

	/* The reason is the FATAL below, taken by the connection log. */
	tls_conn_log_record(port, &info, TLS_OUTCOME_REJECTED_BY_POLICY, NULL);
	if (tls_audit_log_connections)
		tls_conn_log_write_line(port, &info, TLS_OUTCOME_REJECTED_BY_POLICY);

	if (undecided != NULL)
		ereport(FATAL,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("connection rejected because the TLS connection policy could not be evaluated"),
				 errdetail_internal("The policy check for role \"%s\" failed: %s.",
									port->user_name, undecided),
				 errhint("Connections the policy cannot judge are rejected; correct pg_tls_audit.require_client_certificate or pg_tls_audit.exempt_roles and reload.")));
	reject(port, verdict);
}
