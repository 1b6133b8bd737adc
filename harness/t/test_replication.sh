#!/bin/bash
# test_replication.sh: the server's replication links, as TAP.  A primary
# with pg_tls_audit preloaded; a standby made by pg_basebackup -R, a
# subscriber (logical replication) and a postgres_fdw foreign server, each
# connecting straight to the primary or through an attacker proxy
# (`pg_tls_probe proxy strip`, or `proxy intercept` on a certificate from a
# CA the links do not trust: a forgery).  Asserts what the primary shows of
# its WAL senders (tls_sessions, tls_connection_log), that the TLS policy
# refuses a plaintext WAL sender, that sslmode=prefer streams through a
# stripping proxy in plaintext and that verify-full refuses it and the
# forgery, with the reason in the refusing side's log or error.
#
# usage: harness/t/test_replication.sh [PG_TLS_PROBE]
# Needs pg_tls_audit installed in the host PostgreSQL (make install).
set -uo pipefail

probe=${1:-$(dirname "$0")/../pg_tls_probe}
probe=$(cd "$(dirname "$probe")" && pwd)/$(basename "$probe")
export PG_CONFIG=${PG_CONFIG:-pg_config}
bindir=$("$PG_CONFIG" --bindir)
work=$(mktemp -d /tmp/pg_tls_audit-repl.XXXXXX)
chmod 755 "$work"
secret="repl-Secret-$RANDOM$RANDOM"
cleanup() {
	[ -f "$work/standby/postmaster.pid" ] &&
		as_pg "$bindir/pg_ctl" -D "$work/standby" -m immediate -w stop >/dev/null 2>&1
	for m in strip forge; do stop_middlebox "$work/$m"; done
	"$probe" cluster stop "$work/sub" >/dev/null 2>&1
	"$probe" cluster stop "$work/primary" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/middlebox_lib.sh"
mb_isolate_libpq "$work"

# as_pg COMMAND...: COMMAND as the clusters' OS user
as_pg() {
	mb_as postgres env -i PATH="$bindir:/usr/bin:/bin" LC_ALL=C "$@"
}

# wait_for DESCRIPTION COMMAND...: polls COMMAND for up to 30 seconds;
# its status is the test's
wait_for() {
	local what=$1 deadline=$((SECONDS + 30))
	shift
	until "$@" >/dev/null 2>&1; do
		if [ $SECONDS -ge $deadline ]; then
			ok 1 "$what (got: $("$@" 2>&1 | head -n 2))"
			return 1
		fi
		sleep 0.2
	done
	ok 0 "$what"
}

hba=()
for a in 127.0.0.1/32 ::1/128; do
	hba+=(--hba "hostssl all tls_client $a cert" --hba "hostssl replication tls_client $a cert"
		--hba "host all all $a scram-sha-256" --hba "host replication all $a scram-sha-256")
done
"$probe" cluster start "$work/primary" --pg-config "$PG_CONFIG" \
	--conf "shared_preload_libraries = 'pg_tls_audit'" --conf "wal_level = logical" \
	--conf "pg_tls_audit.log_connections = on" --hba "local all all trust" \
	--hba "local replication all trust" "${hba[@]}" >"$work/primary.env" 2>"$work/start.err" ||
	{ echo "Bail out! primary did not start: $(cat "$work/start.err")"; exit 2; }
"$probe" cluster start "$work/sub" --pg-config "$PG_CONFIG" >"$work/sub.env" 2>"$work/start.err" ||
	{ echo "Bail out! subscriber did not start: $(cat "$work/start.err")"; exit 2; }
port=$(mb_cluster_port "$work/primary")
sport=$(mb_cluster_port "$work/sub")
pki="$work/primary/pki"

# primary|sub STATEMENT: as the superuser over that cluster's socket
primary() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$work/primary/socket" -p "$port" -U postgres -d postgres -c "$1"
}
sub() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$work/sub/socket" -p "$sport" -U postgres -d postgres -c "$1"
}

# The client certificate, as the OS user running the standby and the
# subscriber reads it (libpq wants its key private).
mkdir -p "$work/keys"
cp "$pki/client.crt" "$pki/client.key" "$pki/root_ca.crt" "$work/keys/"
chmod 600 "$work/keys/client.key"
[ "$(id -u)" != 0 ] || chown -R postgres "$work/keys"
tls="sslmode=verify-full sslrootcert=$work/keys/root_ca.crt"
cert="$tls sslcert=$work/keys/client.crt sslkey=$work/keys/client.key user=tls_client"

primary "ALTER ROLE tls_client REPLICATION" &&
	primary "CREATE ROLE regress_repl LOGIN REPLICATION PASSWORD '$secret'" &&
	primary "CREATE EXTENSION pg_tls_audit" &&
	primary "CREATE TABLE t_phys (v text); CREATE TABLE t_log (v text); CREATE TABLE t_strip (v text)" &&
	primary "GRANT SELECT ON t_log, t_strip, t_phys TO regress_repl, tls_client" &&
	primary "CREATE PUBLICATION pub_log FOR TABLE t_log; CREATE PUBLICATION pub_strip FOR TABLE t_strip" &&
	sub "CREATE TABLE t_log (v text); CREATE TABLE t_strip (v text); CREATE EXTENSION postgres_fdw"
ok $? "primary (pg_tls_audit preloaded, wal_level logical) and subscriber are set up"

start_attacker "$work/strip" strip "$port" --timeout 600
ok $? "stripping proxy before the primary starts"
strip_port=$middlebox_port
mkdir -p "$work/certs"
middlebox_cert "$work/certs" forged "$pki" untrusted_ca &&
	start_attacker "$work/forge" intercept "$port" --timeout 600 \
		--cert "$work/certs/forged.crt" --key "$work/certs/forged.key"
ok $? "forging proxy (a certificate from a CA the links do not trust) starts"
forge_port=$middlebox_port

# cn COLUMN: SQL for the CN of the RFC 2253 name in COLUMN
cn() {
	echo "substring($1 from '(?:^|,)(CN=[^,]*)')"
}
# walsender APPLICATION_NAME: "ssl|usename|client_subject" of the primary's
# WAL sender with that application_name, as tls_sessions shows it (while a
# WAL receiver reconnects, or CREATE SUBSCRIPTION's own connection ends,
# two may show for a moment: callers poll)
walsender() {
	primary "SELECT s.ssl || '|' || s.usename || '|' || coalesce($(cn s.client_subject), '')
	         FROM tls_sessions s JOIN pg_stat_activity a USING (pid)
	         WHERE a.backend_type = 'walsender' AND s.application_name = '$1'"
}
# expect_eq WANT COMMAND...: COMMAND prints WANT
expect_eq() {
	local want=$1
	shift
	[ "$("$@" 2>/dev/null)" = "$want" ]
}
# log_has FILE PATTERN: FILE holds a line matching PATTERN (grep -E)
log_has() {
	grep -qE -- "$2" "$1"
}

# --- the standby: pg_basebackup -R through the stripping proxy, sslmode=prefer
standby="$work/standby"
mkdir -p "$standby" "$work/logs" && chmod 700 "$standby" && { [ "$(id -u)" != 0 ] || chown postgres "$standby" "$work/logs"; }
as_pg pg_basebackup -D "$standby" -R -X stream \
	-d "host=localhost port=$strip_port user=regress_repl password=$secret sslmode=prefer application_name=standby_strip" \
	>"$work/basebackup.log" 2>&1
ok $? "pg_basebackup -R through the stripping proxy with sslmode=prefer: $(tail -n 2 "$work/basebackup.log")"
grep -q "port=$strip_port" "$standby/postgresql.auto.conf"
ok $? "pg_basebackup -R wrote the proxy's path into primary_conninfo"
standby_port=$(mb_free_port)
cat >>"$standby/postgresql.auto.conf" <<CONF
port = $standby_port
unix_socket_directories = '$work/standby'
CONF
as_pg pg_ctl -D "$standby" -l "$work/logs/standby.log" -w -t 60 start >/dev/null 2>&1
ok $? "the standby starts: $(tail -n 3 "$work/logs/standby.log" 2>/dev/null)"
standby_sql() {
	psql -X -q -At -h "$standby" -p "$standby_port" -U postgres -d postgres -c "$1"
}
# standby_conninfo CONNINFO: the standby's primary_conninfo, then a reload
# (from PostgreSQL 13 the WAL receiver restarts with it)
standby_conninfo() {
	standby_sql "ALTER SYSTEM SET primary_conninfo = '$1'" && standby_sql "SELECT pg_reload_conf()" >/dev/null
}

wait_for "stripped standby (prefer): the primary shows its WAL sender without TLS" \
	expect_eq "false|regress_repl|" walsender standby_strip
primary "INSERT INTO t_phys VALUES ('through-strip')"
wait_for "stripped standby (prefer): WAL streamed, the row is on the standby" \
	expect_eq 1 standby_sql "SELECT count(*) FROM t_phys WHERE v = 'through-strip'"
expect_eq "regress_repl|false|accepted" primary "SELECT usename || '|' || ssl || '|' || outcome FROM tls_connection_log
	WHERE usename = 'regress_repl' AND datname IS NULL ORDER BY id DESC LIMIT 1"
ok $? "stripped standby: tls_connection_log records the WAL sender's connection as accepted without TLS"

# --- verify-full through the stripping proxy, then through the forgery
standby_conninfo "host=localhost port=$strip_port user=regress_repl password=$secret $tls application_name=standby_vf"
wait_for "standby with verify-full through the stripping proxy: its log says why it refuses" \
	log_has "$work/logs/standby.log" "server does not support SSL, but SSL was required"
primary "INSERT INTO t_phys VALUES ('after-verify-full')"
expect_eq "" walsender standby_vf && expect_eq 0 standby_sql "SELECT count(*) FROM t_phys WHERE v = 'after-verify-full'"
ok $? "standby with verify-full through the stripping proxy: no WAL sender on the primary, no WAL"
standby_conninfo "host=localhost port=$forge_port user=regress_repl password=$secret $tls application_name=standby_vf"
wait_for "standby with verify-full through the forging proxy: its log says why it refuses" \
	log_has "$work/logs/standby.log" "certificate verify failed"
expect_eq "" walsender standby_vf
ok $? "standby with verify-full through the forging proxy: no WAL sender on the primary"

# --- item 2: the standby straight to the primary with a client certificate
standby_conninfo "host=localhost port=$port $cert application_name=standby_cert"
wait_for "standby with a client certificate: the primary's tls_sessions shows its WAL sender with TLS and the certificate" \
	expect_eq "true|tls_client|CN=tls_client" walsender standby_cert
wait_for "standby with a client certificate: WAL streamed" \
	expect_eq 1 standby_sql "SELECT count(*) FROM t_phys WHERE v = 'after-verify-full'"
wait_for "standby with a client certificate: tls_connection_log records the WAL sender's TLS and certificate" \
	expect_eq "true|TLSv1.3|CN=tls_client|accepted" primary "SELECT l.ssl || '|' || l.protocol || '|' || $(cn l.client_subject) || '|' || l.outcome
	FROM tls_connection_log l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE a.backend_type = 'walsender' AND a.application_name = 'standby_cert'"

# --- item 2: a subscription's apply worker
sub "CREATE SUBSCRIPTION sub_log CONNECTION 'host=localhost port=$port dbname=postgres $cert application_name=sub_log' PUBLICATION pub_log" 2>"$work/sub.err"
ok $? "a subscription with a client certificate is created: $(cat "$work/sub.err")"
wait_for "subscription: the primary's tls_sessions shows its WAL sender with TLS and the certificate" \
	expect_eq "true|tls_client|CN=tls_client" walsender sub_log
wait_for "subscription: tls_connection_log records its WAL sender's database, TLS and certificate" \
	expect_eq "postgres|true|CN=tls_client|accepted" primary "SELECT l.datname || '|' || l.ssl || '|' || $(cn l.client_subject) || '|' || l.outcome
	FROM tls_connection_log l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE a.backend_type = 'walsender' AND a.application_name = 'sub_log'"
primary "INSERT INTO t_log VALUES ('logical')"
wait_for "subscription with a client certificate: the row is replicated" \
	expect_eq 1 sub "SELECT count(*) FROM t_log"

# --- subscriptions through the proxies
sub "CREATE SUBSCRIPTION sub_strip CONNECTION 'host=localhost port=$strip_port dbname=postgres user=regress_repl password=$secret sslmode=prefer application_name=sub_strip' PUBLICATION pub_strip" 2>"$work/sub.err"
ok $? "a subscription with sslmode=prefer through the stripping proxy is created: $(cat "$work/sub.err")"
wait_for "stripped subscription (prefer): the primary shows its WAL sender without TLS" \
	expect_eq "false|regress_repl|" walsender sub_strip
primary "INSERT INTO t_strip VALUES ('stripped')"
wait_for "stripped subscription (prefer): the row is replicated in plaintext" \
	expect_eq 1 sub "SELECT count(*) FROM t_strip"
for p in "strip:$strip_port:server does not support SSL, but SSL was required" "forge:$forge_port:certificate verify failed"; do
	IFS=: read -r kind pport why <<<"$p"
	! sub "CREATE SUBSCRIPTION sub_vf_$kind CONNECTION 'host=localhost port=$pport dbname=postgres user=regress_repl password=$secret $tls' PUBLICATION pub_strip" 2>"$work/sub.err" &&
		grep -qF "$why" "$work/sub.err"
	ok $? "a subscription with verify-full through the $kind proxy is refused: $(head -n 1 "$work/sub.err")"
done

# --- postgres_fdw: (proxy, sslmode) -> what the query gets
fdw_case() {
	local kind=$1 pport=$2 mode=$3 want=$4 server="fs_${1}_${3//-/_}" extra=""
	[ "$mode" = verify-full ] && extra=", sslrootcert '$work/keys/root_ca.crt'"
	sub "CREATE SERVER $server FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'localhost', port '$pport', dbname 'postgres', sslmode '$mode'$extra);
	     CREATE USER MAPPING FOR postgres SERVER $server OPTIONS (user 'regress_repl', password '$secret');
	     CREATE FOREIGN TABLE ft_$server (v text) SERVER $server OPTIONS (table_name 't_phys')" || return 1
	local before
	before=$(primary "SELECT coalesce(max(id), 0) FROM tls_connection_log")
	if [ "$want" = refused ]; then
		! sub "SELECT count(*) FROM ft_$server" 2>"$work/fdw.err" && grep -qF "$5" "$work/fdw.err"
		ok $? "postgres_fdw with sslmode=$mode through the $kind proxy is refused: $(head -n 1 "$work/fdw.err")"
	else
		expect_eq 2 sub "SELECT count(*) FROM ft_$server" &&
			expect_eq "$want" primary "SELECT string_agg(ssl::text, ',') FROM tls_connection_log
				WHERE id > $before AND usename = 'regress_repl' AND outcome = 'accepted'"
		ok $? "postgres_fdw with sslmode=$mode through the $kind proxy reads the rows; the primary saw ssl=$want"
	fi
}
fdw_case strip "$strip_port" prefer false
fdw_case strip "$strip_port" verify-full refused "server does not support SSL, but SSL was required"
fdw_case forge "$forge_port" prefer true
fdw_case forge "$forge_port" verify-full refused "certificate verify failed"

# --- the policy: require_tls refuses a plaintext WAL sender
primary "ALTER SYSTEM SET pg_tls_audit.require_tls = on" && primary "SELECT pg_reload_conf()" >/dev/null
# refused_plaintext MODE: a plaintext replication=MODE connection gets the
# policy's refusal
refused_plaintext() {
	local out
	out=$(PGPASSWORD=$secret psql -X -At "host=localhost port=$port user=regress_repl dbname=postgres replication=$1 sslmode=disable" \
		-c IDENTIFY_SYSTEM 2>&1)
	grep -qF "connection requires TLS, but the client connected with" <<<"$out"
}
for r in true database; do
	wait_for "require_tls: a plaintext replication=$r connection is refused by the policy" refused_plaintext "$r"
done
standby_conninfo "host=localhost port=$strip_port user=regress_repl password=$secret sslmode=prefer application_name=standby_strip"
wait_for "require_tls: the stripped standby is refused, its log says why" \
	log_has "$work/logs/standby.log" "connection requires TLS, but the client connected with"
expect_eq "" walsender standby_strip
ok $? "require_tls: no WAL sender for the stripped standby"
expect_eq "rejected_by_policy" primary "SELECT outcome FROM tls_connection_log
	WHERE usename = 'regress_repl' AND NOT ssl ORDER BY id DESC LIMIT 1"
ok $? "require_tls: tls_connection_log records the stripped WAL sender's connection as refused"
standby_conninfo "host=localhost port=$port $cert application_name=standby_cert"
wait_for "require_tls: the standby with verified TLS streams again" \
	expect_eq "true|tls_client|CN=tls_client" walsender standby_cert

tap_done
