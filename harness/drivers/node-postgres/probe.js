// node-postgres with the guide's recommended configuration, quoted literally:
//   const client = new Client({
//   host: {host}, port: {port}, database: {databasename},
//   user: {username}, password: {password},
//   ssl:true
//   });
// application_name is added so that an attacker proxy can tell this probe's
// startup from the others'.
'use strict';

const c = require('../node/common.js');
let pg;
try {
  pg = require('pg');
} catch (e) {
  c.unavailable(`pg is not installed (harness/scripts/install-drivers.sh): ${e.code}`);
}
const version = `pg ${c.packageVersion('pg')}`;

(async () => {
  // recipe: the guide's ssl:true; default: no ssl option; require-url: the
  // guide's alternative, ?sslmode=require in the connection string.
  const settings = {
    recipe: { host: c.HOST, port: c.PORT, database: c.DBNAME, user: c.USER, password: c.PASSWORD, ssl: true },
    default: { host: c.HOST, port: c.PORT, database: c.DBNAME, user: c.USER, password: c.PASSWORD },
    'require-url': { connectionString: c.requireUrl() },
  }[c.VARIANT];
  // pg-connection-string warns on stderr that sslmode=require means verify-full.
  process.removeAllListeners('warning');
  const client = new pg.Client({
    ...settings,
    application_name: c.APPNAME,
    connectionTimeoutMillis: c.TIMEOUT * 1000,
  });
  try {
    await client.connect();
  } catch (e) {
    c.report(version, null, e);
    return;
  }
  const res = await client.query(c.SERVER_TLS_QUERY);
  c.report(version, res.rows[0], null);
  await client.end();
})();
