// common.js: what the Node.js probes share: the environment they read, the
// loop over the row's targets (PTP_TARGETS) and the JSON line each target
// prints.
'use strict';

const fs = require('fs');
const path = require('path');

const env = process.env;

exports.HOST = env.PTP_HOST;
exports.DBNAME = env.PTP_DBNAME;
exports.USER = env.PTP_USER;
exports.PASSWORD = env.PTP_PASSWORD;
exports.TIMEOUT = Number(env.PTP_TIMEOUT || '10');
exports.VARIANT = env.PTP_VARIANT || 'recipe';

exports.ROOT_CERT = env.PTP_ROOT_CERT;

// A URL to port with the query string tls and application_name appname
// (the password is hexadecimal: no escaping needed).
exports.url = function (tls, port, appname) {
  return `postgresql://${exports.USER}:${exports.PASSWORD}@${exports.HOST}:${port}/` +
    `${exports.DBNAME}?${tls}application_name=${appname}`;
};

// The URL the require-url variants give the client (the guide's
// alternative: sslmode=require in the connection string).
exports.requireUrl = (port, appname) => exports.url('sslmode=require&', port, appname);

// The guide's generic string (generic), and the hardened recipe's
// verify-full against the provider's root file, named (hardened).
exports.genericUrl = (port, appname) =>
  exports.url('sslmode=verify-full&sslrootcert=system&', port, appname);
exports.rootFileUrl = (port, appname) =>
  exports.url(`sslmode=verify-full&sslrootcert=${exports.ROOT_CERT}&`, port, appname);

// Which CAs this Node's TLS trusts by default: its bundled Mozilla list, or
// OpenSSL's default store (the OS's) when built --openssl-use-def-ca-store,
// as Debian builds it, or run with --use-openssl-ca.
// (configure's --openssl-use-def-ca-store leaves its define in process.config;
// the hardened-openssl-ca rows pass the option in NODE_OPTIONS.)
const defines = (process.config.target_defaults || {}).defines || [];
const caStore = defines.includes('NODE_OPENSSL_CERT_STORE') ||
  process.execArgv.includes('--use-openssl-ca') ||
  (env.NODE_OPTIONS || '').split(/\s+/).includes('--use-openssl-ca') ? 'openssl' : 'bundled';

// The server's view of this session: the backend's own row of pg_stat_ssl.
exports.SERVER_TLS_QUERY =
  'SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()';

// The installed version of an npm package of ../node (read from its
// package.json by path: packages with an "exports" map refuse to export it).
exports.packageVersion = function (name) {
  const file = path.join(__dirname, 'node_modules', name, 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
};

// Prints one target's JSON line; row is {ssl, version, cipher} when connected.
function report(column, version, row, error) {
  const text = error === undefined || error === null ? null
    : String(error && error.message ? `${error.code ? error.code + ': ' : ''}${error.message}` : error)
      .replace(/\s+/g, ' ');
  process.stdout.write(JSON.stringify({
    column,
    connected: !!row,
    server_ssl: row ? row.ssl : null,
    server_tls_version: row ? row.version : null,
    server_cipher: row ? row.cipher : null,
    error: text,
    version: `${version} (Node ${process.versions.node}, ${caStore} CAs)`,
    libpq: null,
    ca_store: caStore,
  }) + '\n');
}

// Runs probe(port, appname) for each entry of PTP_TARGETS, in order, and
// prints that target's line as soon as it is done: probe resolves to the
// server's pg_stat_ssl row, or rejects with that target's error (an Error,
// or the text describe makes of it), and the loop goes on with the next
// target.  Then exits: a failed target's client may leave a timer or
// socket behind that would keep Node alive.
exports.forEachTarget = async function (version, probe, describe = (e) => e) {
  for (const target of env.PTP_TARGETS.split(' ')) {
    const [column, port, appname] = target.split(':');
    try {
      report(column, version, await probe(Number(port), appname), null);
    } catch (e) {
      report(column, version, null, describe(e));
    }
  }
  process.exit(0);
};

exports.unavailable = function (reason) {
  process.stdout.write(JSON.stringify({ unavailable: reason }) + '\n');
  process.exit(0);
};
