// Postgres.js with the guide's recommended configuration, quoted literally:
//   const sql = postgres({
//   host: {host}, port: {port}, database: {databasename},
//   user: {username}, password: {password},
//   ssl:true
//   });
// application_name is added (Postgres.js sends the "connection" object in
// the startup message) so that an attacker proxy can tell this probe's
// startup from the others'.  The probe connects to each target of
// PTP_TARGETS in turn (../node/common.js), a new postgres() instance each.
'use strict';

const c = require('../node/common.js');
let postgres;
try {
  // Postgres.js 4 is an ES module: require() gives its namespace.
  postgres = require('postgres');
  postgres = postgres.default || postgres;
} catch (e) {
  c.unavailable(`postgres is not installed (harness/scripts/install-drivers.sh): ${e.code}`);
}
const version = `postgres ${c.packageVersion('postgres')}`;

// recipe: the guide's ssl:true; default: no ssl option; require-url: the
// guide's alternative, ?sslmode=require in the URL; generic: the guide's
// generic string; hardened: verify-full against the provider's root file
// and channel_binding=require (Postgres.js binds SCRAM to the certificate
// from 4.0); hardened-openssl-ca: ssl:true and channel_binding 'require',
// the row giving Node NODE_OPTIONS=--use-openssl-ca.
const url = {
  'require-url': c.requireUrl, generic: c.genericUrl,
  hardened: (port, appname) =>
    c.url(`sslmode=verify-full&sslrootcert=${c.ROOT_CERT}&channel_binding=require&`, port, appname),
}[c.VARIANT];

// Resolves to the server's pg_stat_ssl row of a session on port.
async function probe(port, appname) {
  const direct = { host: c.HOST, port, database: c.DBNAME, user: c.USER, password: c.PASSWORD };
  const sql = postgres(url ? url(port, appname) : undefined, {
    ...(url ? {} : direct),
    ...(c.VARIANT === 'recipe' || c.VARIANT === 'hardened-openssl-ca' ? { ssl: true } : {}),
    ...(c.VARIANT === 'hardened-openssl-ca' ? { channel_binding: 'require' } : {}),
    connection: { application_name: appname },
    connect_timeout: c.TIMEOUT,
    max: 1,
    onnotice: () => {},
  });
  try {
    return (await sql.unsafe(c.SERVER_TLS_QUERY))[0];
  } finally {
    await sql.end({ timeout: 1 });
  }
}

c.forEachTarget(version, probe);
