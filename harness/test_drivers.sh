#!/bin/bash
# test_drivers.sh: the drivers suite of `make test`.  Runs `pg_tls_probe
# drivers` when harness/install-drivers.sh has installed and built the
# clients; otherwise says what it skipped and why, since installing them
# takes minutes and `make test-drivers` is the place for that.
#
# usage: harness/test_drivers.sh PG_TLS_PROBE PG_CONFIG
set -euo pipefail

probe=$1
pg_config=$2
stamp="$(dirname "$0")/drivers/build/.installed"

if [ ! -f "$stamp" ]; then
	echo "# SKIP drivers: the clients are not installed (harness/install-drivers.sh, or make test-drivers)"
	echo "0 passed, 0 failed, 13 skipped"
	exit 0
fi
exec "$probe" drivers --format tap --pg-config "$pg_config" --drivers-dir "$(cd "$(dirname "$0")" && pwd)/drivers"
