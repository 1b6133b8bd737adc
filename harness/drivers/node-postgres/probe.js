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
  // guide's alternative, ?sslmode=require in the connection string;
  // generic: the guide's generic string; hardened: verify-full against the
  // provider's root file, SCRAM-SHA-256-PLUS used (and a downgrade refused);
  // hardened-openssl-ca: ssl:true and channel binding, the row giving Node
  // NODE_OPTIONS=--use-openssl-ca.
  const direct = { host: c.HOST, port: c.PORT, database: c.DBNAME, user: c.USER, password: c.PASSWORD };
  const settings = {
    recipe: { ...direct, ssl: true },
    default: direct,
    'require-url': { connectionString: c.requireUrl() },
    generic: { connectionString: c.genericUrl() },
    hardened: { connectionString: c.rootFileUrl(), enableChannelBinding: true },
    'hardened-openssl-ca': { ...direct, ssl: true, enableChannelBinding: true },
  }[c.VARIANT];
  // pg-connection-string warns on stderr that sslmode=require means verify-full.
  process.removeAllListeners('warning');
  let client;
  try {
    // pg-connection-string reads sslrootcert's file here: for "system" it
    // throws before any connection.
    client = new pg.Client({
      ...settings,
      application_name: c.APPNAME,
      connectionTimeoutMillis: c.TIMEOUT * 1000,
    });
    await client.connect();
  } catch (e) {
    c.report(version, null, e);
    return;
  }
  const res = await client.query(c.SERVER_TLS_QUERY);
  c.report(version, res.rows[0], null);
  await client.end();
})();
