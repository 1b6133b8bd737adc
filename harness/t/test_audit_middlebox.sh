#!/bin/bash
# test_audit_middlebox.sh: pg_tls_probe audit through real middleboxes, as
# TAP.  PgBouncer 1.18 (client TLS; its leg to the server plaintext, or
# verify-full) and stunnel4 (protocol = pgsql: TLS terminated before a
# plaintext server), declared with --middlebox-cert or not, each with and
# without pg_tls_audit in the target database; and the direct server, with
# and without it, which is never called a middlebox.  Each case asserts the
# verdict, who the TLS endpoint is and both legs; a strong pin outranks a
# contradicting weak view; the server's view names the source that decided.
#
# usage: harness/t/test_audit_middlebox.sh [PG_TLS_PROBE]
# Needs pg_tls_audit installed in the host PostgreSQL (make install).
set -uo pipefail

AUDIT_SUITE=audit-path
. "$(dirname "$0")/audit_lib.sh"
. "$(dirname "$0")/middlebox_lib.sh"
audit_cleanup_extra() {
	for m in pgb_plain pgb_full stunnel; do stop_middlebox "$work/$m"; done
}

start_cluster c1
port1=$(cluster_port c1)
pki="$work/c1/pki"
# sql DB STATEMENT: as the superuser, over the cluster's socket
sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$work/c1/socket" -p "$port1" -U postgres -d "$1" -c "$2"
}
sql postgres "CREATE ROLE regress_mb LOGIN PASSWORD '$secret'" >/dev/null
sql postgres "CREATE DATABASE withext" >/dev/null
sql withext "CREATE EXTENSION pg_tls_audit" >/dev/null 2>&1
ok $? "pg_tls_audit is created in the database withext"

mkdir -p "$work/certs"
middlebox_cert "$work/certs" pgbouncer "$pki" && middlebox_cert "$work/certs" stunnel "$pki"
ok $? "middlebox certificates issued by the cluster's intermediate CA"
start_pgbouncer "$work/pgb_plain" "$work/c1" disable "$work/certs/pgbouncer.crt" "$work/certs/pgbouncer.key" regress_mb
ok $? "PgBouncer with a plaintext leg to the server starts"
port_pgb_plain=$middlebox_port
start_pgbouncer "$work/pgb_full" "$work/c1" verify-full "$work/certs/pgbouncer.crt" "$work/certs/pgbouncer.key" regress_mb
ok $? "PgBouncer with server_tls_sslmode=verify-full starts"
port_pgb_full=$middlebox_port
start_stunnel "$work/stunnel" "$work/c1" "$work/certs/stunnel.crt" "$work/certs/stunnel.key"
ok $? "stunnel (protocol = pgsql) before the plaintext server starts"
port_stunnel=$middlebox_port
[ "$(stat -c %U "$work/pgb_plain/pgbouncer.pid")" = "$(stat -c %U "$work/c1/data")" ] &&
	[ "$(stat -c %U "$work/stunnel/stunnel.pid")" = "$(stat -c %U "$work/c1/data")" ]
ok $? "the middleboxes run as the cluster's unprivileged OS user"

conn() {
	echo "host=localhost port=$1 dbname=$2 user=regress_mb password=$secret sslmode=verify-full sslrootcert=$pki/root_ca.crt"
}
source_of() {
	[ "$1" = withext ] && echo "pg_tls_audit tls_session()" || echo pg_stat_ssl
}
declare_pgb=(--middlebox-cert "$work/certs/pgbouncer.crt")
declare_stunnel=(--middlebox-fingerprint "$(openssl x509 -in "$work/certs/stunnel.leaf" -noout -fingerprint -sha256)")

# --- Undeclared: "intercepted, or a middlebox you did not declare", whoever said so ---

for mb in pgb_plain pgb_full stunnel; do
	port_var=port_$mb
	[ $mb = pgb_full ] && leg_tls=True || leg_tls=False
	for db in postgres withext; do
		name=$mb-$db-undeclared
		audit "$name" 1 --format json "$(conn "${!port_var}" $db)"
		json "$work/$name.out" "assert (a['verdict'], a['path'], a['endpoint']) == ('fail', 'intercepted', 'not-the-server'), a
assert 'intercepted, or a middlebox you did not declare' in a['why'], a['why']
assert (client['tls'], client['ca'], client['certificate']) == (True, 'tls-verified', None), client
assert (server['tls'], server['source']) == ($leg_tls, '$(source_of $db)'), server
assert '--middlebox-cert' in a['hint'] and 'confirm the path with SCRAM channel binding' not in a['hint'], a['hint']"
		ok $? "$name: FAIL, the endpoint not the server; client leg tls-verified, server leg TLS $leg_tls from $(source_of $db); the hint declares, never channel binding"
	done
done

# The user's own channel_binding=require: PgBouncer offers SCRAM without
# -PLUS over TLS, libpq refuses, and that refusal is the SCRAM oracle's evidence.
audit pgb_full-cb-require 1 --format json "$(conn "$port_pgb_full" postgres) channel_binding=require"
json "$work/pgb_full-cb-require.out" "assert (a['verdict'], a['path'], a['by']) == ('fail', 'intercepted', 'scram-mechanisms'), a
assert 'intercepted, or a middlebox you did not declare' in a['why'], a['why']"
ok $? "pgb_full-cb-require: the user's channel_binding=require refused over TLS names the endpoint not the server (scram-mechanisms)"

# --- Declared: reported leg by leg ---

for mb in pgb_plain pgb_full stunnel; do
	port_var=port_$mb
	[ $mb = stunnel ] && declared=("${declare_stunnel[@]}") || declared=("${declare_pgb[@]}")
	for db in postgres withext; do
		name=$mb-$db-declared
		if [ $mb = pgb_full ]; then
			audit "$name" 0 --format json "${declared[@]}" "$(conn "${!port_var}" $db)"
			json "$work/$name.out" "assert (a['verdict'], a['path'], a['by'], a['endpoint']) == ('pass', 'middlebox', 'middlebox', 'declared-middlebox'), a
assert \"whether the middlebox verifies the server's certificate cannot be seen from here\" in a['why'], a['why']
assert (client['tls'], client['certificate']) == (True, 'declared-middlebox'), client
assert (server['tls'], server['source']) == (True, '$(source_of $db)') and server['protocol'].startswith('TLSv1.'), server
assert a['hint'] is None and a['interception'] is False, a"
			ok $? "$name: PASS through the declared PgBouncer, its TLS leg from $(source_of $db), and what cannot be seen from here"
		else
			audit "$name" 1 --format json "${declared[@]}" "$(conn "${!port_var}" $db)"
			json "$work/$name.out" "assert (a['verdict'], a['path'], a['endpoint']) == ('fail', 'middlebox', 'declared-middlebox'), a
assert \"the middlebox's leg to the server is plaintext\" in a['why'] and 'intercepted' not in a['why'], a['why']
assert (client['tls'], client['certificate']) == (True, 'declared-middlebox'), client
assert (server['tls'], server['protocol'], server['source']) == (False, None, '$(source_of $db)'), server
assert 'server_tls_sslmode' in a['hint'], a['hint']"
			ok $? "$name: FAIL, the declared middlebox's leg to the server is plaintext (from $(source_of $db))"
		fi
	done
done

# The same in the table: both legs, named after the declared middlebox.
audit pgb_full-table 0 "${declare_pgb[@]}" "$(conn "$port_pgb_full" postgres)"
grep -qE '^    client -> middlebox: +TLSv1\.[23], tls-verified .*a middlebox you declared$' "$work/pgb_full-table.out" &&
	grep -qE '^    middlebox -> server: +TLS \(TLSv1\.[23]\), as the server saw this session \(pg_stat_ssl\)$' "$work/pgb_full-table.out" &&
	grep -q '^  TLS endpoint: a middlebox you declared$' "$work/pgb_full-table.out"
ok $? "table: the declared PgBouncer's two legs, the server's from pg_stat_ssl"

# --- The source that decided is the one named ---

audit source-stat 1 "$(conn "$port_pgb_plain" postgres)"
grep -q "^  path: FAIL  intercepted by the server's view (pg_stat_ssl) (weak)$" "$work/source-stat.out" &&
	! grep -E '^  (path|verdict):' "$work/source-stat.out" | grep -q pg_tls_audit &&
	grep -qE '^    endpoint -> server: +plaintext, as the server saw this session \(pg_stat_ssl\)$' "$work/source-stat.out"
ok $? "source: pg_stat_ssl decided, and the path, the verdict and the leg name it, never the extension"
audit source-extension 1 "$(conn "$port_pgb_plain" withext)"
grep -q "^  path: FAIL  intercepted by the server's view (pg_tls_audit tls_session()) (weak)$" "$work/source-extension.out"
ok $? "source: with the extension in the target, tls_session() decided and is named"

# --- A strong oracle outranks a weak one ---

# The user pins the pooler's certificate as the server's: the extension
# (weak) sees another certificate, the pin (strong) decides.
audit pin-outranks-view 0 --format json --server-cert "$work/certs/pgbouncer.crt" "$(conn "$port_pgb_full" withext)"
json "$work/pin-outranks-view.out" "assert (a['verdict'], a['path'], a['by'], a['endpoint']) == ('pass', 'confirmed', 'pin', 'server'), a
assert a['oracles']['server-view']['result'] == 'intercepted', a['oracles']
assert 'outranks' in a['why'], a['why']"
ok $? "strong-outranks-weak: a matching pin outranks the server's view that disagrees (PASS, the disagreement named)"
# A pin of the real server's certificate and the pooler declared: the
# mismatch is what a declared middlebox looks like, not an interception.
audit pin-and-declared 0 --format json --server-cert "$pki/server.crt" "${declare_pgb[@]}" "$(conn "$port_pgb_full" postgres)"
json "$work/pin-and-declared.out" "assert (a['verdict'], a['endpoint'], a['oracles']['pin']['result']) == ('pass', 'declared-middlebox', 'intercepted'), a"
ok $? "strong order: the declared middlebox's certificate decides before the server pin's mismatch"

# --- Direct to PostgreSQL: never a middlebox ---

for db in postgres withext; do
	audit direct-$db 0 --format json "$(conn "$port1" $db)"
	json "$work/direct-$db.out" "assert (a['verdict'], a['path'], a['by'], a['endpoint']) == ('pass', 'confirmed', 'channel-binding', 'server'), a
assert (server['tls'], server['source']) == (True, '$(source_of $db)'), server"
	ok $? "direct-$db: PASS, the endpoint is the server (channel binding)"
	audit direct-$db-table 0 "$(conn "$port1" $db)"
	! grep -qi middlebox "$work/direct-$db-table.out" && grep -q '^  TLS endpoint: the server$' "$work/direct-$db-table.out"
	ok $? "direct-$db: the table never says middlebox"
done
certauth="host=localhost port=$port1 user=tls_client sslcert=$pki/client.crt sslkey=$pki/client.key sslmode=verify-full sslrootcert=$pki/root_ca.crt"
audit direct-cert-postgres 1 --format json "$certauth dbname=postgres"
json "$work/direct-cert-postgres.out" "assert (a['verdict'], a['path'], a['endpoint']) == ('unconfirmed', 'unconfirmed', 'unknown'), a
assert (server['tls'], server['source']) == (True, 'pg_stat_ssl'), server"
ok $? "direct-cert: nothing can tell without the extension: UNCONFIRMED, the endpoint unknown"
audit direct-cert-postgres-table 1 "$certauth dbname=postgres"
! grep -qi middlebox "$work/direct-cert-postgres-table.out" &&
	grep -q '^  TLS endpoint: unknown: nothing could tell whether it is the server$' "$work/direct-cert-postgres-table.out" &&
	grep -E '^  hint: ' "$work/direct-cert-postgres-table.out" | grep -q 'pg_tls_audit'
ok $? "direct-cert: the table says the endpoint is unknown, never a middlebox, and the hint names the extension"
audit direct-cert-withext 0 --format json "$certauth dbname=withext"
json "$work/direct-cert-withext.out" "assert (a['verdict'], a['by'], a['endpoint']) == ('pass', 'server-view', 'server'), a"
ok $? "direct-cert: with the extension, the server's view confirms the server (weak)"

# --- Bad values: exit 2, one line ---

audit bad-middlebox-fingerprint 2 --middlebox-fingerprint AB:CD "$(conn "$port1" postgres)"
[ "$(wc -l <"$work/bad-middlebox-fingerprint.err")" -eq 1 ] &&
	grep -q 'invalid --middlebox-fingerprint "AB:CD"' "$work/bad-middlebox-fingerprint.err"
ok $? "bad --middlebox-fingerprint: one line that names it"
audit bad-middlebox-cert 2 --middlebox-cert "$work/no-such.crt" "$(conn "$port1" postgres)"
[ "$(wc -l <"$work/bad-middlebox-cert.err")" -eq 1 ] &&
	grep -q 'could not read a certificate from --middlebox-cert' "$work/bad-middlebox-cert.err"
ok $? "bad --middlebox-cert: one line that names it"

tap_done
