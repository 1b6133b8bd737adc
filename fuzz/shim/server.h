/*-------------------------------------------------------------------------
 *
 * server.h
 *		The server shim of the fuzz targets that compile extension code
 *		(fuzz/shim/server.c): what a target may ask of the stand-in for
 *		the PostgreSQL server.  Include after postgres.h.
 *
 * The code under test is compiled unchanged; the shim gives it palloc and
 * friends, ereport, the Datum constructors, numeric_in, tm2timestamp,
 * array building and a tuplestore, with the semantics the extension relies
 * on.  An ERROR longjmps to the innermost PG_TRY, as in the server.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FUZZ_SHIM_SERVER_H
#define FUZZ_SHIM_SERVER_H

#include "access/tupdesc.h"
#include "utils/tuplestore.h"

/* A row written to a shim tuplestore, handed to the target to check. */
typedef void (*FuzzRowCheck) (TupleDesc tupdesc, const Datum *values,
							  const bool *nulls);

extern void fuzz_set_database_encoding(int encoding);
extern Tuplestorestate *fuzz_tuplestore(FuzzRowCheck check);
extern TupleDesc fuzz_tupdesc(int natts);
extern void fuzz_check_text(const text *t, const char *what);
extern void fuzz_check_array(Datum array, Oid element_type, const char *what);
extern void fuzz_end_input(void);

#endif							/* FUZZ_SHIM_SERVER_H */
