#!/bin/bash
# test_audit.sh: pg_tls_probe audit against the test bed, as TAP.  Known-good
# and known-bad connection strings get their verdicts, a hostssl-only
# upstream does not hide an accepted attack, and a planted password never
# reaches stdout, stderr or JSON.
#
# usage: harness/test_audit.sh [PG_TLS_PROBE]
set -uo pipefail

probe=${1:-$(dirname "$0")/pg_tls_probe}
work=$(mktemp -d /tmp/pg_tls_probe-audit-test.XXXXXX)
chmod 755 "$work"
secret="planted-Secret-$RANDOM$RANDOM"
cleanup() {
	"$probe" cluster stop "$work/c1" >/dev/null 2>&1
	"$probe" cluster stop "$work/c2" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/tap.sh"

# Only what each test passes reaches libpq: no PG* variables, an empty HOME.
for v in $(env | sed -n 's/^\(PG[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export HOME="$work/home"
mkdir -p "$HOME"

"$probe" cluster start "$work/c1" >"$work/c1.env" || { echo "Bail out! cluster start failed"; exit 2; }
"$probe" cluster start "$work/c2" --pki "$work/c1/pki" \
	--hba 'hostssl all all 127.0.0.1/32 scram-sha-256' --hba 'hostssl all all ::1/128 scram-sha-256' \
	>"$work/c2.env" || { echo "Bail out! cluster start failed"; exit 2; }
port1=$(sed -n 's/^export PGPORT=//p' "$work/c1.env")
port2=$(sed -n 's/^export PGPORT=//p' "$work/c2.env")
pki="$work/c1/pki"
for c in c1 c2; do
	psql -X -q -h "$work/$c/socket" -p "$(sed -n 's/^export PGPORT=//p' "$work/$c.env")" -U postgres -d postgres \
		-c "CREATE ROLE regress_audit LOGIN PASSWORD '$secret'" >/dev/null
done

# audit NAME EXPECTED_EXIT ARGS...: runs, keeps stdout and stderr
audit() {
	local name=$1 expect=$2
	shift 2
	"$probe" audit "$@" >"$work/$name.out" 2>"$work/$name.err"
	local rc=$?
	[ $rc -eq "$expect" ]
	ok $? "$name: exit $expect (got $rc)"
	! grep -q -- "$secret" "$work/$name.out" "$work/$name.err"
	ok $? "$name: the password appears in no output"
}

base="host=localhost dbname=postgres user=regress_audit password=$secret"
audit verify-full 0 "$base port=$port1 sslmode=verify-full sslrootcert=$pki/root_ca.crt"
grep -q 'verdict: PASS' "$work/verify-full.out"
ok $? "verify-full with the right CA passes every attack"

audit require-json 1 --format json "$base port=$port1 sslmode=require"
/usr/bin/python3 - "$work/require-json.out" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
forge = [x for x in a["attacks"] if x["attack"] == "forge-self-signed"][0]
strip = [x for x in a["attacks"] if x["attack"] == "strip"][0]
assert a["verdict"] == "fail", a["verdict"]
assert a["direct"] == "tls-unverified", a["direct"]
assert forge["accepted"] is True, forge
assert strip["accepted"] is False, strip
PY
ok $? "sslmode=require: forge accepted, strip refused, direct tls-unverified (JSON)"

audit prefer 1 "$base port=$port1 sslmode=prefer"
grep -qE '^ +strip +FAIL' "$work/prefer.out"
ok $? "sslmode=prefer: strip accepted"

audit prefer-hostssl 1 "$base port=$port2 sslmode=prefer"
grep -qE '^ +strip +FAIL +plaintext' "$work/prefer-hostssl.out"
ok $? "a hostssl-only upstream does not hide the accepted strip: the client got a plaintext session"

audit uri 1 "postgresql://regress_audit:$secret@localhost:$port1/postgres?sslmode=verify-ca&sslrootcert=$pki/root_ca.crt"
grep -qE '^ +hostname-mismatch +FAIL' "$work/uri.out" && grep -q 'password=\*\*\*\*\*\*\*\*' "$work/uri.out"
ok $? "a URI with verify-ca: the hostname probe fails, the password is shown as asterisks"

# libpq 16 and later read the system store (here SSL_CERT_FILE); 15 a file named "system".
libpq=$("${PG_CONFIG:-pg_config}" --version | sed -n 's/^PostgreSQL \([0-9]*\).*/\1/p')
if [ "$libpq" -ge 16 ]; then
	SSL_CERT_FILE="$pki/root_ca.crt" audit system 0 "$base port=$port1 sslmode=verify-full sslrootcert=system"
	grep -q 'verdict: PASS' "$work/system.out"
	ok $? "sslrootcert=system with the CA in SSL_CERT_FILE passes on libpq $libpq"
else
	SSL_CERT_FILE="$pki/root_ca.crt" audit system 2 "$base port=$port1 sslmode=verify-full sslrootcert=system"
	grep -q 'reads sslrootcert=system as a file named "system"' "$work/system.out"
	ok $? "sslrootcert=system on libpq $libpq is explained, not failed obscurely"
fi

audit bad-conninfo 2 "postgresql://regress_audit:$secret@localhost:$port1/postgres?sslmode=bogus"
[ "$(wc -l <"$work/bad-conninfo.err")" -eq 1 ]
ok $? "an invalid connection string: one line on stderr"

# What libpq honours applies: .pgpass, a service file, several hosts.
printf 'localhost:%s:postgres:regress_audit:%s\n' "$port1" "$secret" >"$work/pgpass"
chmod 600 "$work/pgpass"
printf '[regress]\nhost=localhost\nport=%s\ndbname=postgres\n' "$port1" >"$work/services"
PGPASSFILE="$work/pgpass" PGSERVICEFILE="$work/services" \
	audit service-pgpass 0 "service=regress user=regress_audit sslmode=verify-full sslrootcert=$pki/root_ca.crt"
grep -q 'verdict: PASS' "$work/service-pgpass.out"
ok $? "a service file and .pgpass: the password from .pgpass reaches every attack, the verdict passes"
audit multi-host 0 "host=nowhere.invalid,localhost port=1,$port1 dbname=postgres user=regress_audit password=$secret sslmode=verify-full sslrootcert=$pki/root_ca.crt"
grep -q "direct connection to localhost" "$work/multi-host.out" && grep -q 'verdict: PASS' "$work/multi-host.out"
ok $? "a multi-host string: the attacks target the host the direct connection reached"

printf '%s\n' "# a fleet" "$base port=$port1 sslmode=verify-full sslrootcert=$pki/root_ca.crt" \
	"$base port=$port1 sslmode=require" "$base port=$port2 sslmode=prefer" >"$work/fleet"
audit fleet 1 --fleet "$work/fleet"
grep -q '^fleet: 3 audited, 1 pass, 2 fail, 0 could not run' "$work/fleet.out"
ok $? "a fleet of three: one pass, two fail"

tap_done
