#!/bin/bash
# test_drivers_pgbouncer.sh: the PgBouncer probe ends a refused cell at
# PgBouncer's first failed server connection, as TAP.
#
# usage: harness/t/test_drivers_pgbouncer.sh PG_TLS_PROBE PG_CONFIG
#
# PgBouncer keeps its client waiting (query_wait_timeout) while it retries a
# server connection that failed, so a refused cell used to last the whole
# timeout and say only "query_wait_timeout".  This runs the require and
# hardened rows (a refused strip column; refused wrong-host, untrusted-CA,
# expired, forge and strip columns) with a 10 s timeout and checks that
# every cell behaved as documented, that every refused one gives
# PgBouncer's reason (a TLS handshake error, "server refused SSL") and that
# each took well under the timeout.  Needs the probes of
# harness/scripts/install-drivers.sh and pgbouncer on PATH (else it skips);
# enters no chroot, but run it under flock
# /tmp/pg_tls_audit-chroot-drivers.lock like every drivers run.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/t/tap.sh"
probe=$1
pg_config=$2

if ! command -v pgbouncer >/dev/null 2>&1 || [ ! -f "$here/drivers/build/.installed" ]; then
	echo "# SKIP drivers-pgbouncer: no pgbouncer on PATH, or the clients are not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
work=$(mktemp -d /tmp/ptp-test-pgbouncer.XXXXXX) || exit 2
trap 'rm -rf "$work"' EXIT

"$probe" drivers --pg-config "$pg_config" --drivers-dir "$here/drivers" --timeout 10 \
	--filter pgbouncer-require,pgbouncer-hardened --format json >"$work/out.json" 2>"$work/err"
ok $? "pg_tls_probe drivers ran the PgBouncer rows with no deviation ($(head -c 200 "$work/err"))"

# One line per refused cell: "row column ms error".
/usr/bin/python3 - "$work/out.json" >"$work/refused" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1]))
for row in report["rows"]:
    for column, cell in row["columns"].items():
        if cell["observed"] == "refused":
            print(row["driver"], column, cell["ms"], cell["error"] or "")
PY
ok $? "the JSON report reads"
refused=$(wc -l <"$work/refused")
[ "$refused" -eq 6 ]
ok $? "six refused cells: the require row's strip, the hardened row's five attacks ($refused)"
while read -r row column ms error; do
	case "$error" in
		*"(pgbouncer log: TLS handshake error: "* | *"(pgbouncer log: closing because: server refused SSL"*) reason=0 ;;
		*) reason=1 ;;
	esac
	ok $reason "$row $column: refused with PgBouncer's reason ($error)"
	[ "$ms" -lt 5000 ]
	ok $? "$row $column: ended in less than half the 10 s timeout ($ms ms)"
done <"$work/refused"
tap_done
