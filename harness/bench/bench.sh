#!/bin/bash
# bench.sh: make bench.  Times the whole matrix from nothing (PKI, server,
# every case, teardown) and, side by side in the same invocation, the same
# connection attempts made by one psql process per case (same connection
# strings, same server query, same parallelism).  Reports both command
# lines, wall time, cases per second and the ratio; runs each ROUNDS times,
# alternating, and keeps each one's best, because this machine is noisy.
# The third engine of each round is the physical floor for connection-based
# checks: pgbench -C making the same number of verified TLS connections
# with SCRAM at the same parallelism against a throwaway server.
#
# usage: harness/bench/bench.sh [ROUNDS]   (default 3; JOBS=N to change --jobs)
set -euo pipefail

cd "$(dirname "$0")/../.."
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8
rounds=${1:-3}
jobs=${JOBS:-$(nproc)}

bash harness/scripts/install-deps.sh
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
probe=$("$PG_CONFIG" --bindir)/pg_tls_probe

libpq_cmd=("$probe" matrix --jobs "$jobs" --timing --format tap)
psql_cmd=("$probe" matrix --jobs "$jobs" --timing --engine psql)

# run NAME CMD...: wall time of one run, and its case-phase line
run() {
	local name=$1
	shift
	local t0 t1 err
	err=$(mktemp)
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>"$err"
	t1=$(date +%s.%N)
	echo "$name $(echo "$t1 - $t0" | bc 2>/dev/null || awk "BEGIN{print $t1 - $t0}") $(grep '^timing:' "$err")"
	rm -f "$err"
}

# pgbench_round CONNECTIONS: "pgbench SECONDS CONNECTIONS/s" for pgbench -C
# over verify-full TLS with SCRAM, the server started and removed here.
pgbench_round() {
	local dir out
	dir=$(mktemp -d /tmp/pg_tls_probe-bench.XXXXXX)
	chmod 755 "$dir"
	(
		trap '"$probe" cluster stop "$dir/c" >/dev/null 2>&1; rm -rf "$dir"' EXIT
		eval "$("$probe" cluster start "$dir/c" --pg-config "$PG_CONFIG")"
		echo 'SELECT 1;' >"$dir/select1.sql"
		out=$(pgbench -n -C -c "$jobs" -j "$jobs" -t $(($1 / jobs)) -f "$dir/select1.sql" \
			"host=localhost dbname=postgres sslmode=verify-full" 2>&1)
		echo "pgbench $(sed -n 's/^tps = \([0-9.]*\) (including reconnection times)$/\1/p' <<<"$out")"
	)
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for _ in $(seq 1 "$rounds"); do
	run libpq "${libpq_cmd[@]}" >>"$results"
	run psql "${psql_cmd[@]}" >>"$results"
	pgbench_round 1000 >>"$results"
done

best() { grep "^$1 " "$results" | sort -k2,2n | head -n 1; }
pgbench_tps=$(grep '^pgbench ' "$results" | sort -k2,2nr | head -n 1 | cut -d' ' -f2)
libpq=$(best libpq)
psql=$(best psql)
cases=$(echo "$libpq" | sed -n 's/.* \([0-9]*\) cases in .*/\1/p')
libpq_wall=$(echo "$libpq" | cut -d' ' -f2)
psql_wall=$(echo "$psql" | cut -d' ' -f2)
libpq_phase=$(echo "$libpq" | sed -n 's/.* cases in \([0-9.]*\) s.*/\1/p')
psql_phase=$(echo "$psql" | sed -n 's/.* cases in \([0-9.]*\) s.*/\1/p')

awk -v cases="$cases" -v lw="$libpq_wall" -v pw="$psql_wall" -v lp="$libpq_phase" -v pp="$psql_phase" \
	-v lc="${libpq_cmd[*]}" -v pc="${psql_cmd[*]}" -v rounds="$rounds" -v jobs="$jobs" -v pg="${pgbench_tps:-0}" 'BEGIN {
	printf "matrix benchmark: %d cases, --jobs %d, best of %d alternating rounds\n", cases, jobs, rounds
	printf "  in-process (libpq):  %s\n", lc
	printf "  one psql per case:   %s\n", pc
	printf "%-22s %10s %12s %17s %12s\n", "", "wall (s)", "cases/s", "connections (s)", "cases/s"
	printf "%-22s %10.2f %12.0f %17.2f %12.0f\n", "in-process (libpq)", lw, cases / lw, lp, cases / lp
	printf "%-22s %10.2f %12.0f %17.2f %12.0f\n", "one psql per case", pw, cases / pw, pp, cases / pp
	printf "ratio (psql / in-process): %.2fx whole run, %.2fx connection attempts alone\n", pw / lw, pp / lp
	printf "%-22s %10s %12s %17s %12.0f\n", "pgbench -C (TLS, SCRAM)", "", "", "", pg
	printf "goal: connection phase at least 80%% of pgbench -C: %s (%.0f%%)\n", \
		(pg > 0 && cases / lp >= 0.8 * pg ? "met" : "NOT met"), (pg > 0 ? 100 * cases / lp / pg : 0)
	printf "goal: whole matrix under 5 s: %s (%.2f s)\n", (lw < 5 ? "met" : "NOT met"), lw
}'

bash harness/bench/bench_audit.sh "$probe" "$rounds"
bash harness/bench/bench_extension.sh
