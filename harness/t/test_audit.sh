#!/bin/bash
# test_audit.sh: pg_tls_probe audit against the test bed, as TAP.  Known-good
# and known-bad connection strings get their verdicts, a hostssl-only
# upstream does not hide an accepted attack, and a planted password never
# reaches stdout, stderr or JSON.  The path: confirmed by channel binding, a
# pin or the server's view, intercepted through a trusted interceptor (one
# that relays SCRAM-SHA-256-PLUS, one that strips it), else UNCONFIRMED.
# The trust anchor is libpq's; a configuration that cannot connect is a
# finding; --timeout holds against listeners that never answer; malformed
# strings leak nothing.
#
# usage: harness/t/test_audit.sh [PG_TLS_PROBE]
set -uo pipefail

AUDIT_SUITE=audit-test
AUDIT_TIMEOUT=30
. "$(dirname "$0")/audit_lib.sh"
pids=()
audit_cleanup_extra() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
}

start_cluster c1
start_cluster c2 --pki "$work/c1/pki" \
	--hba 'hostssl all all 127.0.0.1/32 scram-sha-256' --hba 'hostssl all all ::1/128 scram-sha-256'
# c3: a role that authenticates with "password" (no SCRAM: nothing to bind), TLS or not
start_cluster c3 --pki "$work/c1/pki" \
	--hba 'hostssl all all 127.0.0.1/32 password' --hba 'hostssl all all ::1/128 password' \
	--hba 'host all all 127.0.0.1/32 password' --hba 'host all all ::1/128 password'
port1=$(cluster_port c1)
port2=$(cluster_port c2)
port3=$(cluster_port c3)
pki="$work/c1/pki"
# sql CLUSTER DB STATEMENT: as the superuser, over the cluster's socket
sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$work/$1/socket" -p "$(cluster_port "$1")" \
		-U postgres -d "$2" -c "$3"
}
for c in c1 c2 c3; do
	sql $c postgres "CREATE ROLE regress_audit LOGIN PASSWORD '$secret'" >/dev/null
done

base="host=localhost dbname=postgres user=regress_audit password=$secret"
audit verify-full 0 "$base port=$port1 sslmode=verify-full sslrootcert=$pki/root_ca.crt"
grep -q 'verdict: PASS' "$work/verify-full.out"
ok $? "verify-full with the right CA passes every attack"
! grep -qE '^  notes: .*; *$' "$work/verify-full.out"
ok $? "notes-separators: no dangling separator after the last note"

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
grep -E '^  verdict: FAIL: ' "$work/prefer.out" | grep -q 'tls-unverified' &&
	grep -E '^  verdict: FAIL: ' "$work/prefer.out" | grep -q 'strip' && ! grep -q 'marked FAIL' "$work/prefer.out"
ok $? "verdict-names-checks: the FAIL verdict names the direct class and the accepted attacks"

audit prefer-hostssl 1 "$base port=$port2 sslmode=prefer"
grep -qE '^ +strip +FAIL +plaintext' "$work/prefer-hostssl.out"
ok $? "a hostssl-only upstream does not hide the accepted strip: the client got a plaintext session"

audit uri 1 "postgresql://regress_audit:$secret@localhost:$port1/postgres?sslmode=verify-ca&sslrootcert=$pki/root_ca.crt"
grep -qE '^ +hostname-mismatch +FAIL' "$work/uri.out" && grep -q 'password=\*\*\*\*\*\*\*\*' "$work/uri.out"
ok $? "a URI with verify-ca: the hostname probe fails, the password is shown as asterisks"

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
grep -q '^fleet: 3 audited, 1 pass, 2 fail, 0 unconfirmed, 0 could not run' "$work/fleet.out"
ok $? "a fleet of three: one pass, two fail"


# --- The path: channel binding, a pin, the server's view (issue 10, item 1) ---

audit cb-confirms 0 --format json "$base port=$port1 sslmode=verify-full sslrootcert=$pki/root_ca.crt"
json "$work/cb-confirms.out" 'assert (a["verdict"], a["path"], a["by"], a["strength"]) == ("pass", "confirmed", "channel-binding", "strong"), a'
ok $? "path-channel-binding: a SCRAM role over TLS is confirmed by channel binding (strong), JSON path and by"

# A trusted interceptor: a certificate for localhost from the intermediate the client trusts.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
	-keyout "$work/mitm.key" -out "$work/mitm.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' >"$work/mitm.ext"
openssl x509 -req -in "$work/mitm.csr" -CA "$pki/intermediate_ca.crt" -CAkey "$pki/intermediate_ca.key" \
	-CAcreateserial -CAserial "$work/mitm.srl" -days 2 -extfile "$work/mitm.ext" -out "$work/mitm.leaf" 2>/dev/null
cat "$work/mitm.leaf" "$pki/intermediate_ca.crt" >"$work/mitm.crt"
# interceptor NAME UPSTREAM_PORT [--strip-channel-binding]: sets port_NAME
interceptor() {
	local name=$1 up=$2
	shift 2
	"$tool" proxy intercept --upstream "127.0.0.1:$up" --cert "$work/mitm.crt" --key "$work/mitm.key" "$@" \
		>"$work/$name.port" 2>"$work/$name.log" &
	pids+=($!)
	for _ in $(seq 1 100); do grep -q '^port ' "$work/$name.port" && break; sleep 0.05; done
	printf -v "port_$name" '%s' "$(sed -n 's/^port //p' "$work/$name.port")"
}
interceptor relay "$port1"
interceptor strip "$port1" --strip-channel-binding
interceptor relay3 "$port3"
verified="sslmode=verify-full sslrootcert=$pki/root_ca.crt"
verified_q="sslmode=verify-full&sslrootcert=$pki/root_ca.crt"
here=$PWD

sql c3 postgres "CREATE ROLE regress_pw LOGIN PASSWORD '$secret'"
audit intercept-password-role 1 "host=localhost port=$port_relay3 dbname=postgres user=regress_pw password=$secret $verified"
grep -q '^  verdict: UNCONFIRMED' "$work/intercept-password-role.out" &&
	grep -E '^  hint: ' "$work/intercept-password-role.out" | grep -q 'channel binding' &&
	grep -E '^  hint: ' "$work/intercept-password-role.out" | grep -q -- '--server-fingerprint' &&
	grep -E '^  hint: ' "$work/intercept-password-role.out" | grep -q 'pg_tls_audit'
ok $? "path-unconfirmed: a trusted interceptor before a password role, pg_stat_ssl alone: UNCONFIRMED with a hint naming the three ways"

audit intercept-relay-plus 1 --format json "$base port=$port_relay $verified"
json "$work/intercept-relay-plus.out" 'assert (a["verdict"], a["path"], a["by"]) == ("fail", "intercepted", "channel-binding"), a
assert any(x["ran"] for x in a["attacks"]), a'
ok $? "path-relay-plus: the direct connection's 'SCRAM channel binding check failed' is a detected interception (exit 1), and the attacks ran"

audit intercept-relay-plus-disabled 1 "$base port=$port_relay $verified channel_binding=disable"
grep -q '^  path: FAIL  intercepted by SCRAM channel binding' "$work/intercept-relay-plus-disabled.out" &&
	grep -E '^  verdict: FAIL: ' "$work/intercept-relay-plus-disabled.out" | grep -q 'intercepted'
ok $? "path-extra-connection: with channel_binding=disable, the extra channel_binding=require connection catches the interceptor; the path line is marked FAIL and the verdict names it"

audit intercept-strip-plus-disabled 1 --format json "$base port=$port_strip $verified channel_binding=disable"
json "$work/intercept-strip-plus-disabled.out" 'assert (a["verdict"], a["path"], a["by"]) == ("fail", "intercepted", "scram-mechanisms"), a
cb = a["oracles"]["channel-binding"]
assert cb["result"] == "unconfirmed" and "SCRAM-SHA-256-PLUS" in cb["detail"], cb'
ok $? "path-strip-plus: an interceptor that strips SCRAM-SHA-256-PLUS is never confirmed: no PostgreSQL server offers SCRAM without it over TLS (weak), FAIL"

audit intercept-strip-plus 1 --format json "$base port=$port_strip $verified"
json "$work/intercept-strip-plus.out" 'assert (a["verdict"], a["path"], a["by"]) == ("fail", "intercepted", "channel-binding"), a'
ok $? "path-strip-plus-downgrade: the server's channel binding negotiation error (a stripped -PLUS) is a detected interception"

certauth="host=localhost port=$port1 dbname=postgres user=tls_client sslcert=$pki/client.crt sslkey=$pki/client.key $verified"
audit cert-auth 1 --format json "$certauth"
json "$work/cert-auth.out" 'assert (a["verdict"], a["path"]) == ("unconfirmed", "unconfirmed"), a
assert a["oracles"]["channel-binding"]["result"] == "n/a", a'
ok $? "path-cert-auth: cert authentication without the extension: UNCONFIRMED (channel binding not applicable)"
audit pin-fingerprint 0 --format json --server-fingerprint "$(openssl x509 -in "$pki/server.crt" -noout -fingerprint -sha256)" "$certauth"
json "$work/pin-fingerprint.out" 'assert (a["verdict"], a["path"], a["by"], a["strength"]) == ("pass", "confirmed", "pin", "strong"), a'
ok $? "path-pin: --server-fingerprint as openssl prints it confirms the path (strong)"
audit pin-wrong 1 --format json --server-cert "$work/mitm.leaf" "$certauth"
json "$work/pin-wrong.out" 'assert (a["verdict"], a["path"], a["by"]) == ("fail", "intercepted", "pin"), a'
ok $? "path-pin-mismatch: --server-cert with another certificate: intercepted"
audit pin-bad 2 --server-fingerprint 'AB:CD' "$certauth"
[ "$(wc -l <"$work/pin-bad.err")" -eq 1 ]
ok $? "path-pin-invalid: a malformed fingerprint is exit 2 with one line"

# The server's view through pg_tls_audit, where the host has the extension.
if sql c3 postgres "CREATE DATABASE withext" >/dev/null && sql c3 withext "CREATE EXTENSION pg_tls_audit" >/dev/null 2>&1 ||
	{ sleep 2; sql c3 withext "CREATE EXTENSION pg_tls_audit" >/dev/null 2>&1; }; then
	audit server-view 0 --format json "host=localhost port=$port3 dbname=withext user=regress_pw password=$secret $verified"
	json "$work/server-view.out" 'assert (a["verdict"], a["path"], a["by"], a["strength"]) == ("pass", "confirmed", "server-view", "weak"), a'
	ok $? "path-server-view: pg_tls_audit in the target confirms the path (weak)"
	audit server-view-intercepted 1 --format json "host=localhost port=$port_relay3 dbname=withext user=regress_pw password=$secret $verified"
	json "$work/server-view-intercepted.out" 'assert (a["verdict"], a["path"], a["by"], a["strength"]) == ("fail", "intercepted", "server-view", "weak"), a'
	ok $? "path-server-view-intercepted: through the interceptor, the server's view disagrees (weak)"
else
	ok 0 "# SKIP pg_tls_audit is not installed on this host"
fi

# A hostile search path in the target cannot answer for pg_stat_ssl.
# An interceptor whose certificate is signed with Ed25519: tls-server-end-point has no hash for it.
openssl req -x509 -newkey ed25519 -nodes -subj '/CN=pg_tls_probe Ed25519 CA' -days 2 \
	-keyout "$work/ed_ca.key" -out "$work/ed_ca.crt" -addext 'basicConstraints=critical,CA:TRUE' 2>/dev/null
openssl req -new -newkey ed25519 -nodes -subj /CN=localhost -keyout "$work/ed.key" -out "$work/ed.csr" 2>/dev/null
openssl x509 -req -in "$work/ed.csr" -CA "$work/ed_ca.crt" -CAkey "$work/ed_ca.key" -CAcreateserial \
	-CAserial "$work/ed.srl" -days 2 -extfile "$work/mitm.ext" -out "$work/ed.crt" 2>/dev/null
"$tool" proxy intercept --upstream "127.0.0.1:$port1" --cert "$work/ed.crt" --key "$work/ed.key" >"$work/ed.port" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^port ' "$work/ed.port" && break; sleep 0.05; done
port_ed=$(sed -n 's/^port //p' "$work/ed.port")
audit ed25519 1 --format json "$base port=$port_ed sslmode=verify-full sslrootcert=$work/ed_ca.crt channel_binding=disable"
json "$work/ed25519.out" 'assert (a["direct"], a["verdict"], a["path"]) == ("tls-verified", "unconfirmed", "unconfirmed"), a
assert "cannot be bound" in a["oracles"]["channel-binding"]["detail"], a'
ok $? "path-ed25519: a certificate signed with Ed25519 cannot be bound: UNCONFIRMED, never confirmed"
audit ed25519-prefer 1 "$base port=$port_ed sslmode=verify-full sslrootcert=$work/ed_ca.crt"
grep -q '^  verdict: FAIL: the configuration cannot connect' "$work/ed25519-prefer.out"
ok $? "path-ed25519-prefer: libpq's default channel binding failing on it is a finding, not could not run"

sql c1 postgres "CREATE ROLE regress_evil LOGIN PASSWORD '$secret'; CREATE SCHEMA evil AUTHORIZATION regress_evil;
	CREATE VIEW evil.pg_stat_ssl AS SELECT pg_catalog.pg_backend_pid() AS pid, false AS ssl;
	GRANT USAGE ON SCHEMA evil TO PUBLIC; GRANT SELECT ON evil.pg_stat_ssl TO PUBLIC;
	ALTER ROLE regress_evil SET search_path = evil, pg_catalog"
audit hostile-search-path 0 --format json "host=localhost port=$port1 dbname=postgres user=regress_evil password=$secret $verified"
json "$work/hostile-search-path.out" 'assert a["verdict"] == "pass" and a["server_view"] == "pg_stat_ssl: TLS on", a'
ok $? "search-path: the audit's queries are schema-qualified under search_path = pg_catalog"

# --- The trust anchor is the one the client's libpq used (item 2) ---

libpq=$("${PG_CONFIG:-pg_config}" --version | sed -n 's/^PostgreSQL \([0-9]*\).*/\1/p')
mkdir -p "$work/sysdir" "$work/nosys"
cp "$pki/root_ca.crt" "$work/sysdir/system"
# anchor NAME DIR SSL_CERT_FILE SSLMODE EXIT DIRECT WHAT: sslrootcert=system run in DIR
anchor() {
	cd "$work/$2" && SSL_CERT_FILE="$pki/$3" audit "$1" "$5" --format json \
		"$base port=$port1 sslmode=$4 sslrootcert=system"
	cd "$here"
	json "$work/$1.out" "assert a['direct'] == '$6', a['direct']"
	ok $? "$1: libpq $libpq $7 ($6)"
}
if [ "$libpq" -lt 16 ]; then
	anchor anchor-system-file sysdir untrusted_ca.crt verify-full 0 tls-verified "verified against ./system: so does the harness"
	anchor anchor-system-store nosys root_ca.crt require 1 tls-unverified "verified nothing (no ./system): the system store does not count"
else
	anchor anchor-system-store sysdir root_ca.crt verify-full 0 tls-verified "reads the system store (SSL_CERT_FILE)"
	anchor anchor-system-file sysdir untrusted_ca.crt verify-full 1 refused "ignores ./system, as the harness does"
fi
audit missing-crl 0 --format json "$base port=$port1 $verified sslcrl=$work/no-such.crl"
json "$work/missing-crl.out" 'assert (a["direct"], a["verdict"]) == ("tls-verified", "pass"), a'
ok $? "anchor-missing-crl: a missing sslcrl file is no CRL, as for libpq"
mkdir -p "$work/home2/.postgresql"
cp "$pki/root_ca.crt" "$work/home2/.postgresql/root.crt"
HOME="$work/home2" audit home-root 0 --format json "$base port=$port1 sslmode=verify-full"
json "$work/home-root.out" 'assert (a["direct"], a["verdict"]) == ("tls-verified", "pass"), a'
ok $? "anchor-home: ~/.postgresql/root.crt is the default trust anchor"

# --- A configuration that cannot connect is a finding (item 3) ---

seed="postgresql://regress_audit:$secret@localhost:$port1/postgres?sslmode=verify-full&sslrootcert=system"
if [ "$libpq" -lt 16 ]; then
	cd "$work/nosys" && audit seed-string 1 --format json "$seed"; cd "$here"
	json "$work/seed-string.out" 'assert a["verdict"] == "fail" and a["direct"] == "refused", a
assert "root certificate file" in a["cannot_connect"] and "system" in a["cannot_connect"], a
assert all(x["ran"] for x in a["attacks"] if x["attack"] in ("strip", "forge-self-signed", "hostname-mismatch")), a'
	ok $? "cannot-connect-seed: the seed's string on libpq $libpq is a finding (exit 1), with the reason, and the attacks ran"
	cd "$work/nosys" && audit seed-string-table 1 "$seed"; cd "$here"
	grep -q 'reads sslrootcert=system as a file named "system"' "$work/seed-string-table.out"
	ok $? "cannot-connect-seed: the note says libpq $libpq reads sslrootcert=system as a file"
else
	cd "$work/nosys" && SSL_CERT_FILE="$pki/root_ca.crt" audit seed-string 0 "$seed"; cd "$here"
	grep -q 'verdict: PASS' "$work/seed-string.out"
	ok $? "cannot-connect-seed: the seed's string passes on libpq $libpq"
fi
audit wrong-ca 1 --format json "$base port=$port1 sslmode=verify-full sslrootcert=$pki/untrusted_ca.crt"
json "$work/wrong-ca.out" 'assert "certificate verify failed" in a["cannot_connect"], a'
ok $? "cannot-connect-verify: certificate verify failed is a finding"
audit name-mismatch 1 --format json "host=pg-tls-probe-other.invalid hostaddr=127.0.0.1 port=$port1 dbname=postgres user=regress_audit password=$secret $verified"
json "$work/name-mismatch.out" 'assert "does not match host name" in a["cannot_connect"], a'
ok $? "cannot-connect-name: a name mismatch is a finding"
audit unreachable 2 "$base port=1 $verified"
[ "$(wc -l <"$work/unreachable.err")" -eq 1 ]
ok $? "cannot-connect-unreachable: an unreachable server still could not run (exit 2, one line)"
audit wrong-password 2 "host=localhost port=$port1 dbname=postgres user=regress_audit password=wrong-$RANDOM $verified"
ok $? "cannot-connect-auth: failed authentication with the string's own credentials could not run"

# --- --timeout is a hard deadline (item 4) ---

# listeners that accept and never answer
cat >"$work/sleeper.py" <<'PY'
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
PY
for n in 1 2; do
	/usr/bin/python3 "$work/sleeper.py" >"$work/sleeper$n.port" &
	pids+=($!)
done
for _ in $(seq 1 100); do [ -s "$work/sleeper1.port" ] && [ -s "$work/sleeper2.port" ] && break; sleep 0.05; done
sleep1=$(cat "$work/sleeper1.port")
sleep2=$(cat "$work/sleeper2.port")
# bounded NAME EXPECTED_EXIT MAX_SECONDS ARGS...: the audit ends in time
bounded() {
	local name=$1 expect=$2 max=$3 start end
	shift 3
	start=$(date +%s.%N)
	audit "$name" "$expect" "$@"
	end=$(date +%s.%N)
	/usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) < float(sys.argv[3]) else 1)" "$start" "$end" "$max"
	ok $? "$name: ended within $max s"
}
bounded deadline-connect 2 6 --timeout 2 "host=127.0.0.1 port=$sleep1 dbname=postgres user=regress_audit password=$secret connect_timeout=0 sslmode=require"
grep -q 'no answer within 2 s' "$work/deadline-connect.err"
ok $? "deadline-connect: connect_timeout=0 does not override --timeout on a listener that never answers"
# one deadline for the whole attempt, not one per host
bounded deadline-multi-host 2 3.5 --timeout 2 "host=127.0.0.1,127.0.0.1 port=$sleep1,$sleep2 dbname=postgres user=regress_audit password=$secret connect_timeout=0"
PGCONNECT_TIMEOUT=0 bounded deadline-multi-host-env 2 3.5 --timeout 2 "host=127.0.0.1,127.0.0.1 port=$sleep1,$sleep2 dbname=postgres user=regress_audit password=$secret"
printf '%s\n' "$base port=$port1 $verified" "host=127.0.0.1 port=$sleep2 dbname=postgres user=regress_audit connect_timeout=0" >"$work/fleet-deadline"
bounded deadline-fleet 2 8 --timeout 2 --fleet "$work/fleet-deadline"
grep -q '^fleet: 1 audited, 1 pass, 0 fail, 0 unconfirmed, 1 could not run' "$work/deadline-fleet.out"
ok $? "deadline-fleet: a fleet line that never answers ends within --timeout; the other passes"
# a server-view query that cannot get its lock
psql -X -q -h "$work/c1/socket" -p "$port1" -U postgres -d postgres \
	-c "BEGIN; LOCK pg_catalog.pg_extension IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
	[ "$(sql c1 postgres "SELECT count(*) FROM pg_locks WHERE relation = 'pg_catalog.pg_extension'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] && break
	sleep 0.05
done
bounded deadline-query 0 10 --timeout 2 "$base port=$port1 $verified"
grep -q "server's view: could not be read: no answer within 2 s" "$work/deadline-query.out"
ok $? "deadline-query: a server-view query that never returns is cancelled at --timeout"
sql c1 postgres "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE relation = 'pg_catalog.pg_extension'::regclass AND mode = 'AccessExclusiveLock'" >/dev/null

# --- No secret in any output, for any input (item 5) ---

r="$RANDOM$RANDOM$RANDOM"
special="K${r}@w 'x\\y z${r}K"
sql c1 postgres "CREATE ROLE regress_special LOGIN PASSWORD '$(printf '%s' "$special" | sed "s/'/''/g")'"
encoded=$(/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$special")
kwquoted=$(printf '%s' "$special" | sed "s/[\\\\']/\\\\&/g")
shapes=(
	"postgresql://regress_audit:S${r}x@[::1:$port1/postgres"
	"postgresql://regress_audit:S${r}x@localhost:54x32/postgres"
	"host=localhost user=regress_audit password='S${r}x"
	"host=localhost user=regress_audit password=S${r}x bogus=1"
	"postgresql://regress_audit:S${r}x%zz@localhost:$port1/postgres"
	"postgresql://regress_special:$special@localhost:$port1/postgres?$verified_q"
	"bogus=1 password=S${r}x"
	"postgresql://regress_audit@localhost:$port1/postgres?password=S${r}x%00&sslmode=require"
)
i=0
for shape in "${shapes[@]}"; do
	i=$((i + 1))
	audit "shape$i" 2 "$shape"
	[ "$(wc -l <"$work/shape$i.err")" -eq 1 ]
	ok $? "shape$i: exit 2 and exactly one line on stderr"
	audit "shape$i-json" 2 --format json "$shape"
done
printf '%s\n' "${shapes[@]}" "postgresql://regress_special:$encoded@localhost:$port1/postgres?$verified_q" \
	"host=localhost port=$port1 dbname=postgres user=regress_special password='$kwquoted' $verified" >"$work/shapes"
audit shapes-fleet 2 --fleet "$work/shapes"
audit shapes-fleet-json 2 --fleet "$work/shapes" --format json
grep -q '^fleet: 2 audited, 2 pass, 0 fail, 0 unconfirmed, 8 could not run' "$work/shapes-fleet.out"
ok $? "redact-fleet: the encoded URI and the quoted keyword form with @ ' \\ and spaces pass; eight shapes could not run"
PGPASSWORD="S${r}x" audit pgpassword 2 "host=localhost port=54x32 user=regress_audit"
! grep -qF -- "$r" "$work"/shape*.out "$work"/shape*.err "$work"/pgpassword.out "$work"/pgpassword.err
ok $? "redact-shapes: the planted secret appears in no output (table, JSON, fleet, stderr), raw, encoded or partly decoded"

# --- Messages a person can act on (item 6) ---

"$probe" audit --help >"$work/help.out"
grep -q 'UNCONFIRMED' "$work/help.out" && grep -q 'intercepted' "$work/help.out" &&
	grep -qE '^  0  PASS' "$work/help.out" && grep -qE '^  2  could not run' "$work/help.out"
ok $? "help: --help documents the exit codes and the path verdict"

# Last, since it turns TLS off: c3 without TLS (a server that offers none).
sql c3 postgres "ALTER SYSTEM SET ssl = off" && sql c3 postgres "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
audit no-ssl-server 1 --format json "host=localhost port=$port3 dbname=postgres user=regress_pw password=$secret sslmode=require"
json "$work/no-ssl-server.out" 'assert "server does not support SSL" in a["cannot_connect"], a
assert any(x["ran"] for x in a["attacks"]), a'
ok $? "cannot-connect-no-tls: a server that offers no TLS is a finding (exit 1), and the attacks ran"
audit mismatch-plaintext 1 "host=localhost port=$port3 dbname=postgres user=regress_pw password=$secret sslmode=prefer"
grep -E '^ +hostname-mismatch +FAIL +plaintext: ' "$work/mismatch-plaintext.out" | grep -q 'in plaintext' &&
	! grep -q "accepted the server's certificate" "$work/mismatch-plaintext.out"
ok $? "mismatch-plaintext: a hostname-mismatch probe that ended in plaintext says plaintext"
tap_done
