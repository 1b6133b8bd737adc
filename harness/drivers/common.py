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
# The TLS keywords of the libpq-based clients: the guide's (recipe), the
# guide's generic string (generic: the same keywords, given as a URL where
# the client takes one, see GENERIC_URL), the hardened recipe (the OS store
# and channel binding required), the same with the provider's root file for
# libpq before 16 (hardened-rootfile), or none (default).
LIBPQ_TLS = {
    "recipe": {"sslmode": "verify-full", "sslrootcert": "system"},
    "generic": {"sslmode": "verify-full", "sslrootcert": "system"},
    "hardened": {"sslmode": "verify-full", "sslrootcert": "system", "channel_binding": "require"},
    "hardened-rootfile": {"sslmode": "verify-full", "sslrootcert": os.environ.get("PTP_ROOT_CERT", ""),
                          "channel_binding": "require"},
}.get(VARIANT, {})
# The guide's generic string as a URL (the password is hexadecimal: no
# escaping needed).
GENERIC_URL = "postgresql://%s:%s@%s:%s/%s?sslmode=verify-full&sslrootcert=system" % (
    USER, PASSWORD, HOST, PORT, DBNAME)

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
