/*-------------------------------------------------------------------------
 *
 * driver_expectations.c
 *		What each client the provider's guide names is documented to do,
 *		at its version, with the guide's setting, with no TLS setting at
 *		all, and with the guide's alternatives.
 *
 * "pg_tls_probe drivers" exits 1 when a client behaves otherwise: either
 * the client changed, or the entry is wrong, and both need a human.  The
 * guide's own claim ("fails closed everywhere but on the good server") is
 * judged separately and never changes the exit code: a client that is
 * documented to fail open is not a deviation, it is a finding.
 *
 * Every entry cites where the behaviour is documented, for a version range.
 * A client whose version no entry covers is "unjudged": its behaviour is
 * still shown, but Debian unstable's next upload cannot turn CI red; the
 * README names the versions that were judged.
 *
 * harness/driver_expectations.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "drivers.h"

const DriverColumnSpec driver_columns[DCOL_COUNT] = {
	{"good", "good", "good server", false, false},
	{"mismatch", "mismatch", "wrong host", false, false},
	{"untrusted-ca", "untrusted-ca", "untrusted CA", false, false},
	{"expired", "expired", "expired", false, false},
	{"forge", "attack-forge-copied-names", "forged (attacker CA)", true, false},
	{"intercept", "drivers-intercept", "trusted interceptor", true, false},
	{"intercept-strip-cb", "drivers-intercept", "interceptor, CB stripped", true, true},
	{"strip", "attack-strip", "strip", true, false},
};

#define LIBPQ_NO_TLS "no TLS setting (the client's default)"
/* The guide's placeholders, so that a generic or hardened recipe is copied as is. */
#define URL "postgresql://{username}:{password}@{host}:{port}/{databasename}"
#define KW "host={host}, port={port}, dbname={databasename}, user={username}, password={password}, "
#define ROOT_FILE "/path/to/root.crt"
#define CB_NONE "the client has no channel binding to require"
#define ADD_ROOTFILE "libpq before 16 reads sslrootcert=system as a file name: name the provider's root " \
	"certificate file (sslrootcert=" ROOT_FILE ") in place of system"
#define ADD_OPENSSL_CA "NODE_OPTIONS=--use-openssl-ca, so that Node reads the OS store instead of its " \
	"bundled Mozilla list"
#define NODE_OPENSSL_ENV "NODE_OPTIONS=--use-openssl-ca"

/*
 * Row: name, probe, variant, title, recipe, note, home_root, needs,
 * addition, probe_env.
 */
#define ROW(name, probe, variant, title, recipe, note) \
	{name, probe, variant, title, recipe, note, false, NULL, NULL, NULL}
#define ROW_ADD(name, probe, variant, title, recipe, note, addition, env) \
	{name, probe, variant, title, recipe, note, false, NULL, addition, env}
#define NPGSQL_ROWS(major, title) \
	{"npgsql" major, "npgsql", "recipe", title, "SSL Mode=VerifyFull", NULL, false, "dotnet", NULL, \
	 "PTP_NPGSQL=" major}, \
	{"npgsql" major "-default", "npgsql", "default", title, LIBPQ_NO_TLS, NULL, false, "dotnet", NULL, \
	 "PTP_NPGSQL=" major}, \
	{"npgsql" major "-generic", "npgsql", "generic", title, \
	 "Host={host};Username={username};Password={password};Database={databasename};Port={port};" \
	 "SSL Mode=VerifyFull;Root Certificate=system;", "the guide's generic string in Npgsql's keywords: it takes no URL", \
	 false, "dotnet", NULL, "PTP_NPGSQL=" major}, \
	{"npgsql" major "-hardened", "npgsql", "hardened", title, \
	 "Host={host};Username={username};Password={password};Database={databasename};Port={port};" \
	 "SSL Mode=VerifyFull;Channel Binding=Require;", NULL, false, "dotnet", NULL, "PTP_NPGSQL=" major}, \
	{"npgsql" major "-rootcrt", "npgsql", "recipe", title, "SSL Mode=VerifyFull, ~/.postgresql/root.crt present", \
	 "the guide's recipe where the user also has libpq's root file", true, "dotnet", NULL, "PTP_NPGSQL=" major}, \
	{"npgsql" major "-default-rootcrt", "npgsql", "default", title, LIBPQ_NO_TLS ", ~/.postgresql/root.crt present", \
	 "no TLS setting where the user also has libpq's root file", true, "dotnet", NULL, "PTP_NPGSQL=" major}

/*
 * The guide's recipe per client, then the same client with no TLS setting,
 * the guide's alternatives, its generic string and the hardened recipe
 * (with what must be added where it alone does not hold everywhere).  The
 * libpq-based rows share their expectations (driver "libpq" below).
 */
const DriverSpec driver_specs[] = {
	ROW("psql", "psql", "recipe", "psql", "sslmode=verify-full&sslrootcert=system", NULL),
	ROW("psql-default", "psql", "default", "psql", LIBPQ_NO_TLS, NULL),
	ROW("psql-verify-ca", "psql", "verify-ca", "psql", "sslmode=verify-ca&sslrootcert=<root file>",
		"the guide's second string, against a valid certificate for another host name from the same root"),
	ROW("psql-generic", "psql", "generic", "psql", "psql \"" URL "?sslmode=verify-full&sslrootcert=system\"",
		"the same string as the guide's psql recipe"),
	ROW("psql-hardened", "psql", "hardened", "psql",
		"psql \"" URL "?sslmode=verify-full&sslrootcert=system&channel_binding=require\"", NULL),
	ROW_ADD("psql-hardened-rootfile", "psql", "hardened-rootfile", "psql",
			"psql \"" URL "?sslmode=verify-full&sslrootcert=" ROOT_FILE "&channel_binding=require\"", NULL,
			ADD_ROOTFILE, NULL),
	ROW("psycopg2", "psycopg2", "recipe", "Python psycopg2", "sslmode=\"verify-full\", sslrootcert=\"system\"", NULL),
	ROW("psycopg2-default", "psycopg2", "default", "Python psycopg2", LIBPQ_NO_TLS, NULL),
	ROW("psycopg2-generic", "psycopg2", "generic", "Python psycopg2",
		"psycopg2.connect(\"" URL "?sslmode=verify-full&sslrootcert=system\")", NULL),
	ROW("psycopg2-hardened", "psycopg2", "hardened", "Python psycopg2",
		"psycopg2.connect(" KW "sslmode=\"verify-full\", sslrootcert=\"system\", channel_binding=\"require\")", NULL),
	ROW_ADD("psycopg2-hardened-rootfile", "psycopg2", "hardened-rootfile", "Python psycopg2",
			"psycopg2.connect(" KW "sslmode=\"verify-full\", sslrootcert=\"" ROOT_FILE "\", channel_binding=\"require\")",
			NULL, ADD_ROOTFILE, NULL),
	ROW("psycopg", "psycopg", "recipe", "Python psycopg 3", "sslmode=\"verify-full\", sslrootcert=\"system\"",
		"the guide's psycopg2 keywords: the guide has no psycopg 3 section"),
	ROW("psycopg-default", "psycopg", "default", "Python psycopg 3", LIBPQ_NO_TLS, NULL),
	ROW("psycopg-generic", "psycopg", "generic", "Python psycopg 3",
		"psycopg.connect(\"" URL "?sslmode=verify-full&sslrootcert=system\")", NULL),
	ROW("psycopg-hardened", "psycopg", "hardened", "Python psycopg 3",
		"psycopg.connect(" KW "sslmode=\"verify-full\", sslrootcert=\"system\", channel_binding=\"require\")", NULL),
	ROW_ADD("psycopg-hardened-rootfile", "psycopg", "hardened-rootfile", "Python psycopg 3",
			"psycopg.connect(" KW "sslmode=\"verify-full\", sslrootcert=\"" ROOT_FILE "\", channel_binding=\"require\")",
			NULL, ADD_ROOTFILE, NULL),
	ROW("django", "django", "recipe", "Python Django", "OPTIONS sslmode verify-full, sslrootcert system",
		"its own backend: psycopg 3 where installed, else psycopg2"),
	ROW("django-default", "django", "default", "Python Django", LIBPQ_NO_TLS, NULL),
	ROW("django-generic", "django", "generic", "Python Django",
		"'OPTIONS': {'sslmode': 'verify-full', 'sslrootcert': 'system'}",
		"the guide's generic string as OPTIONS: Django takes no URL"),
	ROW("django-hardened", "django", "hardened", "Python Django",
		"'OPTIONS': {'sslmode': 'verify-full', 'sslrootcert': 'system', 'channel_binding': 'require'}", NULL),
	ROW_ADD("django-hardened-rootfile", "django", "hardened-rootfile", "Python Django",
			"'OPTIONS': {'sslmode': 'verify-full', 'sslrootcert': '" ROOT_FILE "', 'channel_binding': 'require'}",
			NULL, ADD_ROOTFILE, NULL),
	{"asyncpg", "asyncpg", "recipe", "Python asyncpg", "?sslmode=verify-full, ~/.postgresql/root.crt", NULL, true,
	NULL, NULL, NULL},
	ROW("asyncpg-default", "asyncpg", "default", "Python asyncpg", LIBPQ_NO_TLS, NULL),
	ROW("asyncpg-sslrootcert", "asyncpg", "sslrootcert", "Python asyncpg", "?sslrootcert=<root file>",
		"the guide's alternative without its sslmode=verify-full: a root file alone (that alternative in "
		"full is asyncpg-hardened)"),
	ROW("asyncpg-generic", "asyncpg", "generic", "Python asyncpg",
		"await asyncpg.connect(\"" URL "?sslmode=verify-full&sslrootcert=system\")", NULL),
	ROW("asyncpg-hardened", "asyncpg", "hardened", "Python asyncpg",
		"await asyncpg.connect(\"" URL "?sslmode=verify-full&sslrootcert=" ROOT_FILE "\")", CB_NONE),
	ROW("node-postgres", "node-postgres", "recipe", "Node.js node-postgres", "ssl:true", NULL),
	ROW("node-postgres-default", "node-postgres", "default", "Node.js node-postgres", LIBPQ_NO_TLS, NULL),
	ROW("node-postgres-require-url", "node-postgres", "require-url", "Node.js node-postgres",
		"connectionString ?sslmode=require", "the guide's alternative"),
	ROW("node-postgres-generic", "node-postgres", "generic", "Node.js node-postgres",
		"new Client({ connectionString: \"" URL "?sslmode=verify-full&sslrootcert=system\" })", NULL),
	ROW("node-postgres-hardened", "node-postgres", "hardened", "Node.js node-postgres",
		"new Client({ connectionString: \"" URL "?sslmode=verify-full&sslrootcert=" ROOT_FILE "\", "
		"enableChannelBinding: true })", NULL),
	ROW_ADD("node-postgres-hardened-openssl-ca", "node-postgres", "hardened-openssl-ca", "Node.js node-postgres",
			"new Client({ " KW "ssl: true, enableChannelBinding: true })", NULL, ADD_OPENSSL_CA, NODE_OPENSSL_ENV),
	ROW("postgres-js", "postgres-js", "recipe", "Node.js Postgres.js", "ssl:true", NULL),
	ROW("postgres-js-default", "postgres-js", "default", "Node.js Postgres.js", LIBPQ_NO_TLS, NULL),
	ROW("postgres-js-require-url", "postgres-js", "require-url", "Node.js Postgres.js", "URL ?sslmode=require",
		"the guide's alternative"),
	ROW("postgres-js-generic", "postgres-js", "generic", "Node.js Postgres.js",
		"postgres(\"" URL "?sslmode=verify-full&sslrootcert=system\")", NULL),
	ROW("postgres-js-hardened", "postgres-js", "hardened", "Node.js Postgres.js",
		"postgres(\"" URL "?sslmode=verify-full&sslrootcert=" ROOT_FILE "&channel_binding=require\")",
		"Postgres.js 4.1 or later: it reads a root file from 4.1 and has channel_binding from 4.0"),
	ROW_ADD("postgres-js-hardened-openssl-ca", "postgres-js", "hardened-openssl-ca", "Node.js Postgres.js",
			"postgres({ " KW "ssl: true, channel_binding: 'require' })",
			"channel_binding from Postgres.js 4.0; 3.x ignores the option", ADD_OPENSSL_CA, NODE_OPENSSL_ENV),
	ROW("prisma", "prisma", "recipe", "Node.js Prisma", "?sslmode=require&sslaccept=strict",
		"Prisma 7 runs on @prisma/adapter-pg (node-postgres); it has no built-in driver any more"),
	ROW("prisma-default", "prisma", "default", "Node.js Prisma", LIBPQ_NO_TLS, NULL),
	ROW("prisma-generic", "prisma", "generic", "Node.js Prisma",
		"DATABASE_URL=" URL "?sslmode=verify-full&sslrootcert=system", NULL),
	ROW("prisma-hardened", "prisma", "hardened", "Node.js Prisma",
		"new PrismaPg({ connectionString: \"" URL "?sslmode=verify-full&sslrootcert=" ROOT_FILE "\", "
		"enableChannelBinding: true })", NULL),
	ROW_ADD("prisma-hardened-openssl-ca", "prisma", "hardened-openssl-ca", "Node.js Prisma",
			"new PrismaPg({ connectionString: \"" URL "?sslmode=verify-full\", enableChannelBinding: true })", NULL,
			ADD_OPENSSL_CA, NODE_OPENSSL_ENV),
	ROW("go-libpq", "go-libpq", "recipe", "Go lib/pq", "?sslmode=verify-full",
		"the guide's pgx section's sql.Open(\"postgres\"): its Go snippets are swapped"),
	ROW("go-libpq-default", "go-libpq", "default", "Go lib/pq", LIBPQ_NO_TLS, NULL),
	ROW("go-libpq-generic", "go-libpq", "generic", "Go lib/pq",
		"sql.Open(\"postgres\", \"" URL "?sslmode=verify-full&sslrootcert=system\")", NULL),
	ROW("go-libpq-hardened", "go-libpq", "hardened", "Go lib/pq",
		"sql.Open(\"postgres\", \"" URL "?sslmode=verify-full\")", "the guide's recipe; " CB_NONE),
	ROW("go-pgx", "go-pgx", "recipe", "Go pgx", "?sslmode=verify-full",
		"the guide's pq section's pgx.Connect: its Go snippets are swapped"),
	ROW("go-pgx-default", "go-pgx", "default", "Go pgx", LIBPQ_NO_TLS, NULL),
	ROW("go-pgx-generic", "go-pgx", "generic", "Go pgx",
		"pgx.Connect(ctx, \"" URL "?sslmode=verify-full&sslrootcert=system\")", NULL),
	ROW("go-pgx-hardened", "go-pgx", "hardened", "Go pgx",
		"pgx.Connect(ctx, \"" URL "?sslmode=verify-full\")", "the guide's recipe; " CB_NONE " in pgx 4"),
	ROW_ADD("go-pgx-hardened-cb", "go-pgx", "hardened-cb", "Go pgx",
			"pgx.Connect(ctx, \"" URL "?sslmode=verify-full&channel_binding=require\")", NULL,
			"pgx 5.9 or later: pgx 4 sends channel_binding to the server as a setting, which refuses it", NULL),
	ROW("php-pgsql", "php-pgsql", "recipe", "PHP pgsql", "sslmode=verify-full sslrootcert=system", NULL),
	ROW("php-pgsql-default", "php-pgsql", "default", "PHP pgsql", LIBPQ_NO_TLS, NULL),
	ROW("php-pgsql-generic", "php-pgsql", "generic", "PHP pgsql",
		"pg_connect(\"" URL "?sslmode=verify-full&sslrootcert=system\")", NULL),
	ROW("php-pgsql-hardened", "php-pgsql", "hardened", "PHP pgsql",
		"pg_connect(\"host={host} port={port} dbname={databasename} user={username} password={password} "
		"sslmode=verify-full sslrootcert=system channel_binding=require\")", NULL),
	ROW_ADD("php-pgsql-hardened-rootfile", "php-pgsql", "hardened-rootfile", "PHP pgsql",
			"pg_connect(\"host={host} port={port} dbname={databasename} user={username} password={password} "
			"sslmode=verify-full sslrootcert=" ROOT_FILE " channel_binding=require\")", NULL, ADD_ROOTFILE, NULL),
	{"pgjdbc", "pgjdbc", "recipe", "Java pgjdbc", "ssl=true, ~/.postgresql/root.crt", NULL, true, NULL, NULL, NULL},
	ROW("pgjdbc-sslrootcert", "pgjdbc", "sslrootcert", "Java pgjdbc",
		"ssl=true, sslrootcert=" ROOT_FILE " (properties)", "the guide's alternative to root.crt; no ~/.postgresql"),
	ROW("pgjdbc-default", "pgjdbc", "default", "Java pgjdbc", LIBPQ_NO_TLS, NULL),
	ROW("pgjdbc-generic", "pgjdbc", "generic", "Java pgjdbc",
		"jdbc:postgresql://{host}:{port}/{databasename}?sslmode=verify-full&sslrootcert=system", NULL),
	ROW("pgjdbc-hardened", "pgjdbc", "hardened", "Java pgjdbc",
		"jdbc:postgresql://{host}:{port}/{databasename}?sslmode=verify-full&sslrootcert=" ROOT_FILE,
		"pgjdbc never reads the OS store; the root file works as a URL parameter and as a property alike"),
	ROW_ADD("pgjdbc-hardened-cb", "pgjdbc", "hardened-cb", "Java pgjdbc",
			"jdbc:postgresql://{host}:{port}/{databasename}?sslmode=verify-full&sslrootcert=" ROOT_FILE
			"&channelBinding=require", "pgjdbc never reads the OS store",
			"pgjdbc 42.7.12 or later: channelBinding exists from 42.7.4, earlier versions ignore it, and "
			"42.7.7 and 42.7.12 closed ways around require (CVE-2025-49146, CVE-2026-54291)", NULL),
	NPGSQL_ROWS("8", "C#/.NET Npgsql 8"),
	NPGSQL_ROWS("9", "C#/.NET Npgsql 9"),
	NPGSQL_ROWS("10", "C#/.NET Npgsql 10"),
	ROW("rust-postgres", "rust-postgres", "recipe", "Rust tokio-postgres", "?sslmode=require + OpenSSL SslConnector",
		"tokio-postgres with a postgres-openssl-style connector: Debian has no postgres-openssl crate"),
	ROW("rust-postgres-cafile", "rust-postgres", "cafile", "Rust tokio-postgres",
		"?sslmode=require + SslConnector with set_ca_file(\"" ROOT_FILE "\")",
		"the guide's alternative; the builder also keeps OpenSSL's default store"),
	ROW("rust-postgres-default", "rust-postgres", "default", "Rust tokio-postgres", "NoTls, no sslmode", NULL),
	ROW("rust-postgres-generic", "rust-postgres", "generic", "Rust tokio-postgres",
		"Client::connect(\"" URL "?sslmode=verify-full&sslrootcert=system\", connector)",
		"connector: the guide's postgres-openssl MakeTlsConnector"),
	ROW("rust-postgres-hardened", "rust-postgres", "hardened", "Rust tokio-postgres",
		"Client::connect(\"" URL "?sslmode=require&channel_binding=require\", connector)",
		"connector: the guide's postgres-openssl MakeTlsConnector, which verifies chain and name"),
	ROW("ruby-pg-default", "ruby-pg", "default", "Ruby pg", LIBPQ_NO_TLS, "the guide has no Ruby section"),
	ROW("ruby-pg-hardened", "ruby-pg", "hardened", "Ruby pg",
		"PG.connect(" KW "sslmode: \"verify-full\", sslrootcert: \"system\", channel_binding: \"require\")", NULL),
	ROW_ADD("ruby-pg-hardened-rootfile", "ruby-pg", "hardened-rootfile", "Ruby pg",
			"PG.connect(" KW "sslmode: \"verify-full\", sslrootcert: \"" ROOT_FILE "\", channel_binding: \"require\")",
			NULL, ADD_ROOTFILE, NULL),
	ROW("dbd-pg-default", "dbd-pg", "default", "Perl DBD::Pg", LIBPQ_NO_TLS, "the guide has no Perl section"),
	ROW("dbd-pg-hardened", "dbd-pg", "hardened", "Perl DBD::Pg",
		"DBI->connect(\"dbi:Pg:host={host};port={port};dbname={databasename};sslmode=verify-full;"
		"sslrootcert=system;channel_binding=require\", {username}, {password})", NULL),
	ROW_ADD("dbd-pg-hardened-rootfile", "dbd-pg", "hardened-rootfile", "Perl DBD::Pg",
			"DBI->connect(\"dbi:Pg:host={host};port={port};dbname={databasename};sslmode=verify-full;"
			"sslrootcert=" ROOT_FILE ";channel_binding=require\", {username}, {password})", NULL, ADD_ROOTFILE, NULL),
	ROW("pgbouncer-disable", "pgbouncer", "disable", "PgBouncer (to the server)", "server_tls_sslmode = disable",
		"the guide has no PgBouncer section; the probe reaches PgBouncer over loopback"),
	ROW("pgbouncer-require", "pgbouncer", "require", "PgBouncer (to the server)", "server_tls_sslmode = require", NULL),
	ROW("pgbouncer-verify-full", "pgbouncer", "verify-full", "PgBouncer (to the server)",
		"server_tls_sslmode = verify-full, server_tls_ca_file = /etc/ssl/certs/ca-certificates.crt",
		"PgBouncer 1.24 and later need a CA file named in every mode where there is no system store"),
	ROW("pgbouncer-hardened", "pgbouncer", "hardened", "PgBouncer (to the server)",
		"server_tls_sslmode = verify-full, server_tls_ca_file = " ROOT_FILE,
		"PgBouncer has no channel binding towards the server: a recipe that requires it cannot pass PgBouncer"),
};

const int	n_driver_specs = lengthof(driver_specs);

/*
 * accepts[] in column order: good, wrong host, untrusted CA, expired,
 * forged, trusted interceptor (relayed), interceptor (CB stripped), strip.
 * A trusted interceptor holds a valid certificate for the right name: a
 * client that verifies gives it its startup by design of the attack.
 */
#define VERIFIES		{true, false, false, false, false, true, true, false}
#define VERIFIES_CHAIN	{true, true, false, false, false, true, true, false}
#define UNVERIFIED_TLS	{true, true, true, true, true, true, true, false}
#define ANYTHING		{true, true, true, true, true, true, true, true}
#define REFUSES_ALL		{false, false, false, false, false, false, false, false}

#define LIBPQ_PASSES \
	"psql, psycopg2, psycopg 3, Django, PHP pgsql, Ruby pg and Perl DBD::Pg hand their parameters " \
	"to libpq: "
#define LIBPQ_PASSES_SOURCE \
	"psycopg2 docs \"The connection class\"; psycopg 3 docs \"Connection.connect\" (conninfo " \
	"and kwargs go to libpq); Django docs \"PostgreSQL notes\" (OPTIONS go to the driver); " \
	"PHP manual pg_connect(); ruby-pg 1.4.5 lib/pg/connection.rb PG::Connection.new (libpq's " \
	"parameter key words); DBD::Pg 3.16.0 Pg.pm connect() (the dbi:Pg: string goes to _login, and " \
	"Pg.so imports PQconnectdb); "
#define LIBPQ_SYSTEM_15 \
	"libpq before 16 has no sslrootcert=system: it reads \"system\" as the name of a root " \
	"certificate file, finds none, and refuses every server, the good one included"
#define LIBPQ_SYSTEM_15_SOURCE \
	"postgres commit dda1b06 \"doc: Clarify the system value for sslrootcert\" (\"Backpatch down " \
	"to v16 where support for the system value was added\"); Debian's libpq.so.5.15 holds the message " \
	"\"could not read root certificate file\" and no \"system\" string, sid's libpq.so.5.18 holds both"
#define LIBPQ_SYSTEM_16 \
	"libpq 16+ loads OpenSSL's default store (Debian: /etc/ssl/certs) for sslrootcert=system " \
	"and verifies chain and host name"
#define LIBPQ_SYSTEM_16_SOURCE \
	"PostgreSQL docs, libpq sslrootcert (libpq.sgml libpq-connect-sslrootcert: \"The special value " \
	"system may be specified instead, in which case the system's trusted CA roots will be loaded\", " \
	"reworded in 16.x by commit dda1b06) and libpq-ssl \"Client Verification of Server " \
	"Certificates\" (verify-full: \"libpq will also verify that the server host name matches its " \
	"certificate\"); sid's libpq.so.5.18 holds the \"system\" string"
#define LIBPQ_PREFER \
	"the default sslmode is prefer: TLS without any certificate check when the server offers " \
	"it, plaintext when it does not (a stripping proxy wins); channel_binding defaults to prefer"
#define LIBPQ_PREFER_SOURCE \
	"PostgreSQL docs, libpq 34.1.2 \"sslmode ... prefer (default)\" and \"channel_binding ... " \
	"prefer (default)\"; 34.19.3 Table 34.1 (prefer: \"I don't care about encryption\")"
#define LIBPQ_VERIFY_CA \
	"verify-ca checks the chain and nothing else: any certificate the root issued, for any " \
	"host name, is accepted"
#define LIBPQ_VERIFY_CA_SOURCE \
	"PostgreSQL docs, libpq 34.19.1 (\"In verify-full mode, the host name is matched against " \
	"the certificate's Subject Alternative Name\"; verify-ca does not) and 34.19.3 Table 34.1"

#define LIBPQ_CB \
	"channel_binding=require: SCRAM-SHA-256-PLUS or no connection (libpq 13+)"
#define LIBPQ_CB_SOURCE \
	"PostgreSQL docs, libpq channel_binding (libpq.sgml libpq-connect-channel-binding: \"A setting " \
	"of require means that the connection must employ channel binding\"), added by postgres commit " \
	"d6e612f \"Add libpq parameter 'channel_binding'\"; libpq.so.5.15 and 5.18 both hold it (the " \
	"release that first shipped it, 13, was not read here)"

#define NODE_DEFAULTS \
	"Node's tls.connect() defaults apply: rejectUnauthorized and the host name check, against " \
	"the CAs that Node build trusts: "
#define NODE_BUNDLED \
	"its bundled Mozilla list (this Node was built without --openssl-use-def-ca-store and the " \
	"recipe adds no --use-openssl-ca), so the OS store is never read and even the good server is refused"
#define NODE_OPENSSL \
	"OpenSSL's default store, as Debian builds Node (--openssl-use-def-ca-store), i.e. /etc/ssl/certs"
#define NODE_SOURCE \
	"Node.js docs, tls.connect() (rejectUnauthorized defaults to true), tls.rootCertificates and " \
	"the --use-openssl-ca / --openssl-use-def-ca-store options; Debian nodejs debian/rules"
#define PG_SSL_SOURCE \
	"node-postgres docs \"SSL\" (the ssl object goes to tls.connect); pg-connection-string README " \
	"\"sslmode\" (require, prefer and verify-ca mean verify-full unless uselibpqcompat=true); "
#define NO_SSL_OPTION \
	"without an ssl option the client never sends an SSLRequest: plaintext to whatever answers"

const DriverExpectation driver_expectations[] = {
	{"libpq", "recipe", "libpq", NULL, "16", NULL, REFUSES_ALL, false, false, "\"system\"",
		LIBPQ_PASSES LIBPQ_SYSTEM_15, LIBPQ_PASSES_SOURCE LIBPQ_SYSTEM_15_SOURCE},
	{"libpq", "recipe", "libpq", "16", "19", NULL, VERIFIES, false, false, NULL,
		LIBPQ_PASSES LIBPQ_SYSTEM_16, LIBPQ_PASSES_SOURCE LIBPQ_SYSTEM_16_SOURCE},
	{"libpq", "default", "libpq", "10", "19", NULL, ANYTHING, false, false, NULL,
		LIBPQ_PASSES LIBPQ_PREFER, LIBPQ_PASSES_SOURCE LIBPQ_PREFER_SOURCE},
	{"libpq", "verify-ca", "libpq", "10", "19", NULL, VERIFIES_CHAIN, false, false, NULL,
		LIBPQ_VERIFY_CA, LIBPQ_VERIFY_CA_SOURCE},
	{"asyncpg", "recipe", "library", "0.27", "1", NULL, VERIFIES, false, false, NULL,
		"sslmode=verify-full builds an SSLContext with CERT_REQUIRED and check_hostname, loading "
		"~/.postgresql/root.crt when no sslrootcert is given (and failing when it is missing)",
	"asyncpg docs, API reference, connect() \"sslmode ... verify-full\" and \"sslrootcert\"; "
	"asyncpg/connect_utils.py _parse_connect_dsn_and_args() in v0.27.0"},
	{"asyncpg", "default", "library", "0.27", "1", NULL, ANYTHING, false, false, NULL,
		"with no ssl and no sslmode asyncpg uses prefer: TLS without a certificate check, "
		"plaintext when the server declines",
	"asyncpg docs, API reference, connect() \"ssl ... 'prefer' ... the default\""},
	{"asyncpg", "sslrootcert", "library", "0.27", "1", NULL, ANYTHING, false, false, NULL,
		"sslrootcert alone leaves sslmode at prefer, and prefer sets CERT_NONE: the root file "
		"is loaded and never used, and a stripping proxy gets plaintext",
	"asyncpg docs, connect() (sslmode default prefer); asyncpg/connect_utils.py "
	"_parse_connect_dsn_and_args() (sslmode < require: verify_mode = CERT_NONE)"},
	{"node-postgres", "recipe", "library", "8.0", "9", "bundled", REFUSES_ALL, false, false, NULL,
		"ssl:true: " NODE_DEFAULTS NODE_BUNDLED, PG_SSL_SOURCE NODE_SOURCE},
	{"node-postgres", "recipe", "library", "8.0", "9", "openssl", VERIFIES, false, false, NULL,
		"ssl:true: " NODE_DEFAULTS NODE_OPENSSL, PG_SSL_SOURCE NODE_SOURCE},
	{"node-postgres", "require-url", "library", "8.20", "9", "bundled", REFUSES_ALL, false, false, NULL,
		"sslmode=require is read as verify-full: " NODE_DEFAULTS NODE_BUNDLED, PG_SSL_SOURCE NODE_SOURCE},
	{"node-postgres", "require-url", "library", "8.20", "9", "openssl", VERIFIES, false, false, NULL,
		"sslmode=require is read as verify-full: " NODE_DEFAULTS NODE_OPENSSL, PG_SSL_SOURCE NODE_SOURCE},
	{"node-postgres", "default", "library", "8.0", "9", NULL, ANYTHING, true, false, NULL,
		"ssl defaults to false: " NO_SSL_OPTION, "node-postgres docs \"SSL\" and \"Client\" (ssl: false by default)"},
	{"postgres-js", "recipe", "library", "3.0", "5", "bundled", REFUSES_ALL, false, false, NULL,
		"ssl:true: " NODE_DEFAULTS NODE_BUNDLED, "Postgres.js README \"SSL\"; " NODE_SOURCE},
	{"postgres-js", "recipe", "library", "3.0", "5", "openssl", VERIFIES, false, false, NULL,
		"ssl:true: " NODE_DEFAULTS NODE_OPENSSL "; channel_binding 'require' from 4.0 (3.x keeps only the "
		"options it knows)", "Postgres.js README \"SSL\"; src/connection.js in v3.4.0 "
	"and src/socket.js secureOptions() in 4.2.0 (ssl true: tls.connect with Node's defaults); "
	"src/index.js parseOptions() in 3.4.7 (known options only) and binding() in 4.0.0 and 4.2.0; " NODE_SOURCE},
	{"postgres-js", "require-url", "library", "3.0", "5", NULL, UNVERIFIED_TLS, false, false, NULL,
		"sslmode=require means rejectUnauthorized:false: TLS to anyone, but no plaintext fallback",
	"Postgres.js README \"SSL\" in 4.x (\"require, prefer and allow encrypt without checking the "
	"certificate\"); src/connection.js in v3.0.0 and v3.4.9 and src/socket.js secureOptions() in 4.2.0 "
	"(ssl 'require' -> { rejectUnauthorized: false }; no fallback but for prefer and allow)"},
	{"postgres-js", "default", "library", "3.0", "5", NULL, ANYTHING, true, false, NULL,
		"ssl defaults to false: " NO_SSL_OPTION, "Postgres.js README, options (ssl: false) in v3.4.9 and 4.2.0"},
	{"prisma", "recipe", "library", "7.0", "8", "bundled", REFUSES_ALL, false, false, NULL,
		"Prisma 7 hands the URL to @prisma/adapter-pg, whose pg-connection-string reads "
		"sslmode=require as verify-full (sslaccept is not its parameter): " NODE_DEFAULTS NODE_BUNDLED,
	"Prisma docs \"Upgrade to Prisma ORM 7\" (driver adapters) and \"PostgreSQL: Configuring an SSL "
	"connection\"; " PG_SSL_SOURCE NODE_SOURCE},
	{"prisma", "recipe", "library", "7.0", "8", "openssl", VERIFIES, false, false, NULL,
		"Prisma 7 hands the URL to @prisma/adapter-pg, whose pg-connection-string reads "
		"sslmode=require as verify-full (sslaccept is not its parameter): " NODE_DEFAULTS NODE_OPENSSL,
	"Prisma docs \"Upgrade to Prisma ORM 7\"; " PG_SSL_SOURCE NODE_SOURCE},
	{"prisma", "default", "library", "7.0", "8", NULL, ANYTHING, true, false, NULL,
		"a URL without sslmode gives node-postgres no ssl option: " NO_SSL_OPTION,
	"Prisma docs \"PostgreSQL: Connection details\"; pg-connection-string README"},
	{"go-libpq", "recipe", "library", "1.10", "2", NULL, VERIFIES, false, false, NULL,
		"sslmode=verify-full sets tls.Config.ServerName; with no sslrootcert, RootCAs stays nil, "
		"so Go's system pool applies: /etc/ssl/certs/ca-certificates.crt on Debian",
	"lib/pq docs, package pq \"Connection String Parameters\" (sslmode verify-full); ssl.go ssl() "
	"in v1.10.7; Go docs, crypto/x509 SystemCertPool and root_linux.go (certFiles)"},
	{"go-libpq", "default", "library", "1.10", "2", NULL, UNVERIFIED_TLS, false, false, NULL,
		"the default sslmode is require: TLS with InsecureSkipVerify, no plaintext fallback; "
		"no SCRAM-SHA-256-PLUS, so no channel binding",
	"lib/pq docs, \"Connection String Parameters\" (\"require - Always SSL (skip verification)\" "
	"is the default); lib/pq ssl.go ssl() and scram support in conn.go, v1.10"},
	{"go-pgx", "recipe", "library", "4.0", "6", NULL, VERIFIES, false, false, NULL,
		"pgconn's configTLS for verify-full keeps Go's verification with ServerName set; with no "
		"sslrootcert it uses Go's system pool; no plaintext fallback in verify-full",
	"pgconn docs, ParseConfig (\"sslmode ... verify-full\"); pgconn/config.go configTLS() in "
	"jackc/pgconn v1.12 and pgx v5 pgconn; Go docs, crypto/x509 SystemCertPool"},
	{"go-pgx", "default", "library", "4.0", "6", NULL, ANYTHING, false, false, NULL,
		"the default sslmode is prefer: TLS with InsecureSkipVerify first, then a plaintext "
		"fallback config, so a stripping proxy gets plaintext",
	"pgconn docs, ParseConfig (\"sslmode ... default prefer\" and the fallback configs); "
	"pgconn/config.go configTLS() (prefer: InsecureSkipVerify plus a non-TLS fallback)"},
	{"pgjdbc", "recipe", "library", "42.2.5", "43", NULL, VERIFIES, false, false, NULL,
		"ssl=true without sslmode means verify-full since 42.2.5; LibPQFactory trusts only "
		"sslrootcert, by default ${user.home}/.postgresql/root.crt, never the JVM's cacerts",
	"pgjdbc docs, \"Using SSL: Configuring the Client\" (ssl=true, sslmode default verify-full, "
	"sslrootcert default); pgjdbc CHANGELOG 42.2.5; org/postgresql/ssl/LibPQFactory.java"},
	{"pgjdbc", "sslrootcert", "library", "42.2.5", "43", NULL, VERIFIES, false, false, NULL,
		"ssl=true without sslmode means verify-full since 42.2.5; the sslrootcert property names the "
		"file LibPQFactory trusts in place of ${user.home}/.postgresql/root.crt",
	"pgjdbc docs, \"Using SSL: Configuring the Client\" (ssl=true, sslmode default verify-full, "
	"sslrootcert); pgjdbc CHANGELOG 42.2.5; org/postgresql/ssl/LibPQFactory.java"},
	{"pgjdbc", "default", "library", "42.2.5", "43", NULL, ANYTHING, false, false, NULL,
		"with no ssl setting sslmode is prefer: TLS without validation when offered, plaintext "
		"when not",
	"pgjdbc docs, \"Connection Parameters\" (sslmode: \"prefer\" is the default); "
	"org/postgresql/ssl/NonValidatingFactory.java"},
	{"npgsql", "recipe", "library", "8.0", "11", NULL, VERIFIES, false, false, NULL,
		"SSL Mode=VerifyFull validates chain and host name against the OS store (.NET on Linux: "
		"OpenSSL's default paths)",
	"Npgsql docs, \"Security and Encryption\" (SSL Mode VerifyFull, Root Certificate); .NET docs, "
	"X509Chain on Linux (OpenSSL default certificate store)"},
	{"npgsql", "default", "library", "8.0", "11", NULL, ANYTHING, false, false, NULL,
		"the default SSL Mode is Prefer: TLS without validation when offered, plaintext when not",
	"Npgsql docs, \"Connection String Parameters\" (SSL Mode, default Prefer since 8.0) and "
	"\"Security and Encryption\""},
	{"rust-postgres", "recipe", "library", "0.7", "0.8", NULL, VERIFIES, false, false, NULL,
		"SslConnector::builder() enables peer verification against OpenSSL's default paths, and "
		"configure().into_ssl(host) the host name check; tokio-postgres with sslmode=require "
		"errors when the server refuses TLS",
	"docs.rs openssl 0.10 SslConnector (\"hostname verification ... enabled by default\") and "
	"ConnectConfiguration::into_ssl; docs.rs tokio-postgres 0.7 Config (SslMode::Require); "
	"postgres-openssl 0.5 src/lib.rs (the connector this probe mirrors)"},
	{"rust-postgres", "cafile", "library", "0.7", "0.8", NULL, VERIFIES, false, false, NULL,
		"set_ca_file() adds the named root to the connector's trust store, which SslConnector::builder() "
		"has already loaded with OpenSSL's default paths; verification of chain and name is the recipe's",
	"openssl 0.10.45 src/ssl/connector.rs (SslConnector::builder calls set_default_verify_paths) and "
	"src/ssl/mod.rs (set_ca_file: \"Loads trusted root certificates from a file\", "
	"SSL_CTX_load_verify_locations)"},
	{"rust-postgres", "default", "library", "0.7", "0.8", NULL, ANYTHING, true, false, NULL,
		"NoTls cannot do TLS, so the default sslmode prefer sends no SSLRequest: plaintext",
	"docs.rs tokio-postgres 0.7, Config::ssl_mode (\"Defaults to prefer\") and NoTls"},

	/* The guide's generic string, sslmode=verify-full&sslrootcert=system. */
	{"libpq", "generic", "libpq", NULL, "16", NULL, REFUSES_ALL, false, false, "\"system\"",
		LIBPQ_PASSES LIBPQ_SYSTEM_15, LIBPQ_PASSES_SOURCE LIBPQ_SYSTEM_15_SOURCE},
	{"libpq", "generic", "libpq", "16", "19", NULL, VERIFIES, false, false, NULL,
		LIBPQ_PASSES LIBPQ_SYSTEM_16, LIBPQ_PASSES_SOURCE LIBPQ_SYSTEM_16_SOURCE},
	{"asyncpg", "generic", "library", "0.27", "1", NULL, REFUSES_ALL, false, true, "FileNotFoundError",
		"sslrootcert is only ever a file name: asyncpg opens a file called \"system\", finds none, and "
		"refuses every server",
	"asyncpg connect() docstring in v0.27.0 (its ssl example: cafile= is \"equivalent to sslrootcert= "
	"in DSN\"); asyncpg/connect_utils.py _parse_connect_dsn_and_args() in 0.27.0 (Debian) and 0.31.0 (sid) "
	"(ssl.load_verify_locations(cafile=sslrootcert), no special value)"},
	{"node-postgres", "generic", "library", "8.20", "9", NULL, REFUSES_ALL, false, true, "ENOENT",
		"pg-connection-string reads sslrootcert as a file name (fs.readFileSync) while parsing the URL: "
		"\"system\" is no file, so new Client() throws before connecting",
	"pg-connection-string 2.14.1 README (\"sslrootcert=<filename> - reads data from the given file\") "
	"and index.js parse() (fs.readFileSync(config.sslrootcert)); pg 8.23.1 lib/connection-parameters.js "
	"(the connection string is parsed in the constructor new Client() calls)"},
	{"postgres-js", "generic", "library", "3.4.2", "5", "bundled", REFUSES_ALL, false, false, NULL,
		"sslrootcert=system means ssl verify-full with no ca: " NODE_DEFAULTS NODE_BUNDLED,
	"Postgres.js commit 0bee4c3 (pull request #690, first in v3.4.2): src/index.js parseOptions() "
	"(sslrootcert === 'system' -> ssl 'verify-full'), certificates() from 4.1.0; README \"SSL\" in 4.x "
	"(\"verify-full (or sslrootcert=system in the url) checks it against the system's certificate "
	"authorities\"); " NODE_SOURCE},
	{"postgres-js", "generic", "library", "3.4.2", "5", "openssl", VERIFIES, false, false, NULL,
		"sslrootcert=system means ssl verify-full with no ca: " NODE_DEFAULTS NODE_OPENSSL,
	"Postgres.js commit 0bee4c3 (pull request #690, first in v3.4.2): src/index.js parseOptions(), "
	"certificates() from 4.1.0; README \"SSL\" in 4.x; " NODE_SOURCE},
	{"prisma", "generic", "library", "7.0", "8", NULL, REFUSES_ALL, false, true, NULL,
		"@prisma/adapter-pg hands the URL to pg-connection-string, which reads sslrootcert as a file "
		"name: \"system\" is no file, so every query fails before connecting",
	"Prisma docs \"Database drivers (Prisma ORM v7)\" (driver adapters); @prisma/adapter-pg 7.10.1 "
	"dist/index.js (new pg.Pool(config)); pg-connection-string 2.14.1 README and index.js parse() "
	"(fs.readFileSync(config.sslrootcert))"},
	{"go-libpq", "generic", "library", "1.10", "1.12", NULL, REFUSES_ALL, false, false, "open system",
		"sslrootcert is a file name in lib/pq 1.10 and 1.11: it opens \"system\", finds none, and refuses "
		"every server (sslrootcert=system came with lib/pq 1.12.0, pull requests 1280 and 1281, March 2026)",
	"lib/pq doc.go in v1.10.9 (\"sslrootcert - The location of the root certificate file\"); ssl.go "
	"sslCertificateAuthority() in v1.10.9 (ioutil.ReadFile(sslrootcert), no special value) and no "
	"\"system\" in v1.11.2's sources; lib/pq CHANGELOG v1.12.0 (\"Support sslrootcert=system and use "
	"~/.postgresql/root.crt as the default value of sslrootcert ([#1280], [#1281])\")"},
	{"go-pgx", "generic", "library", "5.7", "6", NULL, VERIFIES, false, false, NULL,
		"pgx 5.7 and later read sslrootcert=system as libpq 16 does (Go's system pool); from 5.9 they use "
		"SCRAM-SHA-256-PLUS when the server offers it",
	"pgx v5 CHANGELOG 5.7.0 (\"Add support for sslrootcert=system\") and 5.9.0 (\"Add SCRAM-SHA-256-PLUS "
	"support\"); pgconn/config.go configTLS() in v5.7.0 (\"system\": x509.SystemCertPool() and sslmode "
	"verify-full; ParseConfig's doc comment does not name the value) and Config.ChannelBinding in v5.9.0 "
	"(\"Defaults to prefer\"), auth_scram.go scramAuth() in v5.9.0"},
	{"go-pgx", "generic", "library", "4.0", "5", NULL, REFUSES_ALL, false, true, "system",
		"pgconn reads sslrootcert as a file name while parsing the connection string: \"system\" is no "
		"file, so ParseConfig fails",
	"pgconn docs, ParseConfig (PGSSLROOTCERT among the variables it reads); pgconn/config.go configTLS() "
	"in jackc/pgconn 1.11.0 (Debian) (ioutil.ReadFile(sslrootcert), no special value)"},
	{"pgjdbc", "generic", "library", "42.2.5", "43", NULL, REFUSES_ALL, false, false, "system",
		"sslrootcert is a file name: LibPQFactory opens \"system\", finds none, and refuses every server",
	"pgjdbc docs, \"Initializing the Driver: Connection Parameters\" (sslrootcert: \"File name of the SSL "
	"root certificate\"); org/postgresql/ssl/LibPQFactory.java in REL42.7.13 (no special value), and no "
	"\"system\" string in LibPQFactory.class of Debian sid's postgresql-42.7.14.jar"},
	{"npgsql", "generic", "library", "8.0", "10", NULL, VERIFIES, false, false, NULL,
		"Npgsql 8 and 9 verify chain and host name against the OS store in VerifyFull and read the Root "
		"Certificate file only when that failed: a server the OS store trusts never makes them open "
		"\"system\", and any other server is refused",
	"src/Npgsql/Internal/NpgsqlConnector.cs SslRootValidation() in v8.0.0, v8.0.9, v9.0.0 and v9.0.5 "
	"(returns true on SslPolicyErrors.None before ImportFromPemFile(certRootPath)); Npgsql.xml in the "
	"NuGet packages (RootCertificate: \"Location of a CA certificate used to validate the server "
	"certificate\")"},
	{"npgsql", "generic", "library", "10", "11", NULL, REFUSES_ALL, false, false, NULL,
		"Npgsql 10 loads Root Certificate as a file and fails the TLS handshake when \"system\" is none",
	"Npgsql commit 73202604c \"Ignore system CA store if root certificate is provided (#6102)\", first "
	"in v10.0.0: SslRootValidation() reads the Root Certificate file on every handshake (\"Even if there "
	"was no error while validating, we have to check one more time with the provided certificate\")"},
	{"rust-postgres", "generic", "library", "0.7", "0.8", NULL, REFUSES_ALL, false, true, "sslmode",
		"tokio-postgres knows sslmode disable, prefer and require only: verify-full makes the connection "
		"string invalid",
	"tokio-postgres src/config.rs in 0.7.7 (Debian) and 0.7.18 (sid): Config's sslmode doc (disable, "
	"prefer, require) and enum SslMode { Disable, Prefer, Require }"},

	/*
	 * The hardened recipes: chain and name verified, channel binding
	 * required where the client has it (its startup still reaches the
	 * trusted interceptor, whose session then fails).
	 */
	{"libpq", "hardened", "libpq", NULL, "16", NULL, REFUSES_ALL, false, false, "\"system\"",
		LIBPQ_PASSES LIBPQ_SYSTEM_15, LIBPQ_PASSES_SOURCE LIBPQ_SYSTEM_15_SOURCE},
	{"libpq", "hardened", "libpq", "16", "19", NULL, VERIFIES, false, false, NULL,
		LIBPQ_PASSES LIBPQ_SYSTEM_16 "; " LIBPQ_CB, LIBPQ_PASSES_SOURCE LIBPQ_SYSTEM_16_SOURCE "; " LIBPQ_CB_SOURCE},
	{"libpq", "hardened-rootfile", "libpq", "13", "19", NULL, VERIFIES, false, false, NULL,
		LIBPQ_PASSES "sslmode=verify-full with a named root file verifies chain and host name on every "
		"libpq; " LIBPQ_CB, LIBPQ_PASSES_SOURCE "PostgreSQL docs, libpq-ssl \"Client Verification of Server " \
		"Certificates\" (verify-full checks the host name); " LIBPQ_CB_SOURCE},
	{"asyncpg", "hardened", "library", "0.27", "1", NULL, VERIFIES, false, false, NULL,
		"sslmode=verify-full with sslrootcert: CERT_REQUIRED and check_hostname against that file; "
		"asyncpg has no SCRAM-SHA-256-PLUS, so no channel binding",
	"asyncpg/connect_utils.py _parse_connect_dsn_and_args() in 0.27.0 and 0.31.0 (verify-full: "
	"check_hostname, load_verify_locations(cafile=sslrootcert), CERT_REQUIRED); asyncpg/protocol/scram.pyx "
	"in v0.27.0 and v0.31.0 (AUTHENTICATION_METHODS = [b\"SCRAM-SHA-256\"], channel binding flag \"n,,\")"},
	{"node-postgres", "hardened", "library", "8.14", "9", NULL, VERIFIES, false, false, NULL,
		"sslrootcert's file becomes tls.connect's ca, with rejectUnauthorized and the host name check; "
		"enableChannelBinding uses SCRAM-SHA-256-PLUS and tells a server that offers it that it could",
	"node-postgres docs \"SSL\" (\"Channel binding\": enableChannelBinding); pg CHANGELOG 8.14.0 (\"Add "
	"support for SCRAM-SHA-256-PLUS, i.e. channel binding\"); " PG_SSL_SOURCE NODE_SOURCE},
	{"node-postgres", "hardened-openssl-ca", "library", "8.14", "9", "openssl", VERIFIES, false, false, NULL,
		"ssl:true with enableChannelBinding: " NODE_DEFAULTS NODE_OPENSSL,
	"node-postgres docs \"SSL\" (\"Channel binding\": enableChannelBinding); pg CHANGELOG 8.14.0; "
	NODE_SOURCE},
	{"postgres-js", "hardened", "library", "4.1", "5", NULL, VERIFIES, false, false, NULL,
		"sslrootcert's file becomes tls.connect's ca and ssl verify-full keeps Node's checks (before 4.1 "
		"Postgres.js reads no sslrootcert file but \"system\"); channel_binding=require refuses a "
		"session that SCRAM-SHA-256-PLUS does not bind to the certificate",
	"Postgres.js src/index.js certificates() and withCertificates() in 4.1.0 and 4.2.0 (absent from "
	"3.4.10 and 4.0.0: sslrootcert other than \"system\" is not read); src/index.js binding() in 4.0.0, "
	"4.1.0 and 4.2.0 (absent from 3.4.7) and src/startup.js (CHANNEL_BINDING_REQUIRED); README "
	"\"Channel binding\" in 4.2.0; " NODE_SOURCE},
	{"postgres-js", "hardened-openssl-ca", "library", "3.0", "5", "openssl", VERIFIES, false, false, NULL,
		"ssl:true: " NODE_DEFAULTS NODE_OPENSSL "; channel_binding 'require' from 4.0 (3.x keeps only the "
		"options it knows)", "Postgres.js README \"SSL\"; src/connection.js in v3.4.0 "
	"and src/socket.js secureOptions() in 4.2.0 (ssl true: tls.connect with Node's defaults); "
	"src/index.js parseOptions() in 3.4.7 (known options only) and binding() in 4.0.0 and 4.2.0; " NODE_SOURCE},
	{"prisma", "hardened", "library", "7.0", "8", NULL, VERIFIES, false, false, NULL,
		"the adapter hands its options to node-postgres: sslrootcert's file as ca, verify-full, "
		"enableChannelBinding",
	"@prisma/adapter-pg 7.10.1 dist/index.d.ts (PrismaPg(poolOrConfig: pg.Pool | pg.PoolConfig | string)) "
	"and dist/index.js (new pg.Pool(config)); " PG_SSL_SOURCE},
	{"prisma", "hardened-openssl-ca", "library", "7.0", "8", "openssl", VERIFIES, false, false, NULL,
		"sslmode=verify-full through the adapter: " NODE_DEFAULTS NODE_OPENSSL,
	"@prisma/adapter-pg 7.10.1 dist/index.js (new pg.Pool(config)); " PG_SSL_SOURCE NODE_SOURCE},
	{"go-libpq", "hardened", "library", "1.10", "2", NULL, VERIFIES, false, false, NULL,
		"the guide's recipe: verify-full against Go's system pool; lib/pq has no channel binding",
	"lib/pq doc.go \"Connection String Parameters\"; ssl.go ssl() in v1.10.7 (verify-full: ServerName); "
	"conn.go in v1.10.7 (SASL mechanism \"SCRAM-SHA-256\" only); no SCRAM-SHA-256-PLUS in lib/pq's "
	"sources up to 2026-08 (v1.12.3 and after)"},
	{"go-pgx", "hardened", "library", "4.0", "6", NULL, VERIFIES, false, false, NULL,
		"the guide's recipe: verify-full against Go's system pool, no plaintext fallback",
	"pgconn/config.go configTLS() in jackc/pgconn 1.11.0 (verify-full: ServerName, no InsecureSkipVerify) "
	"and in pgx v5.7.0; Go docs, crypto/x509 SystemCertPool"},
	{"pgjdbc", "hardened", "library", "42.2.5", "43", NULL, VERIFIES, false, false, NULL,
		"sslmode=verify-full against the named sslrootcert: chain and host name (LibPQFactory, "
		"PGjdbcHostnameVerifier)",
	"pgjdbc docs, \"Initializing the Driver: Connection Parameters\" (sslmode verify-full: \"verify the "
	"host connected to has the same hostname as the certificate\"; sslrootcert; sslhostnameverifier, "
	"default org.postgresql.ssl.PGjdbcHostnameVerifier); org/postgresql/ssl/LibPQFactory.java"},
	{"pgjdbc", "hardened-cb", "library", "42.2.5", "42.7.4", NULL, VERIFIES, false, false, NULL,
		"verify-full against the named root file; channelBinding is no property of these versions and "
		"is ignored, so a trusted interceptor's session succeeds: the addition is a newer pgjdbc",
	"pgjdbc CHANGELOG 42.7.12 (\"releases before 42.7.4 (which introduced channel-binding support)\") "
	"and 42.7.4 (\"support channel binding\", PR #3188); org/postgresql/PGProperty.java (CHANNEL_BINDING "
	"absent in REL42.7.3, present in REL42.7.4)"},
	{"pgjdbc", "hardened-cb", "library", "42.7.4", "43", NULL, VERIFIES, false, false, NULL,
		"verify-full against the named root file and channelBinding=require: SCRAM-SHA-256-PLUS or no "
		"session; before 42.7.7 a non-SASL method, before 42.7.12 a certificate with no "
		"tls-server-end-point hash, got around require",
	"pgjdbc docs, \"Initializing the Driver: Connection Parameters\" (channelBinding); "
	"org/postgresql/PGProperty.java CHANNEL_BINDING; pgjdbc CHANGELOG 42.7.7 (CVE-2025-49146: reject "
	"non-SASL authentication under require) and 42.7.12 (CVE-2026-54291: no silent downgrade when the "
	"certificate has no tls-server-end-point hash)"},
	{"go-pgx", "hardened-cb", "library", "4.0", "5", NULL, {false, false, false, false, false, true, true, false},
		false, false, NULL,
		"pgconn 1 knows no channel_binding and sends it in the startup packet as a setting: the server "
		"refuses the session (unrecognized configuration parameter), after verify-full has let only "
		"the good server and the trusted interceptors through",
	"pgconn/config.go ParseConfig() in jackc/pgconn 1.11.0 (Debian): every setting outside "
	"notRuntimeParams goes to Config.RuntimeParams (\"Run-time parameters to set on connection as "
	"session default values\"), and channel_binding appears nowhere; the server's refusal is measured"},
	{"go-pgx", "hardened-cb", "library", "5.9", "6", NULL, VERIFIES, false, false, NULL,
		"verify-full against Go's system pool and channel_binding=require: SCRAM-SHA-256-PLUS or no "
		"session",
	"pgx v5 CHANGELOG 5.9.0 (\"Add SCRAM-SHA-256-PLUS support\"); pgconn/config.go ParseConfig() "
	"(channel_binding disable, prefer, require) and auth_scram.go scramAuth() (\"channel binding required "
	"but server does not support SCRAM-SHA-256-PLUS\") in v5.9.0"},
	{"npgsql", "hardened", "library", "8.0", "11", NULL, VERIFIES, false, false, NULL,
		"SSL Mode=VerifyFull against the OS store and Channel Binding=Require: SCRAM-SHA-256-PLUS or "
		"no connection",
	"Npgsql src/Npgsql/NpgsqlConnectionStringBuilder.cs (ChannelBinding: absent in v7.0.0, \"Channel "
	"Binding\", default Prefer, in v8.0.0) and Internal/NpgsqlConnector.Auth.cs in v8.0.0 (Require refuses "
	"SCRAM-SHA-256 without -PLUS); Npgsql.xml in the 8.0.9, 9.0.5 and 10.0.3 NuGet packages (SslMode, "
	"ChannelBinding)"},
	{"rust-postgres", "hardened", "library", "0.7", "0.8", NULL, VERIFIES, false, false, NULL,
		"the OpenSSL connector verifies chain and name; channel_binding=require makes tokio-postgres "
		"insist on SCRAM-SHA-256-PLUS with the connector's tls-server-end-point hash",
	"tokio-postgres src/config.rs in 0.7.7 and 0.7.18 (channel_binding: \"If set to require, the "
	"authentication process will fail if channel binding is not used\"); postgres-openssl 0.5.1 "
	"src/lib.rs (ChannelBinding::tls_server_end_point)"},

	/* PgBouncer as a client of the server: server_tls_sslmode. */
	{"pgbouncer", "disable", "library", "1.7", "2", NULL, ANYTHING, true, false, NULL,
		"server_tls_sslmode=disable: plaintext to whatever answers",
	"PgBouncer docs, configuration \"server_tls_sslmode\" (disable: \"Plain TCP.  TLS is not even "
	"requested from the server.\"); NEWS 1.7 (\"Support TLS connections\")"},
	{"pgbouncer", "require", "library", "1.7", "2", NULL, UNVERIFIED_TLS, false, false, NULL,
		"server_tls_sslmode=require: TLS without a certificate check, no plaintext fallback",
	"PgBouncer docs, configuration \"server_tls_sslmode\" (require: \"Connection must go over TLS.  If "
	"server rejects it, plain TCP is not attempted.  Server certificate is not validated.\")"},
	{"pgbouncer", "verify-full", "library", "1.7", "2", NULL, VERIFIES, false, false, NULL,
		"server_tls_sslmode=verify-full checks chain and host name against server_tls_ca_file; PgBouncer "
		"has no channel binding",
	"PgBouncer docs, configuration \"server_tls_sslmode\" (verify-full: \"Server host name must match "
	"certificate information\") and \"server_tls_ca_file\"; NEWS 1.12.0 (\"PgBouncer does not support "
	"channel binding\"); src/scram.c (client-first-message \"n,,\")"},
	{"pgbouncer", "hardened", "library", "1.7", "2", NULL, VERIFIES, false, false, NULL,
		"verify-full against the provider's root file only; PgBouncer has no channel binding",
	"PgBouncer docs, configuration \"server_tls_sslmode\" and \"server_tls_ca_file\" (\"Root certificate "
	"file to validate PostgreSQL server certificates\"); NEWS 1.12.0 (no channel binding)"},
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
 *		The entry for the row spec at the versions its probe reported
 *		(version: the library's; libpq: the libpq it runs on, or NULL;
 *		ca_store: the CA store its runtime reads, or NULL), or NULL when no
 *		entry covers them: the row is then unjudged.
 */
const DriverExpectation *
ptp_driver_expectation(const DriverSpec *spec, const char *version, const char *libpq,
					   const char *ca_store)
{
	for (int i = 0; i < n_driver_expectations; i++)
	{
		const DriverExpectation *e = &driver_expectations[i];
		const char *v;

		if (strcmp(e->driver, spec->probe) != 0 &&
			!(strcmp(e->driver, "libpq") == 0 && libpq != NULL && strcmp(e->component, "libpq") == 0))
			continue;
		if (strcmp(e->variant, spec->variant) != 0)
			continue;
		if (e->ca_store != NULL && (ca_store == NULL || strcmp(e->ca_store, ca_store) != 0))
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
