#!/bin/bash
# test_conn_log.sh: the connection log against hostile clients, on a
# preloaded cluster of its own, as TAP.
#
#   1. log_connections lines as log readers read them.  A real client
#      (libpq, through psql) sends user names, database names and server
#      names (SNI) holding U+0085, U+2028, U+2029, C1 and C0 controls, bytes
#      that are not UTF-8, quotes, backslashes, "=" and a forged
#      outcome="accepted" field; harness/t/log_line_readers.py splits what
#      the server logged as Python's str.splitlines() and as a log shipper
#      do, and must find one line per attempt, with the fields it should
#      have and the value exactly as the client sent it.  The
#      tls_connection_log view's text for the same attempts is valid UTF-8.
#
# usage: harness/t/test_conn_log.sh PG_TLS_PROBE
# Output is TAP, ending with "N passed, N failed".  The cluster and every
# file are removed on exit, whatever happened.
set -uo pipefail

probe=${1:?usage: harness/t/test_conn_log.sh PG_TLS_PROBE}
cd "$(dirname "$0")/../.."
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8

work=$(mktemp -d /tmp/pg_tls_audit-conn-log.XXXXXX)
chmod 755 "$work"
cluster=$work/cluster
cleanup() {
	"$probe" cluster stop "$cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. harness/t/tap.sh
. harness/t/testbed_lib.sh

# Every TCP connection is trusted, so that the server writes no value the
# client chose into a message of its own (a failed password would quote an
# unknown role's name raw); plaintext is rejected by the policy, whose
# messages quote the role name through the extension's escaper.
hba=()
for addr in 127.0.0.1/32 ::1/128; do
	hba+=(--hba "hostssl all all $addr trust" --hba "host all all $addr trust")
done
start_preloaded_cluster "$cluster" "${hba[@]}" \
	--conf "pg_tls_audit.log_connections = on" --conf "pg_tls_audit.require_tls = on" \
	--conf "log_line_prefix = '%m [%p] %e '"
log=$PG_TLS_PROBE_CLUSTER/postgresql.log

# admin SQL...: the superuser over the Unix socket (trust, exempt_local).
admin() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres "$@"
}
admin -c "CREATE EXTENSION pg_tls_audit" -c "CREATE ROLE regress_conn_log LOGIN"
ok $? "extension and role regress_conn_log created"

# ---------------------------------------------------------------------------
# 1. log_connections lines as log readers read them.

# Each value at most 53 bytes, so that "localhost " and it fit the 63 the
# server keeps of a name: line breaks for some reader, terminal controls, a
# forged field, and characters that must stay readable (U+00C5 ends in the
# byte 0x85, U+2027 and U+202A are next to U+2028 and U+2029).
values=(
	$'nel\xc2\x85 outcome="accepted" x'
	$'ls\xe2\x80\xa8 outcome="accepted" x'
	$'ps\xe2\x80\xa9 outcome="accepted" x'
	$'c1\xc2\x80\xc2\x9b31m\xc2\x9f outcome="accepted"'
	$'c0\x01\t\n\v\f\r\x1c\x1d\x1e\x1b[2J\x7f outcome="accepted"'
	$'bad\xff\xfe\xc0\xaf\x85\xed\xa0\x80\xe2\x80 outcome="accepted"'
	$'q" outcome="accepted" \\" \\x41 = a="b'
	$'utf8 \xc3\xbc \xc3\x85 \xe2\x80\xa6 \xe2\x80\xa7 \xe2\x80\xaa ok'
)
# conninfo_quote VALUE: VALUE as a libpq conninfo single-quoted string.
conninfo_quote() {
	local v=${1//\\/\\\\}
	printf "'%s'" "${v//\'/\\\'}"
}
plain_keys='outcome,user,database,host,port,ssl,hba_line,auth_method'
sni_keys='outcome,user,database,host,port,ssl,protocol,cipher,bits,sni,hba_line,auth_method'

# read_line KEY VALUE OUTCOME KEYS CONNINFO: one connection running
# SELECT 1, with VALUE as its application_name too (which PostgreSQL
# itself cleans to ASCII); then its LOG line, read by both readers.
read_line() {
	local key=$1 value=$2 outcome=$3 keys=$4 mark found
	mark=$(stat -c %s "$log")
	psql -X -At -c 'SELECT 1' "$5 application_name=$(conninfo_quote "$value")" >/dev/null 2>&1 </dev/null
	found=$(tail -c +$((mark + 1)) "$log" |
		/usr/bin/python3 harness/t/log_line_readers.py "$key" "$value" "^$keys\$" "$outcome")
	ok $? "log_connections, $key $(printf '%q' "$value"): $found"
}

last_id=$(admin -c "SELECT coalesce(max(id), 0) FROM tls_connection_log")
for value in "${values[@]}"; do
	quoted=$(conninfo_quote "$value")
	read_line user "$value" rejected_by_policy "$plain_keys" \
		"host=127.0.0.1 dbname=postgres sslmode=disable user=$quoted"
	read_line database "$value" rejected_by_policy "$plain_keys" \
		"host=127.0.0.1 user=regress_conn_log sslmode=disable dbname=$quoted"
	# libpq sends the host name as SNI, unless it is an IP address.
	read_line sni "localhost $value" accepted "$sni_keys" \
		"host=$(conninfo_quote "localhost $value") hostaddr=127.0.0.1 dbname=postgres user=regress_conn_log sslmode=require"
done

admin -c "SELECT concat_ws(' ', usename, datname, sni, reason) FROM tls_connection_log
          WHERE id > $last_id AND client_addr IS NOT NULL" >"$work/view"
rows=$(admin -c "SELECT count(*) FROM tls_connection_log WHERE id > $last_id AND client_addr IS NOT NULL")
/usr/bin/python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$work/view" &&
	[ "$rows" = $((3 * ${#values[@]})) ]
ok $? "tls_connection_log: one row per attempt ($rows), its names, SNI and reasons valid UTF-8"

tap_done
