#!/bin/bash
# testbed_preload.sh: pg_tls_audit 1.1 on the test bed's second cluster,
# which has the library in shared_preload_libraries.  Run by
# "harness/t/testbed.sh test" as one suite (after make install):
#
#   1. the preloaded pg_regress suite (make installcheck-preload: sessions,
#      visibility, the connection log's columns, counters and privileges);
#   2. the TLS connection policy, from the client's side: psql's exit code
#      and message, the server's FATAL with its SQLSTATE (log_line_prefix
#      has %e), and the connection log's entry for each attempt;
#   3. attempts refused before authentication, in the connection log;
#   4. tls_audit(): every check that needs the server reconfigured, each
#      provoked and then cleared (certificates made here with the openssl
#      command; a weak key or SHA-1 signature needs the server restarted
#      with an OPENSSL_CONF that lowers OpenSSL's security level);
#   5. a connection storm (pgbench -C, TLS, 50 clients, 10,000
#      connections): the server stays up, and the log's counters equal the
#      attempts counted independently.
#
# usage: harness/t/testbed_preload.sh PG_TLS_PROBE
# Output is TAP, ending with "N passed, N failed".  The cluster and every
# file are removed on exit, whatever happened.  Passwords are generated
# here, kept in a 0600 pgpass file and never printed.
set -uo pipefail

probe=${1:?usage: harness/t/testbed_preload.sh PG_TLS_PROBE}
cd "$(dirname "$0")/../.."
. harness/t/testbed_lib.sh
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8
bindir=$("$PG_CONFIG" --bindir)
STORM_CLIENTS=${STORM_CLIENTS:-50}
STORM_CONNECTIONS=${STORM_CONNECTIONS:-10000}
LOG_SIZE=4096

work=$(mktemp -d /tmp/pg_tls_audit-preload.XXXXXX)
chmod 755 "$work"
cluster=$work/cluster
cleanup() {
	"$probe" cluster stop "$cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
finish() {
	echo "1..$n"
	echo "$((n - failed)) passed, $failed failed"
	[ $failed -eq 0 ]
	exit
}

# ---------------------------------------------------------------------------
# The cluster.  Plaintext TCP is allowed by pg_hba.conf for the database
# postgres (and replication), so that the policy, not pg_hba.conf, is what
# refuses it; other lines exist to be refused by pg_hba.conf itself.

hba=()
for addr in 127.0.0.1/32 ::1/128; do
	hba+=(--hba "hostssl all tls_client $addr cert")
	hba+=(--hba "hostssl all regress_tls_rejected $addr reject")
	hba+=(--hba "hostssl all regress_tls_clientcert $addr scram-sha-256 clientcert=verify-ca")
	hba+=(--hba "hostssl all all $addr scram-sha-256")
	hba+=(--hba "hostssl replication all $addr scram-sha-256")
	hba+=(--hba "host postgres,replication all $addr scram-sha-256")
done
if ! env=$("$probe" cluster start "$cluster" --pg-config "$PG_CONFIG" \
	--conf "shared_preload_libraries = 'pg_tls_audit'" \
	--conf "pg_tls_audit.connection_log_size = $LOG_SIZE" \
	--conf "pg_tls_audit.log_connections = on" \
	--conf "log_line_prefix = '%m [%p] %e '" \
	"${hba[@]}" 2>"$work/start.err"); then
	echo "not ok 1 - preloaded cluster starts: $(cat "$work/start.err")"
	echo "1..1"
	echo "0 passed, 1 failed"
	exit 1
fi
eval "$env"
ok 0 "preloaded cluster starts"
log=$PG_TLS_PROBE_CLUSTER/postgresql.log
data=$PG_TLS_PROBE_CLUSTER/data
pguser=$(stat -c %U "$data")
pki=$PG_TLS_PROBE_PKI
postmaster_pid=$(head -n 1 "$data/postmaster.pid")

# admin SQL...: the superuser over the Unix socket (trust, exempt_local).
admin() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres "$@"
}

# Passwords of the test roles: random, in our own pgpass file beside the
# superuser's.
password=$(openssl rand -hex 16)
cp "$PGPASSFILE" "$work/pgpass"
for role in app exempt certrole repl rejected clientcert; do
	printf '*:*:*:regress_tls_%s:%s\n' "$role" "$password" >>"$work/pgpass"
done
# The roles with mixed-case, quoted and non-ASCII names of the role-list tests.
printf '*:*:*:*:%s\n' "$password" >>"$work/pgpass"
chmod 600 "$work/pgpass"
export PGPASSFILE=$work/pgpass
admin <<EOF
CREATE EXTENSION pg_tls_audit;
CREATE ROLE regress_tls_app LOGIN PASSWORD '$password';
CREATE ROLE regress_tls_exempt LOGIN PASSWORD '$password';
CREATE ROLE regress_tls_certrole LOGIN PASSWORD '$password';
CREATE ROLE regress_tls_repl LOGIN REPLICATION PASSWORD '$password';
CREATE ROLE regress_tls_rejected LOGIN PASSWORD '$password';
CREATE ROLE regress_tls_clientcert LOGIN PASSWORD '$password';
CREATE ROLE regress_tls_exempt_group;
CREATE ROLE "regress_Tls_Mixed" LOGIN PASSWORD '$password';
CREATE ROLE regress_tls_mixed LOGIN PASSWORD '$password';
CREATE ROLE "regress tls, spaced" LOGIN PASSWORD '$password';
CREATE ROLE "regress_tls_ümlaut" LOGIN PASSWORD '$password';
CREATE ROLE "+regress_tls_plus" LOGIN PASSWORD '$password';
CREATE ROLE "regress_Tls_Group";
EOF
ok $? "extension and test roles created in database postgres"

# ---------------------------------------------------------------------------
# 1. The preloaded pg_regress suite.

make -s PG_CONFIG="$PG_CONFIG" installcheck-preload PRELOAD_OUTPUTDIR="$work/regress" >"$work/regress.log" 2>&1
rc=$?
sed 's/^/# /' "$work/regress.log"
[ $rc -ne 0 ] && [ -f "$work/regress/regression.diffs" ] && sed 's/^/# /' "$work/regress/regression.diffs"
ok $rc "pg_regress on the preloaded cluster ($(grep -cE '^(ok|test) .* ok' "$work/regress.log") tests ok)"

# ---------------------------------------------------------------------------
# Helpers for connection attempts.

# set_conf NAME VALUE SHOWN: ALTER SYSTEM, reload, and wait until a new
# connection shows SHOWN (the postmaster reloads asynchronously).
set_conf() {
	admin -c "ALTER SYSTEM SET $1 = '$2'" -c "SELECT pg_reload_conf()" >/dev/null
	wait_conf "$1" "$3"
}
reset_conf() {
	admin -c "ALTER SYSTEM RESET $1" -c "SELECT pg_reload_conf()" >/dev/null
	wait_conf "$1" "$2"
}
wait_conf() {
	for _ in $(seq 1 200); do
		[ "$(admin -c "SHOW $1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	echo "# $1 did not become '$2'"
	return 1
}

# attempt CONNINFO [PSQL ARGS...]: one connection running SELECT 1; sets
# rc, err (psql's stderr) and new_log (what the server logged meanwhile).
attempt() {
	local mark
	mark=$(stat -c %s "$log")
	psql -X -At -c 'SELECT 1' "$@" >"$work/out" 2>"$work/err" </dev/null
	rc=$?
	err=$(cat "$work/err")
	new_log=$(tail -c +$((mark + 1)) "$log")
}

# expect_accepted DESCRIPTION CONNINFO...
expect_accepted() {
	local what=$1
	shift
	attempt "$@"
	[ $rc -eq 0 ] && [ "$(cat "$work/out")" = 1 ]
	ok $? "$what: accepted (rc=$rc${err:+: $err})"
}

# expect_refused DESCRIPTION MESSAGE CONNINFO...: psql exits 2 with MESSAGE
# in its error, and the server logged MESSAGE as FATAL with SQLSTATE 28000.
expect_refused() {
	local what=$1 message=$2
	shift 2
	attempt "$@"
	[ $rc -eq 2 ] && grep -qF "$message" <<<"$err"
	ok $? "$what: psql exits 2 with \"$message\" (rc=$rc: $(head -n 1 <<<"$err"))"
	grep -qF "28000 FATAL:  $message" <<<"$new_log"
	ok $? "$what: the server logged FATAL with SQLSTATE 28000"
}

# last_entry ROLE: the newest connection log entry for a role, as
# outcome|ssl|protocol|auth_method|reason
last_entry() {
	admin -F '|' -c "SELECT outcome, ssl, coalesce(protocol, ''), coalesce(auth_method, ''), coalesce(reason, '')
	                 FROM tls_connection_log WHERE usename IS NOT DISTINCT FROM $1 ORDER BY id DESC LIMIT 1"
}

# expect_entry DESCRIPTION ROLE PATTERN: the newest entry matches an
# extended regular expression.
expect_entry() {
	local entry
	entry=$(last_entry "$2")
	grep -qE -- "$3" <<<"$entry"
	ok $? "$1: connection log entry [$entry]"
}

tcp="host=localhost dbname=postgres"
plain="$tcp sslmode=disable"
tls="$tcp sslmode=verify-full"
cert="sslcert=$pki/client.crt sslkey=$pki/client.key"

# ---------------------------------------------------------------------------
# 2. The policy.

expect_accepted "no policy: plaintext TCP" "$plain user=regress_tls_app"
expect_entry "no policy: plaintext TCP" "'regress_tls_app'" '^accepted\|f\|\|scram-sha-256\|$'

set_conf pg_tls_audit.require_tls on on
ok $? "require_tls turned on by a reload"
expect_refused "require_tls: plaintext TCP" \
	"connection requires TLS, but the client connected with no encryption" "$plain user=regress_tls_app"
expect_entry "require_tls: plaintext TCP" "'regress_tls_app'" \
	'^rejected_by_policy\|f\|\|scram-sha-256\|connection requires TLS, but the client connected with no encryption$'
grep -q 'pg_tls_audit connection: outcome="rejected_by_policy" user="regress_tls_app" database="postgres" host=".*" ssl="off"' <<<"$new_log"
ok $? "require_tls: log_connections line for the rejection"
expect_accepted "require_tls: verified TLS" "$tls user=regress_tls_app"
expect_entry "require_tls: verified TLS" "'regress_tls_app'" '^accepted\|t\|TLSv1\.[23]\|scram-sha-256\|$'
expect_refused "require_tls: plaintext TCP of a role not exempt" \
	"connection requires TLS" "$plain user=regress_tls_exempt"

set_conf pg_tls_audit.exempt_roles regress_tls_exempt regress_tls_exempt
expect_accepted "exempt_roles: plaintext TCP of the exempt role" "$plain user=regress_tls_exempt"
expect_refused "exempt_roles: plaintext TCP of another role" \
	"connection requires TLS" "$plain user=regress_tls_app"

set_conf pg_tls_audit.exempt_roles +regress_tls_exempt_group +regress_tls_exempt_group
expect_refused "exempt_roles +group: plaintext of a non-member" \
	"connection requires TLS" "$plain user=regress_tls_app"
admin -c "GRANT regress_tls_exempt_group TO regress_tls_app"
expect_accepted "exempt_roles +group: plaintext of a member" "$plain user=regress_tls_app"
admin -c "REVOKE regress_tls_exempt_group FROM regress_tls_app"
reset_conf pg_tls_audit.exempt_roles ""

expect_refused "require_tls: physical replication connection in plaintext" \
	"connection requires TLS" "host=localhost dbname=replication replication=true sslmode=disable user=regress_tls_repl"
psql -X -At -c IDENTIFY_SYSTEM "host=localhost dbname=replication replication=true sslmode=verify-full user=regress_tls_repl" \
	>"$work/out" 2>"$work/err" </dev/null
rc=$?
ok $rc "require_tls: physical replication connection over TLS accepted (rc=$rc: $(head -c 200 "$work/err"))"

set_conf pg_tls_audit.min_protocol TLSv1.3 TLSv1.3
expect_refused "min_protocol TLSv1.3: client capped at TLSv1.2" \
	"connection requires TLSv1.3 or later, but the client negotiated TLSv1.2" \
	"$tls user=regress_tls_app ssl_max_protocol_version=TLSv1.2"
expect_entry "min_protocol TLSv1.3: client capped at TLSv1.2" "'regress_tls_app'" \
	'^rejected_by_policy\|t\|TLSv1\.2\|scram-sha-256\|connection requires TLSv1\.3'
expect_accepted "min_protocol TLSv1.3: TLSv1.3 client" "$tls user=regress_tls_app"
reset_conf pg_tls_audit.min_protocol ""

set_conf pg_tls_audit.require_client_certificate regress_tls_certrole regress_tls_certrole
expect_refused "require_client_certificate: listed role without a certificate" \
	"connection as role \"regress_tls_certrole\" requires a client certificate, but the client presented none" \
	"$tls user=regress_tls_certrole"
expect_accepted "require_client_certificate: listed role with a certificate" "$tls user=regress_tls_certrole $cert"
expect_accepted "require_client_certificate: other roles need none" "$tls user=regress_tls_app"

# Fail closed: a "+role" that does not exist leaves the policy unable to
# tell whether a role must present a certificate.
set_conf pg_tls_audit.require_client_certificate +regress_tls_missing_group +regress_tls_missing_group
expect_refused "cannot decide (+role missing): rejected" \
	"connection rejected because the TLS connection policy could not be evaluated" "$tls user=regress_tls_app"
grep -qF 'role "regress_tls_missing_group" in pg_tls_audit.require_client_certificate does not exist' <<<"$new_log"
ok $? "cannot decide: the server log says why"
expect_entry "cannot decide" "'regress_tls_app'" \
	'^rejected_by_policy\|t\|TLSv1\.[23]\|scram-sha-256\|connection rejected because the TLS connection policy could not be evaluated$'
admin -c "CREATE ROLE regress_tls_missing_group"
expect_accepted "the group exists now and the role is not a member" "$tls user=regress_tls_app"
admin -c "GRANT regress_tls_missing_group TO regress_tls_app"
expect_refused "the role is a member now" \
	"connection as role \"regress_tls_app\" requires a client certificate, but the client presented none" "$tls user=regress_tls_app"
admin -c "DROP ROLE regress_tls_missing_group"
reset_conf pg_tls_audit.require_client_certificate ""

# Role lists match names exactly as written, as pg_hba.conf does: case
# is kept, a double-quoted name may hold blanks and commas or start with
# "+", non-ASCII names are bytes like any other, and "+name" is a group.
set_conf pg_tls_audit.require_client_certificate regress_Tls_Mixed regress_Tls_Mixed
expect_refused "require_client_certificate regress_Tls_Mixed: that role without a certificate" \
	'connection as role "regress_Tls_Mixed" requires a client certificate, but the client presented none' \
	"$tls user=regress_Tls_Mixed"
expect_accepted "require_client_certificate regress_Tls_Mixed: regress_tls_mixed is another role" \
	"$tls user=regress_tls_mixed"
quoted_list='"regress tls, spaced", regress_tls_ümlaut, "+regress_tls_plus"'
set_conf pg_tls_audit.require_client_certificate "$quoted_list" "$quoted_list"
expect_refused "require_client_certificate: a quoted name with a blank and a comma" \
	'connection as role "regress tls, spaced" requires a client certificate' "$tls user='regress tls, spaced'"
expect_refused "require_client_certificate: a non-ASCII name" \
	'connection as role "regress_tls_ümlaut" requires a client certificate' "$tls user=regress_tls_ümlaut"
expect_refused 'require_client_certificate: a quoted "+name" is a role name, not a group' \
	'connection as role "+regress_tls_plus" requires a client certificate' "$tls user=+regress_tls_plus"
expect_accepted "require_client_certificate: a role the quoted list does not name" "$tls user=regress_tls_app"
set_conf pg_tls_audit.require_client_certificate +regress_Tls_Group +regress_Tls_Group
admin -c 'GRANT "regress_Tls_Group" TO regress_tls_app'
expect_refused "require_client_certificate +regress_Tls_Group: a member" \
	'connection as role "regress_tls_app" requires a client certificate' "$tls user=regress_tls_app"
expect_accepted "require_client_certificate +regress_Tls_Group: not a member" "$tls user=regress_tls_mixed"
admin -c 'REVOKE "regress_Tls_Group" FROM regress_tls_app'
reset_conf pg_tls_audit.require_client_certificate ""

exempt_list='regress_Tls_Mixed, "regress tls, spaced", regress_tls_ümlaut'
set_conf pg_tls_audit.exempt_roles "$exempt_list" "$exempt_list"
expect_accepted "exempt_roles regress_Tls_Mixed: that role in plaintext" "$plain user=regress_Tls_Mixed"
expect_accepted "exempt_roles: a quoted name in plaintext" "$plain user='regress tls, spaced'"
expect_accepted "exempt_roles: a non-ASCII name in plaintext" "$plain user=regress_tls_ümlaut"
expect_refused "exempt_roles regress_Tls_Mixed: regress_tls_mixed is not exempt" \
	"connection requires TLS" "$plain user=regress_tls_mixed"
set_conf pg_tls_audit.exempt_roles '+"regress_Tls_Group"' '+"regress_Tls_Group"'
admin -c 'GRANT "regress_Tls_Group" TO regress_tls_mixed'
expect_accepted 'exempt_roles +"regress_Tls_Group": a member in plaintext' "$plain user=regress_tls_mixed"
expect_refused 'exempt_roles +"regress_Tls_Group": not a member' "connection requires TLS" "$plain user=regress_tls_app"
admin -c 'REVOKE "regress_Tls_Group" FROM regress_tls_mixed'
reset_conf pg_tls_audit.exempt_roles ""

# A list that does not parse is refused by ALTER SYSTEM, with the reason,
# and the setting in force stays what it was.
for bad in 'regress_tls_app regress_tls_mixed' '"regress_tls_unterminated' 'regress_tls_app,,regress_tls_mixed' \
	'+' 'regress_"tls' "\"regress_tls_app\"x" "$(printf 'r%.0s' $(seq 1 64))"; do
	admin -c "ALTER SYSTEM SET pg_tls_audit.exempt_roles = '$bad'" >/dev/null 2>"$work/err"
	rc=$?
	[ $rc -ne 0 ] && grep -q 'invalid value for parameter "pg_tls_audit.exempt_roles"' "$work/err" &&
		grep -q '^DETAIL:  ' "$work/err" && [ "$(admin -c 'SHOW pg_tls_audit.exempt_roles')" = "" ]
	ok $? "exempt_roles '${bad:0:40}' is refused ($(grep '^DETAIL' "$work/err"))"
done

# Unix sockets cannot carry TLS: exempt by default, rejected without
# exempt_local (the superuser, exempt by name, keeps its socket access).
set_conf pg_tls_audit.exempt_roles postgres postgres
expect_accepted "exempt_local on: Unix socket" "host=$PG_TLS_PROBE_SOCKET dbname=postgres user=regress_tls_app"
set_conf pg_tls_audit.exempt_local off off
expect_refused "exempt_local off: Unix socket" \
	"connection requires TLS, but the client connected with a Unix socket" \
	"host=$PG_TLS_PROBE_SOCKET dbname=postgres user=regress_tls_app"
reset_conf pg_tls_audit.exempt_local on
reset_conf pg_tls_audit.exempt_roles ""

reset_conf pg_tls_audit.require_tls off
expect_accepted "require_tls off again: plaintext TCP" "$plain user=regress_tls_app"
[ "$(head -n 1 "$data/postmaster.pid")" = "$postmaster_pid" ]
ok $? "every policy change above took effect by reload, without a restart"

# ---------------------------------------------------------------------------
# 3. Attempts refused before authentication, and the counters.  The
# attempts come one after the other with no other connection in between,
# then one session reads what they left in the log.

# The outcome counters (tls_connection_outcomes()) as one line,
# "outcome=recorded ..." in the function's order, and the difference
# between two such lines, outcome by outcome.
outcomes_sql="SELECT string_agg(outcome || '=' || recorded, ' ' ORDER BY n)
              FROM tls_connection_outcomes() WITH ORDINALITY AS o(outcome, recorded, stats_reset, n)"
outcome_delta() {
	local -A was=()
	local kv delta=()
	for kv in $1; do was[${kv%%=*}]=${kv#*=}; done
	for kv in $2; do delta+=("${kv%%=*}=$((${kv#*=} - ${was[${kv%%=*}]:-0}))"); done
	echo "${delta[*]}"
}

# One session reads the log's counters and the outcome counters (a
# session is counted there when it starts, so it is in both).
{
	read -r before last_id
	read -r outcomes0
} < <(admin -F ' ' -c "SELECT recorded, (SELECT max(id) FROM tls_connection_log) FROM tls_connection_log_stats()" \
	-c "$outcomes_sql")
attempt "$tls user=regress_tls_rejected"
grep -q 'pg_hba.conf rejects connection' <<<"$err"
ok $? "a reject line: refused by the server ($(head -n 1 <<<"$err"))"
attempt "$plain user=regress_tls_app dbname=template1"
grep -q 'no pg_hba.conf entry' <<<"$err"
ok $? "no pg_hba.conf entry: refused by the server ($(head -n 1 <<<"$err"))"
attempt "$tls user=regress_tls_clientcert"
grep -q 'connection requires a valid client certificate' <<<"$err"
ok $? "clientcert=verify-ca without a certificate: refused by the server ($(head -n 1 <<<"$err"))"
attempt "$tls user=regress_tls_app sslrootcert=$pki/untrusted_ca.crt"
grep -q 'certificate verify failed' <<<"$err"
ok $? "a client that does not trust the server's CA aborts the handshake ($(head -n 1 <<<"$err"))"
PGPASSWORD=wrong-password PGPASSFILE=/dev/null attempt "$tls user=regress_tls_app"
grep -q 'password authentication failed' <<<"$err"
ok $? "a wrong password: refused ($(head -n 1 <<<"$err"))"
attempt "$tls user=regress_tls_app dbname=regress_tls_no_such_db"
grep -q 'database "regress_tls_no_such_db" does not exist' <<<"$err"
ok $? "authenticated, then an unknown database: refused ($(head -n 1 <<<"$err"))"

admin -F '|' -c "SELECT recorded FROM tls_connection_log_stats()" \
	-c "SELECT coalesce(usename, '-'), outcome, ssl, coalesce(protocol, ''), coalesce(auth_method, ''),
	           coalesce(reason, '')
	    FROM tls_connection_log WHERE id > $last_id ORDER BY id" -c "$outcomes_sql" >"$work/read"
outcomes1=$(tail -n 1 "$work/read")
sed -i '$d' "$work/read"
after=$(head -n 1 "$work/read")
tail -n +2 "$work/read" >"$work/entries"
expect_line() {
	sed -n "${2}p" "$work/entries" | grep -qE -- "$3"
	ok $? "$1: connection log entry [$(sed -n "${2}p" "$work/entries")]"
}
expect_line "a reject line" 1 '^regress_tls_rejected\|refused\|t\|TLSv1\.[23]\|reject\|pg_hba\.conf rejects connection for host'
expect_line "no pg_hba.conf entry" 2 '^regress_tls_app\|refused\|f\|\|implicit reject\|no pg_hba\.conf entry for host'
expect_line "clientcert=verify-ca without a certificate" 3 \
	'^regress_tls_clientcert\|refused\|t\|TLSv1\.[23]\|scram-sha-256\|connection requires a valid client certificate$'
expect_line "a client that rejected the server's certificate" 4 \
	'^-\|tls_handshake_failed\|t\|\|\|could not accept SSL connection: .*(unknown ca|certificate unknown|bad certificate)'
expect_line "a wrong password" 5 \
	'^regress_tls_app\|authentication_failed\|t\|TLSv1\.[23]\|scram-sha-256\|password authentication failed for user "regress_tls_app"$'
expect_line "authenticated, then an unknown database" 6 \
	'^regress_tls_app\|refused\|t\|TLSv1\.[23]\|scram-sha-256\|database "regress_tls_no_such_db" does not exist$'
expect_line "the reading session" 7 '^postgres\|accepted\|f\|\|trust\|$'
[ "$(wc -l <"$work/entries")" -eq 7 ] && [ $((after - before)) -eq 7 ]
ok $? "one entry per attempt, and recorded counts them all ($before -> $after: 6 attempts and the reader)"
# The six attempts by final outcome (the unknown database as refused, not
# also as accepted), and the reading session, accepted.
delta=$(outcome_delta "$outcomes0" "$outcomes1")
[ "$delta" = "accepted=1 rejected_by_policy=0 authentication_failed=1 refused=4 tls_handshake_failed=1" ]
ok $? "tls_connection_outcomes() counted each attempt once, by its final outcome [$delta]"

# A client that breaks off in the middle of SCRAM (a lone message type byte,
# then EOF): the server first logs a communication error, then
# authentication fails; the log keeps one entry, and the counters count the
# attempt once, under the outcome the entry ends with.
outcomes0=$(admin -c "$outcomes_sql")
/usr/bin/python3 - "$PGPORT" <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
body = struct.pack("!I", 196608) + b"user\0regress_tls_app\0database\0postgres\0application_name\0regress_tls_midsasl\0\0"
s.sendall(struct.pack("!I", len(body) + 4) + body)
kind, length = s.recv(1), struct.unpack("!I", s.recv(4))[0]
s.recv(length - 4)
s.sendall(b"p")
s.close()
PY
sleep 0.5
outcomes1=$(admin -c "$outcomes_sql")
entry=$(last_entry "'regress_tls_app'")
delta=$(outcome_delta "$outcomes0" "$outcomes1")
[ "${entry%%|*}" = authentication_failed ] &&
	[ "$delta" = "accepted=1 rejected_by_policy=0 authentication_failed=1 refused=0 tls_handshake_failed=0" ]
ok $? "a client that breaks off mid-SCRAM: one entry [$entry], counted once [$delta]"

# ---------------------------------------------------------------------------
# 3b. The outcome of an attempt that authenticated and was then refused does
# not depend on what log_min_messages lets emit_log_hook see.  Nor do the
# outcome counters: with panic the refusal is counted at backend exit.

outcomes0=$(admin -c "$outcomes_sql")
for level in default fatal panic; do
	if [ $level = default ]; then
		reset_conf log_min_messages warning
	else
		set_conf log_min_messages $level $level
	fi
	attempt "$tls user=regress_tls_app dbname=regress_tls_no_such_db_$level"
	entry=$(admin -F '|' -c "SELECT outcome, datname FROM tls_connection_log
	                         WHERE datname = 'regress_tls_no_such_db_$level' ORDER BY id DESC LIMIT 1")
	[ $rc -eq 2 ] && [ "$entry" = "refused|regress_tls_no_such_db_$level" ]
	ok $? "log_min_messages $level: an unknown database after authentication is refused [$entry]"
	set_conf pg_tls_audit.require_tls on on
	attempt "$plain user=regress_tls_app application_name=$level"
	expect_entry "log_min_messages $level: a policy rejection" "'regress_tls_app'" \
		'^rejected_by_policy\|f\|\|scram-sha-256\|connection requires TLS, but the client connected with no encryption$'
	reset_conf pg_tls_audit.require_tls off
done
reset_conf log_min_messages warning
# The sessions of set_conf and admin are accepted, as many as it took.
delta=$(outcome_delta "$outcomes0" "$(admin -c "$outcomes_sql")")
[[ $delta =~ ^accepted=[1-9][0-9]*\ rejected_by_policy=3\ authentication_failed=0\ refused=3\ tls_handshake_failed=0$ ]]
ok $? "log_min_messages default, fatal, panic: 3 refusals after authentication and 3 policy rejections counted [$delta]"

# ---------------------------------------------------------------------------
# 3c. log_connections lines: every value quoted and escaped, so that a
# client-chosen user name, database name or SNI (spaces, "=", quotes,
# backslashes, newlines, bytes that are not UTF-8) cannot forge a field
# or a line.

# At most 51 bytes: the server cuts names at 63, and "regress_tls_" is 12.
evil=$'x client_subject="CN=pg" ssl=on \\ "\nLOG: f \xff\xfe'
# conninfo_quote VALUE: VALUE as a libpq conninfo single-quoted string.
conninfo_quote() {
	local v=${1//\\/\\\\}
	printf "'%s'" "${v//\'/\\\'}"
}
# logged_fields KEY VALUE: the newest pg_tls_audit connection line that
# the attempt just made logged with KEY="VALUE"; prints its keys, one
# line, after checking that the line is nothing but key="value" pairs and
# that each value decodes back to what the client sent.
logged_fields() {
	KEY=$1 WANT=$2 perl -e '
		local $/; my $log = <STDIN>; my $found;
		for my $line (split /\n/, $log) {
			next unless $line =~ /pg_tls_audit connection:(.*)$/;
			my ($rest, @keys, %v) = ($1);
			while ($rest =~ s/^ ([a-z_]+)="((?:[^"\\]|\\.)*)"//) {
				my ($k, $raw) = ($1, $2);
				(my $d = $raw) =~ s/\\(?:x([0-9A-F]{2})|(["\\]))/defined $1 ? chr(hex $1) : $2/ge;
				push @keys, $k; $v{$k} = $d;
			}
			next unless $rest eq "" && defined $v{$ENV{KEY}} && $v{$ENV{KEY}} eq $ENV{WANT};
			$found = join(",", @keys);
		}
		print $found // "none";' <<<"$new_log"
}
fields_ok='^outcome,user,database,host,port,ssl,protocol,cipher,bits(,sni)?,hba_line,auth_method$'
attempt "$tls user=$(conninfo_quote "regress_tls_$evil")"
keys=$(logged_fields user "regress_tls_$evil")
grep -qE "$fields_ok" <<<"$keys"
ok $? "log_connections: a forged user name stays one quoted value [$keys]"
attempt "$tls user=regress_tls_app dbname=$(conninfo_quote "regress_tls_$evil")"
keys=$(logged_fields database "regress_tls_$evil")
grep -qE "$fields_ok" <<<"$keys"
ok $? "log_connections: a forged database name stays one quoted value [$keys]"
sni_evil=${evil//:/}
attempt "host=$(conninfo_quote "localhost $sni_evil") hostaddr=127.0.0.1 dbname=postgres sslmode=require user=regress_tls_app"
keys=$(logged_fields sni "localhost $sni_evil")
grep -qE "$fields_ok" <<<"$keys" && grep -q ',sni,' <<<"$keys"
ok $? "log_connections: a forged SNI stays one quoted value [$keys] (rc=$rc)"
# The policy's own messages quote role names escaped, too.
nl_role=$'regress_tls_nl\nDETAIL:  forged'
admin -c "CREATE ROLE \"$nl_role\" LOGIN PASSWORD '$password'"
set_conf pg_tls_audit.require_tls on on
attempt "$plain user=$(conninfo_quote "$nl_role")"
grep -qF 'The server setting pg_tls_audit.require_tls is on, and role "regress_tls_nl\x0ADETAIL:  forged" is not exempt from it.' <<<"$new_log"
ok $? "policy messages: a newline in a role name is written as \\x0A (rc=$rc)"
reset_conf pg_tls_audit.require_tls off
admin -c "DROP ROLE \"$nl_role\""

# ---------------------------------------------------------------------------
# 4. tls_audit(): provoke each check, then clear it.

certs=$work/certs
mkdir -p "$certs/newcerts"
chmod 755 "$certs"
: >"$certs/index.txt"
echo 1000 >"$certs/serial"
echo 1000 >"$certs/crlnumber"
cat >"$certs/ca.cnf" <<EOF
[ca]
default_ca = test_ca
[test_ca]
database = $certs/index.txt
new_certs_dir = $certs/newcerts
serial = $certs/serial
crlnumber = $certs/crlnumber
default_md = sha256
default_crl_days = 30
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
[san]
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:0:0:0:0:0:0:0:1
[nosan]
basicConstraints = CA:FALSE
[cacert]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
EOF
ts() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

# mkcert NAME KEYALG EXTENSIONS MD START END [selfsign]: a certificate
# signed by the fixture's intermediate CA (or by itself), key readable by
# the server only.
mkcert() {
	local name=$1 keyalg=$2 ext=$3 md=$4 start=$5 end=$6 self=${7:-}
	local signer=(-cert "$pki/intermediate_ca.crt" -keyfile "$pki/intermediate_ca.key")
	openssl genpkey $keyalg -out "$certs/$name.key" 2>/dev/null &&
		openssl req -new -key "$certs/$name.key" -subj "/CN=$name" -out "$certs/$name.csr" 2>/dev/null || return 1
	[ -n "$self" ] && signer=(-selfsign -keyfile "$certs/$name.key")
	openssl ca -batch -config "$certs/ca.cnf" "${signer[@]}" -in "$certs/$name.csr" -out "$certs/$name.crt" \
		-md "$md" -extfile "$certs/ca.cnf" -extensions "$ext" -startdate "$start" -enddate "$end" \
		-notext >/dev/null 2>&1 || return 1
	chown "$pguser" "$certs/$name.key" && chmod 600 "$certs/$name.key"
}
rsa2048="-algorithm RSA -pkeyopt rsa_keygen_bits:2048"
now=$(ts now)
year=$(ts '+1 year')

# finding CHECK: the severities of tls_audit()'s rows for CHECK, as the
# superuser sees them.
finding() {
	admin -c "SELECT string_agg(severity, ',' ORDER BY severity) FROM tls_audit() WHERE \"check\" = '$1'"
}
expect_finding() {
	local got rc
	got=$(finding "$2")
	[ "$got" = "$3" ]
	rc=$?
	if [ -n "$3" ]; then
		ok $rc "$1: $2 found, $3 (got '$got')"
	else
		ok $rc "$1: no $2 finding (got '$got')"
	fi
}

# use_server_cert NAME: point ssl_cert_file/ssl_key_file at NAME and reload.
use_server_cert() {
	admin -c "ALTER SYSTEM SET ssl_cert_file = '$certs/$1.crt'" \
		-c "ALTER SYSTEM SET ssl_key_file = '$certs/$1.key'" -c "SELECT pg_reload_conf()" >/dev/null
	wait_conf ssl_cert_file "$certs/$1.crt"
}
restore_server_cert() {
	admin -c "ALTER SYSTEM RESET ssl_cert_file" -c "ALTER SYSTEM RESET ssl_key_file" \
		-c "SELECT pg_reload_conf()" >/dev/null
	wait_conf ssl_cert_file "$PG_TLS_PROBE_CLUSTER/server/server.crt"
}

expect_finding "baseline" ssl_off ""
set_conf ssl off off
expect_finding "ssl = off" ssl_off critical
reset_conf ssl on
expect_finding "ssl = on" ssl_off ""

for check in expired not_yet_valid expiring weak_key weak_signature no_san; do
	expect_finding "baseline" "server_certificate_$check" ""
done
mkcert expired "$rsa2048" san sha256 "$(ts '-2 years')" "$(ts '-1 year')" &&
	mkcert future "$rsa2048" san sha256 "$(ts '+1 year')" "$(ts '+2 years')" &&
	mkcert expiring "$rsa2048" san sha256 "$now" "$(ts '+10 days')" &&
	mkcert nosan "$rsa2048" nosan sha256 "$now" "$year" &&
	mkcert weakkey "-algorithm RSA -pkeyopt rsa_keygen_bits:1024" san sha256 "$now" "$year" &&
	mkcert sha1 "$rsa2048" san sha1 "$now" "$year"
ok $? "test certificates made with openssl ca"

for case in expired:server_certificate_expired:critical future:server_certificate_not_yet_valid:high \
	expiring:server_certificate_expiring:high nosan:server_certificate_no_san:medium; do
	IFS=: read -r name check severity <<<"$case"
	use_server_cert "$name"
	expect_finding "server certificate $name" "$check" "$severity"
	restore_server_cert
	expect_finding "fixture server certificate" "$check" ""
done

# A 1024-bit RSA key or a SHA-1 signature: OpenSSL refuses to load them
# at its default security level, so the server is restarted with one that
# allows them, and is seen to serve them.
write_seclevel0_conf "$certs/seclevel0.cnf"
served_key_bits() {
	OPENSSL_CONF=$certs/seclevel0.cnf openssl s_client -starttls postgres -connect "127.0.0.1:$PGPORT" \
		-cipher 'DEFAULT@SECLEVEL=0' </dev/null 2>/dev/null | sed -n 's/^Server public key is \([0-9]*\) bit$/\1/p'
}
admin -c "ALTER SYSTEM SET ssl_cert_file = '$certs/weakkey.crt'" -c "ALTER SYSTEM SET ssl_key_file = '$certs/weakkey.key'" >/dev/null
restart_server OPENSSL_CONF="$certs/seclevel0.cnf"
ok $? "restarted with a lowered OpenSSL security level"
[ "$(served_key_bits)" = 1024 ]
ok $? "the server serves the 1024-bit key"
expect_finding "1024-bit RSA server key" server_certificate_weak_key high
use_server_cert sha1
expect_finding "SHA-1 signed server certificate" server_certificate_weak_signature high
admin -c "ALTER SYSTEM RESET ssl_cert_file" -c "ALTER SYSTEM RESET ssl_key_file" >/dev/null
restart_server
ok $? "restarted with the default security level and the fixture certificate"
[ "$(served_key_bits)" = 2048 ]
ok $? "the server serves the fixture's 2048-bit key again"
postmaster_pid=$(head -n 1 "$data/postmaster.pid")
expect_finding "fixture server certificate" server_certificate_weak_key ""
expect_finding "fixture server certificate" server_certificate_weak_signature ""

# The CA file: one CA expiring within expiry_warning, one expired.
mkcert expiringca "$rsa2048" cacert sha256 "$now" "$(ts '+10 days')" selfsign &&
	mkcert expiredca "$rsa2048" cacert sha256 "$(ts '-2 years')" "$(ts '-1 year')" selfsign
ok $? "test CA certificates made"
cat "$PG_TLS_PROBE_CLUSTER/server/root_ca.crt" "$certs/expiringca.crt" "$certs/expiredca.crt" >"$certs/ca_bundle.crt"
chmod 644 "$certs/ca_bundle.crt"
set_conf ssl_ca_file "$certs/ca_bundle.crt" "$certs/ca_bundle.crt"
expect_finding "CA file with an expiring CA" ca_certificate_expiring medium
expect_finding "CA file with an expired CA" ca_certificate_expired high
reset_conf ssl_ca_file "$PG_TLS_PROBE_CLUSTER/server/root_ca.crt"
expect_finding "fixture CA file" ca_certificate_expiring ""
expect_finding "fixture CA file" ca_certificate_expired ""

# CRLs of the intermediate CA: one past its next update, one current; in
# ssl_crl_file and in ssl_crl_dir.  With a current CRL, client
# certificates are no longer checked without one.
expect_finding "no CRL, cert lines in pg_hba.conf" clientcert_without_crl medium
# One certificate the intermediate issued is revoked, so the CRLs list one.
openssl ca -batch -config "$certs/ca.cnf" -cert "$pki/intermediate_ca.crt" -keyfile "$pki/intermediate_ca.key" \
	-revoke "$certs/expired.crt" >/dev/null 2>&1 &&
	openssl ca -gencrl -batch -config "$certs/ca.cnf" -cert "$pki/intermediate_ca.crt" -keyfile "$pki/intermediate_ca.key" \
		-crl_lastupdate "$(ts '-60 days')" -crl_nextupdate "$(ts '-30 days')" -out "$certs/outdated.crl" >/dev/null 2>&1 &&
	openssl ca -gencrl -batch -config "$certs/ca.cnf" -cert "$pki/intermediate_ca.crt" -keyfile "$pki/intermediate_ca.key" \
		-out "$certs/current.crl" >/dev/null 2>&1
ok $? "test CRLs made"
chmod 644 "$certs"/*.crl
set_conf ssl_crl_file "$certs/outdated.crl" "$certs/outdated.crl"
expect_finding "an outdated CRL in ssl_crl_file" crl_outdated high
# tls_crls() reads the same files: issuer as openssl prints it (RFC 2253),
# the update times, the revoked count and the source.
crl_row() {
	admin -F '|' -c "SELECT issuer, next_update < now(), this_update < next_update, revoked, source FROM tls_crls()"
}
crl_issuer=$(openssl crl -in "$certs/outdated.crl" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')
[ "$(crl_row)" = "$crl_issuer|t|t|1|$certs/outdated.crl" ]
ok $? "tls_crls(): the outdated CRL of ssl_crl_file, as openssl reads it [$(crl_row)]"
expect_finding "a CRL is configured" clientcert_without_crl ""
set_conf ssl_crl_file "$certs/current.crl" "$certs/current.crl"
expect_finding "a current CRL in ssl_crl_file" crl_outdated ""
[ "$(crl_row)" = "$crl_issuer|f|t|1|$certs/current.crl" ]
ok $? "tls_crls(): the current CRL of ssl_crl_file [$(crl_row)]"
reset_conf ssl_crl_file ""
mkdir -p "$certs/crldir"
cp "$certs/outdated.crl" "$certs/crldir/$(openssl crl -in "$certs/outdated.crl" -noout -hash).r0"
chmod -R a+rX "$certs/crldir"
set_conf ssl_crl_dir "$certs/crldir" "$certs/crldir"
expect_finding "an outdated CRL in ssl_crl_dir" crl_outdated high
[ "$(crl_row)" = "$crl_issuer|t|t|1|$(ls "$certs"/crldir/*.r0)" ]
ok $? "tls_crls(): the CRL of ssl_crl_dir [$(crl_row)]"
reset_conf ssl_crl_dir ""
[ -z "$(crl_row)" ]
ok $? "tls_crls(): no row without a CRL"
expect_finding "no CRL" crl_outdated ""
expect_finding "no CRL again" clientcert_without_crl medium

# Protocol and ciphers.
expect_finding "ssl_min_protocol_version TLSv1.2" min_protocol ""
set_conf ssl_min_protocol_version TLSv1.1 TLSv1.1
# At OpenSSL 3's default security level the server still refuses TLS 1.1
# (harness/t/test_audit_wire.sh compares that with a handshake): the setting
# is reported apart from what clients get.
expect_finding "ssl_min_protocol_version TLSv1.1" min_protocol ""
expect_finding "ssl_min_protocol_version TLSv1.1" min_protocol_setting low
reset_conf ssl_min_protocol_version TLSv1.2
expect_finding "ssl_min_protocol_version TLSv1.2 again" min_protocol ""
expect_finding "PostgreSQL's default ssl_ciphers" weak_ciphers medium
set_conf ssl_ciphers 'ECDHE+AESGCM:ECDHE+CHACHA20' 'ECDHE+AESGCM:ECDHE+CHACHA20'
expect_finding "forward-secret AEAD ssl_ciphers" weak_ciphers ""
# Suites without encryption or authentication: only negotiable when
# ssl_ciphers also lowers OpenSSL's security level, which it can.
set_conf ssl_ciphers 'HIGH:eNULL:aNULL:@SECLEVEL=0' 'HIGH:eNULL:aNULL:@SECLEVEL=0'
expect_finding "ssl_ciphers with NULL and anonymous suites" weak_ciphers high
reset_conf ssl_ciphers 'HIGH:MEDIUM:+3DES:!aNULL'

# pg_hba.conf, read as it is on disk (pg_hba_file_rules; no reload).
cp "$data/pg_hba.conf" "$work/pg_hba.conf.orig"
hba_severities() {
	admin -c "SELECT string_agg(severity, ',' ORDER BY detail) FROM tls_audit()
	          WHERE \"check\" = 'hba_plaintext' AND detail ~ ' 0\.0\.0\.0 | 127\.0\.0\.1 (md5|trust)'"
}
[ -z "$(hba_severities)" ]
ok $? "hba_plaintext: nothing wide open in the test bed's file"
{
	cat "$work/pg_hba.conf.orig"
	echo "host all all 0.0.0.0/0 trust"
	echo "host all all 0.0.0.0/0 password"
	echo "host all all 0.0.0.0/0 md5"
	echo "hostnossl all all 0.0.0.0/0 scram-sha-256"
	echo "host all all 127.0.0.1/32 md5"
} >"$data/pg_hba.conf"
[ "$(hba_severities)" = "critical,critical,high,medium,medium" ]
ok $? "hba_plaintext ranked by method, lower for this host only (got '$(hba_severities)')"
{
	cat "$work/pg_hba.conf.orig"
	echo "hostnossl all all all reject"
	echo "host all all 0.0.0.0/0 trust"
} >"$data/pg_hba.conf"
[ -z "$(hba_severities)" ]
ok $? "hba_plaintext: lines after a catch-all hostnossl reject admit no plaintext"
# Every line type that admits a plaintext TCP session, and those that
# cannot (hostgssenc: GSSAPI-encrypted only).
for type in host hostnossl hostnogssenc hostssl hostgssenc; do
	case $type in
		hostssl|hostgssenc) want= shown="not reported" ;;
		*) want=high shown="reported high" ;;
	esac
	{
		cat "$work/pg_hba.conf.orig"
		echo "$type all all 0.0.0.0/0 md5"
	} >"$data/pg_hba.conf"
	parsed=$(admin -c "SELECT count(*) FROM pg_hba_file_rules
	                   WHERE type = '$type' AND address = '0.0.0.0' AND auth_method = 'md5' AND error IS NULL")
	[ "$parsed" = 1 ] && [ "$(hba_severities)" = "$want" ]
	ok $? "hba_plaintext: a $type md5 line open to 0.0.0.0/0 (parsed without error: $parsed) is $shown (got '$(hba_severities)')"
done
{
	cat "$work/pg_hba.conf.orig"
	echo "hostnogssenc all all all reject"
	echo "host all all 0.0.0.0/0 trust"
} >"$data/pg_hba.conf"
[ -z "$(hba_severities)" ]
ok $? "hba_plaintext: lines after a catch-all hostnogssenc reject admit no plaintext (got '$(hba_severities)')"
cat "$work/pg_hba.conf.orig" >"$data/pg_hba.conf"
[ -z "$(hba_severities)" ]
ok $? "hba_plaintext cleared with the file restored"

# The policy itself.
expect_finding "preloaded" policy_inactive ""
expect_finding "require_tls off" policy_off low
set_conf pg_tls_audit.require_tls on on
expect_finding "require_tls on" policy_off ""
reset_conf pg_tls_audit.require_tls off

# Listed role names that match no role: a WARNING from the role check
# worker at the reload, and a tls_audit() finding, until corrected.
mark=$(stat -c %s "$log")
unknown_list='Regress_tls_app, +regress_tls_no_group'
set_conf pg_tls_audit.require_client_certificate "$unknown_list" "$unknown_list"
for _ in $(seq 1 100); do
	tail -c +$((mark + 1)) "$log" | grep -q 'role "regress_tls_no_group" in pg_tls_audit.require_client_certificate does not exist' && break
	sleep 0.05
done
tail -c +$((mark + 1)) "$log" >"$work/reload.log"
grep -q 'WARNING:  role "Regress_tls_app" in pg_tls_audit.require_client_certificate does not exist' "$work/reload.log" &&
	grep -qF 'HINT:  Role "regress_tls_app" exists, and names match exactly as written.' "$work/reload.log"
ok $? "a listed name that differs from a role only in case: WARNING at reload, with a hint"
grep -q 'WARNING:  role "regress_tls_no_group" in pg_tls_audit.require_client_certificate does not exist' "$work/reload.log"
ok $? "a listed +group that does not exist: WARNING at reload"
expect_finding "two unknown names in require_client_certificate" policy_unknown_role high,high
set_conf pg_tls_audit.exempt_roles regress_tls_no_such_role regress_tls_no_such_role
expect_finding "and one in exempt_roles" policy_unknown_role high,high,medium
reset_conf pg_tls_audit.exempt_roles ""
reset_conf pg_tls_audit.require_client_certificate ""
expect_finding "role lists cleared" policy_unknown_role ""

# pg_tls_audit.connection_log_size below its minimum: a WARNING that says
# the default is used, and the log has the default capacity.
# (ALTER SYSTEM refuses the value: it goes into postgresql.conf by hand.)
mark=$(stat -c %s "$log")
echo "pg_tls_audit.connection_log_size = 8 # regress_tls_small_log" >>"$data/postgresql.conf"
restart_server
ok $? "restarted with pg_tls_audit.connection_log_size = 8"
tail -c +$((mark + 1)) "$log" | grep -A1 'WARNING:  invalid value for parameter "pg_tls_audit.connection_log_size": 8' |
	grep -q 'DETAIL:  The minimum is 16; at server start, an invalid value leaves the default of 1024 entries.'
ok $? "connection_log_size 8: the WARNING says the default of 1024 is used"
[ "$(admin -c "SELECT capacity FROM tls_connection_log_stats()")" = 1024 ]
ok $? "connection_log_size 8: the log keeps 1024 entries"
sed -i '/# regress_tls_small_log$/d' "$data/postgresql.conf"
restart_server
ok $? "restarted with pg_tls_audit.connection_log_size = $LOG_SIZE"
postmaster_pid=$(head -n 1 "$data/postmaster.pid")

# ---------------------------------------------------------------------------
# 5. The connection storm: TLS with client certificates, the policy on.

set_conf pg_tls_audit.require_tls on on
set_conf pg_tls_audit.require_client_certificate tls_client tls_client
echo 'SELECT 1;' >"$work/select1.sql"
{
	read -r r0
	read -r outcomes0
} < <(admin -c "SELECT recorded FROM tls_connection_log_stats()" -c "$outcomes_sql")
mark=$(stat -c %s "$log")
per_client=$((STORM_CONNECTIONS / STORM_CLIENTS))
t0=$(date +%s.%N)
pgbench -n -C -c "$STORM_CLIENTS" -j 2 -t "$per_client" -f "$work/select1.sql" \
	"$tls user=tls_client $cert application_name=regress_tls_storm" >"$work/pgbench.out" 2>&1
rc=$?
t1=$(date +%s.%N)
# One session reads everything after the storm; its own attempt is the
# last one recorded.
{
	read -r r1 overwritten capacity rows span storm_rows
	read -r outcomes1
} < <(admin -F ' ' -c "
	SELECT s.recorded, s.overwritten, s.capacity, count(*), max(l.id) - min(l.id) + 1,
	       count(*) FILTER (WHERE l.outcome = 'accepted' AND l.usename = 'tls_client' AND l.ssl)
	FROM tls_connection_log_stats() s, tls_connection_log l GROUP BY 1, 2, 3" -c "$outcomes_sql")
storm_log=$(tail -c +$((mark + 1)) "$log")
seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
processed=$(sed -n 's|^number of transactions actually processed: \([0-9]*\)/.*|\1|p' "$work/pgbench.out")
[ $rc -eq 0 ] && [ "$processed" = $((per_client * STORM_CLIENTS)) ]
ok $? "storm: pgbench -C -c $STORM_CLIENTS made $processed TLS connections in $seconds s (rc=$rc)"
echo "# $(grep -E '^(tps|latency average|average connection time)' "$work/pgbench.out" | tr '\n' ';')"
[ "$(admin -c 'SELECT 1')" = 1 ] && [ "$(head -n 1 "$data/postmaster.pid")" = "$postmaster_pid" ]
ok $? "storm: the server is still up, same postmaster"
! grep -qE 'terminated by signal|PANIC' <<<"$storm_log"
ok $? "storm: no backend crashed"

authorized=$(grep -c 'LOG:  connection authorized: ' <<<"$storm_log")
authorized_storm=$(grep -c 'LOG:  connection authorized: user=tls_client database=postgres application_name=regress_tls_storm' <<<"$storm_log")
ours=$(grep -c 'pg_tls_audit connection: outcome="accepted" ' <<<"$storm_log")
[ $((r1 - r0)) -eq "$authorized" ] && [ "$ours" -eq "$authorized" ]
ok $? "storm: recorded ($((r1 - r0))) = PostgreSQL's 'connection authorized' lines ($authorized) = pg_tls_audit's lines ($ours)"
# pgbench -C makes one connection per transaction (and may make one more
# of its own before starting); the reader above is the last.
[ "$authorized_storm" -ge "$processed" ] && [ "$authorized_storm" -le $((processed + 1)) ] &&
	[ "$authorized" -eq $((authorized_storm + 1)) ]
ok $? "storm: $authorized_storm of those are pgbench's ($processed transactions), 1 the reader"
kept=$((r1 < LOG_SIZE ? r1 : LOG_SIZE))
[ "$capacity" -eq $LOG_SIZE ] && [ "$overwritten" -eq $((r1 - kept)) ] && [ "$rows" -eq "$kept" ] && [ "$span" -eq "$rows" ]
ok $? "storm: the ring keeps the newest $rows of $r1 attempts (capacity $capacity), $overwritten overwritten, ids contiguous (span $span)"
[ "$storm_rows" -eq $((kept < authorized ? kept - 1 : authorized - 1)) ]
ok $? "storm: the kept entries since the storm began are its accepted TLS connections ($storm_rows) and the reader"
# The ring overwrote entries; the counters count every attempt all the
# same, the storm's and the reader's.
delta=$(outcome_delta "$outcomes0" "$outcomes1")
[ "$overwritten" -gt 0 ] &&
	[ "$delta" = "accepted=$((r1 - r0)) rejected_by_policy=0 authentication_failed=0 refused=0 tls_handshake_failed=0" ]
ok $? "storm: the outcome counters count every attempt though the ring overwrote $overwritten [$delta]"
reset_conf pg_tls_audit.require_client_certificate ""
reset_conf pg_tls_audit.require_tls off

finish
