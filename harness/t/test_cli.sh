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

# The manual page: every subcommand has its subsection there, naming every
# long option of its --help; and groff renders it without a warning.
man_page=$(dirname "$0")/../../doc/pg_tls_probe.1
missing=""
subs=$("$probe" --help | awk '/^Subcommands:/ { f = 1; next } /^$/ { f = 0 } f { print $1 }')
for o in $("$probe" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
	grep -qF -- "${o//-/\\-}" "$man_page" || missing+=" $o"
done
for sub in $subs; do
	section=$(awk -v s=".SS $sub" '$0 == s { f = 1; next } /^\.S[HS] / { f = 0 } f' "$man_page")
	[ -n "$section" ] || missing+=" $sub"
	for o in $("$probe" "$sub" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
		[ "$o" = --help ] || grep -qF -- "${o//-/\\-}" <<<"$section" || missing+=" $sub:$o"
	done
done
[ -n "$subs" ] && [ -z "$missing" ]
ok $? "the manual page names every subcommand and its options (subcommands: $(echo $subs); missing:${missing:- none})"
if command -v groff >/dev/null 2>&1; then
	warnings=$(groff -ww -man -z "$man_page" 2>&1)
	[ -z "$warnings" ]
	ok $? "groff renders the manual page without a warning (${warnings:-none})"
else
	# The page is the same file everywhere; the host, which has groff (Debian's
	# groff-base, a dependency of man-db), renders it in its run of this suite.
	skip "groff is not installed here, so the manual page is not rendered (the host's run renders it)"
fi

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

# The default grid fits a screen (80 lines) and folds only rows that behave
# alike: checked against --full, a row per scenario and a column per anchor.
"$probe" matrix >"$work/folded" 2>"$work/folded.err"
rc_folded=$?
"$probe" matrix --full >"$work/full" 2>"$work/full.err"
rc_full=$?
lines=$(wc -l <"$work/folded")
[ $rc_folded -eq 0 ] && [ "$lines" -le 80 ]
ok $? "matrix prints at most 80 lines by default (rc=$rc_folded, $lines lines: $(head -c 200 "$work/folded.err"))"
[ $rc_full -eq 0 ] && /usr/bin/python3 - "$work/folded" "$work/full" >"$work/fold.check" 2>&1 <<'EOF_PY'
# Every row of --full appears once in the folded grids, on a line whose
# cells are exactly its own (columns headed "a=b" stand for both a and b).
import re
import sys

def blocks(text):
    """The grids of a table: (header words, [line, ...]) up to the legend."""
    out = []
    for block in text.split("\n\n"):
        lines = block.strip("\n").split("\n")
        if lines and not lines[0].startswith(("legend:", "libpq ")):
            out.append(lines)
    return out

def full_grid(lines):
    head = lines[0].split(")", 1)[1].split()  # after "scenario (...)"
    n = len(head)
    rows = {}
    for line in lines[1:]:
        words = line.split()
        rows[" ".join(words[:-n])] = words[-n:]
    return head, rows

def folded_grid(lines):
    header = lines[0]
    names_at = header.index("  scenarios") + 2
    cols = header[:names_at].split()
    groups = []
    for line in lines[1:]:
        if line[:names_at].strip():
            groups.append((line[:names_at].split(), []))
        for name in line[names_at:].split(","):
            if name.strip():
                groups[-1][1].append(name.strip())
    return cols, groups

folded = blocks(open(sys.argv[1]).read())
full = blocks(open(sys.argv[2]).read())
failures = []
if len(folded) < 2 or len(full) < 2:
    failures.append("expected two grids in each output")
for f_lines, g_lines in zip(folded[:2], full[:2]):
    full_cols, rows = full_grid(g_lines)
    cols, groups = folded_grid(f_lines)
    seen = {}
    for cells, members in groups:
        if len(cells) != len(cols):
            failures.append("a line has %d cells for %d columns: %s" % (len(cells), len(cols), members))
            continue
        for m in members:
            seen[m] = seen.get(m, 0) + 1
            if m not in rows:
                failures.append("folded row %r is not a row of --full" % m)
                continue
            for col, cell in zip(cols, cells):
                for name in col.split("="):
                    if rows[m][full_cols.index(name)] != cell:
                        failures.append("%r shows %s under %s in --full, %s in the folded line"
                                        % (m, rows[m][full_cols.index(name)], name, cell))
    for m in rows:
        if seen.get(m, 0) != 1:
            failures.append("row %r appears %d times in the folded grid" % (m, seen.get(m, 0)))
    print("%d rows in %d lines" % (len(rows), len(groups)))
for f in failures:
    print(f)
sys.exit(1 if failures else 0)
EOF_PY
ok $? "matrix's folded grids lose nothing of --full (rc=$rc_full: $(head -c 600 "$work/fold.check" 2>/dev/null | tr '\n' ';'))"
"$probe" matrix --help | grep -q -- '--full'
ok $? "matrix --help names --full"
expect_error "matrix --full with --details" matrix --full --details

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
