#!/bin/bash
# test_policy_settings.sh: the TLS connection policy fails closed when the
# server cannot apply one of its settings, and a role the policy lists
# cannot slip out of it (issue 19, items 1, 3 and 7).
#
#   1. A policy value that does not parse -- in postgresql.conf at a
#      restart, at a reload, in postgresql.auto.conf, in an included file,
#      on the command line (-c), a misspelled or mixed-case name, a file
#      that cannot be read -- refuses every connection (TLS or not,
#      replication too) but a superuser's over the local socket, and
#      tls_audit() reports it as critical, with file and line for those who
#      may read them; correcting it and reloading admits connections again.
#      A bad value of a setting outside the policy is a finding only.
#   2. A listed role cannot be renamed or dropped, nor another renamed to a
#      listed name (SQLSTATE 55006).
#   3. ALTER SYSTEM folds an unquoted mixed-case name; the role check
#      worker's hint and tls_audit() name the role and the quoting.
#
# usage: harness/t/test_policy_settings.sh PG_TLS_PROBE
# TAP, ending with "N passed, N failed"; the cluster and its files are
# removed on exit, whatever happened.
set -uo pipefail

probe=${1:?usage: harness/t/test_policy_settings.sh PG_TLS_PROBE}
cd "$(dirname "$0")/../.."
. harness/t/tap.sh
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8
bindir=$("$PG_CONFIG" --bindir)

work=$(mktemp -d /tmp/pg_tls_audit-settings.XXXXXX)
chmod 755 "$work"
cleanup() {
	"$probe" cluster stop "$work/cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

hba=()
for addr in 127.0.0.1/32 ::1/128; do
	hba+=(--hba "hostssl all all $addr scram-sha-256")
	hba+=(--hba "host all,replication all $addr scram-sha-256")
done
if ! env=$("$probe" cluster start "$work/cluster" --pg-config "$PG_CONFIG" \
	--conf "shared_preload_libraries = 'pg_tls_audit'" "${hba[@]}" 2>"$work/start.err"); then
	ok 1 "preloaded cluster starts: $(cat "$work/start.err")"
	tap_done
	exit
fi
eval "$env"
data=$PG_TLS_PROBE_CLUSTER/data
log=$PG_TLS_PROBE_CLUSTER/postgresql.log
pguser=$(stat -c %U "$data")
conf=$data/postgresql.conf
cp "$conf" "$work/postgresql.conf.orig"

admin() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres "$@"
}
password=$(openssl rand -hex 16)
cp "$PGPASSFILE" "$work/pgpass"
printf '*:*:*:regress_ps_%s:%s\n' app "$password" repl "$password" >>"$work/pgpass"
chmod 600 "$work/pgpass"
export PGPASSFILE=$work/pgpass
admin <<EOF
CREATE EXTENSION pg_tls_audit;
CREATE ROLE regress_ps_app LOGIN PASSWORD '$password';
CREATE ROLE regress_ps_repl LOGIN REPLICATION PASSWORD '$password';
CREATE ROLE regress_ps_reader;
GRANT pg_read_all_settings TO regress_ps_reader;
CREATE ROLE regress_ps_plain;
CREATE ROLE regress_ps_local LOGIN;
CREATE ROLE "regress_Ps_Mixed" LOGIN;
CREATE ROLE regress_ps_group;
CREATE ROLE regress_ps_other;
CREATE ROLE "regress ps, quoted";
EOF
ok $? "extension and roles created"
# The local socket trusts everyone (the test bed's pg_hba.conf).

# tcp_app: a verified TLS session over TCP as an ordinary role.
tcp_app() {
	psql -X -At -h 127.0.0.1 -U regress_ps_app -d postgres -c 'SELECT 1' 2>"$work/err" </dev/null
}
local_super() {
	psql -X -At -h "$PG_TLS_PROBE_SOCKET" -U postgres -d postgres -c 'SELECT 1' 2>"$work/err" </dev/null
}
local_plain() {
	psql -X -At -h "$PG_TLS_PROBE_SOCKET" -U regress_ps_local -d postgres -c 'SELECT 1' 2>"$work/err" </dev/null
}
tcp_repl() {
	psql -X -At "host=127.0.0.1 user=regress_ps_repl dbname=postgres replication=true" -c 'IDENTIFY_SYSTEM' 2>"$work/err" </dev/null >/dev/null
}
tcp_plain() {
	psql -X -At "host=127.0.0.1 sslmode=disable user=regress_ps_app dbname=postgres" -c 'SELECT 1' 2>"$work/err" </dev/null
}

refused_msg='a setting of the TLS connection policy could not be applied'

# expect_fail_closed WHAT: TCP (TLS and plaintext), replication and a local
# non-superuser are refused with the policy's message; a local superuser is
# admitted.
expect_fail_closed() {
	local what=$1
	[ "$(tcp_app)" != 1 ] && grep -qF "$refused_msg" "$work/err"
	ok $? "$what: a verified TLS session of an ordinary role is refused ($(head -c 200 "$work/err"))"
	[ "$(tcp_plain)" != 1 ] && grep -qF "$refused_msg" "$work/err"
	ok $? "$what: a plaintext session is refused"
	! tcp_repl && grep -qF "$refused_msg" "$work/err"
	ok $? "$what: a replication connection is refused"
	[ "$(local_plain)" != 1 ] && grep -qF "$refused_msg" "$work/err"
	ok $? "$what: a non-superuser over the local socket is refused"
	[ "$(local_super)" = 1 ]
	ok $? "$what: a superuser over the local socket is admitted ($(head -c 200 "$work/err"))"
}
expect_open() {
	local what=$1
	[ "$(tcp_app)" = 1 ]
	ok $? "$what: a verified TLS session is admitted ($(head -c 200 "$work/err"))"
	tcp_repl
	ok $? "$what: a replication connection is admitted ($(head -c 200 "$work/err"))"
}

# findings [ROLE]: "severity check" lines of tls_audit() matching *setting_invalid.
findings() {
	local as=${1:-}
	admin -c "${as:+SET ROLE $as;} SELECT severity || ' ' || \"check\" || ' ' || detail FROM tls_audit() WHERE \"check\" LIKE '%setting_invalid'"
}

reload() {
	local before
	before=$(admin -c "SELECT pg_conf_load_time()")
	admin -c "SELECT pg_reload_conf()" >/dev/null
	for _ in $(seq 1 200); do
		[ "$(admin -c "SELECT pg_conf_load_time()" 2>/dev/null)" != "$before" ] && return 0
		sleep 0.05
	done
	return 1
}
# restart [POSTGRES OPTIONS]: stop, then start with exactly these options
# (pg_ctl restart would repeat the last ones), as the server's OS user.
restart() {
	local as=()
	[ "$(id -u)" = 0 ] && as=(runuser -u "$pguser" --)
	"${as[@]}" "$bindir/pg_ctl" -D "$data" -w -t 60 stop >"$work/restart.log" 2>&1 &&
		"${as[@]}" env -i PATH="$bindir:/usr/bin:/bin" LC_ALL=C \
			"$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 -o "${1:-}" start >>"$work/restart.log" 2>&1
}
restore_conf() {
	cp "$work/postgresql.conf.orig" "$conf"
	admin -c "ALTER SYSTEM RESET ALL" >/dev/null
}

expect_open "to begin with"

# --- 1. The values of the review, in postgresql.conf, at a restart.
cat >>"$conf" <<'EOF'
pg_tls_audit.require_tls = enabled
pg_tls_audit.require_client_certificate = 'alice, ops team'
pg_tls_audit.min_protocol = 'TLSv1_3'
EOF
restart
ok $? "the server restarts with three policy values that do not parse"
expect_fail_closed "restart with bad values"
lines=$(grep -n '^pg_tls_audit' "$conf" | cut -d: -f1 | tr '\n' ' ')
f=$(findings)
[ "$(grep -c '^critical policy_setting_invalid ' <<<"$f")" = 3 ]
ok $? "tls_audit(): three critical policy_setting_invalid findings"
for l in $lines; do
	grep -qF "postgresql.conf line $l)" <<<"$f"
	ok $? "tls_audit() names postgresql.conf line $l"
done
grep -qF '"pg_tls_audit.require_tls" = "enabled"' <<<"$f"
ok $? "tls_audit() shows the value to a superuser"
f=$(findings regress_ps_reader)
grep -qF 'postgresql.conf line' <<<"$f"
ok $? "tls_audit() shows file and line to a member of pg_read_all_settings"
f=$(findings regress_ps_plain)
[ "$(grep -c '^critical policy_setting_invalid ' <<<"$f")" = 3 ] &&
	! grep -qF 'postgresql.conf' <<<"$f" && ! grep -qF 'enabled' <<<"$f"
ok $? "tls_audit() as a plain role: the three findings, without file, line or value"
grep -qF 'DETAIL:  "pg_tls_audit.require_tls" = "enabled" (' "$log" && ! grep -qF 'enabled' "$work/err"
ok $? "the FATAL's detail in the server log names the value; the client's does not"
grep -qF 'pg_tls_audit could not apply "pg_tls_audit.require_tls" = "enabled"' "$log"
ok $? "the role check worker logged a WARNING naming the setting"

restore_conf
reload
expect_open "corrected and reloaded"
[ -z "$(findings)" ]
ok $? "tls_audit(): no finding once corrected"

# --- 2. A reload that does not apply: the old value stays, the policy fails closed.
echo "pg_tls_audit.require_tls = on" >>"$conf"
reload
expect_open "require_tls = on"
echo "pg_tls_audit.require_tls = enabled" >>"$conf"
reload
[ "$(admin -c 'SHOW pg_tls_audit.require_tls')" = on ]
ok $? "a reload with a bad value keeps the old value (PostgreSQL's rule)"
expect_fail_closed "reload with a bad value"
echo "pg_tls_audit.require_tls = on" >>"$conf"
reload
expect_open "a later line with a valid value overrides the bad one"
restore_conf
reload

# --- 3. postgresql.auto.conf (written by hand: ALTER SYSTEM refuses bad values).
admin -c "ALTER SYSTEM SET pg_tls_audit.require_tls = 'enabled'" 2>"$work/alter.err"
[ $? -ne 0 ]
ok $? "ALTER SYSTEM refuses the bad value itself"
echo "pg_tls_audit.min_protocol = 'TLSv1.4'" >>"$data/postgresql.auto.conf"
reload
expect_fail_closed "postgresql.auto.conf"
findings | grep -qF 'postgresql.auto.conf line'
ok $? "tls_audit() names postgresql.auto.conf"
restore_conf
reload

# --- 4. An included file, a misspelled name, a mixed-case name.
echo "pg_tls_audit.exempt_roles = '\"unterminated'" >"$work/included.conf"
chmod 644 "$work/included.conf"
echo "include '$work/included.conf'" >>"$conf"
reload
expect_fail_closed "an included file"
findings | grep -qF "included.conf line 1)"
ok $? "tls_audit() names the included file and line"
restore_conf
reload
echo "pg_tls_audit.require_tsl = on" >>"$conf"
restart
expect_fail_closed "a misspelled name at a restart"
findings | grep -qF '"pg_tls_audit.require_tsl" = "on"'
ok $? "tls_audit() names the misspelled setting"
restore_conf
reload
expect_open "misspelled name removed and reloaded"
echo "PG_TLS_AUDIT.Require_TLS = yes-please" >>"$conf"
reload
expect_fail_closed "a mixed-case name with a bad value"
restore_conf
reload

# --- 5. A configuration file that cannot be read.
echo "include '$work/unreadable.conf'" >>"$conf"
echo "pg_tls_audit.require_tls = on" >"$work/unreadable.conf"
chmod 600 "$work/unreadable.conf"
# No reload: it would fail as a whole and keep every old value; the change
# of postgresql.conf on disk is enough for the policy to read it again.
expect_fail_closed "an included file the server cannot read"
findings | grep -qF 'critical policy_setting_invalid The configuration files'
ok $? "tls_audit(): the unreadable configuration is critical"
restore_conf
reload

# --- 6. The command line: only a restart without it clears it.
restart "-c pg_tls_audit.exempt_local=maybe"
ok $? "restart with -c pg_tls_audit.exempt_local=maybe"
expect_fail_closed "a bad value on the command line"
findings | grep -qF '"pg_tls_audit.exempt_local" = "maybe" (command line)'
ok $? "tls_audit() says it came from the command line"
reload
[ "$(local_plain)" != 1 ]
ok $? "a reload does not clear a command-line value"
restart
expect_open "restarted without it"

# --- 7. A value outside the policy: a finding, connections still admitted.
echo "pg_tls_audit.log_connections = sometimes" >>"$conf"
reload
expect_open "a bad pg_tls_audit.log_connections"
findings | grep -q '^medium setting_invalid .*pg_tls_audit.log_connections'
ok $? "tls_audit(): medium setting_invalid for it"
restore_conf
reload

# --- Item 3: listed roles cannot be renamed or dropped.
admin -c "ALTER SYSTEM SET pg_tls_audit.require_client_certificate = 'regress_ps_local, +regress_ps_group, \"regress ps, quoted\"'" \
	-c "ALTER SYSTEM SET pg_tls_audit.exempt_roles = 'regress_ps_plain'" >/dev/null
reload
# expect_55006 WHAT SQL
expect_55006() {
	local out
	out=$(psql -X -At -h "$PG_TLS_PROBE_SOCKET" -U postgres -d postgres \
		-v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "$2" 2>&1 </dev/null)
	grep -q 'ERROR:  55006' <<<"$out"
	ok $? "$1: refused with 55006 ($(head -n 1 <<<"$out"))"
}
expect_55006 "renaming a listed role" "ALTER ROLE regress_ps_local RENAME TO regress_ps_escaped"
expect_55006 "renaming a listed +group" "ALTER ROLE regress_ps_group RENAME TO regress_ps_group2"
expect_55006 "renaming a quoted listed name" "ALTER ROLE \"regress ps, quoted\" RENAME TO regress_ps_q"
expect_55006 "renaming a role to a listed name" "ALTER ROLE regress_ps_other RENAME TO regress_ps_plain"
expect_55006 "dropping a listed role" "DROP ROLE regress_ps_local"
expect_55006 "dropping a listed +group (among others)" "DROP ROLE IF EXISTS regress_ps_other, regress_ps_group"
expect_55006 "ALTER USER ... RENAME" "ALTER USER regress_ps_plain RENAME TO regress_ps_plain2"
[ "$(admin -c "SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname IN ('regress_ps_local', 'regress_ps_group', 'regress ps, quoted', 'regress_ps_plain', 'regress_ps_other')")" = 5 ]
ok $? "every role is still there under its name"
admin -c "ALTER ROLE regress_ps_other RENAME TO regress_ps_other2" -c "ALTER ROLE regress_ps_other2 RENAME TO regress_ps_other"
ok $? "a role the lists do not name can be renamed"
admin -c "ALTER SYSTEM RESET ALL" >/dev/null
reload
admin -c "ALTER ROLE regress_ps_local RENAME TO regress_ps_local2" -c "ALTER ROLE regress_ps_local2 RENAME TO regress_ps_local"
ok $? "once unlisted and reloaded, the role can be renamed"

# --- Item 7: ALTER SYSTEM folds an unquoted mixed-case name.
mark=$(stat -c %s "$log")
admin -c "ALTER SYSTEM SET pg_tls_audit.require_client_certificate = regress_Ps_Mixed, regress_ps_app" >/dev/null
[ "$(grep '^pg_tls_audit.require_client_certificate' "$data/postgresql.auto.conf")" = "pg_tls_audit.require_client_certificate = 'regress_ps_mixed, regress_ps_app'" ]
ok $? "ALTER SYSTEM stored the unquoted name folded (the SQL lexer's rule)"
reload
for _ in $(seq 1 100); do
	tail -c +$((mark + 1)) "$log" | grep -q 'HINT: .*regress_Ps_Mixed' && break
	sleep 0.05
done
tail -c +$((mark + 1)) "$log" | grep -qF "HINT:  Role \"regress_Ps_Mixed\" exists, and names match exactly as written. ALTER SYSTEM folds an unquoted name to lower case: quote it, as in ALTER SYSTEM SET pg_tls_audit.require_client_certificate = 'regress_Ps_Mixed'."
ok $? "the role check worker's hint names the role and the quoting"
admin -c "SELECT detail FROM tls_audit() WHERE \"check\" = 'policy_unknown_role'" | grep -qF 'Role "regress_Ps_Mixed" exists'
ok $? "tls_audit()'s policy_unknown_role says the same"
admin -c "ALTER SYSTEM SET pg_tls_audit.require_client_certificate = 'regress_Ps_Mixed', 'regress_ps_app'" >/dev/null
grep -qF "pg_tls_audit.require_client_certificate = 'regress_Ps_Mixed, regress_ps_app'" "$data/postgresql.auto.conf"
ok $? "quoted, ALTER SYSTEM keeps the case"
admin -c "ALTER SYSTEM RESET ALL" >/dev/null
reload

! grep -E 'terminated by signal|PANIC' "$log" >/dev/null
ok $? "no backend crashed"
tap_done
