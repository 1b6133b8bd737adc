#!/bin/bash
# PgBouncer as a client of PostgreSQL: the probe starts a PgBouncer of its
# own (as an unprivileged user, on a port of its own on 127.0.0.1, its
# files in a directory of its own) whose server connections go to
# PTP_HOST:PTP_PORT (the server, or the attacker proxy of the column), logs
# in to it over loopback with psql and asks the server what it saw.
# PTP_VARIANT is its server_tls_sslmode: disable, require or verify-full
# (against the OS store's bundle, /etc/ssl/certs/ca-certificates.crt), or
# hardened:
#   server_tls_sslmode = verify-full
#   server_tls_ca_file = /path/to/root.crt
# PgBouncer has no channel binding towards the server (SCRAM-SHA-256 only),
# so a recipe that requires it cannot pass PgBouncer.  server_tls_ca_file
# is named in every mode: PgBouncer 1.24 and later load the system store
# for an unset one and do not start where there is none.  The PgBouncer is
# stopped by the pid of its pid file when the probe ends, whatever happens.
set -u

json() {
	if [ -z "$1" ]; then
		printf 'null'
	else
		printf '"%s"' "$(printf '%s' "$1" | tr '\n\t' '  ' | sed 's/\\/\\\\/g; s/"/\\"/g')"
	fi
}

if ! command -v pgbouncer >/dev/null 2>&1; then
	echo '{"unavailable": "no pgbouncer on PATH (Debian package pgbouncer)"}'
	exit 0
fi
version=$(pgbouncer --version 2>/dev/null | head -n 1)
# Its immediate shutdown: SIGTERM up to 1.22; from 1.23 SIGTERM waits for
# the clients and the server logins in progress (seconds, where a server
# connection keeps failing), and SIGQUIT is the immediate one.
case "$version" in
	"PgBouncer 1."[0-9].* | "PgBouncer 1.1"[0-9].* | "PgBouncer 1.2"[0-2].*) quit=TERM ;;
	*) quit=QUIT ;;
esac
case "$PTP_VARIANT" in
	disable | require | verify-full) mode=$PTP_VARIANT ;;
	hardened) mode=verify-full ;;
	*) echo "{\"unavailable\": \"pgbouncer has no variant $PTP_VARIANT\"}"; exit 0 ;;
esac
bundle=/etc/ssl/certs/ca-certificates.crt

# PgBouncer refuses to run as root: the test bed's unprivileged user.
if [ "$(id -u)" = 0 ]; then
	user=postgres
	id "$user" >/dev/null 2>&1 || user=pg_tls_probe
	as() { runuser -u "$user" -- "$@"; }
else
	user=$(id -un)
	as() { "$@"; }
fi
dir=$(mktemp -d /tmp/ptp-pgbouncer.XXXXXX) || exit 1
# Whether process $1 runs: a zombie does not (the daemonized PgBouncer's
# parent is whatever reaps orphans here, which may take seconds to).
alive() {
	local _pid _comm state
	read -r _pid _comm state _ <"/proc/$1/stat" 2>/dev/null && [ "$state" != Z ]
}
stop() {
	local pid
	pid=$(cat "$dir/pgbouncer.pid" 2>/dev/null)
	if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/"; then
		kill -s "$quit" "$pid" 2>/dev/null
		for _ in $(seq 1 250); do
			alive "$pid" || break
			sleep 0.02
		done
	fi
}
trap 'stop; rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM HUP

if [ "$PTP_VARIANT" = hardened ]; then
	cp "$PTP_ROOT_CERT" "$dir/root.crt"
	ca=$dir/root.crt
else
	ca=$bundle
fi
# The password is hexadecimal: nothing to escape.
printf '"%s" "%s"\n' "$PTP_USER" "$PTP_PASSWORD" >"$dir/userlist.txt"
chmod 600 "$dir/userlist.txt"
chmod 755 "$dir"
chown -R "$user" "$dir" 2>/dev/null

started=false
for _ in 1 2 3 4 5; do
	port=$(/usr/bin/python3 -I -S -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])') || break
	cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$PTP_HOST port=$PTP_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
pidfile = $dir/pgbouncer.pid
logfile = $dir/pgbouncer.log
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = session
server_tls_sslmode = $mode
server_tls_ca_file = $ca
server_connect_timeout = $PTP_TIMEOUT
server_login_retry = 1
query_wait_timeout = $PTP_TIMEOUT
INI
	chown "$user" "$dir/pgbouncer.ini" 2>/dev/null
	rm -f "$dir/pgbouncer.pid"
	if as pgbouncer -d -q "$dir/pgbouncer.ini" >>"$dir/pgbouncer.stderr" 2>&1; then
		for _ in $(seq 1 100); do
			if [ -s "$dir/pgbouncer.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
				started=true
				break 2
			fi
			sleep 0.05
		done
	fi
	stop
	cat "$dir/pgbouncer.stderr" "$dir/pgbouncer.log" 2>/dev/null | grep -qi 'address already in use' || break
done
if ! $started; then
	printf '{"unavailable": %s}\n' \
		"$(json "PgBouncer did not start: $(tail -q -n 2 "$dir/pgbouncer.stderr" "$dir/pgbouncer.log" 2>/dev/null)")"
	exit 0
fi

err=$dir/psql.stderr
PGPASSWORD=$PTP_PASSWORD psql -X -A -t -F '|' \
	-c "SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()" \
	"host=127.0.0.1 port=$port dbname=$PTP_DBNAME user=$PTP_USER sslmode=disable application_name=$PTP_APPNAME connect_timeout=$((PTP_TIMEOUT * 2))" \
	>"$dir/psql.out" 2>"$err" &
psql=$!
# PgBouncer holds its client (up to query_wait_timeout) while it retries a
# server connection that failed; that failure is what the cell measures, and
# a retry against the same server or proxy fails alike.  So the first server
# connection that fails ends the client, with PgBouncer's reason as the
# error: a TLS handshake error (the only TLS here is towards the server;
# PgBouncer does not always log the close after one) or a server connection
# closed.
refused=
while alive "$psql"; do
	refused=$(sed -n '/ TLS handshake error: \| S-0x[0-9a-f]*: .* closing because: /{p;q}' "$dir/pgbouncer.log" 2>/dev/null)
	if [ -n "$refused" ]; then
		kill "$psql" 2>/dev/null
		break
	fi
	sleep 0.02
done
wait "$psql"
rc=$?
row=$(cat "$dir/psql.out")
if [ $rc -eq 0 ]; then
	IFS='|' read -r ssl tlsv cipher <<<"$row"
	[ "$ssl" = t ] && ssl=true || ssl=false
	printf '{"connected": true, "server_ssl": %s, "server_tls_version": %s, "server_cipher": %s, "error": null, ' \
		"$ssl" "$(json "$tlsv")" "$(json "$cipher")"
else
	# PgBouncer tells its client little; its log says why the server
	# connection failed.
	if [ -n "$refused" ]; then
		why=$(printf '%s\n' "$refused" | sed 's/^[^]]*\] \(LOG\|WARNING\|ERROR\) //; s/^S-0x[0-9a-f]*: [^ ]* //' | paste -s -d ';' | sed 's/;/; /g')
	else
		why=$(grep -iE 'tls|ssl|certificate|verify|server login|closing because' "$dir/pgbouncer.log" 2>/dev/null | tail -n 1 | sed 's/^.*\(LOG\|WARNING\|ERROR\) //')
	fi
	said=$(cat "$err")
	[ -z "$said" ] && [ -n "$refused" ] && said="PgBouncer's server connection failed; the client was ended"
	printf '{"connected": false, "server_ssl": null, "server_tls_version": null, "server_cipher": null, "error": %s, ' \
		"$(json "$said${why:+ (pgbouncer log: $why)}")"
fi
printf '"version": %s, "libpq": null}\n' "$(json "$version")"
