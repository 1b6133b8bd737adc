#!/bin/bash
# bench_extension.sh: pg_tls_audit's own costs, for make bench (called at
# the end of harness/bench/bench.sh; runs on its own too).
#
#   1. TLS connections per second to one throwaway cluster with pg_tls_audit
#      in shared_preload_libraries and its policy on (require_tls,
#      min_protocol TLSv1.2, a client certificate required of the role),
#      against the same cluster restarted without it.  The two
#      configurations alternate, ROUNDS times each, every round after a
#      restart and a warm-up; pgbench -C opens one TLS connection per
#      transaction (client certificate, cert authentication).
#      Goal: at least 98 % of the rate without the library.
#   2. SELECT * FROM tls_session() against the equivalent contrib/sslinfo
#      calls (ssl_is_used, ssl_version, ssl_cipher, ssl_client_cert_present),
#      per statement over one TLS connection (pgbench -M prepared), and per
#      call inside the server (N calls in one statement).
#      Goal: at most 1.2x the sslinfo time.
#   3. SELECT * FROM tls_audit() inside the server (EXPLAIN ANALYZE of one
#      call, AUDIT_CALLS times over one connection as a superuser, median),
#      against one full default run of testssl.sh (--starttls postgres)
#      against the same server: what the scanner takes to see the wire,
#      and what the extension takes to compute it from the settings.
#      BENCH_TESTSSL=0 leaves testssl.sh out (it takes about 90 s); when
#      it is not installed, the line says so (apt-get install testssl.sh).
#
# usage: harness/bench/bench_extension.sh [ROUNDS]   (default 5; SECONDS_PER_RUN=N
#        for each pgbench run, default 6)
#        harness/bench/bench_extension.sh --tls-audit-only   (part 3 alone)
set -euo pipefail

cd "$(dirname "$0")/../.."
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8
only_audit=false
if [ "${1:-}" = --tls-audit-only ]; then
	only_audit=true
	shift
fi
rounds=${1:-5}
per_run=${SECONDS_PER_RUN:-6}
calls=200000

make -s PG_CONFIG="$PG_CONFIG" >/dev/null
make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
probe=$("$PG_CONFIG" --bindir)/pg_tls_probe
bindir=$("$PG_CONFIG" --bindir)

work=$(mktemp -d /tmp/pg_tls_audit-bench.XXXXXX)
chmod 755 "$work"
cluster=$work/cluster
cleanup() {
	"$probe" cluster stop "$cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

eval "$("$probe" cluster start "$cluster" --pg-config "$PG_CONFIG" \
	--hba "hostssl all tls_client 127.0.0.1/32 cert" \
	--hba "hostssl all tls_client ::1/128 cert")"
data=$PG_TLS_PROBE_CLUSTER/data
pguser=$(stat -c %U "$data")
admin() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres "$@"
}
admin -c "CREATE EXTENSION pg_tls_audit" -c "CREATE EXTENSION sslinfo" 2>/dev/null

# configure with|without: restart the cluster with or without the library
# and its policy.
configure() {
	if [ "$1" = with ]; then
		admin -c "LOAD 'pg_tls_audit'" \
			-c "ALTER SYSTEM SET shared_preload_libraries = 'pg_tls_audit'" \
			-c "ALTER SYSTEM SET pg_tls_audit.require_tls = on" \
			-c "ALTER SYSTEM SET pg_tls_audit.min_protocol = 'TLSv1.2'" \
			-c "ALTER SYSTEM SET pg_tls_audit.require_client_certificate = 'tls_client'"
	else
		admin -c "ALTER SYSTEM RESET ALL"
	fi
	local as=()
	[ "$(id -u)" = 0 ] && as=(runuser -u "$pguser" --)
	"${as[@]}" env -i PATH="$bindir:/usr/bin:/bin" LC_ALL=C \
		"$bindir/pg_ctl" -D "$data" -l "$PG_TLS_PROBE_CLUSTER/postgresql.log" -w -t 60 restart >/dev/null
	[ "$(admin -c "SELECT count(*) FROM pg_settings WHERE name = 'pg_tls_audit.require_tls' AND setting = 'on'")" = \
		"$([ "$1" = with ] && echo 1 || echo 0)" ]
}

# bench_tls_audit: part 3, on the cluster as it is.
audit_calls=${AUDIT_CALLS:-51}
bench_tls_audit() {
	local i audit_ms testssl_s="" testssl_note="" t0 t1 rc testssl_cmd
	for i in $(seq 1 "$audit_calls"); do
		echo 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) SELECT * FROM tls_audit();'
	done >"$work/tls_audit.sql"
	audit_ms=$(admin -f "$work/tls_audit.sql" | sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p' |
		sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	testssl_cmd=(testssl --quiet --color 0 --warnings batch -n none --starttls postgres "127.0.0.1:$PGPORT")
	if [ "${BENCH_TESTSSL:-1}" = 0 ]; then
		testssl_note="left out (BENCH_TESTSSL=0)"
	elif ! command -v testssl >/dev/null 2>&1; then
		testssl_note="not installed (apt-get install testssl.sh)"
	else
		t0=$(date +%s.%N)
		rc=0
		(cd "$work" && "${testssl_cmd[@]}" >"$work/testssl.out" 2>&1) || rc=$?
		t1=$(date +%s.%N)
		if grep -q '^ Done ' "$work/testssl.out"; then
			testssl_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
		else
			testssl_note="did not finish (exit $rc): $(tail -n 1 "$work/testssl.out")"
		fi
	fi
	awk -v n="$audit_calls" -v ms="$audit_ms" -v ts="$testssl_s" -v note="$testssl_note" \
		-v cmd="${testssl_cmd[*]}" -v pg="$(admin -c 'SHOW server_version' | sed 's/ .*//')" 'BEGIN {
		printf "\ntls_audit() against a scanner, the same server (PostgreSQL %s)\n", pg
		printf "  in the server:  EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM tls_audit();  %d calls, median\n", n
		printf "  on the wire:    %s  (one full default run)\n", cmd
		printf "%-36s %14s %14s %8s\n", "", "tls_audit()", "testssl.sh", "ratio"
		if (ts != "")
			printf "%-36s %14.2f %14.0f %7.0fx\n", "one audit (ms)", ms, ts * 1000, ts * 1000 / ms
		else
			printf "%-36s %14.2f %14s   testssl.sh %s\n", "one audit (ms)", ms, "-", note
	}'
}
if $only_audit; then
	bench_tls_audit
	exit 0
fi

conninfo="host=localhost dbname=postgres user=tls_client sslmode=verify-full sslcert=$PG_TLS_PROBE_PKI/client.crt sslkey=$PG_TLS_PROBE_PKI/client.key"
echo 'SELECT 1;' >"$work/select1.sql"
connect_cmd=(pgbench -n -C -c 4 -j 2 -T "$per_run" -f "$work/select1.sql" "$conninfo")

# tps ARGS...: pgbench's transactions per second (one connection each).
tps() {
	pgbench "$@" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}

results=$work/results
for _ in $(seq 1 "$rounds"); do
	for config in with without; do
		configure "$config"
		pgbench -n -C -c 4 -j 2 -t 25 -f "$work/select1.sql" "$conninfo" >/dev/null 2>&1
		echo "connect_$config $(tps "${connect_cmd[@]:1}")" >>"$results"
	done
done

# The function calls, on the last configuration (the library's functions do
# not depend on preloading).
echo 'SELECT * FROM tls_session();' >"$work/tls_session.sql"
echo 'SELECT ssl_is_used(), ssl_version(), ssl_cipher(), ssl_client_cert_present();' >"$work/sslinfo.sql"
stmt_cmd=(pgbench -n -M prepared -c 1 -T "$per_run" -f FILE "$conninfo")
in_server_tls="SELECT count(t) FROM (SELECT tls_session() AS t FROM generate_series(1, $calls)) x"
in_server_sslinfo="SELECT count(r) FROM (SELECT ROW(ssl_is_used(), ssl_version(), ssl_cipher(), ssl_client_cert_present()) AS r FROM generate_series(1, $calls)) x"
# latency_us FILE: microseconds per statement.
latency_us() {
	pgbench -n -M prepared -c 1 -T "$per_run" -f "$1" "$conninfo" 2>/dev/null |
		sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' | awk '{ printf "%.2f", $1 * 1000 }'
}
# server_ns QUERY: nanoseconds per row of QUERY, as EXPLAIN ANALYZE measures
# it in the server, over one TLS connection.
server_ns() {
	psql -X -At "$conninfo" -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $1" |
		sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p' | awk -v n="$calls" '{ printf "%.1f", $1 * 1e6 / n }'
}
for _ in $(seq 1 "$rounds"); do
	echo "stmt_tls $(latency_us "$work/tls_session.sql")" >>"$results"
	echo "stmt_sslinfo $(latency_us "$work/sslinfo.sql")" >>"$results"
	echo "call_tls $(server_ns "$in_server_tls")" >>"$results"
	echo "call_sslinfo $(server_ns "$in_server_sslinfo")" >>"$results"
done

# best NAME max|min, median NAME
best() {
	if [ "$2" = max ]; then
		grep "^$1 " "$results" | cut -d' ' -f2 | sort -g | tail -n 1
	else
		grep "^$1 " "$results" | cut -d' ' -f2 | sort -g | head -n 1
	fi
}
median() {
	grep "^$1 " "$results" | cut -d' ' -f2 | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

awk -v rounds="$rounds" -v per_run="$per_run" -v calls="$calls" \
	-v cw="$(best connect_with max)" -v cwo="$(best connect_without max)" \
	-v mw="$(median connect_with)" -v mwo="$(median connect_without)" \
	-v st="$(best stmt_tls min)" -v ss="$(best stmt_sslinfo min)" \
	-v ct="$(best call_tls min)" -v cs="$(best call_sslinfo min)" \
	-v connect_cmd="${connect_cmd[*]}" -v stmt_cmd="${stmt_cmd[*]}" \
	-v tls_q="$in_server_tls" -v ssl_q="$in_server_sslinfo" 'BEGIN {
	printf "\npg_tls_audit benchmark: %d alternating rounds of %d s each (restart and warm-up before every round)\n", rounds, per_run
	printf "  TLS connections:  %s\n", connect_cmd
	printf "    with:    shared_preload_libraries = pg_tls_audit, require_tls = on, min_protocol = TLSv1.2,\n"
	printf "             require_client_certificate = tls_client (the same cluster, restarted)\n"
	printf "    without: shared_preload_libraries = (none)\n"
	printf "%-36s %14s %14s %8s\n", "", "with", "without", "ratio"
	printf "%-36s %14.1f %14.1f %7.1f%%\n", "TLS connections/s (best)", cw, cwo, 100 * cw / cwo
	printf "%-36s %14.1f %14.1f %7.1f%%\n", "TLS connections/s (median)", mw, mwo, 100 * mw / mwo
	printf "goal: with the library and its policy, at least 98%% of the rate without: %s (best %.1f%%, median %.1f%%)\n\n",
		(cw / cwo >= 0.98 ? "met" : "NOT met"), 100 * cw / cwo, 100 * mw / mwo
	printf "  per statement:  %s  (FILE: SELECT * FROM tls_session(); or the sslinfo calls)\n", stmt_cmd
	printf "  per call:       EXPLAIN ANALYZE %s\n", tls_q
	printf "                  EXPLAIN ANALYZE %s\n", ssl_q
	printf "%-36s %14s %14s %8s\n", "", "tls_session()", "sslinfo x4", "ratio"
	printf "%-36s %14.2f %14.2f %7.2fx\n", "per statement, round trip (us, best)", st, ss, st / ss
	printf "%-36s %14.1f %14.1f %7.2fx\n", "per call, in the server (ns, best)", ct, cs, ct / cs
	printf "goal: SELECT * FROM tls_session() at most 1.2x the sslinfo calls: %s (%.2fx per statement, %.2fx per call in the server)\n",
		(st / ss <= 1.2 ? "met" : "NOT met"), st / ss, ct / cs
}'

bench_tls_audit
