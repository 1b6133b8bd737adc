#!/bin/bash
# test_patroni.sh: pg_tls_audit in a Patroni cluster, as TAP.  Three
# PostgreSQL members under Debian 12's Patroni 3.0.2 on one etcd 3.4 node
# (its etcd3 section), each run as an unprivileged OS user on loopback and
# ports of its own (harness/t/patroni_lib.sh).  The library is preloaded,
# TLS is on and the policy requires it, all through Patroni's configuration.
# Asserts: every member's tls_audit() reports the replication links Patroni
# writes by default, and none once Patroni's replication settings verify the
# primary; the policy refuses plaintext on every member, replication
# included; after a patronictl switchover the old primary's new link is
# judged and the new primary's WAL senders use TLS; postgres_exporter
# scrapes every member; pg_tls_probe audit passes against each member and
# against the multi-host string Patroni's clients use.  Prints the findings
# it saw and its own wall time.
#
# usage: harness/t/test_patroni.sh [PG_TLS_PROBE]
# Needs pg_tls_audit installed in the host PostgreSQL (make install) and
# the packages harness/scripts/install-deps.sh installs (patroni,
# etcd-server, prometheus-postgres-exporter).  Everything it started is
# stopped by the pids in its own files, and its files removed, on exit.
set -uo pipefail

probe=${1:-$(dirname "$0")/../pg_tls_probe}
probe=$(cd "$(dirname "$probe")" && pwd)/$(basename "$probe")
cd "$(dirname "$0")/../.."
. harness/t/tap.sh
. harness/t/patroni_lib.sh
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8
started=$SECONDS
for v in $(env | sed -n 's/^\(PG[A-Z_]*\)=.*/\1/p'); do [ "$v" = PG_CONFIG ] || unset "$v"; done

for b in /usr/bin/patroni /usr/bin/patronictl /usr/bin/etcd; do
	if [ ! -x "$b" ]; then
		ok 1 "$b is installed (harness/scripts/install-deps.sh installs patroni and etcd-server on the host)"
		tap_done
		exit 1
	fi
done

work=$(mktemp -d /tmp/pg_tls_audit-patroni.XXXXXX)
chmod 755 "$work"
cleanup() {
	local f
	for f in "$work"/exporter-*.pid "$work"/audit-*.pid; do pt_signal "$f" TERM; done
	pt_stop_all
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export HOME=$work/home
mkdir -p "$HOME"

# The packages' own services stay off: this cluster's etcd is its own.
enabled=$(for s in etcd patroni; do
	systemctl is-enabled --quiet "$s" 2>/dev/null && echo "$s (systemd)"
	ls /etc/rc[2-5].d/S[0-9][0-9]"$s" 2>/dev/null
done)
[ -z "$enabled" ]
ok $? "the etcd and patroni packages' services are not enabled ($(echo $enabled))"

pt_init "$work" "$probe"
ok $? "ports, passwords and a PKI (pg_tls_probe pki) for the cluster"
pt_start_etcd
ok $? "etcd $(etcd --version | sed -n 's/^etcd Version: //p') (pid $(cat "$work/etcd.pid"), 127.0.0.1:$etcd_client) answers: $(tail -n 2 "$work/etcd.log")"
for m in "${pt_members[@]}"; do
	pt_write_config "$m" && pt_start_member "$m"
done

# all_running: one leader, two replicas, every PostgreSQL running
all_running() {
	local s
	s=$(pt_cluster_state) || return 1
	[ "$(grep -o ':leader:running' <<<"$s" | wc -l)" = 1 ] && [ "$(grep -o ':replica:running' <<<"$s" | wc -l)" = 2 ]
}
why=""
pt_wait 90 all_running || why=$(for m in "${pt_members[@]}"; do echo "# $m:"; tail -n 5 "$work/$m/patroni.log"; done)
[ -z "$why" ]
ok $? "three members under Patroni: $(pt_cluster_state)"
[ -z "$why" ] || echo "$why"
leader=$(pt_leader)
replicas=()
for m in "${pt_members[@]}"; do [ "$m" = "$leader" ] || replicas+=("$m"); done

pt_sql "$leader" "CREATE EXTENSION pg_tls_audit" &&
	pt_sql "$leader" "CREATE ROLE regress_tls_app LOGIN REPLICATION PASSWORD '$app_pw' IN ROLE pg_monitor"
ok $? "on the leader $leader: CREATE EXTENSION pg_tls_audit, a login role (REPLICATION, pg_monitor)"
for m in "${replicas[@]}"; do
	pt_wait 30 pt_sql "$m" "SELECT 1/count(*) FROM pg_catalog.pg_roles WHERE rolname = 'regress_tls_app'"
	ok $? "$m replays them"
done

# Patroni wrote the settings: postgresql.conf in each data directory.
for m in "${pt_members[@]}"; do
	got=$(pt_sql "$m" "SELECT string_agg(name || '=' || setting || '@' || regexp_replace(sourcefile, '.*/', ''), ' ' ORDER BY name)
		FROM pg_catalog.pg_settings WHERE name IN ('shared_preload_libraries', 'ssl', 'pg_tls_audit.require_tls')")
	[ "$got" = "pg_tls_audit.require_tls=on@postgresql.conf shared_preload_libraries=pg_tls_audit@postgresql.conf ssl=on@postgresql.conf" ]
	ok $? "$m: pg_tls_audit preloaded, ssl and require_tls on, from Patroni's postgresql.conf ($got)"
done

# link_findings MEMBER: the member's link findings in tls_audit(), one
# "check:link" per line, sorted
link_findings() {
	pt_sql "$1" "SELECT \"check\" || ':' || CASE WHEN detail LIKE 'Setting primary_conninfo %' THEN 'primary_conninfo'
		WHEN detail LIKE 'The WAL receiver %' THEN 'wal_receiver' ELSE detail END
		FROM tls_audit() WHERE \"check\" LIKE 'link\_%' ORDER BY 1"
}
# record MEMBER: its link findings, as comments
record() {
	pt_sql "$1" "SELECT severity || ' ' || \"check\" || ' ' || left(detail, 260) FROM tls_audit() WHERE \"check\" LIKE 'link\_%' ORDER BY 1" |
		sed "s/^/# $1: /"
}
# expect_eq WANT COMMAND...: COMMAND succeeds and prints WANT (an empty
# WANT never matches a query that failed)
expect_eq() {
	local want=$1 got
	shift
	got=$("$@" 2>/dev/null) && [ "$got" = "$want" ]
}
# links MEMBER: "kind:port:sslmode:verdict" of the member's tls_links()
links() {
	pt_sql "$1" "SELECT string_agg(kind || ':' || coalesce(substring(conninfo from 'port=''([0-9]+)'''), '') || ':' || sslmode || ':' || verdict, ' ' ORDER BY kind)
		FROM tls_links()"
}

# --- 1: Patroni's defaults (sslmode=prefer) are findings on every standby
plain="link_plaintext_possible:primary_conninfo
link_plaintext_possible:wal_receiver"
for m in "${replicas[@]}"; do
	pt_wait 30 expect_eq "$plain" link_findings "$m"
	ok $? "defaults: $m (replica) reports link_plaintext_possible for primary_conninfo and its WAL receiver ($(link_findings "$m" | tr '\n' ' '))"
	expect_eq "primary_conninfo:${pg_port[$leader]}:prefer:plaintext-possible wal_receiver:${pg_port[$leader]}:prefer:plaintext-possible" links "$m"
	ok $? "defaults: $m's tls_links() shows the link to $leader ($(links "$m"))"
	record "$m"
done
expect_eq "" link_findings "$leader"
ok $? "defaults: the leader $leader has no link, and no link finding ($(link_findings "$leader" | tr '\n' ' '))"

# --- 2: verify-full with a root, in Patroni's replication settings, then a reload
for m in "${pt_members[@]}"; do
	pt_write_config "$m" verify-full && pt_signal "$work/$m/patroni.pid" HUP
done
for m in "${replicas[@]}"; do
	pt_wait 40 expect_eq "primary_conninfo:${pg_port[$leader]}:verify-full:verified wal_receiver:${pg_port[$leader]}:verify-full:verified" links "$m"
	ok $? "verify-full: Patroni rewrote $m's primary_conninfo and its WAL receiver reconnected with it ($(links "$m"))"
	expect_eq "" link_findings "$m"
	ok $? "verify-full: $m reports no link finding ($(link_findings "$m" | tr '\n' ' '))"
done
expect_eq "" link_findings "$leader"
ok $? "verify-full: the leader $leader reports no link finding"

# --- 3: the policy refuses plaintext on every member, replication included
# attempt MEMBER USER OPTIONS: one connection to MEMBER's address, its error
attempt() {
	local pw=$app_pw
	[ "$2" = replicator ] && pw=$repl_pw
	PGPASSWORD=$pw psql -X -At "host=127.0.0.1 port=${pg_port[$1]} dbname=postgres user=$2 $3" -c "IDENTIFY_SYSTEM" 2>&1 >/dev/null
}
refusal="connection requires TLS, but the client connected with"
tls="sslmode=verify-full sslrootcert=$pki/root_ca.crt"
for m in "${pt_members[@]}"; do
	out=$(attempt "$m" regress_tls_app "sslmode=disable replication=true")
	grep -qF "$refusal" <<<"$out"
	ok $? "$m: the policy refuses a plaintext replication=true connection ($out)"
	out=$(attempt "$m" regress_tls_app "sslmode=disable")
	grep -qF "$refusal" <<<"$out"
	ok $? "$m: the policy refuses a plaintext connection ($(head -n 1 <<<"$out"))"
	out=$(attempt "$m" replicator "sslmode=disable replication=true")
	grep -qF 'no pg_hba.conf entry for replication connection' <<<"$out"
	ok $? "$m: Patroni's pg_hba admits the replication user over hostssl only ($(head -n 1 <<<"$out"))"
	out=$(attempt "$m" regress_tls_app "$tls replication=true")
	[ -z "$out" ]
	ok $? "$m: the same replication connection over verified TLS is admitted ($out)"
done

# --- 4: a switchover; the old primary's new link is judged
old=$leader
new=${replicas[0]}
other=${replicas[1]}
expect_eq "" links "$old"
ok $? "before the switchover, $old (leader) has no link in tls_links()"
patronictl -c "$work/$old/patroni.yml" switchover --leader "$old" --candidate "$new" --force >"$work/switchover.out" 2>&1
ok $? "patronictl switchover --leader $old --candidate $new --force: $(grep -v '^[+|]' "$work/switchover.out" | tr '\n' ' ')"
pt_wait 60 eval "all_running && [ \"\$(pt_leader)\" = $new ]"
ok $? "after the switchover: $(pt_cluster_state)"
for m in "$old" "$other"; do
	pt_wait 40 expect_eq "primary_conninfo:${pg_port[$new]}:verify-full:verified wal_receiver:${pg_port[$new]}:verify-full:verified" links "$m"
	ok $? "after the switchover: $m's link to the new leader $new is judged verified ($(links "$m"))"
	expect_eq "" link_findings "$m"
	ok $? "after the switchover: $m reports no link finding ($(link_findings "$m" | tr '\n' ' '))"
done
pt_sql "$old" "SELECT kind || ': ' || conninfo FROM tls_links() ORDER BY kind" | sed "s/^/# $old after the switchover: /"
# walsenders MEMBER: "ssl:application_name" of MEMBER's WAL senders, as
# tls_sessions shows them
walsenders() {
	pt_sql "$1" "SELECT string_agg(s.ssl || ':' || s.application_name, ' ' ORDER BY s.application_name)
		FROM tls_sessions s JOIN pg_catalog.pg_stat_activity a USING (pid) WHERE a.backend_type = 'walsender'"
}
want=$(for m in "$old" "$other"; do echo "true:$m"; done | sort | tr '\n' ' ')
pt_wait 30 expect_eq "${want% }" walsenders "$new"
ok $? "the new leader $new's tls_sessions shows its WAL senders, with TLS: $(walsenders "$new")"

# --- 5: postgres_exporter scrapes every member over verified TLS: one
# exporter per member, as a Patroni deployment runs it beside each
exporter=/usr/bin/prometheus-postgres-exporter
if [ ! -x "$exporter" ]; then
	ok 1 "postgres_exporter unavailable: $exporter is not installed (harness/scripts/install-deps.sh installs prometheus-postgres-exporter on the host)"
else
	declare -A xport
	for m in "${pt_members[@]}"; do
		xport[$m]=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		pt_spawn "exporter-$m" env \
			DATA_SOURCE_NAME="postgresql://regress_tls_app:$app_pw@127.0.0.1:${pg_port[$m]}/postgres?sslmode=verify-full&sslrootcert=$pki/root_ca.crt" \
			"$exporter" --web.listen-address="127.0.0.1:${xport[$m]}" \
			--extend.query-path="$PWD/contrib/postgres_exporter/queries.yaml" \
			--disable-default-metrics --disable-settings-metrics --log.level=warn
	done
	# scraped MEMBER: its exporter's /metrics, with our findings, in
	# $work/metrics-MEMBER
	scraped() {
		curl -fsS "http://127.0.0.1:${xport[$1]}/metrics" -o "$work/metrics-$1" &&
			grep -q '^pg_tls_audit_findings_count{.*severity="high"' "$work/metrics-$1"
	}
	# metric MEMBER NAME LABEL: the value of MEMBER's series NAME with LABEL
	metric() {
		grep -E "^$2\{" "$work/metrics-$1" | grep -F "$3" | awk '{ print $NF }'
	}
	for m in "${pt_members[@]}"; do
		why=""
		pt_wait 30 scraped "$m" ||
			why=": $(head -c 300 "$work/exporter-$m.log"; curl -sS "http://127.0.0.1:${xport[$m]}/metrics" 2>&1 | grep -v '^[#g]' | head -c 300)"
		[ -z "$why" ]
		ok $? "exporter, $m: postgres_exporter (127.0.0.1:${xport[$m]}) serves pg_tls_audit's metrics$why"
		mismatch=""
		counts=$(pt_sql "$m" "SET ROLE regress_tls_app;
			SELECT v.s || ' ' || count(a.severity) FROM (VALUES ('critical'), ('high'), ('medium'), ('low'), ('info')) v(s)
			LEFT JOIN tls_audit() a ON a.severity = v.s GROUP BY v.s") && [ "$(wc -l <<<"$counts")" = 5 ] ||
			mismatch=" (tls_audit() as the exporter's role failed: $counts)"
		while read -r severity n; do
			got=$(metric "$m" pg_tls_audit_findings_count "severity=\"$severity\"")
			[ "$got" = "$n" ] || mismatch+=" $severity:$got/$n"
		done <<<"$counts"
		[ -z "$mismatch" ]
		ok $? "exporter, $m: the findings per severity equal tls_audit()'s as the exporter's role$mismatch"
		tls13=$(metric "$m" pg_tls_audit_sessions_count 'protocol="TLSv1.3"')
		[ "${tls13:-0}" -ge 1 ] 2>/dev/null
		ok $? "exporter, $m: the exporter's own session is counted over TLSv1.3 (${tls13:-none})"
		grep -E '^pg_tls_audit_(findings|sessions)_count' "$work/metrics-$m" | sed "s/^/# $m: /"
	done
	for m in "${pt_members[@]}"; do
		pt_signal "$work/exporter-$m.pid" TERM && pt_gone "$work/exporter-$m.pid" 10 && rm -f "$work/exporter-$m.pid"
	done
fi

# --- 6: pg_tls_probe audit, against each member and the multi-host string
as_app="dbname=postgres user=regress_tls_app password=$app_pw $tls"
hosts=$(printf '127.0.0.1,%.0s' "${pt_members[@]}")
ports=$(for m in "${pt_members[@]}"; do printf '%s,' "${pg_port[$m]}"; done)
for m in "${pt_members[@]}" multi; do
	if [ "$m" = multi ]; then
		conn="host=${hosts%,} port=${ports%,} target_session_attrs=read-write $as_app"
	else
		conn="host=127.0.0.1 port=${pg_port[$m]} $as_app"
	fi
	timeout 120 "$probe" audit --format json "$conn" >"$work/audit-$m.json" 2>"$work/audit-$m.err" &
	echo $! >"$work/audit-$m.pid"
done
for m in "${pt_members[@]}" multi; do
	wait "$(cat "$work/audit-$m.pid")"
	echo $? >"$work/audit-$m.rc"
	rm -f "$work/audit-$m.pid"
done
# audit_summary FILE: "direct port verdict" of an audit's JSON document
audit_summary() {
	/usr/bin/python3 -c 'import json, sys
a = json.load(open(sys.argv[1]))
print(a.get("direct"), a.get("port"), a.get("verdict"))' "$1" 2>&1
}
for m in "${pt_members[@]}"; do
	[ "$(cat "$work/audit-$m.rc")" = 0 ] && [ "$(audit_summary "$work/audit-$m.json")" = "tls-verified ${pg_port[$m]} pass" ]
	ok $? "pg_tls_probe audit against $m (127.0.0.1:${pg_port[$m]}): exit $(cat "$work/audit-$m.rc"), $(audit_summary "$work/audit-$m.json") $(head -c 200 "$work/audit-$m.err")"
done
[ "$(cat "$work/audit-multi.rc")" = 0 ] && [ "$(audit_summary "$work/audit-multi.json")" = "tls-verified ${pg_port[$new]} pass" ]
ok $? "pg_tls_probe audit of host=${hosts%,} port=${ports%,} target_session_attrs=read-write reaches the leader $new: exit $(cat "$work/audit-multi.rc"), $(audit_summary "$work/audit-multi.json")"
! grep -qF -e "$app_pw" "$work"/audit-*.json "$work"/audit-*.err
ok $? "the audits' output holds no password"

secs=$((SECONDS - started))
echo "# wall time: ${secs}s"
[ $secs -lt 180 ]
ok $? "the suite ran in under 3 minutes (${secs}s)"
tap_done
