#!/bin/bash
# test_cli.sh: pg_tls_probe's command line and robustness, as TAP: bad
# input is exit 2 with one line on stderr, and a failure at any point (a
# missing initdb, a server killed mid-run) leaves nothing running or behind.
#
# usage: harness/t/test_cli.sh [PG_TLS_PROBE]
set -uo pipefail

probe=${1:-$(dirname "$0")/../pg_tls_probe}
work=$(mktemp -d "${TMPDIR:-/tmp}/pg_tls_probe-cli.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
# The matrix's test beds go under $work, so that this test sees, and
# signals, only servers it started.
export TMPDIR=$work

. "$(dirname "$0")/tap.sh"

# Nothing of ours may survive a run: no server, no work directory.
nothing_left() {
	! pgrep -f "postgres -D $work/pg_tls_probe-matrix" >/dev/null &&
		[ -z "$(ls -d "$work"/pg_tls_probe-matrix-* 2>/dev/null)" ]
}

version=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" "$(dirname "$0")/../../pg_tls_audit.control")
[ "$("$probe" --version)" = "pg_tls_probe $version" ]
ok $? "--version prints the control file's version"
"$probe" --help | grep -q matrix
ok $? "--help lists the subcommands"
for sub in pki cluster matrix; do
	"$probe" $sub --help >/dev/null
	ok $? "$sub --help exits 0"
done

expect_error "unknown subcommand" frobnicate
expect_error "unknown option" --frobnicate
expect_error "pki without DIR" pki
expect_error "cluster without action" cluster
expect_error "matrix --format xml" matrix --format xml
expect_error "matrix --jobs 0" matrix --jobs 0
expect_error "matrix --timeout 1" matrix --timeout 1
expect_error "matrix --filter matching nothing" matrix --filter no-such-case
expect_error "cluster start --pki missing" cluster start "$work/c1" --pki "$work/no-such-pki"
[ ! -e "$work/c1" ]
ok $? "a failed cluster start removes its directory"

mkdir "$work/precious" && touch "$work/precious/data"
expect_error "cluster stop on a directory it did not make" cluster stop "$work/precious"
[ -f "$work/precious/data" ]
ok $? "cluster stop leaves a foreign directory alone"

# A PostgreSQL without initdb: a pg_config whose bindir lacks it.
mkdir "$work/fakebin"
printf '#!/bin/sh\necho %s\n' "$work/fakebin" >"$work/fakebin/pg_config"
chmod 755 "$work/fakebin/pg_config"
expect_error "matrix with no initdb" matrix --pg-config "$work/fakebin/pg_config"
nothing_left
ok $? "nothing left after a matrix that could not start"

"$probe" matrix --list >"$work/list"
cases=$(grep -cE '^ *[0-9]+  ' "$work/list")
[ "$cases" -ge 300 ]
ok $? "matrix --list has at least 300 cases ($cases)"
[ "$(sed -n 's/^ *[0-9]*  //p' "$work/list" | awk '{$NF=""; print}' | sort | uniq -d | wc -l)" -eq 0 ]
ok $? "no two cases share the same inputs"
categories=$(sed -n '/^Categories of PostgreSQL/,/^$/p' "$work/list" | grep -c '^  ')
[ "$categories" -ge 40 ]
ok $? "matrix --list names the 001_ssltests.pl categories ($categories)"
empty=$(sed -n '/^Categories of PostgreSQL/,/^$/p' "$work/list" | grep ': 0 cases$')
[ -z "$empty" ]
ok $? "every 001_ssltests.pl category has a case (${empty:-none empty})"
grep -q '^Pruning rules:' "$work/list"
ok $? "matrix --list prints the pruning rules"

# No sslmode at all means libpq's default, whatever the environment says.
PGSSLMODE=verify-full PGSSLROOTCERT=/nonexistent PGSSLCERTMODE=require PGSSLNEGOTIATION=direct \
	PGSSLMINPROTOCOLVERSION=TLSv1.3 PGSSLCRL=/nonexistent PGHOST=/nonexistent PGSSLKEY=/nonexistent \
	"$probe" matrix --format tap --filter 'sslmode=unset' >"$work/unset.out" 2>"$work/unset.err"
rc=$?
[ $rc -eq 0 ] && grep -q '^# [0-9]* cases: .* 0 deviations' "$work/unset.out"
ok $? "sslmode unset with PGSSL* exported: the environment is cleared (rc=$rc: $(grep -m1 '^not ok' "$work/unset.out"; head -c 200 "$work/unset.err"))"

# A server killed mid-run: exit 2, one line, nothing left behind.
"$probe" matrix --format tap >"$work/killed.out" 2>"$work/killed.err" &
matrix=$!
pid=""
for _ in $(seq 1 300); do
	pidfile=$(ls "$work"/pg_tls_probe-matrix-*/cluster/data/postmaster.pid 2>/dev/null | head -n 1)
	if [ -n "$pidfile" ] && grep -q ready "$pidfile" 2>/dev/null; then
		pid=$(head -n 1 "$pidfile")
		break
	fi
	sleep 0.05
done
[ -n "$pid" ] && kill -9 "$pid"
wait $matrix
rc=$?
[ -n "$pid" ] && [ $rc -eq 2 ] && [ "$(wc -l <"$work/killed.err")" -eq 1 ]
ok $? "a server killed mid-run: exit 2 and one line (rc=$rc: $(head -c 200 "$work/killed.err"))"
sleep 0.5
nothing_left
ok $? "nothing left after the killed run"

tap_done
