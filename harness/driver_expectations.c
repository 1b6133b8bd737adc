/*-------------------------------------------------------------------------
 *
 * driver_expectations.c
 *		What each client the provider's guide names is documented to do,
 *		at its version, with the setting the guide recommends for it.
 *
 * "pg_tls_probe drivers" exits 1 when a client behaves otherwise: either
 * the client changed, or the entry is wrong, and both need a human.  The
 * guide's own claim ("fails closed everywhere but on the good server") is
 * judged separately and never changes the exit code: a client that is
 * documented to fail open is not a deviation, it is a finding.
 *
 * Every entry cites where the behaviour is documented.  A client whose
 * version no entry covers is a deviation too ("no expectation for this
 * version"), so that an upgrade is looked at rather than assumed.
 *
 * harness/driver_expectations.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "drivers.h"

const DriverColumnSpec driver_columns[DCOL_COUNT] = {
	{"good", "good", "good server"},
	{"mismatch", "mismatch", "name mismatch"},
	{"untrusted-ca", "untrusted-ca", "untrusted CA"},
	{"expired", "expired", "expired cert"},
	{"forge", "attack-forge-copied-names", "forge proxy"},
	{"strip", "attack-strip", "strip proxy"},
};

const DriverSpec driver_specs[] = {
	{"psql", "psql", "sslmode=verify-full&sslrootcert=system", NULL, false},
	{"psycopg2", "Python psycopg2", "sslmode=\"verify-full\", sslrootcert=\"system\"", NULL, false},
	{"django", "Python Django", "OPTIONS sslmode verify-full, sslrootcert system", "psycopg2 backend", false},
	{"asyncpg", "Python asyncpg", "?sslmode=verify-full, ~/.postgresql/root.crt", NULL, false},
	{"node-postgres", "Node.js node-postgres", "ssl:true", NULL, false},
	{"postgres-js", "Node.js Postgres.js", "ssl:true", NULL, false},
	{"prisma", "Node.js Prisma", "?sslmode=require&sslaccept=strict",
	"Prisma 7 runs on @prisma/adapter-pg (node-postgres); it has no built-in driver any more", false},
	{"go-libpq", "Go lib/pq", "?sslmode=verify-full",
	"the guide's pgx section's sql.Open(\"postgres\"): its Go snippets are swapped", false},
	{"go-pgx", "Go pgx", "?sslmode=verify-full",
	"the guide's pq section's pgx.Connect: its Go snippets are swapped; pgx v4", false},
	{"php-pgsql", "PHP pgsql", "sslmode=verify-full sslrootcert=system", NULL, false},
	{"pgjdbc", "Java pgjdbc", "ssl=true, ~/.postgresql/root.crt", NULL, false},
	{"npgsql", "C#/.NET Npgsql", "SSL Mode=VerifyFull", NULL, true},
	{"rust-postgres", "Rust rust-postgres", "?sslmode=require + OpenSSL SslConnector",
	"tokio-postgres with a postgres-openssl-style connector: Debian has neither the postgres nor the postgres-openssl crate", false},
};

const int	n_driver_specs = lengthof(driver_specs);

/* accepts[] of a client that verifies: only the good server. */
#define VERIFIES	{true, false, false, false, false, false}
/* accepts[] of a client that refuses everything, the good server included. */
#define REFUSES_ALL	{false, false, false, false, false, false}

#define LIBPQ_SYSTEM_15 \
	"libpq before 16 has no sslrootcert=system: it reads \"system\" as the name of a root " \
	"certificate file, finds none, and refuses every server, the good one included"
#define LIBPQ_SYSTEM_15_SOURCE \
	"PostgreSQL 15 docs, libpq 34.19.1 (sslrootcert is a file name); PostgreSQL 16 release " \
	"notes, E.x \"Allow the special value system for sslrootcert\"; " \
	"src/interfaces/libpq/fe-secure-openssl.c initialize_SSL() in REL_15_STABLE"
#define LIBPQ_SYSTEM_16 \
	"libpq 16+ loads OpenSSL's default store for sslrootcert=system and verifies chain and host name"
#define LIBPQ_SYSTEM_16_SOURCE \
	"PostgreSQL 16 docs, libpq 34.19.1 \"sslrootcert ... The special value system may be specified " \
	"instead, in which case the system's trusted CA roots will be loaded\"; 34.19.3 (verify-full)"

const DriverExpectation driver_expectations[] = {
	{"psql", "libpq", NULL, "16", REFUSES_ALL, "\"system\"", LIBPQ_SYSTEM_15, LIBPQ_SYSTEM_15_SOURCE},
	{"psql", "libpq", "16", NULL, VERIFIES, NULL, LIBPQ_SYSTEM_16, LIBPQ_SYSTEM_16_SOURCE},
	{"psycopg2", "libpq", NULL, "16", REFUSES_ALL, "\"system\"",
		"psycopg2 passes its keywords to libpq: " LIBPQ_SYSTEM_15,
	"psycopg2 docs, \"The connection class\" (parameters go to libpq); " LIBPQ_SYSTEM_15_SOURCE},
	{"psycopg2", "libpq", "16", NULL, VERIFIES, NULL,
		"psycopg2 passes its keywords to libpq: " LIBPQ_SYSTEM_16,
	"psycopg2 docs, \"The connection class\"; " LIBPQ_SYSTEM_16_SOURCE},
	{"django", "libpq", NULL, "16", REFUSES_ALL, "\"system\"",
		"Django's postgresql backend passes OPTIONS to psycopg2, which passes them to libpq: " LIBPQ_SYSTEM_15,
	"Django 3.2 docs, \"Databases: PostgreSQL notes\" (OPTIONS go to psycopg2.connect); " LIBPQ_SYSTEM_15_SOURCE},
	{"django", "libpq", "16", NULL, VERIFIES, NULL,
		"Django's postgresql backend passes OPTIONS to psycopg2, which passes them to libpq: " LIBPQ_SYSTEM_16,
	"Django docs, \"Databases: PostgreSQL notes\"; " LIBPQ_SYSTEM_16_SOURCE},
	{"php-pgsql", "libpq", NULL, "16", REFUSES_ALL, "\"system\"",
		"pg_connect() hands its string to libpq's PQconnectdb: " LIBPQ_SYSTEM_15,
	"PHP manual, pg_connect() (\"connection_string ... passed to libpq\"); " LIBPQ_SYSTEM_15_SOURCE},
	{"php-pgsql", "libpq", "16", NULL, VERIFIES, NULL,
		"pg_connect() hands its string to libpq's PQconnectdb: " LIBPQ_SYSTEM_16,
	"PHP manual, pg_connect(); " LIBPQ_SYSTEM_16_SOURCE},
	{"asyncpg", "library", "0.27", "1", VERIFIES, NULL,
		"sslmode=verify-full builds an SSLContext with CERT_REQUIRED and check_hostname, loading "
		"~/.postgresql/root.crt when no sslrootcert is given (and failing when it is missing)",
	"asyncpg docs, API reference, connect() \"sslmode ... verify-full\" and \"sslrootcert\"; "
	"asyncpg/connect_utils.py _parse_connect_dsn_and_args() in v0.27.0"},
	{"node-postgres", "library", "8.0", "9", VERIFIES, NULL,
		"ssl:true hands Node's tls.connect() no options but the socket and servername, so Node's "
		"defaults apply: rejectUnauthorized and host name check against Node's bundled CAs plus "
		"NODE_EXTRA_CA_CERTS (not the OS store)",
	"node-postgres docs, \"SSL\" (ssl config passed to tls.connect); Node.js docs, tls.connect() "
	"(rejectUnauthorized defaults to true) and NODE_EXTRA_CA_CERTS; pg/lib/connection.js"},
	{"postgres-js", "library", "3.0", "4", VERIFIES, NULL,
		"ssl:true connects with tls.connect() and Node's defaults (rejectUnauthorized, host name "
		"check); only ssl:'require' (and the URL's sslmode=require) turn verification off",
	"Postgres.js README, \"SSL\"; src/connection.js secure() in v3.4: "
	"ssl === 'require' || 'allow' || 'prefer' -> { rejectUnauthorized: false }"},
	{"prisma", "library", "7.0", "8", VERIFIES, NULL,
		"Prisma 7 hands the URL to @prisma/adapter-pg, i.e. to pg-connection-string, which in "
		"2.x treats sslmode=require as verify-full (and warns); sslaccept is not one of its "
		"parameters and changes nothing",
	"Prisma docs, \"Upgrade to Prisma ORM 7\" (driver adapters are required) and \"PostgreSQL: "
	"Configuring an SSL connection\"; pg-connection-string README, \"sslmode\" (require, prefer "
	"and verify-ca are aliases of verify-full unless uselibpqcompat=true)"},
	{"go-libpq", "library", "1.10", "2", VERIFIES, NULL,
		"sslmode=verify-full sets tls.Config.ServerName; with no sslrootcert, RootCAs stays nil, "
		"so Go's system pool applies, which honours SSL_CERT_FILE on Linux",
	"lib/pq docs, package pq \"Connection String Parameters\" (sslmode verify-full); ssl.go ssl() "
	"in v1.10.7; Go docs, crypto/x509 SystemCertPool (SSL_CERT_FILE on Unix)"},
	{"go-pgx", "library", "4.0", "5", VERIFIES, NULL,
		"pgconn's configTLS for verify-full keeps Go's verification with ServerName set; with no "
		"sslrootcert it uses Go's system pool (SSL_CERT_FILE); no plaintext fallback in verify-full",
	"pgconn docs, ParseConfig (\"sslmode ... verify-full\"); pgconn/config.go configTLS() in "
	"jackc/pgconn v1.12 (pgx v4.15); Go docs, crypto/x509 SystemCertPool"},
	{"pgjdbc", "library", "42.2.5", "43", VERIFIES, NULL,
		"ssl=true without sslmode means verify-full since 42.2.5; LibPQFactory trusts only "
		"sslrootcert, by default ${user.home}/.postgresql/root.crt, never the JVM's cacerts",
	"pgjdbc docs, \"Using SSL: Configuring the Client\" (ssl=true, sslmode default verify-full, "
	"sslrootcert default); pgjdbc CHANGELOG 42.2.5; org/postgresql/ssl/LibPQFactory.java"},
	{"npgsql", "library", "6.0", NULL, VERIFIES, NULL,
		"SSL Mode=VerifyFull validates chain and host name against the OS store",
	"Npgsql docs, \"Security and Encryption\" (SSL Mode VerifyFull, Root Certificate)"},
	{"rust-postgres", "library", "0.7", "0.8", VERIFIES, NULL,
		"SslConnector::builder() enables peer verification against OpenSSL's default paths "
		"(SSL_CERT_FILE), and configure().into_ssl(host) the host name check; tokio-postgres "
		"with sslmode=require errors when the server refuses TLS",
	"docs.rs openssl 0.10 SslConnector (\"hostname verification ... enabled by default\") and "
	"ConnectConfiguration::into_ssl; docs.rs tokio-postgres 0.7 Config (SslMode::Require); "
	"postgres-openssl 0.5 src/lib.rs (the connector this probe mirrors)"},
};

const int	n_driver_expectations = lengthof(driver_expectations);

/*
 * first_version
 *		The first dotted run of digits in s ("pg 8.23.1" -> "8.23.1"), or
 *		NULL when there is none.
 */
static const char *
first_version(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (isdigit((unsigned char) *s))
			return s;
	return NULL;
}

/*
 * ptp_compare_versions
 *		Compares the dotted numbers at the start of a and b part by part
 *		(missing parts count as 0; anything after the numbers is ignored).
 *		Returns <0, 0 or >0.
 */
int
ptp_compare_versions(const char *a, const char *b)
{
	while ((a != NULL && isdigit((unsigned char) *a)) || (b != NULL && isdigit((unsigned char) *b)))
	{
		long		x = 0,
					y = 0;
		char	   *end;

		if (a != NULL && isdigit((unsigned char) *a))
		{
			x = strtol(a, &end, 10);
			a = *end == '.' ? end + 1 : end;
		}
		if (b != NULL && isdigit((unsigned char) *b))
		{
			y = strtol(b, &end, 10);
			b = *end == '.' ? end + 1 : end;
		}
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/*
 * ptp_driver_expectation
 *		The entry for driver at the version it reported (version: the
 *		library's, libpq: the libpq it runs on, or NULL), or NULL when no
 *		entry covers that version.
 */
const DriverExpectation *
ptp_driver_expectation(const char *driver, const char *version, const char *libpq)
{
	for (int i = 0; i < n_driver_expectations; i++)
	{
		const DriverExpectation *e = &driver_expectations[i];
		const char *v;

		if (strcmp(e->driver, driver) != 0)
			continue;
		v = first_version(strcmp(e->component, "libpq") == 0 ? libpq : version);
		if (v == NULL)
			continue;
		if (e->min_version != NULL && ptp_compare_versions(v, e->min_version) < 0)
			continue;
		if (e->below_version != NULL && ptp_compare_versions(v, e->below_version) >= 0)
			continue;
		return e;
	}
	return NULL;
}
