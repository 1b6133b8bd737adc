# psycopg2 with the guide's recommended parameters, quoted literally:
#   conn = psycopg2.connect(host={host},port={port},database={databasename},user={username},
#                           password={password},sslmode="verify-full",sslrootcert="system")
# (PTP_VARIANT=recipe), the guide's generic string as the dsn (generic),
# the hardened keywords of ../common.py, or none (default).
# application_name is added so that an attacker proxy can tell this probe's
# startup from the others'.
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
try:
    if VARIANT == "generic":
        conn = psycopg2.connect(GENERIC_URL, application_name=APPNAME, connect_timeout=TIMEOUT)
    else:
        conn = psycopg2.connect(host=HOST, port=PORT, database=DBNAME, user=USER,
                                password=PASSWORD, application_name=APPNAME,
                                connect_timeout=TIMEOUT, **LIBPQ_TLS)
except psycopg2.Error as e:
    report(version, libpq, error=e)
    sys.exit(0)
cur = conn.cursor()
cur.execute(SERVER_TLS_QUERY)
report(version, libpq, row=cur.fetchone())
conn.close()
