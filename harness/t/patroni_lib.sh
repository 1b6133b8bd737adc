#!/bin/bash
# patroni_lib.sh: a three-member Patroni cluster on one etcd 3.4 node, on
# loopback and ports of its own, for harness/t/test_patroni.sh (sourced).
# Every process runs as the OS user pg_tls_probe's clusters run as, keeps
# its pid in a file of $work, and pt_stop_all signals only those.
#
#   pt_init WORK PROBE      sets work, pguser, the ports, a PKI (pg_tls_probe
#                           pki) and the passwords; nothing is started
#   pt_as_pg COMMAND...     COMMAND as $pguser, with a clean environment
#   pt_start_etcd           etcd on its own client and peer ports
#   pt_write_config NAME [REPLICATION-TLS]
#                           NAME's patroni.yml; REPLICATION-TLS adds
#                           sslmode=verify-full and the root to the keys of
#                           postgresql.authentication.replication
#   pt_start_member NAME    Patroni for NAME
#   pt_sql NAME SQL         SQL as the superuser over NAME's socket
#   pt_cluster_state        "name:role:state" of every member, from
#                           Patroni's REST API, sorted
#   pt_leader               the leader's name
#   pt_wait SECONDS COMMAND...
#                           polls COMMAND (every 0.2 s) until it succeeds;
#                           fails after SECONDS
#   pt_stop_all             the members (Patroni stops its PostgreSQL), any
#                           postmaster left, then etcd

pt_members=(m1 m2 m3)

pt_init() {
	work=$1
	local probe=$2 ports
	# pg_tls_probe cluster's rule: postgres when run as root, else oneself.
	pguser=$(id -un)
	[ "$(id -u)" = 0 ] && pguser=postgres
	bindir=$("${PG_CONFIG:-pg_config}" --bindir)
	mapfile -t ports < <(/usr/bin/python3 -c '
import socket
socks = [socket.socket() for _ in range(8)]
for s in socks:
    s.bind(("127.0.0.1", 0))
for s in socks:
    print(s.getsockname()[1])')
	etcd_client=${ports[0]} etcd_peer=${ports[1]}
	declare -gA rest_port pg_port
	local i=2 m
	for m in "${pt_members[@]}"; do
		rest_port[$m]=${ports[i]} pg_port[$m]=${ports[i + 3]}
		i=$((i + 1))
	done
	super_pw="super-$RANDOM$RANDOM" repl_pw="repl-$RANDOM$RANDOM" app_pw="app-$RANDOM$RANDOM"
	pki=$work/pki
	"$probe" pki "$pki" >/dev/null || return 1
	chmod 755 "$pki" && chmod 644 "$pki"/*.crt && chown "$pguser" "$pki/server.key" && chmod 600 "$pki/server.key"
}

# pt_as_pg_prefix: sets as_pg to the command words that run what follows
# them as $pguser with a clean environment
pt_as_pg_prefix() {
	as_pg=()
	[ "$(id -u)" = 0 ] && as_pg=(setpriv --reuid="$pguser" --regid="$(id -g "$pguser")" --init-groups --)
	as_pg+=(env -i PATH="$bindir:/usr/bin:/bin" LC_ALL=C.UTF-8 HOME="$work")
}

pt_as_pg() {
	local as_pg
	pt_as_pg_prefix
	"${as_pg[@]}" "$@"
}

# pt_spawn NAME COMMAND...: COMMAND as $pguser in the background, its output
# in $work/NAME.log and its own pid (setpriv and env exec it) in
# $work/NAME.pid
pt_spawn() {
	local name=$1 as_pg
	shift
	pt_as_pg_prefix
	"${as_pg[@]}" "$@" >"$work/$name.log" 2>&1 &
	echo $! >"$work/$name.pid"
}

pt_start_etcd() {
	mkdir -p "$work/etcd" && chown "$pguser" "$work/etcd" && chmod 700 "$work/etcd"
	pt_spawn etcd etcd --name pt1 --data-dir "$work/etcd/data" \
		--listen-client-urls "http://127.0.0.1:$etcd_client" --advertise-client-urls "http://127.0.0.1:$etcd_client" \
		--listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
		--initial-cluster "pt1=http://127.0.0.1:$etcd_peer" --initial-cluster-state new \
		--log-level warn
	pt_wait 30 curl -fsS "http://127.0.0.1:$etcd_client/health"
}

pt_write_config() {
	local m=$1 tls=${2:-} dir=$work/$1 repl_tls=""
	mkdir -p "$dir" && chown "$pguser" "$dir" && chmod 700 "$dir"
	[ -n "$tls" ] && repl_tls="
      sslmode: verify-full
      sslrootcert: $pki/root_ca.crt"
	# Short loop_wait, ttl and retry_timeout: a test cluster on loopback,
	# where a switchover should take a second or two, not ten.
	cat >"$dir/patroni.yml" <<YML
scope: pg_tls_audit_test
namespace: /pg_tls_audit_test/
name: $m
restapi:
  listen: 127.0.0.1:${rest_port[$m]}
  connect_address: 127.0.0.1:${rest_port[$m]}
etcd3:
  hosts: 127.0.0.1:$etcd_client
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    postgresql:
      use_pg_rewind: false
      parameters:
        ssl: 'on'
        pg_tls_audit.require_tls: 'on'
        wal_level: replica
        hot_standby: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
  initdb:
  - encoding: UTF8
  - locale: C
postgresql:
  listen: 127.0.0.1:${pg_port[$m]}
  connect_address: 127.0.0.1:${pg_port[$m]}
  data_dir: $dir/data
  bin_dir: $bindir
  pgpass: $dir/pgpass
  use_unix_socket: true
  authentication:
    superuser:
      username: postgres
      password: $super_pw
    replication:
      username: replicator
      password: $repl_pw$repl_tls
  parameters:
    shared_preload_libraries: pg_tls_audit
    unix_socket_directories: $dir
    ssl_cert_file: $pki/server.crt
    ssl_key_file: $pki/server.key
    ssl_ca_file: $pki/root_ca.crt
  pg_hba:
  - local all all trust
  - hostssl replication replicator 127.0.0.1/32 scram-sha-256
  - hostnossl all replicator 127.0.0.1/32 reject
  - hostssl all all 127.0.0.1/32 scram-sha-256
  - host all all 127.0.0.1/32 scram-sha-256
  - host replication regress_tls_app 127.0.0.1/32 scram-sha-256
YML
	chown "$pguser" "$dir/patroni.yml" && chmod 600 "$dir/patroni.yml"
}

pt_start_member() {
	pt_spawn "$1/patroni" patroni "$work/$1/patroni.yml"
}

pt_sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$work/$1" -p "${pg_port[$1]}" -U postgres -d postgres -c "$2"
}

pt_cluster_state() {
	curl -fsS "http://127.0.0.1:${rest_port[m1]}/cluster" | /usr/bin/python3 -c '
import json, sys
print(" ".join(sorted("%s:%s:%s" % (m["name"], m["role"], m["state"]) for m in json.load(sys.stdin)["members"])))'
}

pt_leader() {
	pt_cluster_state | tr ' ' '\n' | sed -n 's/^\([^:]*\):leader:.*/\1/p'
}

pt_wait() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# pt_signal FILE SIGNAL: signals the process whose pid FILE holds, if any
pt_signal() {
	local pid
	pid=$(head -n 1 "$1" 2>/dev/null) && [ -n "$pid" ] && kill "-$2" "$pid" 2>/dev/null
}

# pt_gone FILE SECONDS: the process FILE names has ended, or ends within
# SECONDS
pt_gone() {
	local pid
	pid=$(head -n 1 "$1" 2>/dev/null) && [ -n "$pid" ] || return 0
	pt_wait "$2" eval "! kill -0 $pid"
}

pt_stop_all() {
	local m
	# All at once: each Patroni stops its PostgreSQL on SIGTERM.
	for m in "${pt_members[@]}"; do pt_signal "$work/$m/patroni.pid" TERM; done
	for m in "${pt_members[@]}"; do
		pt_gone "$work/$m/patroni.pid" 30 || { pt_signal "$work/$m/patroni.pid" KILL; pt_gone "$work/$m/patroni.pid" 5; }
		# A Patroni killed before it stopped its PostgreSQL leaves it running.
		[ ! -f "$work/$m/data/postmaster.pid" ] ||
			pt_as_pg pg_ctl -D "$work/$m/data" -m immediate -w -t 30 stop >/dev/null 2>&1
	done
	pt_signal "$work/etcd.pid" TERM
	pt_gone "$work/etcd.pid" 15 || { pt_signal "$work/etcd.pid" KILL; pt_gone "$work/etcd.pid" 5; }
}
