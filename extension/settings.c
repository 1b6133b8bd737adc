/*-------------------------------------------------------------------------
 *
 * settings.c
 *		Whether the server could apply every pg_tls_audit.* setting its
 *		configuration asks for; the policy fails closed when it could not.
 *
 * PostgreSQL does not fail when a setting of a preloaded library has a
 * value that does not parse: at server start it logs a WARNING and keeps
 * the built-in default (for pg_tls_audit.require_tls: off), at a reload it
 * logs and keeps the old value, and a misspelled pg_tls_audit.* name is
 * dropped with a WARNING once the prefix is reserved.  Either way the
 * server would run a weaker policy than its configuration shows, so this
 * file finds such values and the policy (policy.c) then refuses every
 * connection it could cover, but a superuser's over the local socket,
 * until they are fixed.
 *
 * Two sources are read, with PostgreSQL's own parsers:
 *
 *	- at server start, in _PG_init(), the raw values the server holds for
 *	  pg_tls_audit.* before the settings are defined: they come from the
 *	  configuration files and from the command line (-c), and only the
 *	  command line's are kept (they cannot change until a restart; the
 *	  files are read again below);
 *	- the configuration files as the server reads them at a reload
 *	  (postgresql.conf with its includes, then postgresql.auto.conf): the
 *	  first connection after a reload, or after postgresql.conf or
 *	  postgresql.auto.conf changed on disk, parses them and publishes the
 *	  verdict in shared memory as one atomic word, so that no lock is taken
 *	  while a client connects.  (A reload that fails as a whole -- a syntax
 *	  error, an include that cannot be read -- does not change the reload
 *	  time, hence the files' own identity in the key; an included file
 *	  changed on its own is read again at the next reload.)
 *
 * A value is checked as the server would apply it: set_config_option()
 * without changing anything, which runs the setting's parser and check
 * hook.  A file that cannot be read or parsed counts as a policy setting
 * that cannot be read.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"

#include <sys/stat.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/shmem.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"

#define SETTING_PREFIX		"pg_tls_audit."
#define SETTING_PREFIX_LEN	(sizeof(SETTING_PREFIX) - 1)

/*
 * The settings that are not part of the TLS connection policy: a value of
 * theirs that does not parse is a finding, but loosens no policy.  Any
 * other pg_tls_audit.* name, known or not (a misspelled name may be meant
 * for the policy), makes the policy fail closed.
 */
static const char *const non_policy_settings[] = {
	"pg_tls_audit.log_connections",
	"pg_tls_audit.expiry_warning",
	"pg_tls_audit.connection_log_size",
	"pg_tls_audit.test_log_write_delay",
	"pg_tls_audit.test_log_claim_delay",
	"pg_tls_audit.test_out_of_bounds_read",
};

/* The command line's problems, found at server start (TlsSettingProblem). */
static List *start_problems = NIL;

/*
 * The verdict on the configuration files, in shared memory: the
 * configuration's key (config_key()) with its lowest bit replaced by
 * whether a policy setting could not be applied, or 0 before the first
 * connection.
 */
typedef struct TlsSettingsShared
{
	pg_atomic_uint64 verdict;
} TlsSettingsShared;

static TlsSettingsShared *settings_shared = NULL;

/* A pg_tls_audit.* value as the server found it, before it is checked. */
typedef struct RawSetting
{
	char	   *name;
	char	   *value;
	char	   *filename;		/* NULL: the command line */
	int			sourceline;
} RawSetting;

static bool
is_our_setting(const char *name)
{
	return pg_strncasecmp(name, SETTING_PREFIX, SETTING_PREFIX_LEN) == 0;
}

static bool
is_policy_setting(const char *name)
{
	for (size_t i = 0; i < lengthof(non_policy_settings); i++)
		if (pg_strcasecmp(name, non_policy_settings[i]) == 0)
			return false;
	return true;
}

/*
 * check_value
 *		NULL when the server accepts value for setting name (a defined
 *		pg_tls_audit.* setting); else why not, palloc'd.  Nothing is
 *		changed.
 */
static char *
check_value(const char *name, const char *value)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	char	   *volatile why = NULL;

	PG_TRY();
	{
		/*
		 * PGC_POSTMASTER, the most permissive context, because only the
		 * value is in question here; changeVal = false changes nothing,
		 * even for a setting that only a restart can change.
		 */
		if (set_config_option(name, value, PGC_POSTMASTER, PGC_S_FILE,
							  GUC_ACTION_SET, false, ERROR, false) == 0)
			why = pstrdup("the server did not accept it");
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		why = edata->detail ? psprintf("%s: %s", edata->message, edata->detail) :
			edata->message;
	}
	PG_END_TRY();

	/* It is shown inside a sentence. */
	if (why != NULL && why[0] != '\0' && why[strlen(why) - 1] == '.')
		why[strlen(why) - 1] = '\0';
	return why;
}

/*
 * problem_of
 *		A TlsSettingProblem for raw, or NULL when its value is accepted.
 */
static TlsSettingProblem *
problem_of(const RawSetting *raw)
{
	char	   *why = check_value(raw->name, raw->value);
	TlsSettingProblem *problem;

	if (why == NULL)
		return NULL;
	problem = palloc0(sizeof(TlsSettingProblem));
	problem->name = pstrdup(raw->name);
	problem->value = pstrdup(raw->value);
	problem->filename = raw->filename ? pstrdup(raw->filename) : NULL;
	problem->sourceline = raw->sourceline;
	problem->why = why;
	problem->policy = is_policy_setting(raw->name);
	return problem;
}

/*
 * tls_settings_read_at_start
 *		Called by _PG_init() before it defines the settings: keep the raw
 *		pg_tls_audit.* values the server holds.  Returns them as a List of
 *		RawSetting for tls_settings_check_at_start(), in the caller's
 *		memory context.
 */
List *
tls_settings_read_at_start(void)
{
	List	   *raw = NIL;
	int			n;
	struct config_generic **vars = pg_tls_audit_guc_variables(&n);

	for (int i = 0; i < n; i++)
	{
		struct config_generic *var = vars[i];
		RawSetting *setting;
		const char *value;

		if (!(var->flags & GUC_CUSTOM_PLACEHOLDER) || !is_our_setting(var->name))
			continue;
		/* The files are read again at every reload; see the file header. */
		if (var->source == PGC_S_FILE)
			continue;
		value = GetConfigOption(var->name, true, false);
		setting = palloc0(sizeof(RawSetting));
		setting->name = pstrdup(var->name);
		setting->value = pstrdup(value ? value : "");
		raw = lappend(raw, setting);
	}
	return raw;
}

/*
 * tls_settings_check_at_start
 *		Called by _PG_init() once the settings are defined and the prefix
 *		reserved: check the values tls_settings_read_at_start() kept.
 */
void
tls_settings_check_at_start(List *raw)
{
	MemoryContext oldcontext = MemoryContextSwitchTo(TopMemoryContext);
	ListCell   *lc;

	foreach(lc, raw)
	{
		TlsSettingProblem *problem = problem_of(lfirst(lc));

		if (problem != NULL)
			start_problems = lappend(start_problems, problem);
	}
	MemoryContextSwitchTo(oldcontext);
}

/*
 * file_problems
 *		The problems of the configuration files as a reload would read them
 *		now, as a List of TlsSettingProblem; a file that cannot be read or
 *		parsed is one problem with no name.
 */
static List *
file_problems(void)
{
	ConfigVariable *head = NULL;
	ConfigVariable *tail = NULL;
	List	   *problems = NIL;
	bool		parsed;

	parsed = ParseConfigFile(ConfigFileName, true, NULL, 0, 0, DEBUG1,
							 &head, &tail);
	if (parsed && DataDir != NULL)
		parsed = ParseConfigFile(PG_AUTOCONF_FILENAME, false, NULL, 0, 0,
								 DEBUG1, &head, &tail);
	if (!parsed)
	{
		TlsSettingProblem *problem = palloc0(sizeof(TlsSettingProblem));

		problem->filename = pstrdup(ConfigFileName);
		problem->why = pstrdup("the configuration files could not be read or parsed, so the server may not apply the policy settings they hold");
		problem->policy = true;
		problems = lappend(problems, problem);
	}

	for (ConfigVariable *item = head; item != NULL; item = item->next)
	{
		RawSetting	raw;
		TlsSettingProblem *problem;
		bool		overridden = false;

		if (item->ignore || !is_our_setting(item->name))
			continue;
		/* As the server does, only the last value of a name counts. */
		for (ConfigVariable *later = item->next; later != NULL; later = later->next)
			if (!later->ignore && pg_strcasecmp(later->name, item->name) == 0)
				overridden = true;
		if (overridden)
			continue;
		raw.name = item->name;
		raw.value = item->value;
		raw.filename = item->filename;
		raw.sourceline = item->sourceline;
		problem = problem_of(&raw);
		if (problem != NULL)
			problems = lappend(problems, problem);
	}
	FreeConfigVariables(head);
	return problems;
}

/*
 * tls_settings_problems
 *		Every pg_tls_audit.* value the server could not apply, from the
 *		command line at start and from the configuration files now, as a
 *		List of TlsSettingProblem (palloc'd in the caller's context).
 */
List *
tls_settings_problems(void)
{
	return list_concat(list_copy(start_problems), file_problems());
}

/*
 * tls_setting_problem_text
 *		A problem as those who may read pg_file_settings see it: the name
 *		and value, or the configuration files, then where it comes from.
 *		palloc'd; the name, value and file name escaped.
 */
char *
tls_setting_problem_text(const TlsSettingProblem *problem)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (problem->name)
		appendStringInfo(&buf, "\"%s\" = \"%s\"", tls_escaped(problem->name),
						 tls_escaped(problem->value));
	else
		appendStringInfoString(&buf, "The configuration files");
	if (problem->filename && problem->sourceline > 0)
		appendStringInfo(&buf, " (%s line %d)", tls_escaped(problem->filename),
						 problem->sourceline);
	else if (problem->filename)
		appendStringInfo(&buf, " (%s)", tls_escaped(problem->filename));
	else
		appendStringInfoString(&buf, " (command line)");
	return buf.data;
}

static bool
any_policy_problem(List *problems)
{
	ListCell   *lc;

	foreach(lc, problems)
		if (((TlsSettingProblem *) lfirst(lc))->policy)
			return true;
	return false;
}

/*
 * config_key
 *		A hash of what the verdict depends on: the last reload's time and
 *		the identity of postgresql.conf and postgresql.auto.conf on disk.
 *		The lowest bit is left clear for the verdict.
 */
static uint64
config_key(void)
{
	struct
	{
		TimestampTz reload;
		struct
		{
			int			error;
			dev_t		dev;
			ino_t		ino;
			off_t		size;
			int64		mtime_sec;
			int64		mtime_nsec;
		}			file[2];
	}			key;
	char		auto_conf[MAXPGPATH];
	const char *paths[2];

	memset(&key, 0, sizeof(key));
	key.reload = PgReloadTime;
	snprintf(auto_conf, sizeof(auto_conf), "%s/%s",
			 DataDir ? DataDir : ".", PG_AUTOCONF_FILENAME);
	paths[0] = ConfigFileName ? ConfigFileName : "";
	paths[1] = auto_conf;
	for (int i = 0; i < 2; i++)
	{
		struct stat st;

		if (stat(paths[i], &st) != 0)
		{
			key.file[i].error = errno;
			continue;
		}
		key.file[i].dev = st.st_dev;
		key.file[i].ino = st.st_ino;
		key.file[i].size = st.st_size;
		key.file[i].mtime_sec = st.st_mtim.tv_sec;
		key.file[i].mtime_nsec = st.st_mtim.tv_nsec;
	}
	return hash_bytes_extended((const unsigned char *) &key, sizeof(key), 0) &
		~(uint64) 1;
}

/*
 * tls_settings_policy_unreadable
 *		True when a setting of the policy could not be applied, so that the
 *		policy must fail closed.  The files are parsed once per reload or
 *		change on disk by all backends together (see the file header).  May
 *		raise an error (the policy then fails closed too).
 */
bool
tls_settings_policy_unreadable(void)
{
	uint64		key;
	uint64		verdict;
	MemoryContext cxt;
	MemoryContext oldcontext;
	bool		bad;

	if (any_policy_problem(start_problems))
		return true;

	key = config_key();
	if (settings_shared != NULL)
	{
		verdict = pg_atomic_read_u64(&settings_shared->verdict);
		if ((verdict & ~(uint64) 1) == key)
			return (verdict & 1) != 0;
	}

	cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_tls_audit settings",
								ALLOCSET_SMALL_SIZES);
	oldcontext = MemoryContextSwitchTo(cxt);
	bad = any_policy_problem(file_problems());
	MemoryContextSwitchTo(oldcontext);
	MemoryContextDelete(cxt);

	if (settings_shared != NULL)
		pg_atomic_write_u64(&settings_shared->verdict, key | (bad ? 1 : 0));
	return bad;
}

Size
tls_settings_shmem_size(void)
{
	return sizeof(TlsSettingsShared);
}

/*
 * tls_settings_shmem_init
 *		Create or attach to the shared verdict; the caller holds
 *		AddinShmemInitLock.
 */
void
tls_settings_shmem_init(void)
{
	bool		found;

	settings_shared = ShmemInitStruct("pg_tls_audit settings",
									  sizeof(TlsSettingsShared), &found);
	if (!found)
		pg_atomic_init_u64(&settings_shared->verdict, 0);
}
