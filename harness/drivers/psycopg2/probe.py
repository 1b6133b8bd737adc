# psycopg2 with the guide's recommended parameters, quoted literally:
#   conn = psycopg2.connect(host={host},port={port},database={databasename},user={username},
#                           password={password},sslmode="verify-full",sslrootcert="system")
# (PTP_VARIANT=recipe), the guide's generic string as the dsn (generic),
# the hardened keywords of ../common.py, or none (default).
# application_name is added so that an attacker proxy can tell this probe's
# startup from the others'.  The probe connects to each target of
# PTP_TARGETS in turn (../common.py), a new connection each.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from common import *  # noqa: E402,F403

try:
    import psycopg2
except ImportError as e:
    unavailable("psycopg2 is not installed: %s" % e)

version = "psycopg2 " + psycopg2.__version__.split()[0]
lv = psycopg2.extensions.libpq_version()
libpq = "%d.%d" % (lv // 10000, lv % 10000)


def probe(port, appname):
    """Returns the server's pg_stat_ssl row of a session on port."""
    if VARIANT == "generic":
        conn = psycopg2.connect(generic_url(port), application_name=appname, connect_timeout=TIMEOUT)
    else:
        conn = psycopg2.connect(host=HOST, port=port, database=DBNAME, user=USER,
                                password=PASSWORD, application_name=appname,
                                connect_timeout=TIMEOUT, **LIBPQ_TLS)
    try:
        cur = conn.cursor()
        cur.execute(SERVER_TLS_QUERY)
        return cur.fetchone()
    finally:
        conn.close()


for_each_target(probe, version, libpq)
