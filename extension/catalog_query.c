/*-------------------------------------------------------------------------
 *
 * catalog_query.c
 *		The frame every SPI query of the extension runs in.
 *
 * The SQL functions that read catalogs (tls_audit(), tls_links()) are not
 * SECURITY DEFINER: they read with the caller's privileges, and the
 * caller may be a superuser.  So the queries name every function,
 * operator and type with its schema, and run with search_path =
 * pg_catalog, pg_temp for whatever a query looks up implicitly: nothing
 * that a role with CREATE on a schema of the caller's search_path put
 * there may run with the caller's privileges (CVE-2018-1058).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog_query.h"

#include "executor/spi.h"
#include "utils/guc.h"

/*
 * tls_catalog_queries_begin
 *		Connects to SPI with search_path = pg_catalog, pg_temp; returns the
 *		GUC nest level for tls_catalog_queries_end().  An ERROR before the
 *		end undoes both through the abort.
 */
int
tls_catalog_queries_begin(void)
{
	int			save_nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	return save_nestlevel;
}

/*
 * tls_catalog_queries_end
 *		Disconnects from SPI and restores the caller's search_path.
 */
void
tls_catalog_queries_end(int save_nestlevel)
{
	SPI_finish();
	AtEOXact_GUC(true, save_nestlevel);
}

/*
 * tls_spi_bool
 *		The boolean result of a one-row query run with the caller's
 *		privileges; false for NULL.
 */
bool
tls_spi_bool(const char *query)
{
	bool		isnull;
	Datum		d;

	if (SPI_execute(query, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not run \"%s\"", query);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return !isnull && DatumGetBool(d);
}
