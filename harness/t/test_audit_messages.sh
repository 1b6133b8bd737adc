#!/bin/bash
# test_audit_messages.sh: what pg_tls_probe audit says beside its verdict, as
# TAP.  A certificate libpq refuses is explained with its X509 error, depth
# and subject (a leaf-only chain, an expired intermediate, a revoked or a
# not-yet-valid server certificate, a wrong CA); a certificate expiring
# within 30 or 7 days and an sslcrl libpq will not read are warnings that
# leave the exit code alone; each TLS setting says where it came from (the
# string, a service file, the environment, the default); an unresolvable
# host is not an "invalid connection string".  The server's certificate is
# swapped by ALTER SYSTEM and a reload between cases; the bad PKIs are made
# here with openssl, on the key of the test bed's server.
#
# usage: harness/t/test_audit_messages.sh [PG_TLS_PROBE]
set -uo pipefail

AUDIT_SUITE=audit-messages
. "$(dirname "$0")/audit_lib.sh"

start_cluster c1
port=$(cluster_port c1)
pki="$work/c1/pki"
sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$work/c1/socket" -p "$port" -U postgres -d postgres -c "$1"
}
sql "CREATE ROLE regress_audit LOGIN PASSWORD '$secret'" >/dev/null

# --- bad PKIs: certificates for the test bed's server key, from openssl ca ---
certs="$work/certs"
mkdir -p "$certs"
chmod 755 "$certs"
# ca_db NAME: an openssl ca database (dates and revocation need one)
ca_db() {
	mkdir -p "$certs/$1"
	: >"$certs/$1/index.txt"
	echo 1000 >"$certs/$1/serial"
	cat >"$certs/$1/ca.cnf" <<EOF
[ca]
default_ca = ca_default
[ca_default]
database = $certs/$1/index.txt
new_certs_dir = $certs/$1
serial = $certs/$1/serial
default_md = sha256
default_crl_days = 30
policy = policy_any
unique_subject = no
[policy_any]
commonName = supplied
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_leaf]
basicConstraints = CA:false
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
EOF
}
# when OFFSET: a certificate date, OFFSET from now ("-400 days", "+2 days +1 hour")
when() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
# issue DB CA_CRT CA_KEY CSR OUT EXTENSIONS START END
issue() {
	openssl ca -batch -notext -config "$certs/$1/ca.cnf" -cert "$2" -keyfile "$3" -in "$4" -out "$5" \
		-extensions "$6" -startdate "$(when "$7")" -enddate "$(when "$8")" >>"$work/openssl.log" 2>&1
}
ca_db root
ca_db inter
openssl req -new -key "$pki/server.key" -subj /CN=localhost -out "$certs/server.csr" 2>>"$work/openssl.log"
# leaf NAME START END: a server certificate from the test bed's intermediate, served with it
leaf() {
	issue inter "$pki/intermediate_ca.crt" "$pki/intermediate_ca.key" "$certs/server.csr" "$certs/$1.leaf" v3_leaf "$2" "$3"
	cat "$certs/$1.leaf" "$pki/intermediate_ca.crt" >"$certs/$1.crt"
}
# the server's leaf alone, without the intermediate that issued it
sed -n '1,/END CERTIFICATE/p' "$pki/server.crt" >"$certs/leaf-only.crt"
# an intermediate that expired last month, and a leaf it issued
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=Expired Intermediate CA' \
	-keyout "$certs/old-inter.key" -out "$certs/old-inter.csr" 2>>"$work/openssl.log"
issue root "$pki/root_ca.crt" "$pki/root_ca.key" "$certs/old-inter.csr" "$certs/old-inter.crt" v3_ca "-400 days" "-30 days"
issue root "$certs/old-inter.crt" "$certs/old-inter.key" "$certs/server.csr" "$certs/expired-inter.leaf" v3_leaf "-1 hour" "+60 days"
cat "$certs/expired-inter.leaf" "$certs/old-inter.crt" >"$certs/expired-inter.crt"
leaf revoked "-1 hour" "+60 days"
leaf not-yet "+2 days" "+60 days"
leaf two-days "-1 hour" "+2 days +1 hour"
leaf twenty-days "-1 hour" "+20 days +1 hour"
# the revoked leaf in its intermediate's CRL; the root's CRL beside it (libpq checks the whole chain)
openssl ca -config "$certs/inter/ca.cnf" -cert "$pki/intermediate_ca.crt" -keyfile "$pki/intermediate_ca.key" \
	-revoke "$certs/revoked.leaf" >>"$work/openssl.log" 2>&1
openssl ca -config "$certs/inter/ca.cnf" -cert "$pki/intermediate_ca.crt" -keyfile "$pki/intermediate_ca.key" \
	-gencrl -out "$certs/inter.crl" >>"$work/openssl.log" 2>&1
openssl ca -config "$certs/root/ca.cnf" -cert "$pki/root_ca.crt" -keyfile "$pki/root_ca.key" \
	-gencrl -out "$certs/root.crl" >>"$work/openssl.log" 2>&1
cat "$certs/inter.crl" "$certs/root.crl" >"$certs/revoked.crl"
printf 'this is not a CRL\n' >"$certs/garbage.crl"
chmod 644 "$certs"/*.crt "$certs"/*.crl

# serve CERT_FILE: the server sends CERT_FILE's chain from now on (waits until it does)
served() {
	openssl s_client -starttls postgres -connect "127.0.0.1:$port" -showcerts </dev/null 2>/dev/null |
		sed -n '/BEGIN CERT/,/END CERT/p'
}
serve() {
	sql "ALTER SYSTEM SET ssl_cert_file = '$1'" && sql "SELECT pg_reload_conf()" >/dev/null
	for _ in $(seq 1 100); do
		[ "$(served)" = "$(sed -n '/BEGIN CERT/,/END CERT/p' "$1")" ] && return 0
		sleep 0.1
	done
	echo "# the server did not start serving $1"
	return 1
}

base="host=localhost port=$port dbname=postgres user=regress_audit password=$secret"
verified="sslmode=verify-full sslrootcert=$pki/root_ca.crt"

# --- why libpq refused the server's certificate ---

# refused NAME CERT_FILE CODE DEPTH WORDS CONNINFO: the direct connection refused, and the X509 error named
refused() {
	local name=$1 cert=$2 code=$3 depth=$4 words=$5 conninfo=$6
	serve "$cert"
	audit "$name" 1 "$conninfo"
	grep -E '^    why: ' "$work/$name.out" | grep -q -- "$words" &&
		grep -E '^    why: ' "$work/$name.out" | grep -q "X509 error $code, .* at depth $depth, subject "
	ok $? "$name: the table names the fault ($words), X509 error $code at depth $depth and the subject"
	audit "$name-json" 1 --format json "$conninfo"
	WORDS=$words json "$work/$name-json.out" "import os
e = a['certificate_error']
assert (e['code'], e['depth']) == ($code, $depth), e
assert e['subject'] and e['error'] and os.environ['WORDS'] in e['explanation'], e"
	ok $? "$name: JSON certificate_error has the code, depth, subject and explanation"
}
refused leaf-only "$certs/leaf-only.crt" 20 0 "the server sends only its own certificate" "$base $verified"
refused expired-intermediate "$certs/expired-inter.crt" 10 1 "an intermediate CA expired on" "$base $verified"
grep -E '^    why: ' "$work/expired-intermediate.out" | grep -q 'subject CN=Expired Intermediate CA'
ok $? "expired-intermediate: the subject is the intermediate's"
refused revoked "$certs/revoked.crt" 23 0 "the server's certificate is revoked" "$base $verified sslcrl=$certs/revoked.crl"
refused not-yet-valid "$certs/not-yet.crt" 9 0 "the server's certificate is not valid before" "$base $verified"
serve "$pki/server.crt"
refused wrong-ca "$pki/server.crt" 20 1 "the client trusts another CA" \
	"$base sslmode=verify-full sslrootcert=$pki/untrusted_ca.crt"
grep -q '^  certificate chain:' "$work/wrong-ca.out" && grep -qE '^    \[1\] subject CN=pg_tls_probe Intermediate CA' "$work/wrong-ca.out"
ok $? "wrong-ca: the chain the server sends is shown although libpq refused it"

# --- certificates about to expire: warnings, exit unchanged ---

serve "$certs/two-days.crt"
audit expires-2-days 0 "$base $verified"
grep -qE '^  warning: URGENT: certificate \[0\] \(CN=localhost\) expires in [12] days' "$work/expires-2-days.out" &&
	grep -qE '^    \[0\] .*days left: URGENT' "$work/expires-2-days.out"
ok $? "expires-2-days: an URGENT warning and a marked chain line; the verdict still passes"
audit expires-2-days-json 0 --format json "$base $verified"
json "$work/expires-2-days-json.out" "assert a['verdict'] == 'pass', a
assert any(w.startswith('URGENT: certificate [0]') for w in a['warnings']), a['warnings']"
ok $? "expires-2-days: JSON warnings hold the urgent one"
serve "$certs/twenty-days.crt"
audit expires-20-days 0 --format json "$base $verified"
json "$work/expires-20-days.out" "assert a['verdict'] == 'pass', a
w = [x for x in a['warnings'] if 'certificate [0]' in x]
assert len(w) == 1 and not w[0].startswith('URGENT') and 'within 30 days' in w[0], a['warnings']"
ok $? "expires-20-days: a warning within 30 days, not an urgent one; the verdict still passes"
serve "$pki/server.crt"
audit expires-far 0 --format json "$base $verified"
json "$work/expires-far.out" "assert a['warnings'] == [], a['warnings']"
ok $? "expires-far: a certificate with 89 days left gives no warning"

# --- CRL files libpq will not read: warnings, exit unchanged ---

audit crl-missing 0 "$base $verified sslcrl=$work/no-such.crl"
grep -E '^  warning: ' "$work/crl-missing.out" | grep -q "sslcrl \"$work/no-such.crl\" cannot be found .*libpq skips it without a word and checks no CRL" &&
	grep -q '^  verdict: PASS' "$work/crl-missing.out"
ok $? "crl-missing: a warning says libpq skips the missing sslcrl and checks no CRL; still PASS"
audit crl-garbage 0 --format json "$base $verified sslcrl=$certs/garbage.crl"
json "$work/crl-garbage.out" "assert a['verdict'] == 'pass', a
assert any('garbage.crl' in w and 'holds no CRL that OpenSSL can parse' in w for w in a['warnings']), a['warnings']"
ok $? "crl-garbage: JSON warns that the unparsable sslcrl is not read; still pass"
audit crl-directory 0 "$base $verified sslcrl=$certs"
grep -E '^  warning: ' "$work/crl-directory.out" | grep -q 'is a directory'
ok $? "crl-directory: a directory given as sslcrl is a warning"
audit crl-good 0 --format json "$base $verified sslcrl=$certs/revoked.crl"
json "$work/crl-good.out" "assert a['warnings'] == [], a['warnings']"
ok $? "crl-good: a CRL libpq reads gives no warning"

# --- where each setting came from ---

PGSSLMODE=verify-full audit env-sslmode 0 --format json "$base sslrootcert=$pki/root_ca.crt"
json "$work/env-sslmode.out" "s = a['settings']
assert s['sslmode'] == {'from': 'environment', 'value': 'verify-full', 'variable': 'PGSSLMODE'}, s
assert s['sslrootcert']['from'] == 'string', s
assert s['channel_binding'] == {'from': 'default', 'value': 'prefer'}, s
assert s['sslcert'] == {'from': 'default', 'value': None}, s"
ok $? "env-sslmode: JSON settings: sslmode from PGSSLMODE, sslrootcert from the string, the rest defaults"
PGSSLMODE=verify-full audit env-sslmode-table 0 "$base sslrootcert=$pki/root_ca.crt"
grep -E '^  settings: ' "$work/env-sslmode-table.out" | grep -q 'from the environment: sslmode=verify-full (PGSSLMODE)'
ok $? "env-sslmode: the settings line says sslmode=verify-full came from PGSSLMODE"
grep -q 'sslmode is prefer' "$work/env-sslmode-table.out"
[ $? -ne 0 ]
ok $? "env-sslmode: no prefer note when the environment sets verify-full"

printf '# a service file\n[regress]\nsslmode=verify-full\nsslrootcert=%s\n' "$pki/root_ca.crt" >"$work/services"
PGSERVICEFILE="$work/services" PGSSLMODE=require audit service-sslmode 0 --format json "service=regress $base"
json "$work/service-sslmode.out" "s = a['settings']
assert s['sslmode'] == {'from': 'service file', 'value': 'verify-full', 'file': '$work/services', 'service': 'regress'}, s
assert s['sslrootcert']['from'] == 'service file', s"
ok $? "service-sslmode: sslmode from the service file (file and service named) outranks PGSSLMODE, in libpq's order"
PGSERVICEFILE="$work/services" audit service-sslmode-table 0 "service=regress $base"
grep -E '^  settings: ' "$work/service-sslmode-table.out" | grep -q "from service \"regress\" in $work/services: sslmode=verify-full"
ok $? "service-sslmode: the settings line names the service and its file"

# --- a host name that does not resolve is not an invalid connection string ---

audit unresolvable 2 "host=pg-tls-probe.invalid port=$port dbname=postgres user=regress_audit $verified"
grep -q '^  could not run: host name "pg-tls-probe.invalid" could not be resolved; libpq said: ' "$work/unresolvable.out" &&
	! grep -q 'invalid connection string' "$work/unresolvable.out" "$work/unresolvable.err"
ok $? "unresolvable: could not run, the host name could not be resolved (libpq's reason kept), never an invalid string"
audit unresolvable-json 2 --format json "host=pg-tls-probe.invalid port=$port dbname=postgres user=regress_audit $verified"
json "$work/unresolvable-json.out" "assert a['verdict'] == 'could not run', a
assert a['error'].startswith('host name \"pg-tls-probe.invalid\" could not be resolved'), a['error']"
ok $? "unresolvable: JSON error says so"
audit bad-option 2 "host=pg-tls-probe.invalid port=$port sslmode=bogus"
grep -q 'host name' "$work/bad-option.out"
[ $? -ne 0 ]
ok $? "bad-option: an invalid sslmode with a host that does not resolve: reported as libpq's option error"

tap_done
