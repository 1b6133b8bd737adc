#!/bin/bash
# test_conn_log.sh: the connection log against hostile clients and signals,
# on a preloaded cluster of its own, as TAP.
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
#   2. A startup backend ended by SIGTERM or by authentication_timeout
#      (PostgreSQL's handlers for both _exit() before authentication) at
#      each point of a connection-log write that a test-only setting
#      stretches: right after the entry's id is claimed, and during the
#      copy.  The server stays up, the log reads within a bounded time, the
#      backend exits once the write is done, the attempt is recorded whole,
#      and tls_connection_log_stats()'s recorded still equals the sum of
#      tls_connection_outcomes().
#
# usage: harness/t/test_conn_log.sh PG_TLS_PROBE
# Part 2 needs the library built with PG_TLS_AUDIT_TEST_HOOKS=1
# (harness/t/testbed.sh builds it so); without, it is one failed test.
# Output is TAP, ending with "N passed, N failed".  The cluster, every file
# and every process started here are gone on exit, whatever happened.
set -uo pipefail

probe=${1:?usage: harness/t/test_conn_log.sh PG_TLS_PROBE}
cd "$(dirname "$0")/../.."
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8

work=$(mktemp -d /tmp/pg_tls_audit-conn-log.XXXXXX)
chmod 755 "$work"
cluster=$work/cluster
background=()
cleanup() {
	for pid in "${background[@]}"; do
		kill "$pid" 2>/dev/null
	done
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
# messages quote the role name through the extension's escaper.  The
# server's own log_connections is off: from PostgreSQL 17 its "connection
# authenticated" line quotes a trusted user's name raw too.
hba=()
for addr in 127.0.0.1/32 ::1/128; do
	hba+=(--hba "hostssl all all $addr trust" --hba "host all all $addr trust")
done
start_preloaded_cluster "$cluster" "${hba[@]}" \
	--conf "pg_tls_audit.log_connections = on" --conf "pg_tls_audit.require_tls = on" \
	--conf "log_line_prefix = '%m [%p] %e '" --conf "log_connections = off"
log=$PG_TLS_PROBE_CLUSTER/postgresql.log
data=$PG_TLS_PROBE_CLUSTER/data
postmaster_pid=$(head -n 1 "$data/postmaster.pid")

# admin SQL...: the superuser over the Unix socket (trust, exempt_local).
admin() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres "$@"
}
admin -c "CREATE EXTENSION pg_tls_audit" -c "CREATE ROLE regress_conn_log LOGIN"
ok $? "extension and role regress_conn_log created"

# configure NAME VALUE: ALTER SYSTEM SET NAME (RESET when VALUE is empty),
# reload, and wait until a new session sees the change.
configure() {
	local was
	was=$(admin -c "SELECT reset_val FROM pg_settings WHERE name = '$1'")
	if [ -n "$2" ]; then
		admin -c "ALTER SYSTEM SET $1 = '$2'" -c "SELECT pg_reload_conf()" >/dev/null
	else
		admin -c "ALTER SYSTEM RESET $1" -c "SELECT pg_reload_conf()" >/dev/null
	fi
	for _ in $(seq 1 200); do
		[ "$(admin -c "SELECT reset_val FROM pg_settings WHERE name = '$1'")" != "$was" ] && return 0
		sleep 0.05
	done
	echo "# $1 did not change from '$was'"
	return 1
}

# ---------------------------------------------------------------------------
# 1. log_connections lines as log readers read them.

# Each value at most 53 bytes, so that "localhost " and it fit the 63 the
# server keeps of a name: line breaks for some reader, terminal controls, a
# forged field, bidirectional controls (U+202E, U+2066, U+061C, U+200F),
# and characters that must stay readable (U+00C5 ends in the byte 0x85,
# U+2027 and U+202F are next to U+2028 and U+202E).
values=(
	$'nel\xc2\x85 outcome="accepted" x'
	$'ls\xe2\x80\xa8 outcome="accepted" x'
	$'ps\xe2\x80\xa9 outcome="accepted" x'
	$'c1\xc2\x80\xc2\x9b31m\xc2\x9f outcome="accepted"'
	$'c0\x01\t\n\v\f\r\x1c\x1d\x1e\x1b[2J\x7f outcome="accepted"'
	$'bad\xff\xfe\xc0\xaf\x85\xed\xa0\x80\xe2\x80 outcome="accepted"'
	$'q" outcome="accepted" \\" \\x41 = a="b'
	$'bidi\xe2\x80\xae\xe2\x81\xa6\xd8\x9c\xe2\x80\x8f outcome="accepted"'
	$'utf8 \xc3\xbc \xc3\x85 \xe2\x80\xa6 \xe2\x80\xa7 \xe2\x80\xaf ok'
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

# ---------------------------------------------------------------------------
# 2. A startup backend ended at any point of a connection-log write.  Before
# authentication, PostgreSQL's SIGTERM and authentication_timeout handlers
# _exit(1) at once, running no exit callback, so the write holds no lock and
# blocks signals from before it claims the entry's id until the count is
# made: an id claimed but never written or counted would leave recorded
# above the sum of the outcome counters for good.

# startup_children: the postmaster's children that can be a backend
# before authentication (not the autovacuum or other workers it may start
# meanwhile), one pid a line.
startup_children() {
	ps -o pid=,args= --ppid "$postmaster_pid" |
		awk '$0 !~ /autovacuum|worker|launcher|checkpointer|writer|archiver|logger/ { print $1 }' | sort
}
# bad_startup_packet: connect and send a startup packet of length 4, which
# the server refuses before authentication; keep the socket open for 8 s.
bad_startup_packet() {
	(exec 3<>"/dev/tcp/127.0.0.1/$PGPORT" && printf '\0\0\0\4' >&3 && exec sleep 8) >/dev/null 2>&1 &
	background+=($!)
}
# log_readable DESCRIPTION: a read of the whole log finishes within 10 s,
# the postmaster is the same, and nothing crashed or got stuck since mark.
log_readable() {
	local rows
	rows=$(timeout 10 psql -X -At -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres \
		-c "SELECT count(*) FROM tls_connection_log" 2>&1)
	[[ $rows =~ ^[0-9]+$ ]] && [ "$(head -n 1 "$data/postmaster.pid")" = "$postmaster_pid" ] &&
		! tail -c +$((mark + 1)) "$log" | grep -qE 'PANIC|stuck spinlock|terminated by signal|was terminated|server process .* exited with exit code [^01]'
	ok $? "$1: the server is up and the log reads within 10 s (got '$rows')"
}
# balanced DESCRIPTION: recorded (attempts since the reset) equals the sum
# of the outcome counters, as it does whenever no attempt is between
# authentication and the start of its session.
balanced() {
	local counts
	counts=$(admin -F ' ' -c "SELECT s.recorded, (SELECT sum(recorded) FROM tls_connection_outcomes())
	                          FROM tls_connection_log_stats() s")
	[ "${counts% *}" = "${counts#* }" ]
	ok $? "$1: recorded equals the sum of tls_connection_outcomes() [$counts]"
}

# age_ms PID: how long ago process PID started, in milliseconds; nothing
# once it is gone.
age_ms() {
	awk -v hz="$(getconf CLK_TCK)" 'NR == FNR { up = $1; next } { print int((up - $22 / hz) * 1000) }' \
		/proc/uptime "/proc/$1/stat" 2>/dev/null
}
# wait_age PID MS: wait until process PID is MS milliseconds old, or gone.
wait_age() {
	local age
	while age=$(age_ms "$1") && [ -n "$age" ] && [ "$age" -lt "$2" ]; do
		sleep 0.02
	done
}

# end_during_write SETTING HOW: an attempt refused before authentication (a
# bad startup packet), its write stretched by 4 s at SETTING's point, ended
# there by HOW: SIGTERM, when the backend is 0.3 s old, or
# authentication_timeout, of 1 s.  The backend must still be alive when it
# is 1.5 s old: ended outside the write, it would have gone at once.  Times
# count from the backend's own start, so that a slow look for it among the
# postmaster's children does not eat into the write.
end_during_write() {
	local setting=$1 how=$2 before victim= sleeper signalled_at=
	local what="$how inside the write (${setting#pg_tls_audit.})"

	mark=$(stat -c %s "$log")
	configure "$setting" 4000
	[ "$how" = authentication_timeout ] && configure authentication_timeout 1
	before=$(startup_children)
	bad_startup_packet
	sleeper=$!
	for _ in $(seq 1 250); do
		victim=$(comm -13 <(echo "$before") <(startup_children) | head -n 1)
		[ -n "$victim" ] && break
		sleep 0.02
	done
	if [ "$how" = SIGTERM ] && [ -n "$victim" ]; then
		wait_age "$victim" 300
		signalled_at=$(age_ms "$victim")
		kill -TERM "$victim" 2>/dev/null
	fi
	[ -n "$victim" ] && wait_age "$victim" 1500
	[ -n "$victim" ] && [ -d "/proc/$victim" ]
	ok $? "$what: backend '$victim'${signalled_at:+, signalled $signalled_at ms after its start,} is still inside its write at 1.5 s"
	log_readable "$what"
	for _ in $(seq 1 100); do
		[ -n "$victim" ] && [ -d "/proc/$victim" ] || break
		sleep 0.1
	done
	[ -n "$victim" ] && [ ! -d "/proc/$victim" ]
	ok $? "$what: the backend exited once the write was done"
	log_readable "$what, after the backend exited"
	[ "$(admin -c "SELECT count(*) FROM tls_connection_log WHERE pid = '${victim:-0}' AND outcome = 'refused'
	               AND reason = 'invalid length of startup packet'")" = 1 ]
	ok $? "$what: the attempt was recorded whole"
	balanced "$what"
	kill "$sleeper" 2>/dev/null
	[ "$how" = authentication_timeout ] && configure authentication_timeout ""
	configure "$setting" ""
}

if [ "$(admin -c "SELECT count(*) FROM pg_settings
                  WHERE name IN ('pg_tls_audit.test_log_claim_delay', 'pg_tls_audit.test_log_write_delay')")" != 2 ]; then
	ok 1 "signals during a log write: the library was built without PG_TLS_AUDIT_TEST_HOOKS=1 (harness/t/testbed.sh builds with it)"
else
	balanced "before the signals"
	for setting in pg_tls_audit.test_log_claim_delay pg_tls_audit.test_log_write_delay; do
		for how in SIGTERM authentication_timeout; do
			end_during_write "$setting" "$how"
		done
	done
fi

tap_done
