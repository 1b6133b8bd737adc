# psycopg 3 with the guide's psycopg2 keywords (the guide has no psycopg 3
# section; psycopg 3 takes the same libpq keywords):
#   psycopg.connect(host={host},port={port},dbname={databasename},user={username},
#                   password={password},sslmode="verify-full",sslrootcert="system")
# (PTP_VARIANT=recipe), the guide's generic string as the conninfo
# (generic), the hardened keywords of ../common.py, or none (default).  application_name
# is added so that an attacker proxy can tell this probe's startup from the
# others'.  The probe connects to each target of PTP_TARGETS in turn
# (../common.py), a new connection each.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from common import *  # noqa: E402,F403

try:
    import psycopg
except ImportError as e:
    unavailable("psycopg 3 is not installed: %s" % e)

version = "psycopg " + psycopg.__version__
lv = psycopg.pq.version()
libpq = "%d.%d" % (lv // 10000, lv % 10000)


def probe(port, appname):
    """Returns the server's pg_stat_ssl row of a session on port."""
    if VARIANT == "generic":
        conn = psycopg.connect(generic_url(port), application_name=appname, connect_timeout=TIMEOUT)
    else:
        conn = psycopg.connect(host=HOST, port=port, dbname=DBNAME, user=USER, password=PASSWORD,
                               application_name=appname, connect_timeout=TIMEOUT, **LIBPQ_TLS)
    with conn:  # closes it
        return conn.execute(SERVER_TLS_QUERY).fetchone()


for_each_target(probe, version, libpq)
