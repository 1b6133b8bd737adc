#!/bin/bash
# bench.sh: make bench.  Times the whole matrix from nothing (PKI, server,
# every case, teardown) and, side by side in the same invocation, the same
# connection attempts made by one psql process per case (same connection
# strings, same server query, same parallelism).  Reports both command
# lines, wall time, cases per second and the ratio; runs each ROUNDS times,
# alternating, and keeps each one's best, because this machine is noisy.
# The third run of each round compares the matrix engine's connection
# phase with the physical floor for connection-based checks, like for like:
# "pg_tls_probe matrix --bench-logins N" makes N verify-full TLS logins with
# SCRAM and channel binding (and the server view query) with the engine and
# N with pgbench -C, at the same parallelism on one server.
#
# usage: harness/bench/bench.sh [ROUNDS]   (default 3; JOBS=N to change --jobs,
#        LOGINS=N the logins of each --bench-logins pass, default 500)
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

logins=${LOGINS:-500}
libpq_cmd=("$probe" matrix --jobs "$jobs" --timing --format tap)
psql_cmd=("$probe" matrix --jobs "$jobs" --timing --engine psql)
logins_cmd=("$probe" matrix --jobs "$jobs" --bench-logins "$logins")

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

# logins_round: "engine RATE" and "pgbench RATE" (logins/s) from one
# --bench-logins run
logins_round() {
	local out
	out=$("${logins_cmd[@]}")
	sed -n 's|^engine (pg_tls_probe matrix): .* (\([0-9]*\) logins/s).*|engine \1|p; s|^pgbench -C: .* (\([0-9]*\) logins/s).*|pgbench \1|p' <<<"$out"
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for _ in $(seq 1 "$rounds"); do
	run libpq "${libpq_cmd[@]}" >>"$results"
	run psql "${psql_cmd[@]}" >>"$results"
	logins_round >>"$results"
done

best() { grep "^$1 " "$results" | sort -k2,2n | head -n 1; }
highest() { grep "^$1 " "$results" | sort -k2,2nr | head -n 1 | cut -d' ' -f2; }
libpq=$(best libpq)
psql=$(best psql)
engine_rate=$(highest engine)
pgbench_rate=$(highest pgbench)
cases=$(echo "$libpq" | sed -n 's/.* \([0-9]*\) cases in .*/\1/p')
libpq_wall=$(echo "$libpq" | cut -d' ' -f2)
psql_wall=$(echo "$psql" | cut -d' ' -f2)
libpq_phase=$(echo "$libpq" | sed -n 's/.* cases in \([0-9.]*\) s.*/\1/p')
psql_phase=$(echo "$psql" | sed -n 's/.* cases in \([0-9.]*\) s.*/\1/p')
phases=$(echo "$libpq" | sed -n 's/^libpq [0-9.]* timing: //p')

awk -v cases="$cases" -v lw="$libpq_wall" -v pw="$psql_wall" -v lp="$libpq_phase" -v pp="$psql_phase" \
	-v lc="${libpq_cmd[*]}" -v pc="${psql_cmd[*]}" -v bc="${logins_cmd[*]}" -v rounds="$rounds" -v jobs="$jobs" \
	-v er="${engine_rate:-0}" -v pg="${pgbench_rate:-0}" -v logins="$logins" -v phases="$phases" 'BEGIN {
	printf "matrix benchmark: %d cases, --jobs %d, best of %d alternating rounds\n", cases, jobs, rounds
	printf "  in-process (libpq):  %s\n", lc
	printf "  one psql per case:   %s\n", pc
	printf "  logins, like for like: %s\n", bc
	printf "%-24s %10s %12s %17s %12s\n", "", "wall (s)", "cases/s", "connections (s)", "cases/s"
	printf "%-24s %10.2f %12.0f %17.2f %12.0f\n", "in-process (libpq)", lw, cases / lw, lp, cases / lp
	printf "%-24s %10.2f %12.0f %17.2f %12.0f\n", "one psql per case", pw, cases / pw, pp, cases / pp
	printf "in-process phases (best run): %s\n", phases
	printf "%-24s %10s %12s %17s %12s\n", "", "", "", "", "logins/s"
	printf "%-24s %10s %12s %17s %12.0f\n", "engine (--bench-logins)", "", "", "", er
	printf "%-24s %10s %12s %17s %12.0f\n", "pgbench -C", "", "", "", pg
	printf "  (%d verify-full TLS logins each, SCRAM with channel_binding=require, the server view query, one server)\n", logins
	printf "goal: whole matrix under 5 s: %s (%.2f s)\n", (lw < 5 ? "met" : "NOT met"), lw
	printf "goal: connection phase at least 80%% of pgbench -C, like for like: %s (%.0f%%)\n", \
		(pg > 0 && er >= 0.8 * pg ? "met" : "NOT met"), (pg > 0 ? 100 * er / pg : 0)
	printf "psql per case / in-process: %.2fx whole run, %.2fx connection attempts alone (printed, no goal)\n", pw / lw, pp / lp
}'

bash harness/bench/bench_audit.sh "$probe" "$rounds"
bash harness/bench/bench_extension.sh
