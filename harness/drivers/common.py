# common.py: what the Python probes share: the environment they read, the
# loop over the row's targets (PTP_TARGETS) and the JSON line each target
# prints.  Imported by psycopg2/, psycopg/, django/ and asyncpg/.
import json
import os
import sys

HOST = os.environ["PTP_HOST"]
DBNAME = os.environ["PTP_DBNAME"]
USER = os.environ["PTP_USER"]
PASSWORD = os.environ["PTP_PASSWORD"]
TIMEOUT = int(os.environ.get("PTP_TIMEOUT", "10"))
VARIANT = os.environ.get("PTP_VARIANT", "recipe")
# The TLS keywords of the libpq-based clients: the guide's (recipe), the
# guide's generic string (generic: the same keywords, given as a URL where
# the client takes one, see generic_url), the hardened recipe (the OS store
# and channel binding required), the same with the provider's root file for
# libpq before 16 (hardened-rootfile), or none (default).
LIBPQ_TLS = {
    "recipe": {"sslmode": "verify-full", "sslrootcert": "system"},
    "generic": {"sslmode": "verify-full", "sslrootcert": "system"},
    "hardened": {"sslmode": "verify-full", "sslrootcert": "system", "channel_binding": "require"},
    "hardened-rootfile": {"sslmode": "verify-full", "sslrootcert": os.environ.get("PTP_ROOT_CERT", ""),
                          "channel_binding": "require"},
}.get(VARIANT, {})

# The server's view of this session: the backend's own row of pg_stat_ssl.
SERVER_TLS_QUERY = "SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


def generic_url(port):
    """Returns the guide's generic string as a URL to port (the password is
    hexadecimal: no escaping needed)."""
    return "postgresql://%s:%s@%s:%s/%s?sslmode=verify-full&sslrootcert=system" % (
        USER, PASSWORD, HOST, port, DBNAME)


def for_each_target(probe, version, libpq=None, describe=str):
    """Runs probe(port, appname) for each entry of PTP_TARGETS, in order,
    and prints that target's JSON line as soon as it is done.  probe returns
    the server's (ssl, version, cipher) row, or raises: any exception is
    that target's error, as describe(exception) words it, and the loop goes
    on with the next target."""
    for target in os.environ["PTP_TARGETS"].split(" "):
        column, port, appname = target.split(":")
        row, error = None, None
        try:
            row = probe(port, appname)
        except Exception as e:  # every client's own errors, and its bugs
            error = " ".join(describe(e).split())
        print(json.dumps({
            "column": column,
            "connected": row is not None,
            "server_ssl": row[0] if row else None,
            "server_tls_version": row[1] if row else None,
            "server_cipher": row[2] if row else None,
            "error": error,
            "version": version,
            "libpq": libpq,
        }), flush=True)


def unavailable(reason):
    print(json.dumps({"unavailable": reason}))
    sys.exit(0)
