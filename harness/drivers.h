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
 * DESIGN.md) or refused.  The trusted interceptors present a certificate
 * for the right name from the trusted root (another one than the server's),
 * so every verifying client accepts them: what matters there is whether the
 * session then noticed, which only SCRAM channel binding can show (relayed),
 * and which the second interceptor takes away (stripped).
 */
typedef enum DriverColumn
{
	DCOL_GOOD,
	DCOL_MISMATCH,
	DCOL_UNTRUSTED,
	DCOL_EXPIRED,
	DCOL_FORGE,
	DCOL_INTERCEPT,
	DCOL_INTERCEPT_STRIP_CB,
	DCOL_STRIP,
	DCOL_COUNT
} DriverColumn;

typedef struct DriverColumnSpec
{
	const char *name;			/* as reports spell it */
	const char *scenario;		/* the scenario that provides it */
	const char *title;			/* for table headers */
	bool		attack;			/* the client reaches a proxy */
	bool		strip_channel_binding;	/* the proxy drops SCRAM-SHA-256-PLUS */
} DriverColumnSpec;

extern const DriverColumnSpec driver_columns[DCOL_COUNT];

/*
 * One row: a client with one configuration.  The probe in
 * harness/drivers/<probe>/ gets the variant in PTP_VARIANT: "recipe" (the
 * guide's setting), "default" (no TLS setting at all), the name of one of
 * the guide's alternatives, "generic" (the guide's generic string,
 * sslmode=verify-full&sslrootcert=system, the way that client takes it),
 * "hardened" (the shortest setting found to hold in every environment
 * measured) or "hardened-<addition>" (that setting plus what the user must
 * add where it alone does not hold everywhere).  The recipe of generic and
 * hardened rows is meant to be copied as it stands.
 */
typedef struct DriverSpec
{
	const char *name;			/* the row's name: probe, or probe-variant */
	const char *probe;			/* directory under harness/drivers/ */
	const char *variant;
	const char *title;
	const char *recipe;			/* the setting, in a few words */
	const char *note;			/* where the probe departs from the guide, or NULL */
	bool		home_root;		/* the setting reads ~/.postgresql/root.crt */
	const char *needs;			/* a program without which the client cannot exist
								 * (dotnet), or NULL: the row may be unavailable
								 * only where it is not on PATH */
	const char *addition;		/* what the user must add to the recipe for it
								 * to hold (hardened-<addition> rows), or NULL */
	const char *probe_env;		/* "NAME=value" the probe also gets (the Npgsql
								 * major, NODE_OPTIONS), or NULL */
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
 * looked at, so attack columns are not held to it.)  plaintext: a session
 * the server sees without TLS is documented, not a deviation.
 * before_connecting: the client rejects the setting itself (a root file
 * that does not exist, a mode it does not know), so no column is ever
 * reached, and that is what is documented: its refusal is then held on
 * the attack columns too.  A row whose
 * version no entry covers is "unjudged": shown, never a deviation.
 */
typedef struct DriverExpectation
{
	const char *driver;			/* a probe, or "libpq" for every libpq-based one */
	const char *variant;		/* DriverSpec.variant */
	const char *component;
	const char *min_version;
	const char *below_version;
	const char *ca_store;		/* "bundled" or "openssl" (Node), NULL: any */
	bool		accepts[DCOL_COUNT];
	bool		plaintext;		/* documented to connect without TLS */
	bool		before_connecting;	/* the setting is rejected before any
									 * connection: attack columns are refused
									 * without reaching their proxy */
	const char *refusal;
	const char *why;
	const char *source;
} DriverExpectation;

extern const DriverExpectation driver_expectations[];
extern const int n_driver_expectations;

extern const DriverExpectation *ptp_driver_expectation(const DriverSpec *spec,
													   const char *version,
													   const char *libpq,
													   const char *ca_store);
extern int	ptp_compare_versions(const char *a, const char *b);

#endif							/* PTP_DRIVERS_H */
