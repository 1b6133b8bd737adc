/*-------------------------------------------------------------------------
 *
 * pg_tls_audit.c
 *		Module entry point of pg_tls_audit: settings, hooks and shared memory.
 *
 * The SQL functions work in any backend that loads the library on demand.
 * The TLS connection policy, the connection log and the per-session slots
 * behind tls_sessions need hooks and shared memory, which only exist when
 * the library is listed in shared_preload_libraries; they are installed
 * only then, and the parts that need them say so when they are missing
 * (tls_audit_require_preload()).
 *
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"

#include <openssl/ssl.h>

#include "fmgr.h"
#include "libpq/auth.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/guc.h"

PG_TLS_AUDIT_MODULE_MAGIC;

void		_PG_init(void);

/* Settings; see _PG_init() for what each one means. */
bool		tls_audit_log_connections = false;
int			tls_audit_connection_log_size = 1024;
int			tls_audit_expiry_warning = 30 * 24 * 60;	/* minutes */
bool		tls_policy_require_tls = false;
int			tls_policy_min_protocol = 0;
char	   *tls_policy_require_client_certificate = NULL;
char	   *tls_policy_exempt_roles = NULL;
bool		tls_policy_exempt_local = true;
int			tls_audit_test_log_write_delay = 0;	/* milliseconds */
int			tls_audit_test_log_claim_delay = 0;	/* milliseconds */

/* The connection log's size when pg_tls_audit.connection_log_size is invalid. */
#define CONNECTION_LOG_SIZE_DEFAULT	1024
#define CONNECTION_LOG_SIZE_MIN		16

/* pg_tls_audit.min_protocol: the value is OpenSSL's protocol version. */
static const struct config_enum_entry min_protocol_options[] = {
	{"", 0, false},
	{"TLSv1", TLS1_VERSION, false},
	{"TLSv1.1", TLS1_1_VERSION, false},
	{"TLSv1.2", TLS1_2_VERSION, false},
	{"TLSv1.3", TLS1_3_VERSION, false},
	{NULL, 0, false}
};

/* Set in the postmaster when loaded by shared_preload_libraries. */
static bool preloaded = false;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ClientAuthentication_hook_type prev_client_authentication_hook = NULL;
static emit_log_hook_type prev_emit_log_hook = NULL;
static ProcessUtility_hook_type prev_process_utility_hook = NULL;

static void tls_audit_shmem_request(void);
static void tls_audit_shmem_startup(void);
static void tls_audit_client_authentication(Port *port, int status);
static void tls_audit_emit_log(ErrorData *edata);
static void tls_audit_process_utility(PlannedStmt *pstmt, const char *queryString,
									  bool readOnlyTree, ProcessUtilityContext context,
									  ParamListInfo params, QueryEnvironment *queryEnv,
									  DestReceiver *dest, QueryCompletion *qc);
static bool check_connection_log_size(int *newval, void **extra, GucSource source);

#ifdef PG_TLS_AUDIT_TEST_HOOKS
/* The canary's setting; volatile, so that no compiler sees the bad read. */
static bool test_out_of_bounds_read = false;
static volatile size_t test_canary_size = 8;
static volatile char test_canary_byte;

/*
 * assign_test_out_of_bounds_read
 *		The canary of the sanitized test bed (harness/t/testbed_extension_asan.sh):
 *		turned on, reads one byte past the end of a buffer, which
 *		AddressSanitizer must report, or that run fails.  The buffer is
 *		malloc'd: the byte past a palloc'd chunk lies inside its memory
 *		context's block, where no tool sees a read as out of bounds.
 */
static void
assign_test_out_of_bounds_read(bool newval, void *extra)
{
	size_t		size = test_canary_size;
	char	   *buffer;

	if (!newval || (buffer = malloc(size)) == NULL)
		return;
	memset(buffer, 0, size);
	test_canary_byte = buffer[size];
	free(buffer);
}
#endif

/*
 * _PG_init
 *		Define the settings, reserve the pg_tls_audit.* namespace and, when
 *		preloaded, install the hooks and request shared memory.
 *
 * The policy settings are defined even without preloading, so that SHOW
 * and tls_audit() report the policy that the configuration asks for.
 */
void
_PG_init(void)
{
	List	   *raw_settings = tls_settings_read_at_start();

	DefineCustomBoolVariable("pg_tls_audit.require_tls",
							 "Rejects connections that do not use TLS.",
							 "Checked after authentication, for every role not listed in "
							 "pg_tls_audit.exempt_roles; Unix-socket connections are exempt while "
							 "pg_tls_audit.exempt_local is on. GSSAPI encryption is not TLS. "
							 "Needs shared_preload_libraries.",
							 &tls_policy_require_tls,
							 false,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomEnumVariable("pg_tls_audit.min_protocol",
							 "Rejects TLS connections that negotiated an older protocol version.",
							 "Empty means no minimum beyond ssl_min_protocol_version. "
							 "Needs shared_preload_libraries.",
							 &tls_policy_min_protocol,
							 0,
							 min_protocol_options,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("pg_tls_audit.require_client_certificate",
							   "Roles that must present a client certificate verified by the server.",
							   "A comma-separated list of role names; \"+name\" stands for the "
							   "members of role name, as in pg_hba.conf. Needs shared_preload_libraries.",
							   &tls_policy_require_client_certificate,
							   "",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   tls_policy_check_role_list,
							   tls_policy_assign_require_client_certificate,
							   NULL);

	DefineCustomStringVariable("pg_tls_audit.exempt_roles",
							   "Roles the TLS connection policy does not apply to.",
							   "A comma-separated list of role names; \"+name\" stands for the "
							   "members of role name, as in pg_hba.conf.",
							   &tls_policy_exempt_roles,
							   "",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   tls_policy_check_role_list,
							   tls_policy_assign_exempt_roles,
							   NULL);

	DefineCustomBoolVariable("pg_tls_audit.exempt_local",
							 "Exempts Unix-socket connections from the TLS connection policy.",
							 "A Unix socket cannot carry TLS; with this off, the policy rejects "
							 "Unix-socket connections of every role it applies to.",
							 &tls_policy_exempt_local,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("pg_tls_audit.log_connections",
							 "Logs one line per authenticated or rejected connection with its TLS details.",
							 "Unlike the connection log, these lines survive a restart. "
							 "Needs shared_preload_libraries.",
							 &tls_audit_log_connections,
							 false,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("pg_tls_audit.expiry_warning",
							"Sets how long before expiry tls_audit() reports a certificate as expiring.",
							NULL,
							&tls_audit_expiry_warning,
							30 * 24 * 60,
							0,
							INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MIN,
							NULL, NULL, NULL);

	/* Shared memory is sized once, at server start, and only when preloaded. */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("pg_tls_audit.connection_log_size",
								"Sets how many recent connection attempts the connection log keeps.",
								"Each entry takes about 3 kB of shared memory. At least 16; "
								"an invalid value leaves the default, 1024.",
								&tls_audit_connection_log_size,
								CONNECTION_LOG_SIZE_DEFAULT,
								0,
								65536,
								PGC_POSTMASTER,
								0,
								check_connection_log_size, NULL, NULL);

#ifdef PG_TLS_AUDIT_TEST_HOOKS
	DefineCustomBoolVariable("pg_tls_audit.test_out_of_bounds_read",
							 "Test only: reads one byte past a buffer, for a sanitizer to catch.",
							 NULL,
							 &test_out_of_bounds_read,
							 false,
							 PGC_SUSET,
							 GUC_NOT_IN_SAMPLE,
							 NULL, assign_test_out_of_bounds_read, NULL);
#endif

	/*
	 * Test-only settings, compiled in for the test bed: they stretch the
	 * connection log's write of an attempt that ends before authentication,
	 * right after its entry is claimed and during the copy, for a test to
	 * signal the backend at either point.
	 */
#ifdef PG_TLS_AUDIT_TEST_HOOKS
	DefineCustomIntVariable("pg_tls_audit.test_log_write_delay",
							"Test only: stretches a connection log write before authentication.",
							NULL,
							&tls_audit_test_log_write_delay,
							0,
							0,
							60000,
							PGC_SIGHUP,
							GUC_UNIT_MS | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pg_tls_audit.test_log_claim_delay",
							"Test only: stretches a connection log write before authentication right after its entry is claimed.",
							NULL,
							&tls_audit_test_log_claim_delay,
							0,
							0,
							60000,
							PGC_SIGHUP,
							GUC_UNIT_MS | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
#endif

	MarkGUCPrefixReserved("pg_tls_audit");
	tls_settings_check_at_start(raw_settings);

	if (!process_shared_preload_libraries_in_progress)
		return;

	preloaded = true;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = tls_audit_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = tls_audit_shmem_startup;
	prev_client_authentication_hook = ClientAuthentication_hook;
	ClientAuthentication_hook = tls_audit_client_authentication;
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = tls_audit_emit_log;
	prev_process_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = tls_audit_process_utility;

	tls_policy_register_role_check();
}

/*
 * check_connection_log_size
 *		GUC check hook of pg_tls_audit.connection_log_size: below the
 *		minimum, say what the server does instead.
 */
static bool
check_connection_log_size(int *newval, void **extra, GucSource source)
{
	if (*newval >= CONNECTION_LOG_SIZE_MIN)
		return true;
	GUC_check_errdetail("The minimum is %d; at server start, an invalid value leaves the default of %d entries.",
						CONNECTION_LOG_SIZE_MIN, CONNECTION_LOG_SIZE_DEFAULT);
	return false;
}

/*
 * tls_audit_is_preloaded
 *		True when this server loaded the library through
 *		shared_preload_libraries, so that the policy, the connection log and
 *		the session slots are active.
 */
bool
tls_audit_is_preloaded(void)
{
	return preloaded;
}

/*
 * tls_audit_require_preload
 *		Raise an error unless the library was preloaded.  The wording is
 *		also what CREATE EXTENSION turns into its warning.
 */
void
tls_audit_require_preload(void)
{
	if (!preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_tls_audit is not loaded through shared_preload_libraries"),
				 errdetail("The TLS connection policy and the connection log are inactive, and tls_sessions shows only what pg_stat_ssl knows."),
				 errhint("Add pg_tls_audit to shared_preload_libraries and restart the server.")));
}

/*
 * tls_audit_shmem_request
 *		Reserve the session slots, the connection log and their lock.
 */
static void
tls_audit_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	RequestAddinShmemSpace(add_size(add_size(tls_sessions_shmem_size(),
											 tls_conn_log_shmem_size()),
									tls_settings_shmem_size()));
	RequestNamedLWLockTranche("pg_tls_audit", 1);
}

/*
 * tls_audit_shmem_startup
 *		Create or attach to the shared structures.
 */
static void
tls_audit_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	tls_sessions_shmem_init();
	tls_conn_log_shmem_init();
	tls_settings_shmem_init();
	LWLockRelease(AddinShmemInitLock);
}

static void
tls_audit_client_authentication(Port *port, int status)
{
	if (prev_client_authentication_hook)
		prev_client_authentication_hook(port, status);

	tls_policy_client_authentication(port, status);
}

static void
tls_audit_emit_log(ErrorData *edata)
{
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);

	tls_conn_log_emit_log(edata);
}

/*
 * tls_audit_process_utility
 *		Refuse renaming or dropping a role the policy lists
 *		(tls_policy_check_role_change()), then run the statement.
 */
static void
tls_audit_process_utility(PlannedStmt *pstmt, const char *queryString,
						  bool readOnlyTree, ProcessUtilityContext context,
						  ParamListInfo params, QueryEnvironment *queryEnv,
						  DestReceiver *dest, QueryCompletion *qc)
{
	tls_policy_check_role_change(pstmt->utilityStmt);

	if (prev_process_utility_hook)
		prev_process_utility_hook(pstmt, queryString, readOnlyTree, context,
								  params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}
