#!/bin/bash
# compare_scanners.sh: what tls_audit() says against what three TLS scanners
# see on the wire, one throwaway server configuration per check a scanner
# can see (issue #13).  A one-off comparison, not part of make test.
#
# Installs testssl.sh, sslscan and nmap from Debian's apt when missing (as
# root), builds and installs the extension (run it under whatever lock
# guards the installed files), starts one throwaway cluster that preloads
# the library (pg_tls_probe cluster start, its PKI), and for each
# configuration restarts it with these settings and runs
#   testssl.sh --starttls postgres -p -S -e  (protocols, certificate and
#                                             chain, each cipher; no DNS,
#                                             the fixture root as --add-ca)
#   sslscan --starttls-psql --xml=-
#   nmap --script ssl-enum-ciphers,ssl-cert,ssl-dh-params -p PORT 127.0.0.1
#        (with a services file naming PORT postgresql: nmap only speaks
#        PostgreSQL's STARTTLS to a port it believes is PostgreSQL's)
#   SELECT * FROM tls_audit()
# then prints a markdown table: each configuration's compared property as
# tls_audit() reports it, and whether each scanner agrees; below it, every
# other property on which a scanner and tls_audit() differ, and the
# findings only tls_audit() can make.
#
# usage: harness/scripts/compare_scanners.sh [--out DIR] [--only NAME[,NAME...]]
#   --out DIR   keep every tool's raw output there (one directory per
#               configuration)
#   --only      run only these configurations (names as in the table)
# Everything it started (the server, a scanner still running) is stopped
# and its temporary files removed on exit, INT and TERM.
set -uo pipefail

cd "$(dirname "$0")/../.."
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8
prog=compare_scanners.sh
keep=
only=
while [ $# -gt 0 ]; do
	case $1 in
		--out) keep=${2:?--out needs a directory}; shift 2 ;;
		--only) only=${2:?--only needs names}; shift 2 ;;
		*) echo "usage: harness/scripts/compare_scanners.sh [--out DIR] [--only NAME[,NAME...]]" >&2; exit 2 ;;
	esac
done
die() { echo "$prog: $*" >&2; exit 2; }
note() { echo "$prog: $*" >&2; }

# ---------------------------------------------------------------------------
# The tools, the extension.

missing=()
command -v testssl >/dev/null 2>&1 || missing+=(testssl.sh)
command -v sslscan >/dev/null 2>&1 || missing+=(sslscan)
command -v nmap >/dev/null 2>&1 || missing+=(nmap)
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing ${missing[*]} (run as root, or install them)"
	note "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		die "could not install ${missing[*]}"
fi
bash harness/scripts/install-deps.sh || die "could not install the build dependencies"
make -s PG_CONFIG="$PG_CONFIG" >/dev/null && make -s PG_CONFIG="$PG_CONFIG" install >/dev/null ||
	die "could not build and install the extension"
bindir=$("$PG_CONFIG" --bindir)
probe=$bindir/pg_tls_probe
testssl_version=$(testssl --version 2>/dev/null | sed -n 's/^ *testssl *\([0-9][^ ]*\) .*/\1/p' | head -n 1)
sslscan_version=$(sslscan --version 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | awk 'NF { print $1; exit }')
nmap_version=$(nmap --version | sed -n 's/^Nmap version \([^ ]*\).*/\1/p')
openssl_version=$(openssl version | awk '{ print $2 }')

# ---------------------------------------------------------------------------
# Clean-up: the server (by the pid in its own data directory, when
# pg_tls_probe cannot stop it), a scanner still running (its own process
# group), the temporary directory.

work=$(mktemp -d /tmp/pg_tls_audit-scanners.XXXXXX)
chmod 755 "$work"
cluster=$work/cluster
tool_pid=
stop_server() {
	local pid i
	"$probe" cluster stop "$cluster" >/dev/null 2>&1 && return
	pid=$(head -n 1 "$cluster/data/postmaster.pid" 2>/dev/null)
	[ -n "$pid" ] && [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$cluster/data" ] || return 0
	kill -INT "$pid" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
}
cleanup() {
	trap - EXIT INT TERM
	[ -n "$tool_pid" ] && kill -TERM -- "-$tool_pid" 2>/dev/null
	stop_server
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_tool OUT CMD...: CMD in a process group of its own, in the
# background, so that INT or TERM stops it at once.
run_tool() {
	local out=$1 rc
	shift
	setsid "$@" >"$out" 2>&1 </dev/null &
	tool_pid=$!
	wait "$tool_pid"
	rc=$?
	tool_pid=
	return $rc
}

# ---------------------------------------------------------------------------
# The server and the certificates.

env=$("$probe" cluster start "$cluster" --pg-config "$PG_CONFIG" \
	--conf "shared_preload_libraries = 'pg_tls_audit'" 2>"$work/start.err") ||
	die "the cluster did not start: $(cat "$work/start.err")"
eval "$env"
data=$PG_TLS_PROBE_CLUSTER/data
log=$PG_TLS_PROBE_CLUSTER/postgresql.log
pki=$PG_TLS_PROBE_PKI
root_ca=$PG_TLS_PROBE_CLUSTER/server/root_ca.crt
pguser=$(stat -c %U "$data")
. harness/t/testbed_lib.sh
admin() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres "$@"
}
admin -c "CREATE EXTENSION pg_tls_audit" >/dev/null || die "CREATE EXTENSION failed"
# A role with an MD5 password: one more finding no scanner can see.
admin -c "SET password_encryption = 'md5'" -c "CREATE ROLE regress_md5 LOGIN PASSWORD 'md5-$RANDOM$RANDOM'" >/dev/null ||
	die "could not create the MD5 role"

certs=$work/certs
mkdir -p "$certs/ca"
chmod 755 "$certs"
write_seclevel0_conf "$certs/seclevel0.cnf"
printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n' >"$certs/san.ext"
cat >"$certs/ca.cnf" <<EOF
[ca]
default_ca = fixture
[fixture]
database = $certs/ca/index.txt
new_certs_dir = $certs/ca
serial = $certs/ca/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
EOF
: >"$certs/ca/index.txt"
echo 01 >"$certs/ca/serial"
# key NAME GENPKEY-ARGS...: a private key only the server can read
key() {
	local name=$1
	shift
	openssl genpkey "$@" -out "$certs/$name.key" 2>/dev/null &&
		chown "$pguser" "$certs/$name.key" && chmod 600 "$certs/$name.key"
}
# leaf NAME [openssl ca dates...]: NAME.key's certificate, issued by the
# fixture's intermediate CA
leaf() {
	local name=$1
	shift
	openssl req -new -key "$certs/$name.key" -subj /CN=localhost -out "$certs/$name.csr" 2>/dev/null &&
		openssl ca -batch -config "$certs/ca.cnf" -cert "$pki/intermediate_ca.crt" -keyfile "$pki/intermediate_ca.key" \
			-extfile "$certs/san.ext" -notext "$@" -in "$certs/$name.csr" -out "$certs/$name.leaf" >/dev/null 2>&1
}
rsa=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048)
{
	key rsa "${rsa[@]}" && leaf rsa -days 365 &&
		key ec -algorithm EC -pkeyopt ec_paramgen_curve:P-256 && leaf ec -days 365 &&
		key expired "${rsa[@]}" && leaf expired -startdate 20240101000000Z -enddate 20250101000000Z &&
		key self "${rsa[@]}" &&
		openssl req -x509 -key "$certs/self.key" -subj /CN=localhost -days 365 \
			-addext 'subjectAltName = DNS:localhost, IP:127.0.0.1' -out "$certs/self.crt" 2>/dev/null &&
		openssl genpkey -genparam -algorithm DH -pkeyopt dh_paramgen_prime_len:1024 -out "$certs/dh1024.pem" 2>/dev/null
} || die "could not make the test certificates"
intermediate=$pki/intermediate_ca.crt
cat "$certs/rsa.leaf" "$intermediate" >"$certs/rsa.crt"
cat "$certs/ec.leaf" "$intermediate" >"$certs/ec.crt"
cat "$certs/expired.leaf" "$intermediate" >"$certs/expired.crt"
cp "$certs/rsa.leaf" "$certs/rsa_alone.crt"
cat "$certs/rsa.leaf" "$root_ca" "$intermediate" >"$certs/rsa_disordered.crt"
chmod 644 "$certs"/*.crt "$certs"/*.pem

# ---------------------------------------------------------------------------
# The configurations: name|what it shows|property compared|settings
# (NAME=VALUE;...; seclevel0 restarts the server under an OPENSSL_CONF
# at security level 0).  aead: ssl_ciphers with only ECDHE and AEAD
# suites; every other setting is the default.

aead='ECDHE+AESGCM:ECDHE+CHACHA20'
configs=(
	"good|RSA key, ECDHE AEAD suites only|all|cert=rsa;ssl_ciphers=$aead"
	"rsa-default|RSA key, default ssl_ciphers|rsa_kx|cert=rsa"
	"ec-default|EC key, default ssl_ciphers (RSA key exchange not offerable)|rsa_kx|cert=ec"
	"cbc|RSA key, ECDHE+AESGCM:ECDHE+AES (CBC, no RSA key exchange)|cbc|cert=rsa;ssl_ciphers=ECDHE+AESGCM:ECDHE+AES"
	"tls1-seclevel-default|ssl_min_protocol_version TLSv1, default security level|old_protocols|cert=rsa;ssl_min_protocol_version=TLSv1"
	"tls1-seclevel-0|ssl_min_protocol_version TLSv1, OPENSSL_CONF at security level 0|old_protocols|cert=rsa;ssl_min_protocol_version=TLSv1;seclevel0"
	"dh1024|ssl_dh_params_file of 1024 bits (security level 0, or it does not load)|dh_weak|cert=rsa;ssl_dh_params_file=$certs/dh1024.pem;seclevel0"
	"chain-incomplete|ssl_cert_file without its intermediate|chain|cert=rsa_alone:rsa;ssl_ciphers=$aead"
	"chain-order|ssl_cert_file: server, root, intermediate|chain|cert=rsa_disordered:rsa;ssl_ciphers=$aead"
	"self-signed|a self-signed server certificate|self_signed|cert=self;ssl_ciphers=$aead"
	"expired|an expired server certificate|expired|cert=expired;ssl_ciphers=$aead"
)

# configure SETTINGS: ALTER SYSTEM RESET ALL, these settings, a restart;
# fails when the server does not come back with them.
configure() {
	local item name value crt keyname envs=() sql=(-c "ALTER SYSTEM RESET ALL")
	local IFS=';'
	for item in $1; do
		case $item in
			seclevel0) envs+=(OPENSSL_CONF="$certs/seclevel0.cnf") ;;
			cert=*)
				value=${item#cert=}
				crt=${value%%:*}
				keyname=${value#*:}
				sql+=(-c "ALTER SYSTEM SET ssl_cert_file = '$certs/$crt.crt'"
					-c "ALTER SYSTEM SET ssl_key_file = '$certs/$keyname.key'") ;;
			*=*)
				name=${item%%=*}
				value=${item#*=}
				sql+=(-c "ALTER SYSTEM SET $name = '$value'") ;;
		esac
	done
	unset IFS
	admin "${sql[@]}" >/dev/null || return 1
	restart_server "${envs[@]}" || { tail -n 5 "$log" >&2; return 1; }
	openssl s_client -starttls postgres -connect "127.0.0.1:$PGPORT" </dev/null 2>/dev/null |
		grep -q 'BEGIN CERTIFICATE\|^Server certificate'
}

# The port named postgresql, for nmap's STARTTLS.
mkdir -p "$work/nmap"
printf 'postgresql\t%s/tcp\t0.5\n' "$PGPORT" >"$work/nmap/nmap-services"

out=$work/out
mkdir -p "$out"
: >"$out/configs"
for c in "${configs[@]}"; do
	IFS='|' read -r name what prop settings <<<"$c"
	if [ -n "$only" ] && ! grep -qx "$name" <<<"${only//,/$'\n'}"; then
		continue
	fi
	note "$name: $what"
	d=$out/$name
	mkdir -p "$d"
	configure "$settings" || die "$name: the server did not come back with its settings"
	admin -F $'\t' -c 'SELECT severity, "check", detail FROM tls_audit()' >"$d/tls_audit.tsv" ||
		die "$name: tls_audit() failed"
	run_tool "$d/testssl.log" testssl --quiet --color 0 --warnings batch -n none --add-ca "$root_ca" \
		--starttls postgres -p -S -e --jsonfile "$d/testssl.json" "127.0.0.1:$PGPORT"
	echo "exit $?" >"$d/testssl.rc"
	run_tool "$d/sslscan.xml" sslscan --starttls-psql --no-colour --xml=- --show-certificate "127.0.0.1:$PGPORT"
	echo "exit $?" >"$d/sslscan.rc"
	run_tool "$d/nmap.txt" nmap -Pn -n --datadir "$work/nmap" \
		--script ssl-enum-ciphers,ssl-cert,ssl-dh-params -p "$PGPORT" 127.0.0.1
	echo "exit $?" >"$d/nmap.rc"
	printf '%s|%s|%s\n' "$name" "$what" "$prop" >>"$out/configs"
done

if [ -n "$keep" ]; then
	mkdir -p "$keep" && cp -r "$out"/. "$keep"/ || die "could not copy the outputs to $keep"
fi

/usr/bin/python3 harness/scripts/compare_scanners.py "$out" \
	"testssl.sh $testssl_version" "sslscan $sslscan_version" "nmap $nmap_version" \
	"PostgreSQL $(admin -c 'SHOW server_version' | sed 's/ .*//'), OpenSSL $openssl_version"
