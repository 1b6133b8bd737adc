# asyncpg with the guide's recommended configuration, quoted literally:
#   conn = await asyncpg.connect("postgresql://{username}:{password}@{host}:{port}/{databasename}?sslmode=verify-full")
# with the trust anchor in ~/.postgresql/root.crt, as the guide says (the
# harness gives the probe a throwaway HOME that has it).  application_name
# goes in server_settings so that an attacker proxy can tell this probe's
# startup from the others'.
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


async def main():
    # generic: the guide's generic string; hardened: verify-full against
    # the provider's root file, named (asyncpg has no channel binding).
    query = {"recipe": "?sslmode=verify-full", "default": "",
             "sslrootcert": "?sslrootcert=" + os.environ["PTP_ROOT_CERT"],
             "generic": "?sslmode=verify-full&sslrootcert=system",
             "hardened": "?sslmode=verify-full&sslrootcert=" + os.environ["PTP_ROOT_CERT"]}[VARIANT]
    dsn = "postgresql://%s:%s@%s:%s/%s%s" % (USER, PASSWORD, HOST, PORT, DBNAME, query)
    try:
        conn = await asyncpg.connect(dsn, timeout=TIMEOUT,
                                     server_settings={"application_name": APPNAME})
    except Exception as e:  # asyncpg raises OSError, ssl.SSLError and its own errors
        report(version, error="%s: %s" % (type(e).__name__, e))
        return
    row = await conn.fetchrow(SERVER_TLS_QUERY)
    report(version, row=(row[0], row[1], row[2]))
    await conn.close()

asyncio.run(main())
