#!/bin/bash
# middlebox_lib.sh: a PgBouncer and a TLS-terminating stunnel in front of a
# cluster of `pg_tls_probe cluster start` (sourced).  Each runs as the OS
# user that owns the cluster's data directory (the cluster's --user,
# postgres by default), listens on a port of its own on 127.0.0.1 and keeps
# its configuration, log and pid file in a directory of its own; the caller
# stops it in its exit trap, and only the pid in that directory's pid file
# is ever signalled.
#
#   middlebox_cert DIR NAME PKI [CA]
#                                 a certificate for localhost (and 127.0.0.1,
#                                 ::1) issued by PKI's CA named CA
#                                 (intermediate_ca by default; untrusted_ca
#                                 for a forgery): DIR/NAME.leaf, DIR/NAME.crt
#                                 (the leaf and the CA), DIR/NAME.key
#   start_pgbouncer DIR CLUSTER SERVER_SSLMODE CERT KEY ROLE...
#                                 PgBouncer with client TLS on CERT/KEY
#                                 (client_tls_sslmode=require) before the
#                                 cluster; server_tls_sslmode is disable,
#                                 require or verify-full (the cluster's root
#                                 CA, host name localhost).  The ROLEs log in
#                                 with SCRAM: their secrets, read from the
#                                 cluster's pg_authid, are the auth_file.
#                                 With MB_UPSTREAM_PORT set, PgBouncer
#                                 connects to localhost at that port (a
#                                 proxy before the cluster) instead;
#                                 MB_PGBOUNCER_CONF adds lines to its
#                                 [pgbouncer] section.
#   start_attacker DIR KIND PORT [OPTION...]
#                                 `pg_tls_probe proxy KIND` (strip, or
#                                 intercept with --cert and --key among the
#                                 OPTIONs) before 127.0.0.1:PORT, as the
#                                 caller, with $probe; DIR/proxy.pid names it
#   start_stunnel DIR CLUSTER CERT KEY
#                                 stunnel4 in server mode with protocol =
#                                 pgsql: TLS from the client, plaintext to
#                                 the cluster
#   mb_isolate_libpq DIR          only what a test passes reaches libpq: no
#                                 PG* variables but PG_CONFIG, HOME an empty
#                                 DIR/home
#   stop_middlebox DIR            signals the pid of DIR's pid file, waits
#                                 for it to end (harmless when none runs)
#
# The start functions set middlebox_port, or return 1 with the reason on
# stderr (the log's last lines).

# mb_as USER COMMAND...: COMMAND as USER (as the caller when not root)
mb_as() {
	local user=$1
	shift
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$user" -- "$@"
	else
		"$@"
	fi
}

# mb_free_port: a TCP port nothing listens on at 127.0.0.1 (the caller
# retries should another process take it first)
mb_free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# mb_prepare DIR CLUSTER CERT KEY: DIR made, owned by the cluster's OS user
# (set in mb_user), with copies of CERT and KEY it alone reads
mb_prepare() {
	local dir=$1 cluster=$2
	mb_user=$(stat -c %U "$cluster/data") || return 1
	mkdir -p "$dir" && cp "$3" "$dir/tls.crt" && cp "$4" "$dir/tls.key" || return 1
	chmod 600 "$dir/tls.key" && chmod 755 "$dir"
	[ "$(id -u)" != 0 ] || chown -R "$mb_user" "$dir"
}

# mb_cluster_port CLUSTER: the cluster's TCP port
mb_cluster_port() {
	sed -n 's/^export PGPORT=//p' "$1/cluster.env"
}

# mb_launch DIR NAME LOG_READY COMMAND...: runs the daemon COMMAND (as
# mb_user) on a fresh port written into DIR/NAME.conf by the caller's
# mb_write_conf, until it listens; a port taken meanwhile means another try
mb_launch() {
	local dir=$1 name=$2
	shift 2
	for _ in 1 2 3 4 5; do
		middlebox_port=$(mb_free_port) || return 1
		mb_write_conf "$dir" "$middlebox_port" || return 1
		rm -f "$dir/$name.pid"
		if mb_as "$mb_user" "$@" >>"$dir/$name.stderr" 2>&1; then
			for _ in $(seq 1 100); do
				if [ -s "$dir/$name.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$middlebox_port") 2>/dev/null; then
					return 0
				fi
				sleep 0.05
			done
		fi
		stop_middlebox "$dir"
		cat "$dir/$name.stderr" "$dir/$name.log" 2>/dev/null | grep -qi 'address already in use' || break
	done
	echo "$name did not start: $(tail -q -n 3 "$dir/$name.stderr" "$dir/$name.log" 2>/dev/null)" >&2
	return 1
}

middlebox_cert() {
	local dir=$1 name=$2 pki=$3 ca=${4:-intermediate_ca}
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
		-keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null &&
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' >"$dir/$name.ext" &&
		openssl x509 -req -in "$dir/$name.csr" -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" \
			-CAcreateserial -CAserial "$dir/$name.srl" -days 2 -extfile "$dir/$name.ext" \
			-out "$dir/$name.leaf" 2>/dev/null &&
		cat "$dir/$name.leaf" "$pki/$ca.crt" >"$dir/$name.crt"
}

start_pgbouncer() {
	local dir=$1 cluster=$2 mode=$3 cert=$4 key=$5 upstream role secret
	shift 5
	mb_prepare "$dir" "$cluster" "$cert" "$key" || return 1
	upstream=$(mb_cluster_port "$cluster")
	: >"$dir/userlist.txt"
	for role in "$@"; do
		secret=$(psql -X -At -h "$cluster/socket" -p "$upstream" -U postgres -d postgres \
			-c "SELECT rolpassword FROM pg_authid WHERE rolname = '$role'") || return 1
		printf '"%s" "%s"\n' "$role" "$secret" >>"$dir/userlist.txt"
	done
	chmod 600 "$dir/userlist.txt"
	[ "$(id -u)" != 0 ] || chown "$mb_user" "$dir/userlist.txt"
	# Both CA files are always named: PgBouncer 1.24 (Debian 13) loads the
	# system store for an unset one and refuses to start where there is none
	# (the chroots have no ca-certificates); it verifies clients and the
	# server against them only when told to.
	cp "$cluster/pki/root_ca.crt" "$dir/server_ca.crt"
	mb_server_tls="server_tls_sslmode = $mode
server_tls_ca_file = $dir/server_ca.crt"
	mb_upstream=${MB_UPSTREAM_PORT:-$upstream}
	mb_write_conf() {
		cat >"$1/pgbouncer.ini" <<INI
[databases]
* = host=localhost port=$mb_upstream

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $2
unix_socket_dir =
pidfile = $1/pgbouncer.pid
logfile = $1/pgbouncer.log
auth_type = scram-sha-256
auth_file = $1/userlist.txt
pool_mode = session
client_tls_sslmode = require
client_tls_cert_file = $1/tls.crt
client_tls_key_file = $1/tls.key
client_tls_ca_file = $1/server_ca.crt
$mb_server_tls
${MB_PGBOUNCER_CONF:-}
INI
	}
	mb_launch "$dir" pgbouncer pgbouncer -d -q "$dir/pgbouncer.ini"
}

start_stunnel() {
	local dir=$1 cluster=$2
	mb_prepare "$dir" "$cluster" "$3" "$4" || return 1
	mb_upstream=$(mb_cluster_port "$cluster")
	mb_write_conf() {
		cat >"$1/stunnel.conf" <<CONF
foreground = no
pid = $1/stunnel.pid
output = $1/stunnel.log

[postgresql]
accept = 127.0.0.1:$2
connect = 127.0.0.1:$mb_upstream
protocol = pgsql
cert = $1/tls.crt
key = $1/tls.key
CONF
	}
	mb_launch "$dir" stunnel stunnel "$dir/stunnel.conf"
}

mb_isolate_libpq() {
	local v
	for v in $(env | sed -n 's/^\(PG[A-Z_]*\)=.*/\1/p'); do
		[ "$v" = PG_CONFIG ] || unset "$v"
	done
	export HOME="$1/home"
	mkdir -p "$HOME"
}

start_attacker() {
	local dir=$1 kind=$2 port=$3
	shift 3
	mkdir -p "$dir"
	"$probe" proxy "$kind" --upstream "127.0.0.1:$port" "$@" >"$dir/proxy.out" 2>&1 &
	echo $! >"$dir/proxy.pid"
	for _ in $(seq 1 200); do
		middlebox_port=$(sed -n 's/^port //p' "$dir/proxy.out")
		[ -n "$middlebox_port" ] && return 0
		kill -0 "$(cat "$dir/proxy.pid")" 2>/dev/null || break
		sleep 0.05
	done
	echo "proxy $kind did not start: $(cat "$dir/proxy.out")" >&2
	return 1
}

stop_middlebox() {
	local pidfile pid
	for pidfile in "$1"/*.pid; do
		[ -s "$pidfile" ] || continue
		pid=$(cat "$pidfile")
		# a stale file's pid may be another process's by now: the daemon's
		# command line names its configuration in DIR, and a proxy is this
		# shell's own child
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$1/" ||
			[ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$$" ] || continue
		kill "$pid" 2>/dev/null || continue
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
	done
}
