# asyncpg with the guide's recommended configuration, quoted literally:
#   conn = await asyncpg.connect("postgresql://{username}:{password}@{host}:{port}/{databasename}?sslmode=verify-full")
# with the trust anchor in ~/.postgresql/root.crt, as the guide says (the
# harness gives the probe a throwaway HOME that has it).  application_name
# goes in server_settings so that an attacker proxy can tell this probe's
# startup from the others'.  The probe connects to each target of
# PTP_TARGETS in turn (../common.py), a new connection each, all on one
# event loop.
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from common import *  # noqa: E402,F403

try:
    import asyncpg
except ImportError as e:
    unavailable("asyncpg is not installed: %s" % e)

version = "asyncpg " + asyncpg.__version__
# generic: the guide's generic string; hardened: verify-full against
# the provider's root file, named (asyncpg has no channel binding).
query = {"recipe": "?sslmode=verify-full", "default": "",
         "sslrootcert": "?sslrootcert=" + os.environ["PTP_ROOT_CERT"],
         "generic": "?sslmode=verify-full&sslrootcert=system",
         "hardened": "?sslmode=verify-full&sslrootcert=" + os.environ["PTP_ROOT_CERT"]}[VARIANT]


async def probe(port, appname):
    """Returns the server's pg_stat_ssl row of a session on port."""
    dsn = "postgresql://%s:%s@%s:%s/%s%s" % (USER, PASSWORD, HOST, port, DBNAME, query)
    conn = await asyncpg.connect(dsn, timeout=TIMEOUT,
                                 server_settings={"application_name": appname})
    try:
        row = await conn.fetchrow(SERVER_TLS_QUERY)
        return (row[0], row[1], row[2])
    finally:
        await conn.close()


# asyncpg raises OSError, ssl.SSLError and its own errors: the class names which.
with asyncio.Runner() as runner:
    for_each_target(lambda port, appname: runner.run(probe(port, appname)), version,
                    describe=lambda e: "%s: %s" % (type(e).__name__, e))
