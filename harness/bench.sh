#!/bin/bash
# bench.sh: make bench.  Times the whole matrix from nothing (PKI, server,
# every case, teardown) and, side by side in the same invocation, the same
# connection attempts made by one psql process per case (same connection
# strings, same server query, same parallelism).  Reports both command
# lines, wall time, cases per second and the ratio; runs each ROUNDS times,
# alternating, and keeps each one's best, because this machine is noisy.
#
# usage: harness/bench.sh [ROUNDS]   (default 3; JOBS=N to change --jobs)
set -euo pipefail

cd "$(dirname "$0")/.."
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8
rounds=${1:-3}
jobs=${JOBS:-$(nproc)}

bash harness/install-deps.sh
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

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for _ in $(seq 1 "$rounds"); do
	run libpq "${libpq_cmd[@]}" >>"$results"
	run psql "${psql_cmd[@]}" >>"$results"
done

best() { grep "^$1 " "$results" | sort -k2,2n | head -n 1; }
libpq=$(best libpq)
psql=$(best psql)
cases=$(echo "$libpq" | sed -n 's/.* \([0-9]*\) cases in .*/\1/p')
libpq_wall=$(echo "$libpq" | cut -d' ' -f2)
psql_wall=$(echo "$psql" | cut -d' ' -f2)
libpq_phase=$(echo "$libpq" | sed -n 's/.* cases in \([0-9.]*\) s.*/\1/p')
psql_phase=$(echo "$psql" | sed -n 's/.* cases in \([0-9.]*\) s.*/\1/p')

awk -v cases="$cases" -v lw="$libpq_wall" -v pw="$psql_wall" -v lp="$libpq_phase" -v pp="$psql_phase" \
	-v lc="${libpq_cmd[*]}" -v pc="${psql_cmd[*]}" -v rounds="$rounds" -v jobs="$jobs" 'BEGIN {
	printf "matrix benchmark: %d cases, --jobs %d, best of %d alternating rounds\n", cases, jobs, rounds
	printf "  in-process (libpq):  %s\n", lc
	printf "  one psql per case:   %s\n", pc
	printf "%-22s %10s %12s %17s %12s\n", "", "wall (s)", "cases/s", "connections (s)", "cases/s"
	printf "%-22s %10.2f %12.0f %17.2f %12.0f\n", "in-process (libpq)", lw, cases / lw, lp, cases / lp
	printf "%-22s %10.2f %12.0f %17.2f %12.0f\n", "one psql per case", pw, cases / pw, pp, cases / pp
	printf "ratio (psql / in-process): %.2fx whole run, %.2fx connection attempts alone\n", pw / lw, pp / lp
	printf "goal: at least 3x the psql loop: %s\n", (pp / lp >= 3 ? "met" : "NOT met")
	printf "goal: whole matrix under 5 s: %s (%.2f s)\n", (lw < 5 ? "met" : "NOT met"), lw
}'

bash harness/bench_audit.sh "$probe" "$rounds"
bash harness/bench_extension.sh
