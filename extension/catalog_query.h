/*-------------------------------------------------------------------------
 *
 * catalog_query.h
 *		Catalog queries run through SPI with the caller's privileges and a
 *		search_path nobody else controls (catalog_query.c).  Include after
 *		postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_TLS_AUDIT_CATALOG_QUERY_H
#define PG_TLS_AUDIT_CATALOG_QUERY_H

extern int	tls_catalog_queries_begin(void);
extern void tls_catalog_queries_end(int save_nestlevel);
extern bool tls_spi_bool(const char *query);

#endif							/* PG_TLS_AUDIT_CATALOG_QUERY_H */
