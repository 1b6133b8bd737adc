// Postgres.js with the guide's recommended configuration, quoted literally:
//   const sql = postgres({
//   host: {host}, port: {port}, database: {databasename},
//   user: {username}, password: {password},
//   ssl:true
//   });
// application_name is added (Postgres.js sends the "connection" object in
// the startup message) so that an attacker proxy can tell this probe's
// startup from the others'.
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

(async () => {
  // recipe: the guide's ssl:true; default: no ssl option; require-url: the
  // guide's alternative, ?sslmode=require in the URL; generic: the guide's
  // generic string; hardened: verify-full against the provider's root file
  // (Postgres.js has no channel binding); hardened-openssl-ca: ssl:true, the
  // row giving Node NODE_OPTIONS=--use-openssl-ca.
  const direct = { host: c.HOST, port: c.PORT, database: c.DBNAME, user: c.USER, password: c.PASSWORD };
  const url = {
    'require-url': c.requireUrl, generic: c.genericUrl, hardened: c.rootFileUrl,
  }[c.VARIANT];
  const sql = postgres(url ? url() : undefined, {
    ...(url ? {} : direct),
    ...(c.VARIANT === 'recipe' || c.VARIANT === 'hardened-openssl-ca' ? { ssl: true } : {}),
    connection: { application_name: c.APPNAME },
    connect_timeout: c.TIMEOUT,
    max: 1,
    onnotice: () => {},
  });
  let rows;
  try {
    rows = await sql.unsafe(c.SERVER_TLS_QUERY);
  } catch (e) {
    c.report(version, null, e);
    await sql.end({ timeout: 0 });
    return;
  }
  c.report(version, rows[0], null);
  await sql.end({ timeout: 1 });
})();
