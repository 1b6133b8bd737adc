#!/bin/bash
# bench_audit.sh: part of make bench.  Times one audit (direct connection and
# every attack) and a fleet of 100 local connection strings, each side by
# side with the same connection attempts made by psql processes
# (--engine psql), best of ROUNDS alternating runs.
#
# usage: harness/bench/bench_audit.sh PG_TLS_PROBE [ROUNDS]
set -euo pipefail

probe=$1
rounds=${2:-3}
work=$(mktemp -d /tmp/pg_tls_probe-bench-audit.XXXXXX)
chmod 755 "$work"
trap '"$probe" cluster stop "$work/c" >/dev/null 2>&1; rm -rf "$work"' EXIT
for v in $(env | sed -n 's/^\(PG[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export HOME="$work/home"
mkdir -p "$HOME"

"$probe" cluster start "$work/c" >"$work/env"
port=$(sed -n 's/^export PGPORT=//p' "$work/env")
secret="bench-$RANDOM$RANDOM"
psql -X -q -h "$work/c/socket" -p "$port" -U postgres -d postgres \
	-c "CREATE ROLE regress_bench LOGIN PASSWORD '$secret'"
base="host=localhost port=$port dbname=postgres user=regress_bench password=$secret"
one="$base sslmode=verify-full sslrootcert=$work/c/pki/root_ca.crt"
umask 077
for i in $(seq 1 100); do
	case $((i % 3)) in
		0) echo "$one application_name=fleet-$i" ;;
		1) echo "$base sslmode=require application_name=fleet-$i" ;;
		2) echo "$base sslmode=prefer application_name=fleet-$i" ;;
	esac
done >"$work/fleet"

# best_of CMD...: the best wall time, in seconds, of ROUNDS runs
wall() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || true
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

declare -A best
for _ in $(seq 1 "$rounds"); do
	for name in audit audit-psql fleet fleet-psql; do
		case $name in
			audit) t=$(wall "$probe" audit "$one") ;;
			audit-psql) t=$(wall "$probe" audit --engine psql "$one") ;;
			fleet) t=$(wall "$probe" audit --fleet "$work/fleet") ;;
			fleet-psql) t=$(wall "$probe" audit --engine psql --fleet "$work/fleet") ;;
		esac
		if [ -z "${best[$name]:-}" ] || awk -v a="$t" -v b="${best[$name]}" 'BEGIN { exit !(a < b) }'; then
			best[$name]=$t
		fi
	done
done

awk -v a="${best[audit]}" -v ap="${best[audit-psql]}" -v f="${best[fleet]}" -v fp="${best[fleet-psql]}" \
	-v probe="$probe" -v rounds="$rounds" 'BEGIN {
	printf "audit benchmark: best of %d alternating rounds (a connection string and a fleet of 100)\n", rounds
	printf "  %s audit CONNINFO                 vs  %s audit --engine psql CONNINFO\n", probe, probe
	printf "  %s audit --fleet FILE (100 lines) vs  %s audit --engine psql --fleet FILE\n", probe, probe
	printf "%-28s %12s %18s %8s\n", "", "libpq (s)", "psql processes (s)", "ratio"
	printf "%-28s %12.2f %18.2f %7.2fx\n", "one audit (direct + attacks)", a, ap, ap / a
	printf "%-28s %12.2f %18.2f %7.2fx\n", "fleet of 100", f, fp, fp / f
	printf "goal: one audit under 1 s: %s (%.2f s); the fleet under 10 s: %s (%.2f s)\n",
		(a < 1 ? "met" : "NOT met"), a, (f < 10 ? "met" : "NOT met"), f
}'
