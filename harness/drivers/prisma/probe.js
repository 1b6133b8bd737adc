// Prisma with the guide's recommended connection string, quoted literally:
//   DATABASE_URL=postgresql://{username}:{password}@{host}:{port}/{databasename}?sslmode=require&sslaccept=strict
// Prisma 7 has no built-in driver any more: the client runs on a driver
// adapter, here @prisma/adapter-pg, which hands the URL to node-postgres.
// So the guide's "built-in PostgreSQL driver" no longer exists, and what the
// URL does is what node-postgres's connection-string parser makes of it:
// sslaccept is not one of its parameters.  PTP_PRISMA_SSLACCEPT replaces
// "strict" to show that (run by hand; the harness always uses the guide's
// URL).  application_name and connect_timeout are appended so that an
// attacker proxy can tell this probe's startup from the others' and a
// silent peer cannot hang it; node-postgres ignores connect_timeout, so the
// adapter is also given connectionTimeoutMillis (without it a peer that
// never answers held the probe until the harness killed it).  The probe
// connects to each target of PTP_TARGETS in turn (../node/common.js), a new
// PrismaClient and adapter each, disconnected before the next.
'use strict';

const path = require('path');
const c = require('../node/common.js');

let PrismaClient, PrismaPg;
try {
  ({ PrismaPg } = require('@prisma/adapter-pg'));
  ({ PrismaClient } = require(path.join(process.env.PTP_BUILD_DIR || '', 'prisma', 'client')));
} catch (e) {
  c.unavailable(`Prisma client not installed or not generated (harness/scripts/install-drivers.sh): ${e.code}`);
}
const version = `prisma ${c.packageVersion('prisma')} (@prisma/client ${c.packageVersion('@prisma/client')}, @prisma/adapter-pg ${c.packageVersion('@prisma/adapter-pg')}, pg ${c.packageVersion('pg')})`;

const sslaccept = process.env.PTP_PRISMA_SSLACCEPT || 'strict';
// generic: the guide's generic string; hardened: verify-full against the
// provider's root file, with channel binding (the adapter's options are
// node-postgres's); hardened-openssl-ca: verify-full, the row giving Node
// NODE_OPTIONS=--use-openssl-ca.
const tls = {
  recipe: `sslmode=require&sslaccept=${sslaccept}&`,
  generic: 'sslmode=verify-full&sslrootcert=system&',
  hardened: `sslmode=verify-full&sslrootcert=${c.ROOT_CERT}&`,
  'hardened-openssl-ca': 'sslmode=verify-full&',
}[c.VARIANT] || '';
const hardened = c.VARIANT.startsWith('hardened') ? { enableChannelBinding: true } : {};
// node-postgres warns on stderr that sslmode=require means verify-full.
process.removeAllListeners('warning');

// Resolves to the server's pg_stat_ssl row of a session on port.
async function probe(port, appname) {
  const DATABASE_URL = `${c.url(tls, port, appname)}&connect_timeout=${c.TIMEOUT}`;
  const adapter = new PrismaPg({
    connectionString: DATABASE_URL, connectionTimeoutMillis: c.TIMEOUT * 1000, ...hardened,
  });
  const prisma = new PrismaClient({ adapter });
  try {
    return (await prisma.$queryRawUnsafe(c.SERVER_TLS_QUERY))[0];
  } finally {
    await prisma.$disconnect().catch(() => {});
  }
}

// Prisma's errors name their class and keep the driver's error as the cause.
c.forEachTarget(version, probe,
  (e) => `${e.name}: ${e.message}${e.cause && e.cause.message ? ` (${e.cause.message})` : ''}`);
