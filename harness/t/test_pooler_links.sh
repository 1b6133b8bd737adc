#!/bin/bash
# test_pooler_links.sh: PgBouncer between clients and the server, as TAP.
# What the server (pg_tls_audit preloaded) shows of the pooler's sessions,
# and each server_tls_sslmode (disable, require, verify-full) with the
# pooler connecting straight to the server, through a stripping proxy
# (`pg_tls_probe proxy strip`) and through a forging one (`proxy intercept`
# on a certificate from a CA the pooler does not trust).  Whether the
# client's query got an answer is the proof; the server's tls_sessions row
# for the backend that answered it says whether its leg had TLS.
#
# usage: harness/t/test_pooler_links.sh [PG_TLS_PROBE]
# Needs pg_tls_audit installed in the host PostgreSQL (make install).
set -uo pipefail

probe=${1:-$(dirname "$0")/../pg_tls_probe}
probe=$(cd "$(dirname "$probe")" && pwd)/$(basename "$probe")
export PG_CONFIG=${PG_CONFIG:-pg_config}
work=$(mktemp -d /tmp/pg_tls_audit-pooler.XXXXXX)
chmod 755 "$work"
secret="pool-Secret-$RANDOM$RANDOM"
modes="disable require verify-full"
cleanup() {
	for m in $modes; do
		for path in direct strip forge; do stop_middlebox "$work/pgb_${m}_$path"; done
	done
	for m in strip forge; do stop_middlebox "$work/$m"; done
	"$probe" cluster stop "$work/c" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/middlebox_lib.sh"
mb_isolate_libpq "$work"

"$probe" cluster start "$work/c" --pg-config "$PG_CONFIG" \
	--conf "shared_preload_libraries = 'pg_tls_audit'" >"$work/c.env" 2>"$work/start.err" ||
	{ echo "Bail out! cluster did not start: $(cat "$work/start.err")"; exit 2; }
port=$(mb_cluster_port "$work/c")
pki="$work/c/pki"
server() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$work/c/socket" -p "$port" -U postgres -d postgres -c "$1"
}
server "CREATE ROLE regress_pool LOGIN PASSWORD '$secret'" && server "CREATE EXTENSION pg_tls_audit"
ok $? "the server (pg_tls_audit preloaded) and the pooler's role are set up"

mkdir -p "$work/certs"
middlebox_cert "$work/certs" pgbouncer "$pki" && middlebox_cert "$work/certs" forged "$pki" untrusted_ca
ok $? "certificates for PgBouncer (trusted CA) and for the forging proxy (untrusted CA)"
start_attacker "$work/strip" strip "$port" --timeout 600
ok $? "stripping proxy before the server starts"
strip_port=$middlebox_port
start_attacker "$work/forge" intercept "$port" --timeout 600 --cert "$work/certs/forged.crt" --key "$work/certs/forged.key"
ok $? "forging proxy before the server starts"
forge_port=$middlebox_port

# A pooler that cannot reach the server answers its waiting client within
# seconds instead of PgBouncer's default two minutes.
# Its admin console (SHOW SERVERS) is open to the role, to compare the
# pooler's view of its server connections with the server's.
export MB_PGBOUNCER_CONF="query_wait_timeout = 5
server_login_retry = 1
admin_users = regress_pool"
for m in $modes; do
	for path in direct strip forge; do
		case $path in
			direct) unset MB_UPSTREAM_PORT ;;
			strip) export MB_UPSTREAM_PORT=$strip_port ;;
			forge) export MB_UPSTREAM_PORT=$forge_port ;;
		esac
		start_pgbouncer "$work/pgb_${m}_$path" "$work/c" "$m" \
			"$work/certs/pgbouncer.crt" "$work/certs/pgbouncer.key" regress_pool
		ok $? "PgBouncer with server_tls_sslmode=$m, $path to the server, starts"
		eval "pgb_${m//-/_}_$path=$middlebox_port"
	done
done
unset MB_UPSTREAM_PORT MB_PGBOUNCER_CONF

# through MODE PATH: the server backend's pid that answered a client's query
# through that pooler, or nothing (the pooler's error in $work/client.err)
through() {
	local var="pgb_${1//-/_}_$2"
	PGPASSWORD=$secret timeout 60 psql -X -At \
		"host=localhost port=${!var} user=regress_pool dbname=postgres sslmode=verify-full sslrootcert=$pki/root_ca.crt" \
		-c "SELECT pg_backend_pid()" 2>"$work/client.err"
}
# session PID: "ssl|loopback|source" of the server's tls_sessions row
# ("loopback": its client address is 127.0.0.1 or ::1, whichever
# PgBouncer's resolver gave "localhost" first)
session() {
	server "SELECT ssl || '|' || CASE WHEN host(client_addr) IN ('127.0.0.1', '::1') THEN 'loopback' ELSE host(client_addr) END
	        || '|' || source FROM tls_sessions WHERE pid = $1"
}

# --- what the server shows of the pooler's sessions
pid=$(through disable direct)
[ -n "$pid" ] && [ "$(session "$pid")" = "false|loopback|pg_tls_audit" ]
ok $? "server_tls_sslmode=disable: the server's tls_sessions shows the pooler's session without TLS, from the loopback: $(session "${pid:-0}")"
peer=$(server "SELECT client_port FROM tls_sessions WHERE pid = ${pid:-0}")
PGPASSWORD=$secret psql -X -A -F '|' "host=localhost port=$pgb_disable_direct user=regress_pool dbname=pgbouncer sslmode=require" \
	-c "SHOW SERVERS" 2>"$work/client.err" >"$work/servers.txt"
# the local port of the pooler's server connection whose backend is $pid
pooler_port=$(awk -F'|' -v pid="${pid:-0}" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	$col["remote_pid"] == pid { print $col["local_port"] }' "$work/servers.txt")
[ -n "$peer" ] && [ "$pooler_port" = "$peer" ]
ok $? "the client port of that session is PgBouncer's own (SHOW SERVERS: local_port ${pooler_port:-none} for backend ${pid:-none}; the server: ${peer:-none})"
pid=$(through verify-full direct)
[ -n "$pid" ] && [ "$(session "$pid")" = "true|loopback|pg_tls_audit" ]
ok $? "server_tls_sslmode=verify-full: the server's tls_sessions shows the pooler's session with TLS: $(session "${pid:-0}")"
server "SELECT count(*) FROM tls_sessions WHERE usename = 'regress_pool' AND host(client_addr) IN ('127.0.0.1', '::1')" | grep -qx 2
ok $? "the pooler's server connections stay in tls_sessions after their clients left (session pooling)"

# --- each server_tls_sslmode through the stripping and the forging proxy
# pooler_case MODE PATH WANT [WHY]: WANT is plaintext or tls (the query was
# answered and the server's leg had that: through the forging proxy, TLS is
# the proxy's, whatever the pooler sent it), or refused (no answer, and
# PgBouncer's log has WHY)
pooler_case() {
	local m=$1 path=$2 want=$3 why=${4:-} what rc
	pid=$(through "$m" "$path")
	case $want in
		plaintext) [ -n "$pid" ] && [ "$(session "$pid" | cut -d'|' -f1)" = false ] ;;
		tls) [ -n "$pid" ] && [ "$(session "$pid" | cut -d'|' -f1)" = true ] ;;
		refused) [ -z "$pid" ] && grep -qiE "$why" "$work/pgb_${m}_$path/pgbouncer.log" ;;
	esac
	rc=$?
	case $want in
		plaintext) what="the query is answered, the server's leg has no TLS" ;;
		tls) what="the query is answered, the server's leg has TLS (the proxy's)" ;;
		refused) what="refused ($(grep -iE "$why" "$work/pgb_${m}_$path/pgbouncer.log" | tail -n 1 | sed 's/^.*closing because: //'))" ;;
	esac
	ok $rc "server_tls_sslmode=$m through the $path proxy: $what"
}
pooler_case disable strip plaintext
pooler_case disable forge tls
pooler_case require strip refused "server refused SSL|SSL required"
pooler_case require forge tls
pooler_case verify-full strip refused "server refused SSL|SSL required"
pooler_case verify-full forge refused "certificate verify failed"

tap_done
