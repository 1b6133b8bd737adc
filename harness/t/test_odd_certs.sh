#!/bin/bash
# test_odd_certs.sh: malformed but CA-signed client certificates, presented
# over real TLS (psql, sslcert/sslkey) to a preloaded server, as TAP.
#
# harness/t/odd_certs.c (built here, into the temp dir) writes the
# certificates and their case table: huge and odd subjects and issuers,
# string types OpenSSL converts or refuses, NUL bytes and controls, negative
# and oversized serials, thousands of SANs, dates at the UTCTime /
# GeneralizedTime boundaries, extensions a verifier must refuse.  Each is
# presented to a UTF8, a LATIN1 and a SQL_ASCII database.  A session that
# gets in calls every function and view that shows the peer certificate
# (tls_session(), tls_peer_certificate(), tls_peer_subject_field() and
# tls_peer_issuer_field() for a dozen fields, tls_peer_extensions(),
# tls_sessions, tls_connection_log), then, still connected, has another
# session read tls_sessions and tls_connection_log in each of the three
# databases.  Every call must return without an ERROR; every text value
# must be valid in the database's encoding, as the server checks it
# (convert_to/convert_from, and ASCII where the extension promises \XX
# escapes) and as the client receives it (UTF-8); and the case's own check
# must hold.  A certificate OpenSSL refuses in the handshake, or whose
# session PostgreSQL refuses (a NUL in the CN, a DN the database encoding
# cannot hold, an attribute with no NID), is reported as such; its outcome
# must be the one the case table expects, and when PostgreSQL refused it,
# the connection log must record the refusal, with values (its names are
# there) checked all the same.  The server must never crash.
#
# usage: harness/t/test_odd_certs.sh PG_TLS_PROBE
# Output is TAP, ending with "N passed, N failed".  The cluster and every
# file are removed on exit, whatever happened.
set -uo pipefail

probe=${1:?usage: harness/t/test_odd_certs.sh PG_TLS_PROBE}
cd "$(dirname "$0")/../.."
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8

work=$(mktemp -d /tmp/pg_tls_audit-odd-certs.XXXXXX)
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

started=$SECONDS
cc -Wall -Wextra -Werror -o "$work/odd_certs" harness/t/odd_certs.c -lcrypto 2>"$work/cc.err"
ok $? "the certificate generator builds $(head -c 300 "$work/cc.err")"

start_preloaded_cluster "$cluster"
log=$PG_TLS_PROBE_CLUSTER/postgresql.log
data=$PG_TLS_PROBE_CLUSTER/data
postmaster_pid=$(head -n 1 "$data/postmaster.pid")

certs=$work/certs
mkdir "$certs"
"$work/odd_certs" "$PG_TLS_PROBE_PKI" "$certs" >"$work/cases" 2>"$work/odd_certs.err"
ok $? "$(wc -l <"$work/cases") certificates written $(head -c 300 "$work/odd_certs.err")"

admin() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_TLS_PROBE_SOCKET" -U postgres "$@"
}

# The client role logs in with a password (the cluster's pg_hba.conf asks
# every TCP role but tls_client for scram-sha-256), so that the subject's CN
# need not match it.  pg_read_all_stats lets it read the connection log.
password=$(openssl rand -hex 16)
cp "$PGPASSFILE" "$work/pgpass"
printf '*:*:*:regress_odd_certs:%s\n' "$password" >>"$work/pgpass"
chmod 600 "$work/pgpass"
export PGPASSFILE=$work/pgpass
admin -d postgres -c "CREATE ROLE regress_odd_certs LOGIN PASSWORD '$password' IN ROLE pg_read_all_stats" \
	-c "ALTER SYSTEM SET pg_tls_audit.log_connections = on" -c "SELECT pg_reload_conf()" >/dev/null
ok $? "client role created, pg_tls_audit.log_connections on"

# regress_odd_check(value): 'valid', 'null', or why the value is not valid
# in the database's encoding.  convert_to() checks its input in the database
# encoding and convert_from() in the one named, which makes the check
# meaningful in SQL_ASCII too (the extension promises ASCII or UTF-8 there);
# outside UTF8 and SQL_ASCII the extension writes non-ASCII bytes as \XX.
databases=(regress_odd_utf8:UTF8 regress_odd_latin1:LATIN1 regress_odd_sql_ascii:SQL_ASCII)
for entry in "${databases[@]}"; do
	db=${entry%%:*}
	admin -d postgres -c "CREATE DATABASE $db ENCODING '${entry#*:}' LOCALE 'C' TEMPLATE template0" &&
		admin -d "$db" <<'SQL'
CREATE EXTENSION pg_tls_audit;
CREATE FUNCTION public.regress_odd_check(value text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	enc name := pg_catalog.getdatabaseencoding();
BEGIN
	IF value IS NULL THEN
		RETURN 'null';
	END IF;
	PERFORM pg_catalog.convert_to(value, enc);
	IF enc = 'SQL_ASCII' THEN
		PERFORM pg_catalog.convert_from(pg_catalog.convert_to(value, enc), 'UTF8');
	ELSIF enc <> 'UTF8' AND value ~ '[^\x01-\x7f]' THEN
		RETURN 'not ASCII';
	END IF;
	RETURN 'valid';
EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
	RETURN 'invalid: ' || SQLERRM;
END
$$;
SQL
	ok $? "database $db (${entry#*:}) with the extension"
done

# check_sql LABEL FROM: the values of every row of FROM (a row source
# aliased r), each checked by regress_odd_check() and counted on one line
# "checked LABEL in DB: N values, N bad", then the rows as JSON, for the
# client to check what it received.
check_sql() {
	cat <<SQL
SELECT 'checked $1 in ' || current_database() || ': ' || count(*) || ' values, '
       || count(*) FILTER (WHERE st NOT IN ('valid', 'null')) || ' bad'
       || coalesce(' (' || string_agg(k || ' ' || st, ', ') FILTER (WHERE st NOT IN ('valid', 'null')) || ')', '')
FROM (SELECT e.key, public.regress_odd_check(e.value)
      FROM $2, pg_catalog.jsonb_each_text(pg_catalog.to_jsonb(r)) AS e) AS v(k, st);
SELECT pg_catalog.to_jsonb(r) FROM $2;
SQL
}
fields="'{CN,OU,O,C,L,ST,emailAddress,UID,serialNumber,DC,2.5.4.3,1.3.6.1.4.1.55555.7}'::text[]"

# The connection log's entries since the attempt began (ids above :mark,
# which each attempt's last read moves on).
log_since="(SELECT * FROM public.tls_connection_log WHERE id > :mark) r"

# The other session: tls_sessions and tls_connection_log in each database,
# and whether it sees the session :pid.  Run by the session itself (psql's
# \!), so that it is still connected, or after PostgreSQL refused a
# session (the log has its certificate's names).
{
	echo '\set ON_ERROR_STOP 0'
	for entry in "${databases[@]}"; do
		[ "$entry" != "${databases[0]}" ] && echo "\\connect ${entry%%:*}"
		check_sql tls_sessions "public.tls_sessions r"
		check_sql tls_connection_log "$log_since"
		echo "SELECT 'other session sees it: ' || count(*) FROM public.tls_sessions
		      WHERE pid = :pid AND source = 'pg_tls_audit' AND ssl;"
	done
	echo "SELECT 'refused since the mark: ' || count(*) FROM public.tls_connection_log
	      WHERE id > :mark AND outcome = 'refused' AND reason IS NOT NULL;"
	echo "SELECT 'log mark: ' || coalesce(max(id), 0) FROM public.tls_connection_log;"
} >"$work/other.sql"
cat >"$work/other.sh" <<SH
PGCLIENTENCODING=UTF8 exec psql -X -At -h "$PG_TLS_PROBE_SOCKET" -U postgres -d "${databases[0]%%:*}" \\
	-v pid="\${ODD_PID:-0}" -v mark="\$ODD_MARK" -f "$work/other.sql" >>"$work/other.out" 2>>"$work/other.err"
SH

# The session of the certificate; :check is the case's own SQL check.
{
	echo '\set ON_ERROR_STOP 0'
	echo 'SELECT pg_backend_pid() AS pid \gset'
	echo '\setenv ODD_PID :pid'
	echo "SELECT 'peer certificate present: ' || peer_certificate_present FROM public.tls_session();"
	check_sql "tls_session()" "public.tls_session() r"
	check_sql "tls_peer_certificate()" "public.tls_peer_certificate() r"
	check_sql "tls_peer_subject_field()" \
		"(SELECT f, public.tls_peer_subject_field(f) FROM pg_catalog.unnest($fields) f) AS r(field, value)"
	check_sql "tls_peer_issuer_field()" \
		"(SELECT f, public.tls_peer_issuer_field(f) FROM pg_catalog.unnest($fields) f) AS r(field, value)"
	check_sql "tls_peer_extensions()" "public.tls_peer_extensions() r"
	check_sql tls_sessions "public.tls_sessions r"
	check_sql tls_connection_log "$log_since"
	echo "SELECT 'case check: ' || coalesce((:check)::text, 'null');"
	echo "SELECT 'logged as accepted: ' || count(*) FROM public.tls_connection_log
	      WHERE id > :mark AND pid = pg_backend_pid() AND outcome = 'accepted';"
	echo "\\! sh '$work/other.sh'"
	echo "SELECT 'session done';"
} >"$work/session.sql"

# valid_utf8 FILE: what the client received is UTF-8 (client_encoding is
# UTF8; a SQL_ASCII database sends its bytes unconverted).
valid_utf8() {
	iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1
}

# other_ok: the other session's reads all returned valid values; sets
# other_why otherwise.
other_ok() {
	local lines bad
	other_why=
	lines=$(grep -c '^checked ' "$work/other.out")
	bad=$(grep '^checked ' "$work/other.out" | grep -v ' 0 bad$')
	if grep -q 'ERROR' "$work/other.err"; then
		other_why="another session's read raised: $(grep -m 3 ERROR "$work/other.err" | tr '\n' ' ')"
	elif [ "$lines" -ne $((2 * ${#databases[@]})) ] || [ -n "$bad" ]; then
		other_why="another session's reads: $lines of $((2 * ${#databases[@]})) returned${bad:+; $bad}"
	elif ! valid_utf8 "$work/other.out"; then
		other_why="another session received bytes that are not UTF-8"
	fi
	[ -z "$other_why" ]
}

# classify: what became of a failed attempt, from psql's error, and for a
# refusal after the handshake from what the server logged before it closed
# the connection; sets outcome (handshake, postgres or unexplained) and
# reason.  The server logs a handshake it refused after sending its alert,
# so its line is only added when it is already there.
classify() {
	local line
	if line=$(grep -m 1 -o -E 'could not (load|read) (certificate|private key).*' "$work/own.err"); then
		outcome=handshake reason="refused by OpenSSL in the handshake (client): $line"
	elif line=$(grep -m 1 -o 'SSL error: .*alert.*' "$work/own.err"); then
		outcome=handshake reason="refused by OpenSSL in the handshake (server): $line"
		line=$(grep -m 1 -o 'could not accept SSL connection: .*' <<<"$new_log") &&
			reason="$reason; the server logged: $line"
	elif line=$(grep -m 1 -o 'FATAL: .*' "$work/own.err"); then
		outcome=postgres reason="refused by PostgreSQL at login: $line"
	elif line=$(grep -m 1 -o "SSL certificate's .*" <<<"$new_log"); then
		outcome=postgres reason="refused by PostgreSQL after the handshake: $line"
	else
		outcome=unexplained reason="failed: $(head -n 2 "$work/own.err" | tr '\n' ' ')"
	fi
}

# present NAME EXPECT VERDICT CHECK DB ENCODING: one certificate, one
# database, one test line.
present() {
	local name=$1 expect=$2 verdict=$3 check=$4 db=$5 encoding=$6
	local mark rc why= own_lines own_bad
	# PostgreSQL 15 to 17 refuse such a name at login in a LATIN1 database;
	# 18.6 accepts it, and then the session's values must be valid LATIN1
	[ "$expect" = postgres-in-latin1 ] && { [ "$encoding" = LATIN1 ] && expect=postgres-or-accepted || expect=accepted; }

	: >"$work/other.out"
	: >"$work/other.err"
	mark=$(stat -c %s "$log")
	PGCLIENTENCODING=UTF8 PGAPPNAME=odd_certs psql -X -At -v check="${check:-true}" -v mark="$ODD_MARK" \
		-f "$work/session.sql" \
		"host=localhost dbname=$db user=regress_odd_certs sslcert=$certs/$name.crt sslkey=$certs/leaf.key" \
		>"$work/own.out" 2>"$work/own.err" </dev/null
	rc=$?
	new_log=$(tail -c +$((mark + 1)) "$log")

	if [ $rc -eq 0 ] && grep -qx 'session done' "$work/own.out"; then
		outcome=accepted
		own_lines=$(grep -c '^checked ' "$work/own.out")
		own_bad=$(grep '^checked ' "$work/own.out" | grep -v ' 0 bad$')
		if grep -q 'ERROR' "$work/own.err"; then
			why="raised: $(grep -m 3 ERROR "$work/own.err" | tr '\n' ' ')"
		elif [ "$own_lines" -ne 7 ] || [ -n "$own_bad" ]; then
			why="$own_lines of 7 calls returned${own_bad:+; $own_bad}"
		elif ! grep -qx "checked tls_peer_certificate() in $db: 14 values, 0 bad" "$work/own.out" ||
			! grep -qx 'peer certificate present: true' "$work/own.out"; then
			why="the session does not show its certificate"
		elif ! grep -qx 'case check: true' "$work/own.out"; then
			why="the case check is not true: $(grep '^case check' "$work/own.out") [$check]"
		elif ! grep -qx 'logged as accepted: 1' "$work/own.out"; then
			why="the connection log does not have the session: $(grep '^logged' "$work/own.out")"
		elif [ "$(grep -cx 'other session sees it: 1' "$work/other.out")" -ne ${#databases[@]} ]; then
			why="another session does not see it in tls_sessions in every database"
		elif ! valid_utf8 "$work/own.out"; then
			why="the client received bytes that are not UTF-8"
		elif ! other_ok; then
			why=$other_why
		fi
		reason="accepted; every call returned values valid in $encoding, and in every database from another session"
	else
		classify
		if [ "$outcome" = postgres ]; then
			ODD_PID=0 sh "$work/other.sh"
			if ! other_ok; then
				why=$other_why
			elif grep -qx 'refused since the mark: 0' "$work/other.out"; then
				why="the connection log has no refusal with a reason"
			fi
		fi
	fi
	if [ "$expect" = postgres-or-accepted ] && { [ "$outcome" = postgres ] || [ "$outcome" = accepted ]; }; then
		expect=$outcome
	fi
	[ "$outcome" = "$expect" ] || why="expected $expect${why:+; $why}"
	mark=$(sed -n 's/^log mark: //p' "$work/other.out")
	[ -n "$mark" ] && ODD_MARK=$mark
	[ "$outcome" = handshake ] && reason="$reason [OpenSSL's verifier: $verdict]"
	counts[$outcome]=$((${counts[$outcome]:-0} + 1))
	[ -z "$why" ]
	ok $? "$name, $encoding: $reason${why:+ -- $why}"
}

declare -A counts=()
export ODD_MARK=0
while IFS=$'\t' read -r name expect verdict sizes description check; do
	echo "# $name: $description ($sizes)"
	for entry in "${databases[@]}"; do
		present "$name" "$expect" "$verdict" "$check" "${entry%%:*}" "${entry#*:}"
	done
done <"$work/cases"

accepted=$(grep -c 'pg_tls_audit connection: outcome="accepted" user="regress_odd_certs"' "$log")
[ "$accepted" -ge "${counts[accepted]:-0}" ]
ok $? "log_connections wrote a line for each accepted session ($accepted lines, ${counts[accepted]:-0} sessions)"

[ "$(head -n 1 "$data/postmaster.pid")" = "$postmaster_pid" ] && admin -d postgres -c 'SELECT 1' >/dev/null &&
	! grep -E 'terminated by signal|was terminated|PANIC' "$log"
ok $? "the server never crashed (postmaster $postmaster_pid still up, no backend terminated by a signal)"

echo "# $(wc -l <"$work/cases") certificates x ${#databases[@]} databases: ${counts[accepted]:-0} sessions," \
	"${counts[handshake]:-0} refused by OpenSSL in the handshake, ${counts[postgres]:-0} refused by PostgreSQL," \
	"${counts[unexplained]:-0} unexplained; $((SECONDS - started)) s"
tap_done
