# common.py: what the Python probes share: the environment they read and
# the one JSON line they print.  Imported by psycopg2/, django/ and asyncpg/.
import json
import os
import sys

HOST = os.environ["PTP_HOST"]
PORT = os.environ["PTP_PORT"]
DBNAME = os.environ["PTP_DBNAME"]
USER = os.environ["PTP_USER"]
PASSWORD = os.environ["PTP_PASSWORD"]
APPNAME = os.environ["PTP_APPNAME"]
TIMEOUT = int(os.environ.get("PTP_TIMEOUT", "10"))
VARIANT = os.environ.get("PTP_VARIANT", "recipe")
# The guide's TLS keywords for the libpq-based clients (recipe), or none.
LIBPQ_TLS = {"sslmode": "verify-full", "sslrootcert": "system"} if VARIANT == "recipe" else {}

# The server's view of this session: the backend's own row of pg_stat_ssl.
SERVER_TLS_QUERY = "SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


def report(version, libpq=None, row=None, error=None):
    """Prints the probe's one JSON line; row is (ssl, version, cipher) when connected."""
    out = {
        "connected": row is not None,
        "server_ssl": row[0] if row else None,
        "server_tls_version": row[1] if row else None,
        "server_cipher": row[2] if row else None,
        "error": None if error is None else " ".join(str(error).split()),
        "version": version,
        "libpq": libpq,
    }
    print(json.dumps(out))


def unavailable(reason):
    print(json.dumps({"unavailable": reason}))
    sys.exit(0)
