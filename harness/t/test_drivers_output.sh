#!/bin/bash
# test_drivers_output.sh: what `pg_tls_probe drivers` prints, as TAP, on a
# real server and real attacker proxies, with stand-in probes instead of
# the third-party clients (which take minutes to install): every row's
# probe is psql with sslmode=require, which connects to any server with TLS
# and gives its startup to every TLS proxy, so every kind of cell shows up
# without a client installed.  One row prints no result in one column
# (a deviation), one is unavailable (a deviation under CI=true).  Checks the
# grid (one line per row, one symbol per column, the legend, at most 80
# lines with twice today's rows), --details, the formats, the copies to
# files, every option, and that bad options exit 2 with one line on stderr.
#
# usage: harness/t/test_drivers_output.sh PG_TLS_PROBE PG_CONFIG
set -uo pipefail

probe=$1
pg_config=$2
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pg_tls_probe-drivers-output.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
# The test bed goes under $work, so that nothing of it outlives the test.
export TMPDIR=$work

. "$(dirname "$0")/tap.sh"

# The stand-in probes: one for each of the real ones, each a one-target
# probe run once per target by the real probes' each-target.sh.
fake=$work/drivers
mkdir "$fake"
cp "$here/drivers/system-store.sh" "$here/drivers/each-target.sh" "$fake/"
for p in $(cd "$here/drivers" && ls -d */ | tr -d /); do
	[ -x "$here/drivers/$p/run" ] || continue
	mkdir "$fake/$p"
	cat >"$fake/$p/one" <<'EOF'
#!/bin/sh
# stand-in probe: psql with sslmode=require (see test_drivers_output.sh)
case "$PTP_APPNAME" in
	ptp-psql-verify-ca-expired) echo "not JSON"; exit 0 ;;
	ptp-rust-postgres-default-*) echo '{"unavailable": "stand-in: not installed"}'; exit 0 ;;
	# a target that never ends, and a probe that dies on a target
	ptp-psql-hardened-intercept) echo $$ >"$HOME/hanging"; exec sleep 600 ;;
	ptp-psql-generic-forge) kill -KILL 0 ;;
esac
url="postgresql://$PTP_USER:$PTP_PASSWORD@$PTP_HOST:$PTP_PORT/$PTP_DBNAME?sslmode=require&application_name=$PTP_APPNAME&connect_timeout=$PTP_TIMEOUT"
if out=$(psql -X -A -t -c "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" "$url" 2>&1); then
	[ "$out" = t ] && ssl=true || ssl=false
	echo "{\"connected\": true, \"server_ssl\": $ssl, \"error\": null, \"version\": \"stand-in 0\", \"libpq\": null}"
else
	echo "{\"connected\": false, \"error\": \"$(echo "$out" | head -1 | tr -d '"\\')\", \"version\": \"stand-in 0\", \"libpq\": null}"
fi
EOF
	printf '#!/bin/sh\nexec "$(dirname "$0")/../each-target.sh" sh "$(dirname "$0")/one"\n' >"$fake/$p/run"
	chmod 755 "$fake/$p/run"
done
rows=$("$probe" drivers --help | sed -n '/--filter/,/--format/p' | sed '1d;$d' | wc -w)

run() {
	"$probe" drivers --pg-config "$pg_config" --drivers-dir "$fake" --timeout 5 "$@"
}

# One full run, in every format at once.
CI=true run --environment standin --json-to "$work/run.json" --grid-to "$work/grid.txt" \
	--markdown-to "$work/table.md" >"$work/grid.out" 2>"$work/grid.err"
rc=$?
[ $rc -eq 1 ]
ok $? "the injected deviations make exit 1 (rc=$rc; $(head -c 300 "$work/grid.err"))"
cmp -s "$work/grid.out" "$work/grid.txt"
ok $? "--grid-to writes the grid that stdout shows"
lines=$(wc -l <"$work/grid.out")
# One screen of 80 lines; rows that do not fit one under the other go in two
# panes.  In one pane, twice the rows would still fit one under the other.
if grep -q '  claim  version$' "$work/grid.out"; then
	[ "$lines" -gt "$rows" ] && [ $((lines + rows)) -le 80 ]
else
	[ "$lines" -gt $((rows / 2)) ] && [ "$lines" -le 80 ] && grep -q '^Versions: ' "$work/grid.out"
fi
ok $? "the grid is $lines lines for $rows rows, at most 80 (one pane: $((lines + rows)) with twice the rows)"
for p in $("$probe" drivers --help | sed -n '/--filter/,/--format/p' | sed '1d;$d'); do
	grep -Eq "(^|\|  )$p " "$work/grid.out" || echo "missing $p"
done >"$work/missing"
[ ! -s "$work/missing" ]
ok $? "one line per row ($(tr '\n' ' ' <"$work/missing"))"
# psql's line: connects on every server column, accepted by the forger,
# caught by channel binding (libpq's default, prefer) behind both
# interceptors, refused by the stripping proxy (sslmode=require).
grep -Eq '^psql +o +o +o +o +A +B +B +\. +NO( +stand-in 0 \(unjudged\)$| +\|)' "$work/grid.out"
ok $? "a row is one symbol per column, the claim and the version: $(grep '^psql ' "$work/grid.out")"
grep -Eq '(^|\|  )psql-verify-ca +o +o +o +\?! ' "$work/grid.out"
ok $? "a cell with no result is ?! (a deviation): $(grep '^psql-verify-ca ' "$work/grid.out")"
grep -Eq '(^|\|  )rust-postgres-default +unavailable \(!\): stand-in: not installed' "$work/grid.out"
ok $? "an unavailable row says why, a deviation under CI=true"
for s in 'o connects over TLS' 'P plaintext' '\. refused' 'A ACCEPTED' 'B CB caught it' 'F ACCEPTED, then failed' \
	'\? no result' '- not run' '! after a symbol: deviates'; do
	grep -q -- "$s" "$work/grid.out" || echo "$s"
done >"$work/missing"
[ ! -s "$work/missing" ]
ok $? "the legend names every symbol ($(tr '\n' ' ' <"$work/missing"))"
grep -q '^Columns: *good good server' "$work/grid.out" && grep -q 'strp strip' "$work/grid.out"
ok $? "the legend names every column"
grep -q '^4 deviations in 4 rows' "$work/grid.out"
ok $? "the grid counts the deviations: $(grep 'deviations in' "$work/grid.out")"
/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rows = {r["driver"]: r for r in d["rows"]}
assert d["environment"] == "standin" and d["deviations"] == 4, d["deviations"]
assert rows["psql"]["columns"]["good"]["observed"] == "connects"
assert rows["psql"]["columns"]["strip"]["observed"] == "refused"
assert rows["psql"]["columns"]["forge"]["observed"] == "ACCEPTED"
assert rows["rust-postgres-default"]["unavailable"]
assert len(rows) == int(sys.argv[2]), len(rows)
' "$work/run.json" "$rows"
ok $? "--json-to writes the JSON report of the same run"
# A row is one probe process for all its columns: a target that never ends
# is ended after the timeout and a grace, one that kills the probe has no
# result, and the targets after either get a run of their own.
/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rows = {r["driver"]: r["columns"] for r in d["rows"]}
order = ["good", "forge", "intercept", "intercept-strip-cb", "strip", "mismatch", "untrusted-ca", "expired"]
for row, bad, why in (("psql-hardened", "intercept", "timed out"), ("psql-generic", "forge", "no JSON line")):
    cells = rows[row]
    assert why in (cells[bad]["deviation"] or ""), (row, cells[bad])
    for c in order:
        if c != bad:
            assert cells[c]["observed"] == rows["psql"][c]["observed"] and not cells[c]["deviation"], (row, c, cells[c])
    assert cells[bad]["ms"] < 1000 * (5 + 5 + 3) if bad == "intercept" else True, cells[bad]["ms"]
' "$work/run.json"
ok $? "a target that hangs times out alone, a probe that dies loses one target: the rest of the row still runs"
[ "$(grep -c '^| ' "$work/table.md")" -eq $((rows + 1)) ] && [ "$(grep -c '^|---' "$work/table.md")" -eq 1 ]
ok $? "--markdown-to writes a header and one line per row"

# The recipes page and its check, on this run's JSON.
recipes=$here/recipes/recipes.py
cp "$here/recipes/claims.json" "$work/claims.json"
/usr/bin/python3 "$recipes" --write "$work/recipes.md" "$work/verdicts.json" "$work/claims.json" "$work/run.json" &&
	grep -q '^| psql | Generic configuration settings | .* | \*\*wrong\*\* |$' "$work/recipes.md" &&
	grep -q '^## Java pgjdbc$' "$work/recipes.md"
ok $? "recipes.py --write: a page with each claim marked and each client's section"
/usr/bin/python3 "$recipes" --check "$work/verdicts.json" "$work/run.json" 2>"$work/err"
ok $? "recipes.py --check: the same run gives the page's verdicts ($(head -c 200 "$work/err"))"
/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["rows"]:
    if r["driver"] == "go-pgx":
        r["claim_holds"], r["claim"] = True, "holds"
        for c in r["columns"].values():
            c["observed"] = "refused"
        r["columns"]["good"]["observed"] = "connects"
json.dump(d, open(sys.argv[2], "w"))
' "$work/run.json" "$work/changed.json"
/usr/bin/python3 "$recipes" --check "$work/verdicts.json" "$work/changed.json" 2>"$work/err"
rc=$?
[ $rc -eq 1 ] && grep -q '^recipes: row go-pgx: ' "$work/err" && grep -q '^recipes: claim go-pgx-verify-full: ' "$work/err"
ok $? "recipes.py --check: a run whose verdicts differ fails, naming the row and the claim (rc=$rc)"
/usr/bin/python3 "$recipes" --check "$work/verdicts.json" "$work/no-such.json" 2>"$work/err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ]
ok $? "recipes.py --check without a report: exit 2, one line (rc=$rc)"

# The other formats and options, on a few rows.
run --filter psql,go-pgx-default --details --jobs 1 >"$work/details" 2>/dev/null
grep -q '^Versions and verdicts:' "$work/details" && grep -Eq '^psql +connects +connects +connects +connects +ACCEPTED +CB caught it' "$work/details" &&
	grep -q 'go-pgx-default' "$work/details" && ! grep -q 'psycopg' "$work/details"
ok $? "--details prints the long table of the --filter rows"
run --filter psql --format json >"$work/one.json" 2>/dev/null
/usr/bin/python3 -c 'import json,sys; rows=[r["driver"] for r in json.load(open(sys.argv[1]))["rows"]]
assert rows[0] == "psql" and all(r.startswith("psql-") for r in rows[1:]), rows
assert {"psql-default", "psql-verify-ca", "psql-generic", "psql-hardened"} <= set(rows), rows' "$work/one.json"
ok $? "--format json, --filter by client: all its rows"
run --filter psql-default --format tap >"$work/tap" 2>/dev/null
grep -q '^1\.\.8$' "$work/tap" && grep -q '^8 passed, 0 failed, 0 skipped$' "$work/tap"
ok $? "--format tap: one test per cell"
run --filter psql-default --format markdown --no-header >"$work/md" 2>/dev/null
[ "$(wc -l <"$work/md")" -eq 1 ] && grep -q '^| psql | ' "$work/md"
ok $? "--format markdown --no-header: rows only"
"$probe" drivers --help >"$work/help"
for o in --filter --format --details --jobs --timeout --pg-config --drivers-dir --environment --no-header \
	--markdown-to --json-to --grid-to --help; do
	grep -q -- "$o" "$work/help" || echo "$o"
done >"$work/missing"
[ ! -s "$work/missing" ]
ok $? "--help names every option ($(tr '\n' ' ' <"$work/missing"))"

expect_error "--format xml" drivers --format xml
expect_error "--details with json" drivers --details --format json
expect_error "--jobs 0" drivers --jobs 0
expect_error "--timeout 1" drivers --timeout 1
expect_error "--filter naming nothing" drivers --filter no-such-client
expect_error "--drivers-dir missing" drivers --drivers-dir "$work/no-such-dir"
expect_error "--drivers-dir without probes" drivers --drivers-dir "$work"
expect_error "--environment with a quote" drivers --environment 'a"b'
expect_error "--json-to without a file" drivers --json-to
expect_error "unknown option" drivers --frobnicate
expect_error "an argument" drivers stray
run --filter psql-default --grid-to "$work/no-such-dir/grid.txt" >/dev/null 2>"$work/err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ]
ok $? "a --grid-to file that cannot be written: exit 2, one line (rc=$rc: $(head -c 200 "$work/err"))"

# SIGTERM while a probe hangs on a target: the probe's group, the four
# servers and the proxies go, the work directory with them, and the exit
# says why.
"$probe" drivers --pg-config "$pg_config" --drivers-dir "$fake" --timeout 5 --filter psql-hardened \
	>/dev/null 2>"$work/err" &
pid=$!
hang=
for _ in $(seq 1 600); do
	hang=$(cat "$work"/pg_tls_probe-drivers-*/homes/psql-hardened/hanging 2>/dev/null) && [ -n "$hang" ] && break
	sleep 0.1
done
kill -TERM $pid
wait $pid
rc=$?
gone() {
	local _pid _comm state
	! { read -r _pid _comm state _ <"/proc/$1/stat"; } 2>/dev/null || [ "$state" = Z ]
}
sleep 0.5
[ -n "$hang" ] && [ $rc -eq 2 ] && grep -q 'interrupted' "$work/err" && gone "$hang" &&
	[ -z "$(ps -eo args | grep -F "$work/pg_tls_probe-drivers-" | grep -v grep)" ]
ok $? "SIGTERM while a target hangs: exit 2, the hung probe and every server gone (rc=$rc, hung pid ${hang:-none}: $(head -c 200 "$work/err"))"

[ -z "$(ls -d "$work"/pg_tls_probe-drivers-* 2>/dev/null)" ]
ok $? "no test bed left behind"
tap_done
