# psycopg 3 with the guide's psycopg2 keywords (the guide has no psycopg 3
# section; psycopg 3 takes the same libpq keywords):
#   psycopg.connect(host={host},port={port},dbname={databasename},user={username},
#                   password={password},sslmode="verify-full",sslrootcert="system")
# (PTP_VARIANT=recipe), the guide's generic string as the conninfo
# (generic), the hardened keywords of ../common.py, or none (default).  application_name
# is added so that an attacker proxy can tell this probe's startup from the
# others'.
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
try:
    if VARIANT == "generic":
        conn = psycopg.connect(GENERIC_URL, application_name=APPNAME, connect_timeout=TIMEOUT)
    else:
        conn = psycopg.connect(host=HOST, port=PORT, dbname=DBNAME, user=USER, password=PASSWORD,
                               application_name=APPNAME, connect_timeout=TIMEOUT, **LIBPQ_TLS)
except psycopg.Error as e:
    report(version, libpq, error=e)
    sys.exit(0)
with conn:
    row = conn.execute(SERVER_TLS_QUERY).fetchone()
report(version, libpq, row=row)
