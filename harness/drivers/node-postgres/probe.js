// node-postgres with the guide's recommended configuration, quoted literally:
//   const client = new Client({
//   host: {host}, port: {port}, database: {databasename},
//   user: {username}, password: {password},
//   ssl:true
//   });
// application_name is added so that an attacker proxy can tell this probe's
// startup from the others'.  The probe connects to each target of
// PTP_TARGETS in turn (../node/common.js), a new Client each.
'use strict';

const c = require('../node/common.js');
let pg;
try {
  pg = require('pg');
} catch (e) {
  c.unavailable(`pg is not installed (harness/scripts/install-drivers.sh): ${e.code}`);
}
const version = `pg ${c.packageVersion('pg')}`;

// pg-connection-string warns on stderr that sslmode=require means verify-full.
process.removeAllListeners('warning');

// Resolves to the server's pg_stat_ssl row of a session on port.
async function probe(port, appname) {
  // recipe: the guide's ssl:true; default: no ssl option; require-url: the
  // guide's alternative, ?sslmode=require in the connection string;
  // generic: the guide's generic string; hardened: verify-full against the
  // provider's root file, SCRAM-SHA-256-PLUS used (and a downgrade refused);
  // hardened-openssl-ca: ssl:true and channel binding, the row giving Node
  // NODE_OPTIONS=--use-openssl-ca.
  const direct = { host: c.HOST, port, database: c.DBNAME, user: c.USER, password: c.PASSWORD };
  const settings = {
    recipe: { ...direct, ssl: true },
    default: direct,
    'require-url': { connectionString: c.requireUrl(port, appname) },
    generic: { connectionString: c.genericUrl(port, appname) },
    hardened: { connectionString: c.rootFileUrl(port, appname), enableChannelBinding: true },
    'hardened-openssl-ca': { ...direct, ssl: true, enableChannelBinding: true },
  }[c.VARIANT];
  // pg-connection-string reads sslrootcert's file here: for "system" it
  // throws before any connection.
  const client = new pg.Client({
    ...settings,
    application_name: appname,
    connectionTimeoutMillis: c.TIMEOUT * 1000,
  });
  try {
    await client.connect();
    return (await client.query(c.SERVER_TLS_QUERY)).rows[0];
  } finally {
    await client.end();
  }
}

c.forEachTarget(version, probe);
