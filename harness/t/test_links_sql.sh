#!/bin/bash
# test_links_sql.sh: tls_links() and the link findings of tls_audit()
# against real servers, as TAP.
#
#   - a standby made with pg_basebackup -R (libpq's default sslmode,
#     prefer): primary_conninfo, named with its file and line, and the
#     running WAL receiver are findings; set to verify-full with a root,
#     and once the WAL receiver has reconnected so, neither is;
#   - on the primary: a subscription without sslmode, a postgres_fdw
#     server with sslmode=require and its user mappings, a dblink_fdw
#     server with verify-full and a root (no finding), one with verify-full
#     and a missing root; another database holding a foreign server is
#     named;
#   - the planted password appears in no output; a plain role gets no
#     subscription string, only the reason; hostile names (quote,
#     newline, U+2028, bidirectional controls, '=' in a quoted mixed-case
#     name) come out escaped in tls_audit(); a password holding quotes,
#     backslash and '=', in a user mapping and percent-encoded in a URI, is
#     masked; functions, a table and views that shadow pg_catalog's on the
#     caller's search_path change nothing;
#   - one judgement, two callers: the same strings, as subscriptions read
#     by tls_links() and given to "pg_tls_probe audit --judge" run as the
#     server's OS user in its data directory, get the same verdict,
#     severity, sslmode, root file and reason;
#   - 1.2 updates to 1.3 (ALTER EXTENSION ... UPDATE) and tls_links()
#     answers.
#
# usage: harness/t/test_links_sql.sh PG_TLS_PROBE
# Output is TAP, ending with "N passed, N failed".  Both servers are
# stopped and the directory removed on exit, whatever happened.
set -uo pipefail

probe=${1:?usage: harness/t/test_links_sql.sh PG_TLS_PROBE}
probe=$(cd "$(dirname "$probe")" && pwd)/$(basename "$probe")
cd "$(dirname "$0")/../.."
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8
bindir=$("$PG_CONFIG" --bindir)

work=$(mktemp -d /tmp/pg_tls_audit-links.XXXXXX)
chmod 755 "$work"
secret="planted-Secret-$RANDOM$RANDOM"
standby=$work/standby
standby_started=
cleanup() {
	[ -n "$standby_started" ] && as_server "$bindir/pg_ctl" -D "$standby/data" -w -m fast stop >/dev/null 2>&1
	"$probe" cluster stop "$work/primary" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. harness/t/tap.sh

for v in $(env | sed -n "s/^\(PG[A-Z_]*\)=.*/\1/p" | grep -v "^PG_CONFIG$"); do unset "$v"; done

if ! "$probe" cluster start "$work/primary" --pg-config "$PG_CONFIG" --conf "wal_level = logical" \
	--hba "hostssl all all 127.0.0.1/32 trust" --hba "hostssl replication all 127.0.0.1/32 trust" \
	--hba "hostssl all all ::1/128 trust" --hba "hostssl replication all ::1/128 trust" \
	--hba "host all all 127.0.0.1/32 trust" --hba "host replication all 127.0.0.1/32 trust" \
	>"$work/primary.env" 2>"$work/start.err"; then
	ok 1 "primary starts: $(cat "$work/start.err")"
	tap_done
	exit
fi
ok 0 "primary starts"
port=$(sed -n 's/^export PGPORT=//p' "$work/primary.env")
sport=$((port + 1))
root=$work/primary/server/root_ca.crt
pguser=$(stat -c %U "$work/primary/data")

# as_server CMD...: as the server's OS user, with only PATH in the environment
as_server() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$pguser" -- env -i PATH="$bindir:/usr/bin:/bin" "$@"
	else
		env -i PATH="$bindir:/usr/bin:/bin" "$@"
	fi
}
# why RC FILE: ": FILE's text on one line" when RC says the step failed
why() {
	[ "$1" = 0 ] || echo ": $(tr '\n' ' ' <"$2")"
}
# sql SOCKETDIR PORT ROLE DB ARGS...: psql over the socket (trust)
sql() {
	local dir=$1 p=$2 role=$3 db=$4
	shift 4
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$dir" -p "$p" -U "$role" -d "$db" "$@"
}
primary() { sql "$work/primary/socket" "$port" postgres postgres "$@"; }
plain() { sql "$work/primary/socket" "$port" regress_links_plain postgres "$@"; }
on_standby() { sql "$standby/socket" "$sport" postgres postgres "$@"; }

primary -c "CREATE EXTENSION pg_tls_audit" -c "CREATE EXTENSION postgres_fdw" -c "CREATE EXTENSION dblink" \
	-c "CREATE ROLE regress_links_plain LOGIN" >/dev/null 2>"$work/setup.err"
rc=$?
ok $rc "extensions and role created$(why $rc "$work/setup.err")"

# --- a standby made with pg_basebackup -R ---------------------------------
mkdir -p "$standby/socket"
chmod 700 "$standby/socket"
[ "$(id -u)" = 0 ] && chown -R "$pguser" "$standby"
as_server "$bindir/pg_basebackup" -D "$standby/data" -R -X stream -h 127.0.0.1 -p "$port" -U postgres \
	>"$work/basebackup.log" 2>&1 &&
	as_server "$bindir/pg_ctl" -D "$standby/data" -l "$standby/log" -w -t 60 \
		-o "-p $sport -c unix_socket_directories=$standby/socket -c listen_addresses=''" start \
		>>"$work/basebackup.log" 2>&1
rc=$?
[ $rc = 0 ] && standby_started=1
ok $rc "standby made with pg_basebackup -R and started$(why $rc "$work/basebackup.log")"

# wait_receiver PATTERN: until the WAL receiver streams with a string like PATTERN (30 s)
wait_receiver() {
	for _ in $(seq 60); do
		[ "$(on_standby -c "SELECT count(*) FROM pg_stat_wal_receiver
			WHERE status = 'streaming' AND conninfo LIKE '$1'" 2>/dev/null)" = 1 ] && return 0
		sleep 0.5
	done
	return 1
}
wait_receiver '%sslmode=prefer%'
ok $? "the standby's WAL receiver streams with sslmode=prefer"

findings() { "$@" -c "SELECT severity, \"check\", detail FROM tls_audit() WHERE \"check\" LIKE 'link\\_%' OR \"check\" = 'not_checked'"; }
findings on_standby >"$work/standby_audit.out" 2>&1
grep -q '^high|link_plaintext_possible|Setting primary_conninfo (.*/postgresql\.auto\.conf:[0-9]*): sslmode=prefer' "$work/standby_audit.out"
ok $? "standby: primary_conninfo from pg_basebackup -R is link_plaintext_possible, named with its file and line"
grep -q '^high|link_plaintext_possible|The WAL receiver (pid [0-9]*): sslmode=prefer' "$work/standby_audit.out"
ok $? "standby: the running WAL receiver is link_plaintext_possible"
[ "$(on_standby -c "SELECT verdict || ' ' || sslmode || ' ' || (source LIKE '%postgresql.auto.conf:%')
	FROM tls_links() WHERE kind = 'primary_conninfo'")" = "plaintext-possible prefer true" ]
ok $? "standby: tls_links() shows primary_conninfo with its source and sslmode prefer"

on_standby -c "ALTER SYSTEM SET primary_conninfo = 'host=localhost port=$port user=postgres sslmode=verify-full sslrootcert=$root'" \
	-c "SELECT pg_reload_conf()" >/dev/null
wait_receiver '%sslmode=verify-full%'
rc=$?
tail -n 3 "$standby/log" >"$work/standby_log_tail" 2>&1
ok $rc "standby: the WAL receiver reconnects with verify-full and the primary's root$(why $rc "$work/standby_log_tail")"
[ "$(on_standby -c "SELECT string_agg(kind || ' ' || verdict, ', ' ORDER BY kind) FROM tls_links()")" = \
	"primary_conninfo verified, wal_receiver verified" ] &&
	[ "$(on_standby -c "SELECT count(*) FROM tls_audit() WHERE \"check\" LIKE 'link\\_%'")" = 0 ]
ok $? "standby: a verify-full link with a root is verified, as configured and as streaming, and no finding"

# --- links stored on the primary ------------------------------------------
name_nl=$(printf "regress_sub'q\nx\xe2\x80\xa8y\"")
server_nl=$(printf "regress_fs\"q\nx\xe2\x80\xa8y")
primary -v sub="$name_nl" -v srv="$server_nl" >"$work/objects.out" 2>&1 <<SQL
SET client_min_messages = error;
CREATE SUBSCRIPTION regress_sub_default CONNECTION 'host=127.0.0.1 port=$port dbname=postgres password=$secret sslpassword=$secret'
	PUBLICATION p WITH (connect = false);
CREATE SUBSCRIPTION :"sub" CONNECTION 'host=127.0.0.1 port=$port dbname=postgres sslmode=require'
	PUBLICATION p WITH (connect = false);
CREATE SERVER regress_fs_require FOREIGN DATA WRAPPER postgres_fdw
	OPTIONS (host '127.0.0.1', port '$port', dbname 'postgres', sslmode 'require', fetch_size '10');
CREATE USER MAPPING FOR postgres SERVER regress_fs_require OPTIONS (user 'postgres', password '$secret');
CREATE USER MAPPING FOR regress_links_plain SERVER regress_fs_require OPTIONS (user 'x', password '$secret');
CREATE SERVER regress_fs_full FOREIGN DATA WRAPPER dblink_fdw
	OPTIONS (host 'localhost', port '$port', sslmode 'verify-full', sslrootcert '$root');
CREATE SERVER regress_fs_noroot FOREIGN DATA WRAPPER postgres_fdw
	OPTIONS (host 'localhost', sslmode 'verify-full', sslrootcert '$work/no/such/root.crt');
CREATE SERVER :"srv" FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db.example', sslmode 'prefer');
CREATE DATABASE regress_links_other;
\connect regress_links_other
CREATE EXTENSION postgres_fdw;
CREATE SERVER regress_fs_elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db.example');
ALTER SERVER regress_fs_elsewhere OWNER TO regress_links_plain;
SQL
rc=$?
ok $rc "subscriptions, foreign servers and user mappings created$(why $rc "$work/objects.out")"

findings primary >"$work/audit.out" 2>&1
primary -c "SELECT * FROM tls_links()" >"$work/links.out" 2>&1
grep -q '^high|link_plaintext_possible|Subscription "regress_sub_default" (database "postgres"): sslmode=prefer (libpq.s default)' "$work/audit.out"
ok $? "a subscription without sslmode is link_plaintext_possible"
grep -q '^high|link_unverified|Foreign server "regress_fs_require" (postgres_fdw): sslmode=require without a root file: .* 2 user mappings use it\.' "$work/audit.out"
ok $? "a foreign server with sslmode=require is link_unverified, with its user mappings"
! grep -q 'regress_fs_full' "$work/audit.out" &&
	grep -q '^foreign_server||regress_fs_full|dblink_fdw|.*|verify-full|.*|verified|ok|' "$work/links.out"
ok $? "a dblink_fdw server with verify-full and a root is verified, and no finding"
grep -q '^high|link_root_missing|Foreign server "regress_fs_noroot"' "$work/audit.out"
ok $? "verify-full with a root file that does not exist is link_root_missing"
primary -c "SELECT detail FROM tls_audit() WHERE \"check\" = 'links_other_databases'" >"$work/other.out" 2>&1
grep -q '"regress_links_other"' "$work/other.out"
rc=$?
ok $rc "another database holding a foreign server is named$(why $rc "$work/other.out")"

# hostile names: escaped in every detail, nothing raw that starts a line
counts=$(primary -c "SELECT count(*) FILTER (WHERE detail ~ E'[\\n\\r\\u2028\\u2029]'),
	count(*) FILTER (WHERE \"check\" LIKE 'link\\_%') FROM tls_audit()")
[ "$counts" = "0|5" ]
ok $? "five link findings, and no detail holds a raw newline or U+2028 (raw|findings: $counts)"
grep -qF "Subscription \"regress_sub'q\\x0Ax\\xE2\\x80\\xA8y\\\"\" (database" "$work/audit.out" &&
	grep -qF "Foreign server \"regress_fs\\\"q\\x0Ax\\xE2\\x80\\xA8y\" (postgres_fdw)" "$work/audit.out"
ok $? "a subscription's and a server's newline, U+2028 and double quote are escaped"

# secrets
cat "$work"/*.out >"$work/all_output"
primary -c "SELECT conninfo FROM tls_links() WHERE name IN ('postgres@regress_fs_require', 'regress_sub_default')" \
	>"$work/mapping.out"
[ "$(grep -c "password='\*\*\*\*\*\*\*\*'" "$work/mapping.out")" = 2 ] &&
	grep -q "sslpassword='\*\*\*\*\*\*\*\*'" "$work/mapping.out" &&
	! grep -qF "$secret" "$work/all_output" "$work/mapping.out"
ok $? "password and sslpassword are masked in tls_links() and absent from tls_audit()"

# privileges: a plain role
plain -c "SELECT name, conninfo IS NULL, verdict, reason FROM tls_links() WHERE kind = 'subscription' ORDER BY name" \
	>"$work/plain_links.out" 2>&1
[ "$(grep -c '|t|not-readable|a subscription.s connection string (pg_subscription.subconninfo) is readable only by superusers$' \
	"$work/plain_links.out")" = 2 ] && ! grep -qF "$secret" "$work/plain_links.out"
ok $? "a plain role gets every subscription without its string, and why"
plain -c "SELECT detail FROM tls_audit() WHERE \"check\" = 'not_checked' AND detail LIKE '%regress_sub_default%'" \
	>"$work/plain_audit.out" 2>&1
grep -q '^Not checked (link_\*): Subscription "regress_sub_default"' "$work/plain_audit.out"
ok $? "tls_audit() for a plain role says the subscription was not checked"
plain -c "SELECT conninfo FROM tls_links() WHERE name = 'postgres@regress_fs_require'" >"$work/plain_mapping.out" 2>&1
grep -q "^dbname='postgres' host='127.0.0.1' port='[0-9]*' sslmode='require'$" "$work/plain_mapping.out" &&
	! grep -q "user=\|password" "$work/plain_mapping.out"
ok $? "a plain role sees another role's user mapping with the server's options only"

# hostile values: a password holding quote, backslash, space, '=' and '"'
# in a user mapping and in a URI (percent-encoded there, with an
# sslpassword in its query); a quoted mixed-case server name holding '=';
# a subscription name holding bidirectional controls (U+202E, U+2066)
hostile_pw="h'Q\\ x=y\"$secret"
uri_pw="u%27Q%5C%20x%3Dy%22$secret"
primary -v pw="$hostile_pw" -v bidi="$(printf 'regress_sub_\xe2\x80\xaeevil\xe2\x81\xa6')" >"$work/hostile.out" 2>&1 <<SQL
SET client_min_messages = error;
CREATE SERVER "Fs Mixed=Case" FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db.example', sslmode 'require');
CREATE USER MAPPING FOR postgres SERVER "Fs Mixed=Case" OPTIONS (user 'postgres', password :'pw');
CREATE SUBSCRIPTION regress_sub_uri
	CONNECTION 'postgresql://postgres:$uri_pw@127.0.0.1:$port/postgres?sslmode=verify-ca&sslpassword=$uri_pw'
	PUBLICATION p WITH (connect = false);
CREATE SUBSCRIPTION :"bidi" CONNECTION 'host=127.0.0.1 port=$port dbname=postgres' PUBLICATION p WITH (connect = false);
SQL
rc=$?
ok $rc "hostile server, mapping and subscriptions created$(why $rc "$work/hostile.out")"
primary -c "SELECT * FROM tls_links()" -c "SELECT * FROM tls_audit()" >"$work/hostile_all.out" 2>&1
! grep -qF "$secret" "$work/hostile_all.out" &&
	[ "$(primary -c "SELECT count(*) FROM tls_links() WHERE conninfo LIKE '%password=''********''%'
		AND name IN ('postgres@Fs Mixed=Case', 'regress_sub_uri')")" = 2 ]
ok $? "a password with quote, backslash, '=' and '\"', in a mapping and in a URI, is masked and appears nowhere"
grep -q '^high|link_unverified|Foreign server "Fs Mixed=Case" (postgres_fdw): sslmode=require without a root file' \
	<(findings primary)
ok $? "a quoted mixed-case server name holding '=' is named as created"
findings primary >"$work/bidi.out" 2>&1
grep -qF 'Subscription "regress_sub_\xE2\x80\xAEevil\xE2\x81\xA6"' "$work/bidi.out" &&
	! grep -q "$(printf '\xe2\x80\xae')" "$work/bidi.out"
ok $? "a subscription name's bidirectional controls are escaped in tls_audit()"
# functions, a table and views that shadow pg_catalog's on search_path
primary >/dev/null 2>&1 <<'SQL'
CREATE SCHEMA regress_shadow;
GRANT USAGE ON SCHEMA regress_shadow TO PUBLIC;
CREATE FUNCTION regress_shadow.has_column_privilege(text, text, text) RETURNS boolean
	LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION regress_shadow.current_database() RETURNS name LANGUAGE sql AS $$SELECT 'regress_links_other'::name$$;
CREATE FUNCTION regress_shadow.pg_options_to_table(text[]) RETURNS TABLE (option_name text, option_value text)
	LANGUAGE sql AS $$SELECT 'sslmode', 'verify-full'$$;
CREATE TABLE regress_shadow.pg_subscription (LIKE pg_catalog.pg_subscription);
CREATE VIEW regress_shadow.pg_foreign_server AS SELECT * FROM pg_catalog.pg_foreign_server WHERE false;
CREATE VIEW regress_shadow.pg_user_mappings AS SELECT * FROM pg_catalog.pg_user_mappings WHERE false;
GRANT SELECT ON ALL TABLES IN SCHEMA regress_shadow TO PUBLIC;
SQL
for who in primary plain; do
	$who -c "SELECT * FROM tls_links() ORDER BY kind, name" -c "SELECT * FROM tls_audit() WHERE \"check\" LIKE 'link\\_%' ORDER BY 2, 3" \
		>"$work/$who.plain_path" 2>&1
	PGOPTIONS="-c search_path=regress_shadow,pg_catalog,public" \
		$who -c "SELECT * FROM tls_links() ORDER BY kind, name" -c "SELECT * FROM tls_audit() WHERE \"check\" LIKE 'link\\_%' ORDER BY 2, 3" \
		>"$work/$who.shadowed" 2>&1
	cmp -s "$work/$who.plain_path" "$work/$who.shadowed" && grep -q '^subscription|postgres|regress_sub_default|' "$work/$who.plain_path"
	ok $? "$who: functions, a table and views shadowing pg_catalog's on search_path change nothing"
done

# --- one judgement, two callers -------------------------------------------
cp "$probe" "$work/judge"
chmod 755 "$work/judge"
strings=(
	"host=db.example"
	"host=db.example sslmode=disable"
	"host=db.example sslmode=allow"
	"host=db.example sslmode=require"
	"host=db.example sslmode=require sslrootcert=$root"
	"host=db.example sslmode=verify-ca sslrootcert=$root"
	"host=db.example sslmode=verify-full sslrootcert=$root"
	"host=db.example sslmode=verify-full sslrootcert=$work/no/such/root.crt"
	"host=db.example sslmode=verify-full"
	"host=db.example sslmode=verify-full sslrootcert=$root sslcrl=$work/no/such.crl"
	"host=db.example sslrootcert=system"
	"host=db.example sslmode=require sslrootcert=system"
	"host=db.example sslmode=prefer channel_binding=require"
	"host=db.example sslmode=disable channel_binding=require"
	"host=db.example sslmode=verify-full sslrootcert=$root channel_binding=require"
	"host=$work/primary/socket sslmode=disable"
	"host=db.example sslmode=bogus"
	"service=regress host=db.example sslmode=verify-full sslrootcert=$root"
	"hostaddr=127.0.0.1 sslmode=verify-full sslrootcert=$root"
)
# require_auth exists from libpq 16: judged where this libpq parses it
if "$work/judge" audit --judge "require_auth=scram-sha-256" >/dev/null 2>&1; [ $? != 2 ]; then
	strings+=("host=db.example sslmode=verify-full sslrootcert=$root require_auth=scram-sha-256")
fi
n=0
same=0
for s in "${strings[@]}"; do
	n=$((n + 1))
	primary -v s="$s" -v name="regress_cmp_$n" >/dev/null 2>>"$work/cmp.err" <<'SQL'
SET client_min_messages = error;
CREATE SUBSCRIPTION :"name" CONNECTION :'s' PUBLICATION p WITH (connect = false);
SQL
	from_sql=$(primary -v name="regress_cmp_$n" -F $'\n' <<'SQL'
SELECT verdict, severity, sslmode, root, libpq_version, reason FROM tls_links() WHERE name = :'name';
SQL
)
	from_probe=$(cd "$work" && as_server sh -c 'cd "$1" && "$2" audit --judge "$3"' sh "$work/primary/data" "$work/judge" "$s" |
		sed -n 's/^\(verdict\|severity\|sslmode\|root\|libpq_version\|reason\): \{0,1\}//p')
	if [ -n "$from_sql" ] && [ "$from_sql" = "$from_probe" ]; then
		same=$((same + 1))
	else
		echo "# differs for \"$s\": tls_links() said [$from_sql], pg_tls_probe [$from_probe]"
	fi
done
touch "$work/cmp.err"
rc=$([ $same = $n ] && echo 0 || echo 1)
ok $rc "the same $n strings get the same judgement from tls_links() and pg_tls_probe audit --judge ($same agree)$(why $rc "$work/cmp.err")"
primary -c "SELECT string_agg(DISTINCT verdict, ' ' ORDER BY verdict) FROM tls_links() WHERE name LIKE 'regress_cmp_%'" >"$work/verdicts.out"
[ "$(cat "$work/verdicts.out")" = "crl-missing local no-host-check plaintext-possible refuses unverified verified" ]
rc=$?
ok $rc "the compared strings cover every verdict but unparsable$(why $rc "$work/verdicts.out")"

"$work/judge" audit --judge "host=db.example password=$secret oops" >"$work/unparsable.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q '^verdict: unparsable' "$work/unparsable.out" && ! grep -qF "${secret#planted-}" "$work/unparsable.out"
ok $? "pg_tls_probe audit --judge: a string libpq cannot parse exits 2 without quoting it (exit $rc)"

# --- the update from 1.2 --------------------------------------------------
primary -c "CREATE DATABASE regress_links_update" >/dev/null
sql "$work/primary/socket" "$port" postgres regress_links_update >"$work/update.out" 2>&1 <<'SQL'
SET client_min_messages = error;
CREATE EXTENSION pg_tls_audit VERSION '1.2';
ALTER EXTENSION pg_tls_audit UPDATE TO '1.3';
SELECT extversion FROM pg_extension WHERE extname = 'pg_tls_audit';
SELECT count(*) > 0 FROM tls_links() WHERE kind = 'subscription';
SQL
[ "$(tr '\n' ' ' <"$work/update.out")" = "1.3 t " ]
rc=$?
ok $rc "1.2 updates to 1.3 and tls_links() answers$(why $rc "$work/update.out")"

tap_done
