#!/bin/bash
# testbed.sh: the project's test bed.  Installs what is missing, builds and
# installs pg_tls_audit and pg_tls_probe, starts a throwaway TLS cluster
# with `pg_tls_probe cluster start`, runs one job against it and always
# stops and removes the cluster, whether the job passed, failed or was
# interrupted.
#
# usage: harness/t/testbed.sh test   the regression suite (make test)
#        harness/t/testbed.sh demo   the functions on a plaintext, a TLS and a
#                                  client-certificate session (make demo)
set -euo pipefail

mode=${1:-}
case "$mode" in
	test|demo) ;;
	*) echo "usage: harness/t/testbed.sh test|demo" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/../.."
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8

bash harness/scripts/install-deps.sh
# With the test-only hooks (see Makefile): the suite signals a backend in
# the middle of a connection-log write.
make -s PG_CONFIG="$PG_CONFIG" PG_TLS_AUDIT_TEST_HOOKS=1 >/dev/null
make -s PG_CONFIG="$PG_CONFIG" PG_TLS_AUDIT_TEST_HOOKS=1 install >/dev/null
probe=$("$PG_CONFIG" --bindir)/pg_tls_probe

# The server runs as an unprivileged OS user, who must be able to reach the
# cluster directory: mktemp's 0700 would lock it out.
workdir=$(mktemp -d /tmp/pg_tls_audit.XXXXXX)
chmod 755 "$workdir"
cluster=$workdir/cluster
cleanup() {
	"$probe" cluster stop "$cluster" >/dev/null 2>&1 || true
	rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The demo preloads the library, to show 1.1's views; the suite's first
# cluster does not (its tests cover that case; testbed_preload.sh the other).
preload=()
if [ "$mode" = demo ]; then
	preload=(--conf "shared_preload_libraries = 'pg_tls_audit'")
fi
eval "$("$probe" cluster start "$cluster" --pg-config "$PG_CONFIG" "${preload[@]}")"

if [ "$mode" = demo ]; then
	bash harness/scripts/demo.sh
	exit 0
fi

# Each suite ends with an "N passed, N failed" line; add them up.
total_passed=0
total_failed=0
status=0
suite() {
	local name=$1
	shift
	local out="$workdir/$name.out"
	local rc=0

	echo "== $name"
	"$@" >"$out" 2>&1 || rc=$?
	cat "$out"
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -n "$line" ]; then
		total_passed=$((total_passed + $(echo "$line" | cut -d' ' -f1)))
		total_failed=$((total_failed + $(echo "$line" | cut -d' ' -f3)))
	fi
	if [ $rc -ne 0 ]; then
		echo "== $name FAILED (exit $rc)"
		status=1
	fi
}

installcheck() {
	local rc=0
	local log="$workdir/pg_regress.log"

	make -s PG_CONFIG="$PG_CONFIG" installcheck >"$log" 2>&1 || rc=$?
	cat "$log"
	if [ $rc -ne 0 ] && [ -f regression.diffs ]; then
		cat regression.diffs
	fi
	echo "$(grep -cE '^ok |^test .* \.\.\. ok' "$log") passed, $(grep -cE '\.\.\. FAILED|^not ok ' "$log") failed"
	return $rc
}

suite installcheck installcheck
suite expectation-model harness/expectations_test
suite matrix "$probe" matrix --format tap --pg-config "$PG_CONFIG"
suite cli bash harness/t/test_cli.sh "$probe"
suite docs bash harness/t/test_docs.sh "$probe" "$PG_CONFIG"
suite preload bash harness/t/testbed_preload.sh "$probe"
suite conn-log bash harness/t/test_conn_log.sh "$probe"
suite search-path bash harness/t/test_search_path.sh "$probe"
suite policy-settings bash harness/t/test_policy_settings.sh "$probe"
suite audit bash harness/t/test_audit.sh "$probe"
suite audit-wire bash harness/t/test_audit_wire.sh "$probe"
suite audit-messages bash harness/t/test_audit_messages.sh "$probe"
suite audit-credentials bash harness/t/test_audit_credentials.sh "$probe"
suite audit-middlebox bash harness/t/test_audit_middlebox.sh "$probe"
suite audit-redact bash harness/t/test_audit_redact.sh "$probe"
suite links bash harness/t/test_links_sql.sh "$probe"
suite replication bash harness/t/test_replication.sh "$probe"
suite pooler-links bash harness/t/test_pooler_links.sh "$probe"
suite files bash harness/t/test_files.sh "$probe"
suite exporter bash harness/t/test_exporter.sh "$probe"
suite odd-certs bash harness/t/test_odd_certs.sh "$probe"
suite drivers-output bash harness/t/test_drivers_output.sh "$probe" "$PG_CONFIG"
suite drivers-pgbouncer bash harness/t/test_drivers_pgbouncer.sh "$probe" "$PG_CONFIG"
suite drivers bash harness/t/test_drivers.sh "$probe" "$PG_CONFIG"

echo "all suites: $total_passed passed, $total_failed failed"
exit $status
