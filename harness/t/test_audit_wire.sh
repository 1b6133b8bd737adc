#!/bin/bash
# test_audit_wire.sh: pg_tls_audit 1.2's tls_audit() checks that must agree
# with the wire, and tls_server_certificates()'s served column, on a
# cluster of its own that preloads the library.  Each check is provoked,
# compared where it can be with what "openssl s_client" gets from the
# server, and cleared.
#
# usage: harness/t/test_audit_wire.sh PG_TLS_PROBE
# Output is TAP, ending with "N passed, N failed".  The cluster and every
# file are removed on exit.
set -uo pipefail

probe=${1:?usage: harness/t/test_audit_wire.sh PG_TLS_PROBE}
cd "$(dirname "$0")/../.."
. harness/t/tap.sh
. harness/t/testbed_lib.sh
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8
bindir=$("$PG_CONFIG" --bindir)

work=$(mktemp -d /tmp/pg_tls_audit-wire.XXXXXX)
chmod 755 "$work"
cluster=$work/cluster
cleanup() {
	"$probe" cluster stop "$cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_preloaded_cluster "$cluster"
data=$PG_TLS_PROBE_CLUSTER/data
log=$PG_TLS_PROBE_CLUSTER/postgresql.log
pki=$PG_TLS_PROBE_PKI
server_dir=$PG_TLS_PROBE_CLUSTER/server
pguser=$(stat -c %U "$data")

admin() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres "$@"
}
admin -c "CREATE EXTENSION pg_tls_audit" 2>/dev/null
ok $? "extension created"

# One TLS session, so that the server's choice is recorded.
tls_session() {
	psql -X -At -c 'SELECT 1' "host=127.0.0.1 port=$PGPORT dbname=postgres user=postgres sslmode=require" \
		>/dev/null 2>&1
}
finding() {
	admin -c "SELECT string_agg(severity, ',' ORDER BY severity) FROM tls_audit() WHERE \"check\" = '$1'"
}
expect_finding() {
	local got
	got=$(finding "$2")
	[ "$got" = "$3" ]
	ok $? "$1: $2 ${3:-absent} (got '$got')"
}
# s_client ARGS...: openssl's client against the server (STARTTLS postgres),
# with its own security level at 0 so that only the server decides.
s_client() {
	openssl s_client -starttls postgres -connect "127.0.0.1:$PGPORT" "$@" </dev/null 2>&1
}
handshake_ok() {
	s_client "$@" -cipher "${CIPHER:-ALL}@SECLEVEL=0" | grep -qE 'Cipher is [A-Z0-9]|^    Cipher    : [A-Z0-9]'
}

certs=$work/certs
mkdir -p "$certs"
chmod 755 "$certs"
# mkcert NAME KEYALG...: a server certificate issued by the fixture's
# intermediate CA; key readable by the server only.
mkcert() {
	local name=$1
	shift
	openssl genpkey "$@" -out "$certs/$name.key" 2>/dev/null &&
		openssl req -new -key "$certs/$name.key" -subj "/CN=localhost" -out "$certs/$name.csr" 2>/dev/null &&
		printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n' >"$certs/san.ext" &&
		openssl x509 -req -in "$certs/$name.csr" -CA "$pki/intermediate_ca.crt" -CAkey "$pki/intermediate_ca.key" \
			-days 30 -extfile "$certs/san.ext" -out "$certs/$name.leaf" 2>/dev/null || return 1
	chown "$pguser" "$certs/$name.key" && chmod 600 "$certs/$name.key"
}
use_cert() {
	admin -c "ALTER SYSTEM SET ssl_cert_file = '$1'" -c "ALTER SYSTEM SET ssl_key_file = '$2'" >/dev/null
	reload
}
restore_cert() {
	admin -c "ALTER SYSTEM RESET ssl_cert_file" -c "ALTER SYSTEM RESET ssl_key_file" >/dev/null
	reload
}

# ---------------------------------------------------------------------------
# served: unknown until a TLS session has been seen, then true.

detail=$(admin -c "SELECT coalesce(served::text, 'null') || '|' || served_detail FROM tls_server_certificates() WHERE role = 'server'")
[ "$detail" = "null|no TLS session has authenticated since the server started" ]
ok $? "served is NULL with its reason before any TLS session (got '$detail')"
tls_session
served=$(admin -c "SELECT served FROM tls_server_certificates() WHERE role = 'server'")
[ "$served" = t ]
ok $? "served is true after a TLS session (got '$served')"
s_client | openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/^.*=//' >"$work/wire.fp"
[ "$(cat "$work/wire.fp")" = "$(admin -c "SELECT sha256_fingerprint FROM tls_server_certificates() WHERE role = 'server'")" ]
ok $? "the served row's fingerprint is the one openssl s_client receives"

# ---------------------------------------------------------------------------
# A certificate file replaced on disk but not reloaded; then reloaded.

mkcert rsa_a -algorithm RSA -pkeyopt rsa_keygen_bits:2048 &&
	mkcert rsa_b -algorithm RSA -pkeyopt rsa_keygen_bits:2048 &&
	mkcert ec -algorithm EC -pkeyopt ec_paramgen_curve:P-256
ok $? "test certificates made"
cat "$certs/rsa_a.leaf" "$pki/intermediate_ca.crt" >"$certs/live.crt"
cp -p "$certs/rsa_a.key" "$certs/live.key"
chmod 644 "$certs/live.crt"
use_cert "$certs/live.crt" "$certs/live.key"
tls_session
expect_finding "file as loaded" server_certificate_not_loaded ""
cat "$certs/rsa_b.leaf" "$pki/intermediate_ca.crt" >"$certs/live.crt"
cp -p "$certs/rsa_b.key" "$certs/live.key"
tls_session
expect_finding "file replaced, not reloaded" server_certificate_not_loaded medium
fps=$(admin -c "SELECT detail FROM tls_audit() WHERE \"check\" = 'server_certificate_not_loaded'")
a_fp=$(openssl x509 -in "$certs/rsa_a.leaf" -noout -fingerprint -sha256 | sed 's/^.*=//')
b_fp=$(openssl x509 -in "$certs/rsa_b.leaf" -noout -fingerprint -sha256 | sed 's/^.*=//')
grep -qF "$a_fp" <<<"$fps" && grep -qF "$b_fp" <<<"$fps"
ok $? "the finding names both fingerprints"
[ "$(admin -c "SELECT served FROM tls_server_certificates() WHERE role = 'server'")" = f ]
ok $? "served is false for the file not yet loaded"
reload
tls_session
expect_finding "file reloaded" server_certificate_not_loaded ""
[ "$(admin -c "SELECT served FROM tls_server_certificates() WHERE role = 'server'")" = t ]
ok $? "served is true once reloaded"

# A file that became unreadable: the reload fails, the old context is served.
mv "$certs/live.crt" "$certs/live.crt.away"
reload
expect_finding "ssl_cert_file missing after a good start" served_certificate_not_on_disk high
handshake_ok
ok $? "the server still completes TLS handshakes with the old certificate"
mv "$certs/live.crt.away" "$certs/live.crt"
reload
expect_finding "ssl_cert_file restored" served_certificate_not_on_disk ""

# ---------------------------------------------------------------------------
# The chain the server sends.

expect_finding "leaf and intermediate" chain_incomplete ""
cp "$certs/rsa_b.leaf" "$certs/live.crt"
reload
tls_session
expect_finding "leaf only, root in ssl_ca_file" chain_incomplete medium
[ "$(s_client -showcerts | grep -c 'BEGIN CERTIFICATE')" = 1 ]
ok $? "openssl s_client receives one certificate"
cat "$server_dir/root_ca.crt" "$pki/intermediate_ca.crt" >"$certs/ca_with_intermediate.crt"
chmod 644 "$certs/ca_with_intermediate.crt"
set_conf ssl_ca_file "$certs/ca_with_intermediate.crt"
expect_finding "leaf only, intermediate in ssl_ca_file" chain_incomplete ""
[ "$(s_client -showcerts | grep -c 'BEGIN CERTIFICATE')" -ge 2 ]
ok $? "openssl s_client receives what OpenSSL added from ssl_ca_file"
reset_conf ssl_ca_file
cat "$certs/rsa_b.leaf" "$server_dir/root_ca.crt" "$pki/intermediate_ca.crt" >"$certs/live.crt"
reload
expect_finding "leaf, root, intermediate" chain_order medium
cat "$certs/rsa_b.leaf" "$pki/intermediate_ca.crt" >"$certs/live.crt"
reload
expect_finding "leaf, intermediate" chain_order ""
restore_cert

# ---------------------------------------------------------------------------
# Cipher suites by the certificate's key type; CBC suites.

expect_finding "RSA key, default ssl_ciphers" weak_ciphers medium
CIPHER=AES256-GCM-SHA384 handshake_ok -tls1_2
ok $? "with an RSA key, openssl s_client negotiates RSA key exchange"
cat "$certs/ec.leaf" "$pki/intermediate_ca.crt" >"$certs/ec.crt"
chmod 644 "$certs/ec.crt"
use_cert "$certs/ec.crt" "$certs/ec.key"
expect_finding "EC key, default ssl_ciphers" weak_ciphers ""
! CIPHER=AES256-GCM-SHA384 handshake_ok -tls1_2
ok $? "with an EC key, openssl s_client cannot negotiate RSA key exchange"
restore_cert
expect_finding "default ssl_ciphers" cbc_ciphers low
CIPHER=ECDHE-RSA-AES128-SHA handshake_ok -tls1_2
ok $? "openssl s_client negotiates a CBC suite"
set_conf ssl_ciphers 'ECDHE+AESGCM:ECDHE+CHACHA20'
expect_finding "AEAD-only ssl_ciphers" cbc_ciphers ""
! CIPHER=ECDHE-RSA-AES128-SHA handshake_ok -tls1_2
ok $? "openssl s_client cannot negotiate a CBC suite"
reset_conf ssl_ciphers

# ---------------------------------------------------------------------------
# Protocol versions: what tls_audit() says the server accepts below TLS 1.2
# is what openssl s_client gets.

set_conf ssl_min_protocol_version TLSv1
claims=$(finding min_protocol)
if CIPHER=ALL handshake_ok -tls1; then wire=high; else wire=""; fi
[ "$claims" = "$wire" ]
ok $? "ssl_min_protocol_version TLSv1: min_protocol '$claims' agrees with a TLS 1.0 handshake ('$wire')"
[ -n "$claims" ] || [ "$(finding min_protocol_setting)" = low ]
ok $? "when TLS 1.0 is refused, the setting is reported apart"
reset_conf ssl_min_protocol_version
expect_finding "ssl_min_protocol_version default" min_protocol ""
expect_finding "ssl_min_protocol_version default" min_protocol_setting ""

# ---------------------------------------------------------------------------
# DH parameters: a 1024-bit group (LOGJAM).  At the default security level
# OpenSSL refuses to load it (the reload fails, DHE keeps the built-in
# group); with the level lowered through OPENSSL_CONF, the server uses it.

openssl genpkey -genparam -algorithm DH -pkeyopt dh_paramgen_prime_len:1024 -out "$certs/dh1024.pem" 2>/dev/null
ok $? "1024-bit DH parameters made"
chmod 644 "$certs/dh1024.pem"
expect_finding "built-in DH group" dh_params_weak ""
write_seclevel0_conf "$certs/seclevel0.cnf"
admin -c "ALTER SYSTEM SET ssl_dh_params_file = '$certs/dh1024.pem'" >/dev/null
restart_server OPENSSL_CONF="$certs/seclevel0.cnf"
ok $? "restarted with a 1024-bit DH group and a lowered security level"
expect_finding "1024-bit DH group, DHE suites offered" dh_params_weak high
temp_key=$(s_client -tls1_2 -cipher 'DHE-RSA-AES128-GCM-SHA256@SECLEVEL=0' | grep 'Temp Key')
grep -q 'DH, 1024 bits' <<<"$temp_key"
ok $? "openssl s_client gets a 1024-bit DH key exchange (got '$temp_key')"
admin -c "ALTER SYSTEM SET ssl_ciphers = 'ECDHE+AESGCM'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
expect_finding "1024-bit DH group, no DHE suite" dh_params_weak low
admin -c "ALTER SYSTEM RESET ssl_ciphers" -c "ALTER SYSTEM RESET ssl_dh_params_file" >/dev/null
restart_server
ok $? "restarted with the defaults"
expect_finding "built-in DH group again" dh_params_weak ""

# ---------------------------------------------------------------------------
# PostgreSQL 18's ssl_groups: without X25519, with a deprecated curve.
# Before 18 there is one curve (ssl_ecdh_curve, prime256v1 by default, so
# never X25519): no groups_* row and nothing else that names the setting.

groups_rows() {
	admin -c "SELECT count(*) FROM tls_audit() WHERE \"check\" LIKE 'groups%' OR detail ~ 'ssl_groups|ssl_ecdh_curve'"
}
checks() {
	admin -c "SELECT string_agg(\"check\" || '/' || severity, ',' ORDER BY \"check\", severity) FROM tls_audit()"
}
if [ "$(admin -c 'SHOW server_version_num')" -ge 180000 ]; then
	expect_finding "ssl_groups default" groups_no_x25519 ""
	expect_finding "ssl_groups default" groups_deprecated ""
	set_conf ssl_groups prime256v1
	expect_finding "ssl_groups prime256v1" groups_no_x25519 low
	expect_finding "ssl_groups prime256v1" groups_deprecated ""
	! handshake_ok -groups X25519 && handshake_ok -groups prime256v1
	ok $? "ssl_groups prime256v1: openssl s_client cannot negotiate X25519, can P-256"
	set_conf ssl_groups 'X25519:brainpoolP256r1'
	expect_finding "ssl_groups X25519:brainpoolP256r1" groups_deprecated medium
	expect_finding "ssl_groups X25519:brainpoolP256r1" groups_no_x25519 ""
	handshake_ok -tls1_2 -groups brainpoolP256r1
	ok $? "ssl_groups X25519:brainpoolP256r1: openssl s_client negotiates brainpoolP256r1 over TLS 1.2"
	reset_conf ssl_groups
	expect_finding "ssl_groups reset" groups_no_x25519 ""
	expect_finding "ssl_groups reset" groups_deprecated ""
else
	before=$(checks)
	[ "$(groups_rows)" = 0 ]
	ok $? "ssl_ecdh_curve default: no groups_* row, no detail naming the setting"
	set_conf ssl_ecdh_curve secp384r1
	handshake_ok -groups secp384r1 && ! handshake_ok -groups X25519
	ok $? "ssl_ecdh_curve secp384r1: openssl s_client negotiates secp384r1, not X25519"
	[ "$(groups_rows)" = 0 ]
	ok $? "ssl_ecdh_curve secp384r1: still no groups_* row, no detail naming the setting"
	after=$(checks)
	[ "$before" = "$after" ]
	ok $? "ssl_ecdh_curve secp384r1: the same checks as with the default (got '$after', had '$before')"
	reset_conf ssl_ecdh_curve
fi

# ---------------------------------------------------------------------------
# ssl_cert_file unreadable: what is served, if anything.  Sessions are only
# recorded once they authenticate, so openssl s_client (which does not)
# tests the wire without telling the server.

# require_fails: a sslmode=require connection is refused for want of TLS.
require_fails() {
	local out
	out=$(psql -X -At -c 'SELECT 1' "host=127.0.0.1 port=$PGPORT dbname=postgres user=postgres sslmode=require" 2>&1)
	grep -q 'does not support SSL' <<<"$out"
}
detail_of() {
	admin -c "SELECT detail FROM tls_audit() WHERE \"check\" = '$1'"
}

cat "$certs/rsa_b.leaf" "$pki/intermediate_ca.crt" >"$certs/live.crt"
cp -p "$certs/rsa_b.key" "$certs/live.key"
admin -c "ALTER SYSTEM SET ssl_cert_file = '$certs/live.crt'" -c "ALTER SYSTEM SET ssl_key_file = '$certs/live.key'" >/dev/null
restart_server
ok $? "restarted on a certificate file of its own"
mv "$certs/live.crt" "$certs/live.crt.away"
expect_finding "file gone, no reload since the start, no TLS session" served_certificate_not_on_disk high
expect_finding "file gone, no reload since the start, no TLS session" tls_not_served ""
grep -q 'loaded when it started' <<<"$(detail_of served_certificate_not_on_disk)"
ok $? "the finding says the certificate loaded at the start is served"
handshake_ok
ok $? "openssl s_client still completes a handshake"
reload
expect_finding "file gone and reloaded, no TLS session" tls_not_served critical
d=$(detail_of tls_not_served)
[[ $d == "The server may be refusing every TLS request: "* ]] && grep -q 'cannot be told' <<<"$d"
ok $? "tls_not_served says the consequence first, and that it cannot tell which (got '$d')"
handshake_ok
ok $? "openssl s_client completes a handshake: the old certificate is served (the case it cannot tell)"
tls_session
expect_finding "file gone, a TLS session seen" served_certificate_not_on_disk high
expect_finding "file gone, a TLS session seen" tls_not_served ""
mv "$certs/live.crt.away" "$certs/live.crt"
reload
expect_finding "file restored" served_certificate_not_on_disk ""
expect_finding "file restored" tls_not_served ""

# Debian's way in: the server ran with ssl = off, then ssl = on with the
# snakeoil certificate of a removed ssl-cert package, and a reload.  The
# postmaster never loaded a TLS context: it refuses every SSLRequest.
admin -c "ALTER SYSTEM SET ssl = off" >/dev/null
restart_server
ok $? "restarted with ssl = off"
expect_finding "ssl = off" ssl_off critical
admin -c "ALTER SYSTEM SET ssl_cert_file = '$work/snakeoil/ssl-cert-snakeoil.pem'" \
	-c "ALTER SYSTEM SET ssl_key_file = '$work/snakeoil/ssl-cert-snakeoil.key'" \
	-c "ALTER SYSTEM SET ssl = on" >/dev/null
reload
require_fails
ok $? "ssl = on with the snakeoil files missing, reloaded: sslmode=require is refused"
wire=$(s_client)
grep -q 'no peer certificate available' <<<"$wire"
ok $? "openssl s_client gets no certificate: the server does not start TLS"
expect_finding "ssl = on, nothing loadable" tls_not_served critical
expect_finding "ssl = on, nothing loadable" served_certificate_not_on_disk ""
[[ $(detail_of tls_not_served) == "The server may be refusing every TLS request: "* ]]
ok $? "tls_not_served says the consequence first"
restore_cert
tls_session
ok $? "ssl_cert_file fixed and reloaded: sslmode=require connects"
expect_finding "ssl_cert_file fixed" tls_not_served ""
reset_conf ssl

tap_done
