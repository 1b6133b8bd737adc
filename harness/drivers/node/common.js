// common.js: what the Node.js probes share: the environment they read and
// the one JSON line they print.
'use strict';

const fs = require('fs');
const path = require('path');

const env = process.env;

exports.HOST = env.PTP_HOST;
exports.PORT = Number(env.PTP_PORT);
exports.DBNAME = env.PTP_DBNAME;
exports.USER = env.PTP_USER;
exports.PASSWORD = env.PTP_PASSWORD;
exports.APPNAME = env.PTP_APPNAME;
exports.TIMEOUT = Number(env.PTP_TIMEOUT || '10');
exports.VARIANT = env.PTP_VARIANT || 'recipe';

exports.ROOT_CERT = env.PTP_ROOT_CERT;

// A URL with the query string tls (the password is hexadecimal: no
// escaping needed).
exports.url = function (tls) {
  return `postgresql://${exports.USER}:${exports.PASSWORD}@${exports.HOST}:${exports.PORT}/` +
    `${exports.DBNAME}?${tls}application_name=${exports.APPNAME}`;
};

// The URL the require-url variants give the client (the guide's
// alternative: sslmode=require in the connection string).
exports.requireUrl = () => exports.url('sslmode=require&');

// The guide's generic string (generic), and the hardened recipe's
// verify-full against the provider's root file, named (hardened).
exports.genericUrl = () => exports.url('sslmode=verify-full&sslrootcert=system&');
exports.rootFileUrl = () => exports.url(`sslmode=verify-full&sslrootcert=${exports.ROOT_CERT}&`);

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

// Prints the probe's one JSON line; row is {ssl, version, cipher} when connected.
exports.report = function (version, row, error) {
  const text = error === undefined || error === null ? null
    : String(error && error.message ? `${error.code ? error.code + ': ' : ''}${error.message}` : error)
      .replace(/\s+/g, ' ');
  process.stdout.write(JSON.stringify({
    connected: !!row,
    server_ssl: row ? row.ssl : null,
    server_tls_version: row ? row.version : null,
    server_cipher: row ? row.cipher : null,
    error: text,
    version: `${version} (Node ${process.versions.node}, ${caStore} CAs)`,
    libpq: null,
    ca_store: caStore,
  }) + '\n');
};

exports.unavailable = function (reason) {
  process.stdout.write(JSON.stringify({ unavailable: reason }) + '\n');
  process.exit(0);
};
