/*-------------------------------------------------------------------------
 *
 * drivers.h
 *		Types of "pg_tls_probe drivers": the clients the provider's guide
 *		names, the columns each is run against, and what each client, at
 *		its version, is documented to do (harness/driver_expectations.c).
 *
 * harness/drivers.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PTP_DRIVERS_H
#define PTP_DRIVERS_H

/*
 * The columns: the matrix's servers and attacker proxies, in report order.
 * For a server column a client either connects or is refused; for a proxy
 * column the attack is either accepted (a StartupMessage reached the proxy,
 * DESIGN.md) or refused.
 */
typedef enum DriverColumn
{
	DCOL_GOOD,
	DCOL_MISMATCH,
	DCOL_UNTRUSTED,
	DCOL_EXPIRED,
	DCOL_FORGE,
	DCOL_STRIP,
	DCOL_COUNT
} DriverColumn;

typedef struct DriverColumnSpec
{
	const char *name;			/* as reports and --filter spell it */
	const char *scenario;		/* the matrix scenario that provides it */
	const char *title;			/* for table headers */
} DriverColumnSpec;

extern const DriverColumnSpec driver_columns[DCOL_COUNT];

/* One client the guide names, and the recipe its probe applies. */
typedef struct DriverSpec
{
	const char *name;			/* directory under harness/drivers/ */
	const char *title;
	const char *recipe;			/* the guide's setting, in a few words */
	const char *note;			/* where the probe departs from the guide, or NULL */
	bool		may_be_unavailable; /* only Npgsql: no .NET on Debian 12 */
} DriverSpec;

extern const DriverSpec driver_specs[];
extern const int n_driver_specs;

/*
 * What one client, within a version range, is documented to do with the
 * guide's recipe.  component says which version the range applies to:
 * "libpq" for clients whose TLS is libpq's, else "library".  Ranges are
 * [min_version, below_version); NULL means unbounded.  accepts[c] is true
 * when the client connects on server column c or gives its startup to the
 * proxy of attack column c.  refusal, when set, is a substring every
 * refusal on a server column contains: a refusal for another reason is a
 * deviation too.  (A stripping proxy is refused before any certificate is
 * looked at, so attack columns are not held to it.)
 */
typedef struct DriverExpectation
{
	const char *driver;
	const char *component;
	const char *min_version;
	const char *below_version;
	bool		accepts[DCOL_COUNT];
	const char *refusal;
	const char *why;
	const char *source;
} DriverExpectation;

extern const DriverExpectation driver_expectations[];
extern const int n_driver_expectations;

extern const DriverExpectation *ptp_driver_expectation(const char *driver,
													   const char *version,
													   const char *libpq);
extern int	ptp_compare_versions(const char *a, const char *b);

#endif							/* PTP_DRIVERS_H */
