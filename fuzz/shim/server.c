/*-------------------------------------------------------------------------
 *
 * server.c
 *		A stand-in for the PostgreSQL server, for fuzz targets that compile
 *		extension code unchanged outside a server.
 *
 * Only what extension/x509_fields.c and escape.c call is here, with the
 * behaviour they rely on; StringInfo and the UTF-8 helpers come from
 * libpgcommon.a and printf from libpgport.a, as in the server.
 *
 * - Memory: palloc and friends are malloc'd blocks linked in one list, all
 *   freed by fuzz_end_input(), as a memory context reset frees them in the
 *   server.  Each block is a malloc of its own, so AddressSanitizer sees an
 *   overrun of any of them (in the server, palloc'd chunks share blocks).
 * - Errors: ereport formats every message (so its arguments are read) and,
 *   at ERROR, longjmps to the innermost PG_TRY as the server does; an
 *   ERROR outside PG_TRY, FATAL and PANIC abort: the functions under test
 *   must not end a session.
 * - numeric_in accepts an optional minus sign and decimal digits (all that
 *   the extension hands it) and returns that string; tm2timestamp computes
 *   a UTC timestamp with the server's range checks; arrays and tuplestores
 *   keep their Datums for the target to check.
 *
 * fuzz/shim/server.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <sys/socket.h>

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "server.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inet.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* The header of every palloc'd block: the list fuzz_end_input() frees. */
typedef struct ShimChunk
{
	struct ShimChunk *prev;
	struct ShimChunk *next;
	max_align_t align;			/* the payload starts here, maximally aligned */
} ShimChunk;

static ShimChunk chunks = {&chunks, &chunks};

/* What a shim tuplestore is: the check its rows are handed to. */
struct Tuplestorestate
{
	FuzzRowCheck check;
};

sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;
MemoryContext CurrentMemoryContext = NULL;

static int	database_encoding = PG_UTF8;

/* The report ereport is building; its level decides what errfinish does. */
static int	error_level;
static char error_text[1024];

/*
 * shim_fail
 *		Ends the process with a message: what the code under test did cannot
 *		happen in a server session without ending it.  Never returns.
 */
static pg_attribute_noreturn() void
shim_fail(const char *what)
{
	fprintf(stderr, "fuzz shim: %s\n", what);
	abort();
}

static ShimChunk *
chunk_of(void *pointer)
{
	return (ShimChunk *) ((char *) pointer - offsetof(ShimChunk, align));
}

/*
 * palloc
 *		size bytes, freed at the end of the input; an ERROR above
 *		MaxAllocSize, as in the server.
 */
void *
palloc(Size size)
{
	ShimChunk  *chunk;

	if (!AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	chunk = malloc(offsetof(ShimChunk, align) + size);
	if (chunk == NULL)
		shim_fail("out of memory");
	chunk->next = chunks.next;
	chunk->prev = &chunks;
	chunks.next->prev = chunk;
	chunks.next = chunk;
	return &chunk->align;
}

/*
 * palloc0
 *		palloc'd, zeroed.
 */
void *
palloc0(Size size)
{
	void	   *result = palloc(size);

	memset(result, 0, size);
	return result;
}

/*
 * pfree
 *		Frees a block palloc() returned.
 */
void
pfree(void *pointer)
{
	ShimChunk  *chunk = chunk_of(pointer);

	chunk->prev->next = chunk->next;
	chunk->next->prev = chunk->prev;
	free(chunk);
}

/*
 * repalloc
 *		The block resized to size bytes, its contents kept.
 */
void *
repalloc(void *pointer, Size size)
{
	ShimChunk  *chunk = chunk_of(pointer);
	ShimChunk  *moved;

	if (!AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	moved = realloc(chunk, offsetof(ShimChunk, align) + size);
	if (moved == NULL)
		shim_fail("out of memory");
	moved->prev->next = moved;
	moved->next->prev = moved;
	return &moved->align;
}

/*
 * pstrdup
 *		A palloc'd copy of in.
 */
char *
pstrdup(const char *in)
{
	size_t		len = strlen(in);
	char	   *result = palloc(len + 1);

	memcpy(result, in, len + 1);
	return result;
}

/*
 * errstart, errstart_cold
 *		Start a report at elevel; always true, so that every message is
 *		formatted.
 */
bool
errstart(int elevel, const char *domain)
{
	error_level = elevel;
	error_text[0] = '\0';
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

/*
 * errfinish
 *		Below ERROR, returns; at ERROR, longjmps to the innermost PG_TRY;
 *		above, or with no PG_TRY, ends the process.
 */
void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (error_level < ERROR)
		return;
	if (error_level > ERROR)
		shim_fail(error_text);
	if (PG_exception_stack == NULL)
		shim_fail("ERROR outside PG_TRY");
	siglongjmp(*PG_exception_stack, 1);
}

/*
 * pg_re_throw
 *		Passes the current ERROR on to the next PG_TRY out (PG_FINALLY and
 *		PG_RE_THROW).  Never returns.
 */
void
pg_re_throw(void)
{
	if (error_level != ERROR)
		shim_fail("pg_re_throw without an ERROR");
	if (PG_exception_stack == NULL)
		shim_fail("ERROR outside PG_TRY");
	siglongjmp(*PG_exception_stack, 1);
}

/*
 * errcode
 *		The SQLSTATE is not kept: no target tells one ERROR from another.
 */
int
errcode(int sqlerrcode)
{
	return 0;
}

/*
 * format_part
 *		Formats one part of the report (message, detail, hint) into the
 *		report's text, so that every argument is read as the server would.
 */
static void
format_part(const char *fmt, va_list args)
{
	size_t		used = strlen(error_text);

	if (used < sizeof(error_text) - 1)
		error_text[used++] = ' ';
	vsnprintf(error_text + used, sizeof(error_text) - used, fmt, args);
}

/*
 * errmsg, errmsg_internal, errdetail, errhint
 *		Format their part of the report; the return value means nothing.
 */
#define SHIM_REPORT_PART(name) \
int \
name(const char *fmt,...) \
{ \
	va_list		args; \
\
	va_start(args, fmt); \
	format_part(fmt, args); \
	va_end(args); \
	return 0; \
}

SHIM_REPORT_PART(errmsg)
SHIM_REPORT_PART(errmsg_internal)
SHIM_REPORT_PART(errdetail)
SHIM_REPORT_PART(errhint)

/*
 * GetDatabaseEncoding
 *		The encoding fuzz_set_database_encoding() chose (UTF8 at first).
 */
int
GetDatabaseEncoding(void)
{
	return database_encoding;
}

void
fuzz_set_database_encoding(int encoding)
{
	database_encoding = encoding;
}

/*
 * cstring_to_text_with_len, cstring_to_text
 *		A palloc'd text holding len bytes of s (all of s).
 */
text *
cstring_to_text_with_len(const char *s, int len)
{
	text	   *result = (text *) palloc(len + VARHDRSZ);

	SET_VARSIZE(result, len + VARHDRSZ);
	memcpy(VARDATA(result), s, len);
	return result;
}

text *
cstring_to_text(const char *s)
{
	return cstring_to_text_with_len(s, strlen(s));
}

/*
 * DirectFunctionCall3Coll
 *		Calls func with three non-null arguments; its result, which must
 *		not be NULL.
 */
Datum
DirectFunctionCall3Coll(PGFunction func, Oid collation, Datum arg1,
						Datum arg2, Datum arg3)
{
	LOCAL_FCINFO(fcinfo, 3);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 3, collation, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = arg2;
	fcinfo->args[1].isnull = false;
	fcinfo->args[2].value = arg3;
	fcinfo->args[2].isnull = false;
	result = (*func) (fcinfo);
	if (fcinfo->isnull)
		elog(ERROR, "function returned NULL");
	return result;
}

/*
 * numeric_in
 *		The shim's numeric: the input string itself, when it is an optional
 *		minus sign and one or more decimal digits; an ERROR otherwise, as
 *		the server's numeric_in gives for text that is no number.
 */
Datum
numeric_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);
	const char *p = (*str == '-') ? str + 1 : str;

	if (*p == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type numeric: \"%s\"", str)));
	for (; *p; p++)
		if (!isdigit((unsigned char) *p))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type numeric: \"%s\"", str)));
	PG_RETURN_CSTRING(pstrdup(str));
}

/*
 * julian_day
 *		The Julian day number of a proleptic Gregorian date (days counted
 *		in 400-year eras of 146097 days from 1 March of year 0).
 */
static int64
julian_day(int year, int month, int day)
{
	int64		y = (month <= 2) ? year - 1 : year;
	int64		era = (y >= 0 ? y : y - 399) / 400;
	int64		year_of_era = y - era * 400;
	int64		day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	int64		day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;

	return era * 146097 + day_of_era + 1721120;
}

/*
 * tm2timestamp
 *		The UTC timestamp of tm plus fsec microseconds in *result; 0, or -1
 *		when the date lies outside the timestamp range (tzp must be NULL:
 *		the extension only converts UTC).
 */
int
tm2timestamp(struct pg_tm *tm, fsec_t fsec, int *tzp, Timestamp *result)
{
	int64		date;
	int64		time;

	if (tzp != NULL)
		shim_fail("tm2timestamp with a time zone");
	if (!IS_VALID_JULIAN(tm->tm_year, tm->tm_mon, tm->tm_mday))
		return -1;
	date = julian_day(tm->tm_year, tm->tm_mon, tm->tm_mday) - POSTGRES_EPOCH_JDATE;
	/* outside these days the product below would overflow */
	if (date < DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE ||
		date >= TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE)
		return -1;
	time = ((tm->tm_hour * INT64CONST(60) + tm->tm_min) * 60 + tm->tm_sec) * USECS_PER_SEC + fsec;
	*result = date * USECS_PER_DAY + time;
	return IS_VALID_TIMESTAMP(*result) ? 0 : -1;
}

/*
 * initArrayResult, accumArrayResult, makeArrayResult
 *		Array building: the shim's array Datum is the ArrayBuildState
 *		itself, which fuzz_check_array() reads.
 */
ArrayBuildState *
initArrayResult(Oid element_type, MemoryContext rcontext, bool subcontext)
{
	ArrayBuildState *astate = palloc0(sizeof(ArrayBuildState));

	astate->element_type = element_type;
	astate->alen = 8;
	astate->dvalues = palloc(astate->alen * sizeof(Datum));
	astate->dnulls = palloc(astate->alen * sizeof(bool));
	return astate;
}

ArrayBuildState *
accumArrayResult(ArrayBuildState *astate, Datum dvalue, bool disnull,
				 Oid element_type, MemoryContext rcontext)
{
	if (astate->element_type != element_type)
		shim_fail("accumArrayResult: element type changed");
	if (astate->nelems == astate->alen)
	{
		astate->alen *= 2;
		astate->dvalues = repalloc(astate->dvalues, astate->alen * sizeof(Datum));
		astate->dnulls = repalloc(astate->dnulls, astate->alen * sizeof(bool));
	}
	astate->dvalues[astate->nelems] = dvalue;
	astate->dnulls[astate->nelems++] = disnull;
	return astate;
}

Datum
makeArrayResult(ArrayBuildState *astate, MemoryContext rcontext)
{
	return PointerGetDatum(astate);
}

/*
 * tuplestore_putvalues
 *		Hands the row to the check of the shim tuplestore.
 */
void
tuplestore_putvalues(Tuplestorestate *state, TupleDesc tdesc,
					 Datum *values, bool *isnull)
{
	state->check(tdesc, values, isnull);
}

/*
 * fuzz_tuplestore
 *		A tuplestore whose every row goes to check; freed at the end of the
 *		input.
 */
Tuplestorestate *
fuzz_tuplestore(FuzzRowCheck check)
{
	Tuplestorestate *state = palloc(sizeof(Tuplestorestate));

	state->check = check;
	return state;
}

/*
 * fuzz_tupdesc
 *		A row type of natts columns (only natts is read by the code under
 *		test); freed at the end of the input.
 */
TupleDesc
fuzz_tupdesc(int natts)
{
	TupleDesc	tupdesc = palloc0(offsetof(struct TupleDescData, attrs) +
								  natts * sizeof(FormData_pg_attribute));

	tupdesc->natts = natts;
	return tupdesc;
}

/*
 * fuzz_check_text
 *		Ends the process unless t is valid text in the database encoding:
 *		no NUL byte, and valid UTF-8 where the database keeps UTF-8 readable
 *		(UTF8, SQL_ASCII), plain ASCII in every other encoding -- what
 *		tls_text_from_bytes() promises.
 */
void
fuzz_check_text(const text *t, const char *what)
{
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);

	if (memchr(s, '\0', len) != NULL)
	{
		fprintf(stderr, "fuzz shim: %s holds a NUL byte\n", what);
		abort();
	}
	if (database_encoding == PG_UTF8 || database_encoding == PG_SQL_ASCII)
	{
		if (pg_encoding_verifymbstr(PG_UTF8, s, len) != len)
		{
			fprintf(stderr, "fuzz shim: %s is not valid UTF-8\n", what);
			abort();
		}
		return;
	}
	for (int i = 0; i < len; i++)
		if (IS_HIGHBIT_SET(s[i]))
		{
			fprintf(stderr, "fuzz shim: %s is not plain ASCII in a %s database\n",
					what, pg_enc2name_tbl[database_encoding].name);
			abort();
		}
}

/*
 * fuzz_check_array
 *		Ends the process unless array (built by the shim) holds non-null
 *		values of element_type, each valid text (TEXTOID) or a well-formed
 *		inet of a single address (INETOID).
 */
void
fuzz_check_array(Datum array, Oid element_type, const char *what)
{
	const ArrayBuildState *astate = (const ArrayBuildState *) DatumGetPointer(array);

	if (astate->element_type != element_type)
		shim_fail("array of the wrong element type");
	for (int i = 0; i < astate->nelems; i++)
	{
		if (astate->dnulls[i])
			shim_fail("array with a NULL element");
		if (element_type == TEXTOID)
			fuzz_check_text((const text *) DatumGetPointer(astate->dvalues[i]), what);
		else if (element_type == INETOID)
		{
			const inet *addr = (const inet *) DatumGetPointer(astate->dvalues[i]);
			int			bytes = ip_family(addr) == PGSQL_AF_INET ? 4 : 16;

			if ((ip_family(addr) != PGSQL_AF_INET && ip_family(addr) != PGSQL_AF_INET6) ||
				ip_bits(addr) != bytes * 8 ||
				VARSIZE_ANY(addr) != VARHDRSZ + offsetof(inet_struct, ipaddr) + bytes)
				shim_fail("malformed inet in an array");
		}
	}
}

/* Reset callbacks registered since the last input, newest first. */
static MemoryContextCallback *reset_callbacks = NULL;

/*
 * MemoryContextRegisterResetCallback
 *		Runs cb at the end of the input, as a context reset would; every
 *		context is one here.
 */
void
MemoryContextRegisterResetCallback(MemoryContext context,
								   MemoryContextCallback *cb)
{
	cb->next = reset_callbacks;
	reset_callbacks = cb;
}

/*
 * list_free
 *		Frees a List and its cell array, not what the cells point to.
 */
void
list_free(List *list)
{
	if (list == NIL)
		return;
	if (list->elements != list->initial_elements)
		pfree(list->elements);
	pfree(list);
}

/*
 * fuzz_end_input
 *		What a memory context reset and FlushErrorState() do between two
 *		statements: the reset callbacks run, every palloc'd block is freed,
 *		no report is pending.
 */
void
fuzz_end_input(void)
{
	if (PG_exception_stack != NULL)
		shim_fail("PG_TRY left without restoring the exception stack");
	while (reset_callbacks != NULL)
	{
		MemoryContextCallback *cb = reset_callbacks;

		reset_callbacks = cb->next;
		cb->func(cb->arg);
	}
	while (chunks.next != &chunks)
		pfree(&chunks.next->align);
	error_level = 0;
	error_text[0] = '\0';
}
