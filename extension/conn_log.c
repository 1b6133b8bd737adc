/*-------------------------------------------------------------------------
 *
 * conn_log.c
 *		The connection log: a bounded ring in shared memory of the recent
 *		connection attempts the server saw, and the optional LOG line per
 *		connection (pg_tls_audit.log_connections).
 *
 * Attempts that reach authentication are recorded by the
 * ClientAuthentication_hook (policy.c).  Attempts that end before it -- a
 * failed TLS handshake, including a client that aborts because it rejected
 * the server's certificate, a malformed startup packet, no pg_hba.conf
 * entry, a "reject" line, a missing client certificate -- are recorded from
 * emit_log_hook, from the message that ends them.  A FATAL after a
 * recorded attempt (a wrong password, a policy rejection, a database that
 * does not exist) completes or corrects that attempt's entry, so that each
 * connection has exactly one entry.
 *
 * Some of those messages are raised before the backend has a PGPROC, where
 * LWLocks cannot be used and nothing may fail, and while PostgreSQL's
 * SIGTERM and authentication_timeout handlers end the process with _exit(),
 * on the assumption that it has not touched shared memory.  So no lock is
 * ever held: a slot of the ring is claimed with an atomic counter, and each
 * entry is published through a change count (odd while a writer copies the
 * entry in), as PostgreSQL's own backend status array is.  Writers block
 * signals for the few instructions of the copy, so they cannot be ended in
 * the middle of one; readers never wait for a writer: they retry a bounded
 * number of times and then skip an entry that is being written.
 *
 * An attempt that authenticated is marked accepted; if the backend exits
 * before its session starts (an unknown database, a connection limit, a
 * policy rejection), a before_shmem_exit callback marks it refused,
 * whatever log_min_messages lets emit_log_hook see.  Attempts that end
 * before authentication are seen only through emit_log_hook, so they are
 * recorded only when the server logs the message that ends them (not with
 * log_min_messages = panic, say).
 *
 * Beside the ring, which forgets, a cumulative counter per outcome
 * (tls_connection_outcomes()) counts each attempt once, under its final
 * outcome, so that the counters only go up until tls_connection_log_reset()
 * or a server restart, however often an entry is completed or corrected.
 * An outcome is final:
 *
 *	- at a FATAL, which ends the connection;
 *	- when the ClientAuthentication_hook records a failed authentication or
 *	  a policy rejection (a FATAL follows, with the reason);
 *	- before the backend has a PGPROC, at once: a communication error there
 *	  always ends the connection, and PostgreSQL's SIGTERM and
 *	  authentication_timeout handlers may _exit() right after the write;
 *	- for an accepted attempt, when the startup transaction commits, which
 *	  is the last step of InitPostgres() before the session starts; an
 *	  attempt counted as accepted is not corrected afterwards;
 *	- otherwise at backend exit (before_shmem_exit): an accepted attempt
 *	  whose session did not start counts as refused there, and a
 *	  communication error during authentication under whatever the hook
 *	  then recorded.
 *
 * So an attempt between authentication and the start of its session is in
 * the ring (and in tls_connection_log_stats()'s recorded) but in no counter
 * yet.  The counters are atomics; an attempt's seq is claimed and its
 * outcome counted with signals blocked, in the same stretch as the write of
 * its entry, so that recorded equals the sum of the counters whenever no
 * attempt is in flight, whatever signal ended a backend.  Only a reset and
 * the readers take reset_mutex; an attempt in flight across a reset counts
 * in the new period though its seq is from the old one.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"

#include <signal.h>

#include "access/xact.h"
#include "funcapi.h"
#include "libpq/hba.h"
#include "libpq/pqsignal.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"

#define TLS_LOG_AUTH_METHOD_LEN	32
#define TLS_LOG_REASON_LEN		256
#define TLS_GET_LOG_NATTS		18
#define TLS_LOG_STATS_NATTS		4
#define TLS_OUTCOMES_NATTS		3

/*
 * How often a writer tries to claim an entry that another writer (one that
 * wrapped around the ring) is copying, and a reader to copy an entry
 * consistently, before giving up on it.
 */
#define TLS_LOG_WRITE_TRIES		10000
#define TLS_LOG_READ_TRIES		1000

/* One attempt. */
typedef struct TlsLogRecord
{
	uint64		seq;			/* 0: unused */
	TimestampTz time;
	int			pid;
	TlsConnOutcome outcome;
	int			hba_line;		/* 0: unknown */
	char		auth_method[TLS_LOG_AUTH_METHOD_LEN];
	char		user_name[NAMEDATALEN];		/* as the client sent them */
	char		database_name[NAMEDATALEN];
	bool		has_user;
	bool		has_database;
	char		reason[TLS_LOG_REASON_LEN];
	TlsConnInfo conn;
} TlsLogRecord;

typedef struct TlsLogEntry
{
	pg_atomic_uint32 changecount;	/* odd while a writer copies record in */
	TlsLogRecord record;
} TlsLogEntry;

typedef struct TlsConnLogShared
{
	pg_atomic_uint64 next_seq;	/* seq of the next attempt; the first is 1 */
	pg_atomic_uint64 reset_seq; /* first seq after the last reset */
	/* attempts by final outcome since the last reset; [NONE] is unused */
	pg_atomic_uint64 outcome_count[TLS_NUM_OUTCOMES];
	slock_t		reset_mutex;	/* protects reset_time; held while the
								 * counters are reset or read together */
	TimestampTz reset_time;
	int			capacity;
	TlsLogEntry entries[FLEXIBLE_ARRAY_MEMBER];
} TlsConnLogShared;

static TlsConnLogShared *conn_log = NULL;

/*
 * This connection's entry once recorded, and whether the next FATAL should
 * supply its reason (the hook knows an attempt failed before the server
 * says why).
 */
static TlsLogRecord my_record;
static bool my_reason_pending = false;
static bool my_exit_callback = false;
static bool my_xact_callback = false;

/* Whether my_record's outcome is final, and counted (see the file header). */
static bool my_counted = false;

static void conn_log_at_exit(int code, Datum arg);

PG_FUNCTION_INFO_V1(tls_get_connection_log);
PG_FUNCTION_INFO_V1(tls_connection_log_stats);
PG_FUNCTION_INFO_V1(tls_connection_log_reset);
PG_FUNCTION_INFO_V1(tls_connection_outcomes);

/*
 * tls_outcome_name
 *		An outcome as tls_connection_log shows it.
 */
const char *
tls_outcome_name(TlsConnOutcome outcome)
{
	switch (outcome)
	{
		case TLS_OUTCOME_ACCEPTED:
			return "accepted";
		case TLS_OUTCOME_REJECTED_BY_POLICY:
			return "rejected_by_policy";
		case TLS_OUTCOME_AUTHENTICATION_FAILED:
			return "authentication_failed";
		case TLS_OUTCOME_REFUSED:
			return "refused";
		case TLS_OUTCOME_TLS_HANDSHAKE_FAILED:
			return "tls_handshake_failed";
		case TLS_OUTCOME_NONE:
			break;
	}
	return "unknown";
}

/*
 * Size and creation of the ring; the caller of init holds
 * AddinShmemInitLock.
 */
Size
tls_conn_log_shmem_size(void)
{
	return add_size(offsetof(TlsConnLogShared, entries),
					mul_size(sizeof(TlsLogEntry), tls_audit_connection_log_size));
}

void
tls_conn_log_shmem_init(void)
{
	bool		found;

	conn_log = ShmemInitStruct("pg_tls_audit connection log",
							   tls_conn_log_shmem_size(), &found);
	if (!found)
	{
		memset(conn_log, 0, tls_conn_log_shmem_size());
		pg_atomic_init_u64(&conn_log->next_seq, 1);
		pg_atomic_init_u64(&conn_log->reset_seq, 1);
		for (int i = 0; i < TLS_NUM_OUTCOMES; i++)
			pg_atomic_init_u64(&conn_log->outcome_count[i], 0);
		SpinLockInit(&conn_log->reset_mutex);
		conn_log->reset_time = GetCurrentTimestamp();
		conn_log->capacity = tls_audit_connection_log_size;
		for (int i = 0; i < conn_log->capacity; i++)
			pg_atomic_init_u32(&conn_log->entries[i].changecount, 0);
	}
}

/*
 * copy_text
 *		Copy a NUL-terminated string into a fixed buffer, cut at a UTF-8
 *		character boundary when it does not fit.  Does not allocate.
 */
static void
copy_text(char *dst, size_t size, const char *src)
{
	size_t		len = strlen(src);

	if (len >= size)
	{
		len = size - 1;
		while (len > 0 && ((unsigned char) src[len] & 0xC0) == 0x80)
			len--;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * count_my_outcome_unblocked
 *		Count my_record's outcome, which is final, unless it was counted
 *		already.  The caller blocks signals.
 */
static void
count_my_outcome_unblocked(void)
{
	if (my_counted)
		return;
	Assert(my_record.outcome > TLS_OUTCOME_NONE &&
		   my_record.outcome < TLS_NUM_OUTCOMES);
	pg_atomic_fetch_add_u64(&conn_log->outcome_count[my_record.outcome], 1);
	my_counted = true;
}

/*
 * await_final_outcome
 *		Make sure that an attempt whose outcome is not final yet is counted
 *		at backend exit at the latest.  before_shmem_exit() does not
 *		allocate, so this is safe before the backend has a PGPROC too.
 */
static void
await_final_outcome(void)
{
	if (!my_exit_callback)
	{
		before_shmem_exit(conn_log_at_exit, (Datum) 0);
		my_exit_callback = true;
	}
}

/*
 * store_my_record
 *		Write my_record into the ring: into a new entry when it has no seq
 *		yet, else over its own entry unless that was overwritten meanwhile;
 *		when final, also count its outcome (once per attempt, whether or
 *		not the ring kept the entry).  Does not allocate or fail, and holds
 *		no lock: see the file header.  When another writer keeps the entry
 *		busy for longer than it takes to copy one (only a writer that
 *		wrapped around the ring can), the attempt is not recorded rather
 *		than waited for.
 *
 * The seq is claimed and the count made with the same signals blocked as
 * the copy, so that a backend that a signal ends at any point of the write
 * (see the file header) has claimed its seq and counted its outcome, or
 * neither: a seq claimed without a count would leave
 * tls_connection_log_stats()'s recorded above the sum of the counters for
 * good.
 *
 * With test_delays, the test-only settings pg_tls_audit.test_log_claim_delay
 * and test_log_write_delay (builds with PG_TLS_AUDIT_TEST_HOOKS only)
 * stretch the write right after the seq is claimed and during the copy,
 * for the test bed to signal a backend at either point.
 */
static void
store_my_record(bool final, bool test_delays)
{
	TlsLogEntry *entry;
	sigset_t	saved;
	uint32		count = 0;
	bool		claimed = false;

	sigprocmask(SIG_BLOCK, &BlockSig, &saved);
	if (my_record.seq == 0)
	{
		my_record.seq = pg_atomic_fetch_add_u64(&conn_log->next_seq, 1);
		if (test_delays && tls_audit_test_log_claim_delay > 0)
			pg_usleep(tls_audit_test_log_claim_delay * 1000L);
	}
	entry = &conn_log->entries[my_record.seq % conn_log->capacity];
	if (final)
		count_my_outcome_unblocked();
	for (int i = 0; i < TLS_LOG_WRITE_TRIES && !claimed; i++)
	{
		count = pg_atomic_read_u32(&entry->changecount);
		if (count % 2 == 0)
			claimed = pg_atomic_compare_exchange_u32(&entry->changecount, &count, count + 1);
		if (!claimed)
			pg_spin_delay();
	}
	if (claimed)
	{
		/* A writer that wrapped around the ring first keeps the slot. */
		if (entry->record.seq <= my_record.seq)
			memcpy(&entry->record, &my_record, sizeof(my_record));
		if (test_delays && tls_audit_test_log_write_delay > 0)
			pg_usleep(tls_audit_test_log_write_delay * 1000L);
		pg_write_barrier();
		pg_atomic_write_u32(&entry->changecount, count + 2);
	}
	sigprocmask(SIG_SETMASK, &saved, NULL);
}

/*
 * read_entry
 *		Copy an entry out of the ring into *r; false when a writer was
 *		copying it in during every try.
 */
static bool
read_entry(TlsLogEntry *entry, TlsLogRecord *r)
{
	for (int i = 0; i < TLS_LOG_READ_TRIES; i++)
	{
		uint32		before = pg_atomic_read_u32(&entry->changecount);

		if (before % 2 == 0)
		{
			pg_read_barrier();
			memcpy(r, &entry->record, sizeof(TlsLogRecord));
			pg_read_barrier();
			if (pg_atomic_read_u32(&entry->changecount) == before)
				return true;
		}
		pg_spin_delay();
	}
	return false;
}

/*
 * conn_log_at_exit
 *		before_shmem_exit callback of a backend whose attempt's outcome was
 *		not final when recorded: it is now.  An attempt recorded as
 *		accepted whose session never started was refused after
 *		authentication, whether or not emit_log_hook saw the FATAL.
 */
static void
conn_log_at_exit(int code, Datum arg)
{
	if (my_counted)
		return;
	if (my_record.outcome == TLS_OUTCOME_ACCEPTED && !IsNormalProcessingMode())
	{
		my_record.outcome = TLS_OUTCOME_REFUSED;
		if (my_record.reason[0] == '\0')
			copy_text(my_record.reason, sizeof(my_record.reason),
					  "the connection ended after authentication, before the session started");
	}
	store_my_record(true, false);
}

/*
 * conn_log_xact_callback
 *		Transaction callback of a backend whose attempt was recorded as
 *		accepted: the first commit after authentication is that of
 *		InitPostgres()'s startup transaction, once every check that can
 *		still refuse the connection (the role may log in, the database
 *		exists and allows it, connection limits) has passed, so accepted is
 *		final.  Later transactions find it counted.
 */
static void
conn_log_xact_callback(XactEvent event, void *arg)
{
	sigset_t	saved;

	if (event != XACT_EVENT_COMMIT || my_counted ||
		my_record.outcome != TLS_OUTCOME_ACCEPTED)
		return;
	sigprocmask(SIG_BLOCK, &BlockSig, &saved);
	count_my_outcome_unblocked();
	sigprocmask(SIG_SETMASK, &saved, NULL);
}

/*
 * fill_my_record
 *		Set my_record's outcome, reason and everything port tells; the time
 *		is that of the first record of this connection.
 */
static void
fill_my_record(Port *port, const TlsConnInfo *info, TlsConnOutcome outcome,
			   const char *reason)
{
	if (my_record.seq == 0)
	{
		my_record.time = GetCurrentTimestamp();
		my_record.pid = MyProcPid;
	}
	my_record.outcome = outcome;
	my_record.has_user = (port->user_name != NULL && port->user_name[0] != '\0');
	if (my_record.has_user)
		copy_text(my_record.user_name, sizeof(my_record.user_name), port->user_name);
	my_record.has_database = (port->database_name != NULL && port->database_name[0] != '\0');
	if (my_record.has_database)
		copy_text(my_record.database_name, sizeof(my_record.database_name), port->database_name);
	if (port->hba != NULL)
	{
		my_record.hba_line = port->hba->linenumber;
		copy_text(my_record.auth_method, sizeof(my_record.auth_method),
				  hba_authname(port->hba->auth_method));
	}
	copy_text(my_record.reason, sizeof(my_record.reason), reason ? reason : "");
	my_reason_pending = (reason == NULL && outcome != TLS_OUTCOME_ACCEPTED);
	memcpy(&my_record.conn, info, sizeof(my_record.conn));
}

/*
 * tls_conn_log_record
 *		Record this connection's attempt as having reached outcome; a NULL
 *		reason for a failure is taken from the FATAL that follows.
 */
void
tls_conn_log_record(Port *port, const TlsConnInfo *info,
					TlsConnOutcome outcome, const char *reason)
{
	if (conn_log == NULL)
		return;
	fill_my_record(port, info, outcome, reason);
	if (outcome == TLS_OUTCOME_ACCEPTED)
	{
		/* Before the seq is claimed: see tls_conn_log_emit_log(). */
		await_final_outcome();
		if (!my_xact_callback)
		{
			RegisterXactCallback(conn_log_xact_callback, NULL);
			my_xact_callback = true;
		}
	}
	store_my_record(outcome != TLS_OUTCOME_ACCEPTED, false);
}

/*
 * tls_conn_log_emit_log
 *		emit_log_hook: record attempts that end before authentication, and
 *		complete recorded ones with the FATAL that ends them.
 *
 * Runs for every message of every process, so it returns at once unless
 * this is a client connection still starting up (a Port, and not yet in
 * normal processing) and the message ends the connection (FATAL) or is a
 * communication error (COMMERROR with an error code: the same level without
 * one is an informational server-only message), which before
 * authentication always ends it.  Must not
 * allocate or raise an error: it runs inside error reporting, and possibly
 * before the backend has a PGPROC.
 */
void
tls_conn_log_emit_log(ErrorData *edata)
{
	TlsConnInfo info;
	bool		final;

	if (conn_log == NULL || MyProcPort == NULL || IsNormalProcessingMode())
		return;
	if (edata->elevel < FATAL &&
		!(edata->elevel == COMMERROR && edata->sqlerrcode != ERRCODE_SUCCESSFUL_COMPLETION))
		return;

	if (my_record.seq != 0)
	{
		if (edata->elevel < FATAL || edata->message == NULL)
			return;
		if (my_reason_pending)
		{
			copy_text(my_record.reason, sizeof(my_record.reason), edata->message);
			my_reason_pending = false;
		}
		else if (my_record.outcome == TLS_OUTCOME_ACCEPTED && !my_counted)
		{
			/* Authenticated, then refused: an unknown database, for one. */
			my_record.outcome = TLS_OUTCOME_REFUSED;
			copy_text(my_record.reason, sizeof(my_record.reason), edata->message);
		}
		else
			return;
		store_my_record(true, false);
		return;
	}

	/*
	 * A FATAL is final, and so is a communication error before the backend
	 * has a PGPROC; one during authentication is followed by the
	 * ClientAuthentication_hook's own record.  The exit callback that makes
	 * an outcome final is registered before the seq is claimed, so that a
	 * seq is never claimed with no way left to count it.
	 */
	final = (edata->elevel >= FATAL || MyProc == NULL);
	tls_capture_connection(MyProcPort, &info);
	fill_my_record(MyProcPort, &info,
				   info.tls_attempted && !info.tls ?
				   TLS_OUTCOME_TLS_HANDSHAKE_FAILED : TLS_OUTCOME_REFUSED,
				   edata->message ? edata->message : "");
	if (!final)
		await_final_outcome();
	store_my_record(final, true);
}

/*
 * append_log_value
 *		Append ' key="value"' to a log line, the value escaped by
 *		tls_append_escaped().
 */
static void
append_log_value(StringInfo buf, const char *key, const char *value, size_t len)
{
	appendStringInfo(buf, " %s=\"", key);
	tls_append_escaped(buf, value, len);
	appendStringInfoChar(buf, '"');
}

static void
append_log_string(StringInfo buf, const char *key, const char *value)
{
	append_log_value(buf, key, value, strlen(value));
}

static void
append_log_int(StringInfo buf, const char *key, int value)
{
	char		digits[16];

	snprintf(digits, sizeof(digits), "%d", value);
	append_log_string(buf, key, digits);
}

/*
 * tls_conn_log_write_line
 *		The pg_tls_audit.log_connections LOG line for a connection that
 *		reached authentication: its outcome and TLS details, as key="value"
 *		pairs, every value quoted and escaped by append_log_value().
 */
void
tls_conn_log_write_line(Port *port, const TlsConnInfo *info,
						TlsConnOutcome outcome)
{
	StringInfoData buf;
	bool		isnull;
	Datum		subject;

	initStringInfo(&buf);
	append_log_string(&buf, "outcome", tls_outcome_name(outcome));
	append_log_string(&buf, "user", port->user_name ? port->user_name : "");
	append_log_string(&buf, "database", port->database_name ? port->database_name : "");
	if (info->client_addr[0] != '\0')
	{
		append_log_string(&buf, "host", info->client_addr);
		append_log_int(&buf, "port", info->client_port);
	}
	else
		append_log_string(&buf, "host", "[local]");
	append_log_string(&buf, "ssl", info->tls ? "on" : "off");
	if (info->tls)
	{
		append_log_string(&buf, "protocol", info->protocol);
		append_log_string(&buf, "cipher", info->cipher);
		append_log_int(&buf, "bits", info->cipher_bits);
	}
	if (info->sni_len > 0)
		append_log_value(&buf, "sni", info->sni, info->sni_len);
	subject = tls_der_name_datum(info->subject, info->subject_len, &isnull);
	if (!isnull)
		append_log_string(&buf, "client_subject", TextDatumGetCString(subject));
	if (info->serial[0] != '\0')
		append_log_string(&buf, "client_serial", info->serial);
	if (port->hba != NULL)
	{
		append_log_int(&buf, "hba_line", port->hba->linenumber);
		append_log_string(&buf, "auth_method", hba_authname(port->hba->auth_method));
	}

	ereport(LOG,
			(errmsg_internal("pg_tls_audit connection:%s", buf.data),
			 errhidestmt(true)));
	pfree(buf.data);
}

/*
 * record_text_datum
 *		Text stored by a client (user and database names, messages quoting
 *		them): control characters and invalid bytes escaped.
 */
static Datum
record_text_datum(const char *s)
{
	return PointerGetDatum(tls_text_from_bytes(s, strlen(s), 0));
}

/*
 * tls_get_connection_log
 *		The attempts recorded since the last reset that the ring still
 *		holds, oldest first (give or take attempts recorded meanwhile): id, time, pid, usename, datname, client_addr,
 *		client_port, ssl (the client asked for TLS), protocol, cipher,
 *		cipher_bits, sni, client_subject, client_serial, hba_line,
 *		auth_method, outcome, reason.
 */
Datum
tls_get_connection_log(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TlsLogRecord r;
	uint64		oldest;
	uint64		reset_seq;

	tls_audit_require_preload();
	InitMaterializedSRF(fcinfo, 0);

	/*
	 * Walk the ring from the slot the next attempt will overwrite, which
	 * holds the oldest entry, so that rows come in attempt order without a
	 * sort; each entry is copied under its own lock, then converted.
	 */
	oldest = pg_atomic_read_u64(&conn_log->next_seq);
	reset_seq = pg_atomic_read_u64(&conn_log->reset_seq);
	for (int i = 0; i < conn_log->capacity; i++)
	{
		TlsLogEntry *entry = &conn_log->entries[(oldest + i) % conn_log->capacity];
		TlsConnInfo *conn = &r.conn;
		Datum		values[TLS_GET_LOG_NATTS];
		bool		nulls[TLS_GET_LOG_NATTS];

		if (!read_entry(entry, &r) || r.seq == 0 || r.seq < reset_seq)
			continue;

		memset(nulls, true, sizeof(nulls));
		values[0] = Int64GetDatum((int64) r.seq);
		values[1] = TimestampTzGetDatum(r.time);
		values[2] = Int32GetDatum(r.pid);
		nulls[0] = nulls[1] = nulls[2] = false;
		if (r.has_user)
		{
			values[3] = record_text_datum(r.user_name);
			nulls[3] = false;
		}
		if (r.has_database)
		{
			values[4] = record_text_datum(r.database_name);
			nulls[4] = false;
		}
		values[5] = tls_addr_datum(conn->client_addr, &nulls[5]);
		if (!nulls[5])
		{
			values[6] = Int32GetDatum(conn->client_port);
			nulls[6] = false;
		}
		values[7] = BoolGetDatum(conn->tls_attempted);
		nulls[7] = false;
		if (conn->tls)
		{
			values[8] = CStringGetTextDatum(conn->protocol);
			values[9] = CStringGetTextDatum(conn->cipher);
			values[10] = Int32GetDatum(conn->cipher_bits);
			nulls[8] = nulls[9] = nulls[10] = false;
		}
		if (conn->sni_len > 0)
		{
			values[11] = PointerGetDatum(tls_text_from_bytes(conn->sni, conn->sni_len,
															 TLS_TEXT_ESCAPE_BACKSLASH));
			nulls[11] = false;
		}
		values[12] = tls_der_name_datum(conn->subject, conn->subject_len, &nulls[12]);
		values[13] = tls_serial_datum(conn->serial, &nulls[13]);
		if (r.hba_line > 0)
		{
			values[14] = Int32GetDatum(r.hba_line);
			nulls[14] = false;
		}
		if (r.auth_method[0] != '\0')
		{
			values[15] = CStringGetTextDatum(r.auth_method);
			nulls[15] = false;
		}
		values[16] = CStringGetTextDatum(tls_outcome_name(r.outcome));
		nulls[16] = false;
		if (r.reason[0] != '\0')
		{
			values[17] = record_text_datum(r.reason);
			nulls[17] = false;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * tls_connection_log_stats
 *		One row: recorded (attempts since the last reset), overwritten (of
 *		those, how many the ring no longer holds), capacity, stats_reset.
 */
Datum
tls_connection_log_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[TLS_LOG_STATS_NATTS];
	bool		nulls[TLS_LOG_STATS_NATTS] = {false, false, false, false};
	uint64		recorded;
	TimestampTz reset_time;

	tls_audit_require_preload();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	SpinLockAcquire(&conn_log->reset_mutex);
	recorded = pg_atomic_read_u64(&conn_log->next_seq) -
		pg_atomic_read_u64(&conn_log->reset_seq);
	reset_time = conn_log->reset_time;
	SpinLockRelease(&conn_log->reset_mutex);

	values[0] = Int64GetDatum((int64) recorded);
	values[1] = Int64GetDatum((int64) (recorded > (uint64) conn_log->capacity ?
									   recorded - conn_log->capacity : 0));
	values[2] = Int32GetDatum(conn_log->capacity);
	values[3] = TimestampTzGetDatum(reset_time);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * tls_connection_log_reset
 *		Forget every recorded attempt and restart the counters, the
 *		outcome counters too.  An attempt whose outcome becomes final after
 *		this counts in the new period, even if it was recorded before.
 */
Datum
tls_connection_log_reset(PG_FUNCTION_ARGS)
{
	tls_audit_require_preload();

	SpinLockAcquire(&conn_log->reset_mutex);
	pg_atomic_write_u64(&conn_log->reset_seq, pg_atomic_read_u64(&conn_log->next_seq));
	for (int i = 0; i < TLS_NUM_OUTCOMES; i++)
		pg_atomic_write_u64(&conn_log->outcome_count[i], 0);
	conn_log->reset_time = GetCurrentTimestamp();
	SpinLockRelease(&conn_log->reset_mutex);

	PG_RETURN_VOID();
}

/*
 * tls_connection_outcomes
 *		One row per outcome, every outcome even when none was seen: outcome,
 *		recorded (attempts counted under that final outcome since the last
 *		reset or the server's start; see the file header), stats_reset.
 *		The counters and stats_reset are read under reset_mutex, so a row
 *		set never mixes counts from before and after a reset.
 */
Datum
tls_connection_outcomes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint64		counts[TLS_NUM_OUTCOMES];
	TimestampTz reset_time;

	tls_audit_require_preload();
	InitMaterializedSRF(fcinfo, 0);

	SpinLockAcquire(&conn_log->reset_mutex);
	for (int i = 0; i < TLS_NUM_OUTCOMES; i++)
		counts[i] = pg_atomic_read_u64(&conn_log->outcome_count[i]);
	reset_time = conn_log->reset_time;
	SpinLockRelease(&conn_log->reset_mutex);

	for (int i = TLS_OUTCOME_NONE + 1; i < TLS_NUM_OUTCOMES; i++)
	{
		Datum		values[TLS_OUTCOMES_NATTS];
		bool		nulls[TLS_OUTCOMES_NATTS] = {false, false, false};

		values[0] = CStringGetTextDatum(tls_outcome_name((TlsConnOutcome) i));
		values[1] = Int64GetDatum((int64) counts[i]);
		values[2] = TimestampTzGetDatum(reset_time);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
