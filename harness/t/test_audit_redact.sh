#!/bin/bash
# test_audit_redact.sh: what pg_tls_probe audit prints of a connection
# string, as TAP.  The string is shown from libpq's parse, secrets masked by
# their place and not by their text: a dbname holding a whole string or a
# URI shows neither's password; a password that is an ordinary word leaves
# that word alone elsewhere; one unparsable fleet line changes no other; a
# string that does not parse is never echoed, its fault given by position;
# an unknown option is named.  Every printed value is safe for a terminal:
# ESC, C1 and U+2028 escaped in the table, on stderr and in JSON (which
# parses and gives the values back), and no value forges a report line.
#
# usage: harness/t/test_audit_redact.sh [PG_TLS_PROBE]
set -uo pipefail

AUDIT_SUITE=redact-test
. "$(dirname "$0")/audit_lib.sh"
r="$RANDOM$RANDOM$RANDOM"
secret="planted-Secret-$r"
# the other planted secrets share nothing with the first
r2="$RANDOM$RANDOM$RANDOM"

start_cluster c1
port=$(cluster_port c1)
pki="$work/c1/pki"
verified="sslmode=verify-full sslrootcert=$pki/root_ca.crt"
sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$work/c1/socket" -p "$port" -U postgres -d postgres -c "$1"
}
sql "CREATE ROLE regress_audit LOGIN PASSWORD '$secret'" >/dev/null
for word in postgres localhost require; do
	sql "CREATE ROLE regress_word_$word LOGIN PASSWORD '$word'" >/dev/null
done

# audit NAME EXPECTED_EXIT ARGS...: runs (never longer than 60 s), keeps
# stdout and stderr; fails, saying so on stderr, unless it exits as expected
# (audit_lib.sh's audit() is an assertion of its own: here each check is
# one assertion that includes the exit code)
audit() {
	local name=$1 expect=$2
	shift 2
	timeout 60 "$probe" audit "$@" >"$work/$name.out" 2>"$work/$name.err"
	local rc=$?
	[ $rc -eq "$expect" ] || { echo "# $name: exit $rc, not $expect" >&2; return 1; }
}
# absent NAME TEXT...: none of the texts is in the run's stdout or stderr
absent() {
	local name=$1 t
	shift
	for t in "$@"; do
		grep -qF -- "$t" "$work/$name.out" "$work/$name.err" && return 1
	done
	return 0
}
# py NAME PYTHON: asserts on the run's stdout (bytes out) and stderr (bytes err)
py() {
	/usr/bin/python3 -c "import json, sys
out = open(sys.argv[1], 'rb').read()
err = open(sys.argv[2], 'rb').read()
$2" "$work/$1.out" "$work/$1.err"
}

# --- A dbname holding a connection string (libpq expands such a dbname) ---

inner="host=localhost password=\\'Left$r2 Right$r2\\' dbname=postgres"
nested="host=localhost port=$port user=regress_audit password=$secret $verified dbname='$inner'"
audit nested-keywords 2 "$nested" &&
	absent nested-keywords "$secret" "$r2"
ok $? "nested-keywords: neither the password nor the dbname's own (quoted, with a space) is printed"
grep -qF "dbname='password=******** dbname=postgres host=localhost'" "$work/nested-keywords.out"
ok $? "nested-keywords: the dbname is shown from its own fields, its password masked"
grep -q '^pg_tls_probe: could not connect directly: .*(quoted parts not shown: the database name holds a secret)' \
	"$work/nested-keywords.err"
ok $? "nested-keywords: the server's message, which quotes the dbname, is shown without its quoted parts"
audit nested-keywords-json 2 --format json "$nested" &&
	absent nested-keywords-json "$secret" "$r2"
ok $? "nested-keywords-json: neither password is in the JSON"
py nested-keywords-json 'a = json.loads(out)
assert "dbname='"'"'password=******** dbname=postgres host=localhost'"'"'" in a["connection"], a'
ok $? "nested-keywords-json: the JSON connection shows the dbname from its fields"

uri="postgresql://regress_audit:Uri$r2@localhost:$port/postgres?sslmode=require"
audit nested-uri 2 "host=localhost port=$port user=regress_audit password=$secret $verified dbname=$uri" &&
	absent nested-uri "$secret" "$r2"
ok $? "nested-uri: the password of a URI given as dbname is printed nowhere"
grep -qF "dbname='user=regress_audit password=******** dbname=postgres host=localhost port=$port sslmode=require'" \
	"$work/nested-uri.out"
ok $? "nested-uri: the URI is shown from its fields"

# libpq expands one level; a connection string deeper is not shown at all
deep="host=localhost dbname=\\'password=Deep$r2 host=x\\'"
audit nested-deep 2 "host=localhost port=$port user=regress_audit password=$secret $verified dbname='$deep'" &&
	absent nested-deep "$secret" "$r2" &&
	grep -qF "dbname='dbname=\\'(not shown: a connection string in a connection string\\\\\\'s dbname)\\' host=localhost'" \
		"$work/nested-deep.out"
ok $? "nested-deep: a connection string in the dbname's connection string, which libpq does not expand, is not shown, nor its password"

# The attacker's proxy reports the database name it got: a plaintext
# client (sslmode=disable) before a hostssl-only server is a finding, and
# the attacks run.
"$tool" cluster start "$work/c2" --pki "$pki" --hba 'hostssl all all 127.0.0.1/32 trust' \
	--hba 'hostssl all all ::1/128 trust' >"$work/c2.env" || { echo "Bail out! cluster start failed"; exit 2; }
port2=$(sed -n 's/^export PGPORT=//p' "$work/c2.env")
audit nested-proxy 1 "host=localhost port=$port2 user=postgres sslmode=disable dbname='host=x password=Proxy$r2'" &&
	absent nested-proxy "$r2" &&
	grep -qE '^    strip +FAIL +refused: the startup \(user "postgres", database "password=\*{8} host=x"\) in plaintext' \
		"$work/nested-proxy.out"
ok $? "nested-proxy: the database name the attacker got is shown from its fields, its password masked"

# --- A password that is an ordinary word masks only the password ---

audit word-postgres 0 "host=localhost port=$port dbname=postgres user=regress_word_postgres password=postgres $verified" &&
	grep -q '^audit of: user=regress_word_postgres password=\*\*\*\*\*\*\*\* dbname=postgres host=localhost ' \
	"$work/word-postgres.out"
ok $? "word-postgres: password=postgres is masked, dbname=postgres is shown"
audit word-postgres-json 0 --format json "host=localhost port=$port dbname=postgres user=regress_word_postgres password=postgres $verified" &&
	py word-postgres-json 'a = json.loads(out)
assert "password=******** dbname=postgres host=localhost" in a["connection"], a'
ok $? "word-postgres-json: the same in JSON"
audit word-localhost 0 "host=localhost port=$port dbname=postgres user=regress_word_localhost password=localhost $verified" &&
	grep -q 'host=localhost ' "$work/word-localhost.out" && grep -q '^  direct connection to localhost (' "$work/word-localhost.out"
ok $? "word-localhost: password=localhost leaves the host name shown, in the string and the direct connection"
audit word-require 1 "host=localhost port=$port dbname=postgres user=regress_word_require password=require sslmode=require" &&
	grep -q ' sslmode=require$' "$work/word-require.out" && grep -q '^  notes: .*sslmode=require verifies nothing' "$work/word-require.out"
ok $? "word-require: password=require leaves sslmode=require shown, in the string and the notes"

# --- Fleet lines are independent ---

good1="host=localhost port=$port dbname=postgres user=regress_audit password=$secret $verified"
good2="host=localhost port=$port dbname=postgres user=regress_audit password=$secret sslmode=require"
bad="host=localhost user=regress_audit password='localhost"
printf '%s\n' "$good1" "$bad" "$good2" >"$work/fleet"
printf '%s\n' "$good1" >"$work/fleet1"
printf '%s\n' "$good2" >"$work/fleet2"
# row FILE N: the Nth row of a fleet table, without its number
row() { sed -n "$(($2 + 1))p" "$1" | sed 's/^[0-9]* *//'; }
audit fleet 1 --fleet "$work/fleet" &&
	audit fleet-alone1 0 --fleet "$work/fleet1" &&
	audit fleet-alone2 1 --fleet "$work/fleet2" &&
	[ "$(row "$work/fleet.out" 1)" = "$(row "$work/fleet-alone1.out" 1)" ] &&
	[ "$(row "$work/fleet.out" 3)" = "$(row "$work/fleet-alone2.out" 1)" ] &&
	grep -q 'host=localhost' "$work/fleet.out"
ok $? "fleet: an unparsable line (password 'localhost, unterminated) changes no other line's row"
at=$(/usr/bin/python3 -c 'import sys; print(sys.argv[1].index("'"'"'") + 1)' "$bad")
row "$work/fleet.out" 2 | grep -q "a quoted value that is never closed, at byte $at)\$"
ok $? "fleet: the unparsable line says where it fails (byte $at)"

# --- A string that does not parse is never echoed ---

quoted="host=localhost port=$port user=regress_audit password='Quote$r"
at=$(/usr/bin/python3 -c 'import sys; print(sys.argv[1].index("'"'"'") + 1)' "$quoted")
audit unparsable-quote 2 "$quoted" &&
	absent unparsable-quote "$r" &&
	grep -q "^pg_tls_probe: invalid connection string (not shown: it may hold a password): a quoted value that is never closed, at byte $at\$" \
		"$work/unparsable-quote.err"
ok $? "unparsable-quote: the password inside an unterminated quote is printed nowhere; the fault and its position (byte $at) are given"
escape="postgresql://regress_audit:Esc$r%zzAft$r@localhost:$port/postgres"
at=$(/usr/bin/python3 -c 'import sys; print(sys.argv[1].index("%") + 1)' "$escape")
audit unparsable-escape 2 "$escape" &&
	audit unparsable-escape-json 2 --format json "$escape" &&
	absent unparsable-escape "$r" && absent unparsable-escape-json "$r" &&
	grep -q "invalid percent-encoding, at byte $at\$" "$work/unparsable-escape.err" &&
	py unparsable-escape-json 'a = json.loads(out)
assert a["connection"] is None and a["error"].endswith("invalid percent-encoding, at byte '"$at"'"), a'
ok $? "unparsable-escape: the password around a bad percent-escape is printed nowhere; the fault and its position (byte $at) are given (table, JSON)"

# --- An unknown option is no secret ---

audit unknown-option 2 "host=localhost port=$port user=regress_audit password=$secret sslmod=require" &&
	grep -q 'invalid connection option "sslmod", at byte ' "$work/unknown-option.err" && absent unknown-option "$secret"
ok $? "unknown-option: the option libpq does not know is named, the password is not"
audit unknown-parameter 2 "postgresql://regress_audit:$secret@localhost:$port/postgres?sslmod=require" &&
	grep -q 'invalid connection option "sslmod", at byte ' "$work/unknown-parameter.err" && absent unknown-parameter "$secret"
ok $? "unknown-parameter: so is a URI's unknown query parameter"

# --- Every printed value is safe for a terminal ---

# raw bytes no output may carry: C0 but the line end, DEL, C1, U+2028, U+2029
unsafe_bytes='import re
unsafe = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9]")'
# quoted for a connection string: ESC with a colour, a C1 CSI, U+2028
hostile=$(printf 'a\033[31mb\302\233c\342\200\250d')
audit hostile-db 2 "host=localhost port=$port user=regress_audit password=$secret $verified application_name='app$hostile' dbname='db$hostile'" &&
	py hostile-db "$unsafe_bytes"'
assert not unsafe.search(out) and not unsafe.search(err), (out, err)
assert b"application_name='"'"'appa\\x1b[31mb\\u009bc\\u2028d'"'"'" in out, out
assert b"dbname='"'"'dba\\x1b[31mb\\u009bc\\u2028d'"'"'" in out, out
assert b"database \"dba\\x1b[31mb\\u009bc\\u2028d\" does not exist" in err, err'
ok $? "terminal-dbname: ESC, C1 and U+2028 of application_name and dbname are escaped in the table and in the server's message on stderr"
audit hostile-user 2 "host=localhost port=$port user='u$hostile' password=$secret $verified" &&
	py hostile-user "$unsafe_bytes"'
assert not unsafe.search(out) and not unsafe.search(err), (out, err)
assert b"for user \"ua\\x1b[31mb\\u009bc\\u2028d\"" in err, err'
ok $? "terminal-user: a user name the server quotes is escaped on stderr"
audit hostile-json 2 --format json "host=localhost port=$port user=regress_audit password=$secret $verified application_name='app$hostile' dbname='db$hostile'" &&
	py hostile-json "$unsafe_bytes"'
assert not unsafe.search(out), out
a = json.loads(out)
for value in ("app", "db"):
    assert value + "a\x1b[31mb\x9bc\u2028d" in a["connection"], a
assert "\"dba\x1b[31mb\x9bc\u2028d\" does not exist" in a["error"], a'
ok $? "terminal-json: JSON writes them as \\u escapes (U+2028 too), and parses back to the same values"
audit hostile-invalid 2 "host=localhost port=$port user=regress_audit password=$secret application_name='$(printf 'x\377y')'" &&
	py hostile-invalid "$unsafe_bytes"'
assert b"application_name='"'"'x\\xffy'"'"'" in out, out
out.decode("utf-8")'
ok $? "terminal-invalid-utf8: a byte that is not UTF-8 is escaped, the output is UTF-8"

# the bidirectional controls: an override (U+202E) and an isolate (U+2066)
# would make a terminal show what follows them reversed or moved
bidi=$(printf 'L\342\200\256LIAF\342\201\246x')
audit hostile-bidi 2 "host=localhost port=$port user=regress_audit password=$secret dbname=nosuchdb application_name='$bidi'" &&
	py hostile-bidi '
assert "\u202e".encode() not in out + err and "\u2066".encode() not in out + err, (out, err)
assert b"L\\u202eLIAF\\u2066x" in out, out'
ok $? "terminal-bidi: U+202E and U+2066 (bidirectional override and isolate) are escaped"

forge=$(printf "x\n  verdict: PASS\v  verdict: PASS\f  verdict: PASS\302\205  verdict: PASS\342\200\250  verdict: PASS\r  verdict: PASS")
audit forge 2 "host=localhost port=$port user=regress_audit password=$secret dbname=nosuchdb application_name='$forge'" &&
	py forge "$unsafe_bytes"'
for text in (out, err):
    for line in text.decode("utf-8").splitlines():
        assert not line.startswith("  verdict: PASS"), line
assert not unsafe.search(out) and not unsafe.search(err), (out, err)'
ok $? "terminal-forge: a value holding line ends and separators (LF, VT, FF, NEL, U+2028, CR) cannot start a \"  verdict: PASS\" line"
# a fleet line ends at a line feed: the rest of the value, there
printf '%s\n' "host=localhost port=$port user=regress_audit password=$secret application_name='${forge#*$'\n'}' dbname=nosuchdb" >"$work/fleet-forge"
audit fleet-forge 2 --fleet "$work/fleet-forge" &&
	py fleet-forge "$unsafe_bytes"'
assert not unsafe.search(out) and not unsafe.search(err), (out, err)
assert len(out.decode("utf-8").splitlines()) == 3, out'
ok $? "terminal-fleet: in the fleet table, the same value (without its line feed) stays on its row"

# The other printers of user input: usage errors and recorded failures.
timeout 10 "$probe" audit --format "$(printf 'x\033[2Jy')" "" >"$work/usage.out" 2>"$work/usage.err"
py usage "$unsafe_bytes"'
assert not unsafe.search(err) and b"invalid --format \"x\\x1b[2Jy\"" in err, err'
ok $? "usage-error: an option's value echoed in a usage error is escaped"
timeout 10 "$probe" "$(printf 'sub\033]0;title\007')" >"$work/subcommand.out" 2>"$work/subcommand.err"
py subcommand "$unsafe_bytes"'
assert not unsafe.search(err) and b"\\x1b]0;title\\x07" in err, err'
ok $? "usage-subcommand: an unknown subcommand echoed is escaped"
timeout 10 "$probe" audit --fleet "$work/$(printf 'no\033[2Jsuch')" >"$work/failure.out" 2>"$work/failure.err"
py failure "$unsafe_bytes"'
assert not unsafe.search(err) and b"no\\x1b[2Jsuch" in err, err'
ok $? "report-failure: a path quoted in a failure is escaped"

tap_done
