#!/bin/bash
# test_audit_credentials.sh: pg_tls_probe audit's attacks authenticate as
# the real client would to an attacker holding the server's address (issue
# 20), and what the attacker got is what the client sent.  The password
# comes from a host:port-specific .pgpass line, PGPASSWORD, a service file
# or the string; a multi-host string hands over the reached host's password;
# md5, password and cert roles show what libpq really sent to the proxy.
# A planted password never reaches stdout, stderr or JSON.
#
# usage: harness/t/test_audit_credentials.sh [PG_TLS_PROBE]
# Output is TAP, ending with "N passed, N failed".  The cluster and every
# file are removed on exit.
set -uo pipefail

AUDIT_SUITE=audit-creds
AUDIT_TIMEOUT=30
. "$(dirname "$0")/audit_lib.sh"
other="planted-Other-$RANDOM$RANDOM"
audit_secrets+=("$other")

# One cluster, one authentication method per role: cert for tls_client,
# md5 (and trust without TLS) for regress_md5, password for regress_pw,
# scram-sha-256 for the others.
hba=()
for addr in 127.0.0.1/32 ::1/128; do
	hba+=(--hba "hostssl all tls_client $addr cert" --hba "hostnossl all regress_md5 $addr trust"
		--hba "hostssl all regress_md5 $addr md5" --hba "hostssl all regress_pw $addr password"
		--hba "hostssl all all $addr scram-sha-256")
done
start_cluster c1 "${hba[@]}"
port=$(cluster_port c1)
pki="$work/c1/pki"
psql -X -q -At -v ON_ERROR_STOP=1 -h "$work/c1/socket" -p "$port" -U postgres -d postgres \
	-c "CREATE ROLE regress_audit LOGIN PASSWORD '$secret'" -c "CREATE ROLE regress_pw LOGIN PASSWORD '$secret'" \
	-c "SET password_encryption = 'md5'" -c "CREATE ROLE regress_md5 LOGIN PASSWORD '$secret'" >/dev/null ||
	{ echo "Bail out! could not create the roles"; exit 2; }

pgpass_line() {
	printf '%s:%s:postgres:%s:%s\n' "$@"
}
verify_ca="sslmode=verify-ca sslrootcert=$pki/root_ca.crt"
as_audit="host=localhost port=$port dbname=postgres user=regress_audit"

# --- The hostname probe under verify-ca, wherever the password comes from ---

pgpass_line localhost "$port" regress_audit "$secret" >"$HOME/.pgpass"
chmod 600 "$HOME/.pgpass"
audit pgpass-verify-ca 1 --format json "$as_audit $verify_ca"
json "$work/pgpass-verify-ca.out" 'm = attack("hostname-mismatch")
assert a["verdict"] == "fail" and m["accepted"] is True, m
assert m["observed"] == "tls-chain-verified", m
assert "password (from the password file %s/.pgpass)" % sys.argv[2] in a["notes"], a["notes"]' "$HOME"
ok $? "pgpass-verify-ca: a host:port .pgpass line, verify-ca: the hostname probe logs in under the other name (FAIL); the note says where the password came from"
grep -q 'simulated' "$work/pgpass-verify-ca.out"
ok $? "pgpass-verify-ca: the note says the attacks are a simulation"
rm "$HOME/.pgpass"

audit string-verify-ca 1 --format json "$as_audit password=$secret $verify_ca"
json "$work/string-verify-ca.out" 'assert attack("hostname-mismatch")["accepted"] is True, a
assert "password (from the connection string)" in a["notes"], a["notes"]'
ok $? "string-verify-ca: the password in the string, verify-ca: FAIL, as before"

PGPASSWORD=$secret audit pgpassword-verify-ca 1 --format json "$as_audit $verify_ca"
json "$work/pgpassword-verify-ca.out" 'assert attack("hostname-mismatch")["accepted"] is True, a
assert "password (from PGPASSWORD)" in a["notes"], a["notes"]'
ok $? "pgpassword-verify-ca: PGPASSWORD, verify-ca: FAIL, the note names PGPASSWORD"

printf '[regress]\nhost=localhost\nport=%s\ndbname=postgres\nuser=regress_audit\npassword=%s\n' "$port" "$secret" \
	>"$work/services"
PGSERVICEFILE="$work/services" audit service-verify-ca 1 --format json "service=regress $verify_ca"
json "$work/service-verify-ca.out" 'assert attack("hostname-mismatch")["accepted"] is True, a
assert "password (from the service file " in a["notes"] and "(service \"regress\")" in a["notes"], a["notes"]'
ok $? "service-verify-ca: a service file holding the password, verify-ca: FAIL, the note names the service file"

# --- A multi-host string: the reached host's password, not the first's ---

{
	pgpass_line 127.0.0.1 1 regress_audit "$other"
	pgpass_line localhost "$port" regress_audit "$secret"
} >"$work/pgpass-multi"
chmod 600 "$work/pgpass-multi"
PGPASSFILE="$work/pgpass-multi" audit multi-host 1 --format json \
	"host=127.0.0.1,localhost port=1,$port dbname=postgres user=regress_audit sslmode=prefer"
json "$work/multi-host.out" 's = attack("strip")
assert (a["host"], a["port"]) == ("localhost", sys.argv[2]), a
assert s["accepted"] is True and s["observed"] == "plaintext", s
assert "SCRAM exchange" in s["detail"], s' "$port"
ok $? "multi-host: the first host down, the strip attack authenticates upstream with the second host's .pgpass password"

# --- What the attacker got is what the client sent ---

# strip_pgpass NAME ROLE WHAT: ROLE's password only in a .pgpass line for the
# server's port, sslmode=prefer: the strip attack logs in upstream, and its
# attacker got WHAT
strip_pgpass() {
	pgpass_line localhost "$port" "$2" "$secret" >"$work/pgpass-$1"
	chmod 600 "$work/pgpass-$1"
	PGPASSFILE="$work/pgpass-$1" audit "$1" 1 --format json \
		"host=localhost port=$port dbname=postgres user=$2 sslmode=prefer"
	json "$work/$1.out" 's = attack("strip")
assert s["accepted"] is True and s["observed"] == "plaintext", s
assert "then " + sys.argv[2] in s["detail"], s' "$3"
	ok $? "$1: $2's password only in .pgpass for the real port: the strip attack logs in upstream; its attacker got $3"
}
strip_pgpass md5-pgpass regress_md5 "an MD5 hash response"

audit md5-none 1 --format json "host=localhost port=$port dbname=postgres user=regress_md5 sslmode=disable"
json "$work/md5-none.out" 's = attack("strip")
assert s["accepted"] is True, s
assert "nothing beyond the startup (the server asked for md5 authentication)" in s["detail"], s
assert "MD5 hash" not in s["detail"], s
assert "no password (libpq found none for this host)" in a["notes"], a["notes"]'
ok $? "md5-none: md5 and no password anywhere: the attacker got nothing beyond the startup"

strip_pgpass password-pgpass regress_pw "the password in cleartext"

# --- The client certificate goes to the attacker too ---

audit cert-string 1 --format json \
	"host=localhost port=$port dbname=postgres user=tls_client sslmode=require sslcert=$pki/client.crt sslkey=$pki/client.key"
json "$work/cert-string.out" 'f = attack("forge-self-signed")
assert f["accepted"] is True and "with the client\x27s certificate (" in f["detail"] and ",CN=tls_client," in f["detail"], f
assert "client certificate %s/client.crt" % sys.argv[2] in a["notes"], a["notes"]' "$pki"
ok $? "cert-string: sslcert in the string: the forging attacker was presented the client's certificate"

mkdir -p "$HOME/.postgresql"
cp "$pki/client.crt" "$HOME/.postgresql/postgresql.crt"
install -m 600 "$pki/client.key" "$HOME/.postgresql/postgresql.key"
audit cert-default 1 --format json "host=localhost port=$port dbname=postgres user=tls_client sslmode=require"
json "$work/cert-default.out" 'f = attack("forge-copied-names")
assert f["accepted"] is True and "with the client\x27s certificate (" in f["detail"] and ",CN=tls_client," in f["detail"], f
assert "client certificate %s/.postgresql/postgresql.crt" % sys.argv[2] in a["notes"], a["notes"]' "$HOME"
ok $? "cert-default: ~/.postgresql/postgresql.crt, libpq's default: handed over and presented to the attacker"
rm -r "$HOME/.postgresql"

tap_done
