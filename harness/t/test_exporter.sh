#!/bin/bash
# test_exporter.sh: contrib/postgres_exporter/queries.yaml with a real
# postgres_exporter (Debian 12's prometheus-postgres-exporter 0.11) against
# a cluster of its own that preloads the library, as TAP.  The exporter
# runs as an unprivileged OS user on a free loopback port, is scraped once,
# and every value of ours in /metrics must equal what SQL says: a server
# certificate that expires in 10 days, a root CA listed twice, attempts of
# known outcomes, a TLS session held open, the audit's findings.
#
# usage: harness/t/test_exporter.sh PG_TLS_PROBE
# Where the exporter is not installed (harness/scripts/install-deps.sh
# installs it on the host, PostgreSQL 15, only), prints why and counts one
# skip; on the host under CI=true, one failure.  Everything it started is stopped by pid, and
# its files removed, on exit.
set -uo pipefail

probe=${1:?usage: harness/t/test_exporter.sh PG_TLS_PROBE}
cd "$(dirname "$0")/../.."
. harness/t/tap.sh
. harness/t/testbed_lib.sh
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8
exporter=/usr/bin/prometheus-postgres-exporter
queries=$PWD/contrib/postgres_exporter/queries.yaml

major=$("$PG_CONFIG" --version | sed -n 's/^PostgreSQL \([0-9]*\).*/\1/p')
if [ ! -x "$exporter" ]; then
	echo "# exporter unavailable: $exporter is not installed (Debian 12's prometheus-postgres-exporter, which harness/scripts/install-deps.sh installs on the host, PostgreSQL 15)"
	if [ "${CI:-}" = true ] && [ "$major" = 15 ]; then
		ok 1 "postgres_exporter is installed"
		tap_done
		exit 1
	fi
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

work=$(mktemp -d /tmp/pg_tls_audit-exporter.XXXXXX)
chmod 755 "$work"
cluster=$work/cluster
exporter_pid=
sleeper_pid=
cleanup() {
	[ -n "$exporter_pid" ] && kill "$exporter_pid" 2>/dev/null && wait "$exporter_pid" 2>/dev/null
	[ -n "$sleeper_pid" ] && kill "$sleeper_pid" 2>/dev/null && wait "$sleeper_pid" 2>/dev/null
	"$probe" cluster stop "$cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_preloaded_cluster "$cluster"
data=$PG_TLS_PROBE_CLUSTER/data
pki=$PG_TLS_PROBE_PKI
pguser=$(stat -c %U "$data")
admin() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres "$@"
}
admin -c "CREATE EXTENSION pg_tls_audit" -c "CREATE ROLE regress_tls_exporter LOGIN IN ROLE pg_monitor" \
	-c "ALTER ROLE regress_tls_exporter SET search_path = pg_catalog, public" \
	-c "CREATE ROLE regress_tls_app LOGIN PASSWORD 'exporter-test-only'"
ok $? "extension and the exporter's pg_monitor role created"

# A server certificate that expires in 10 days (with its intermediate in
# ssl_cert_file), and an ssl_ca_file that lists the root CA twice.
certs=$work/certs
mkdir "$certs" && chmod 755 "$certs"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$certs/server.key" 2>/dev/null &&
	openssl req -new -key "$certs/server.key" -subj "/CN=localhost" -out "$certs/server.csr" 2>/dev/null &&
	printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n' >"$certs/san.ext" &&
	openssl x509 -req -in "$certs/server.csr" -CA "$pki/intermediate_ca.crt" -CAkey "$pki/intermediate_ca.key" \
		-days 10 -extfile "$certs/san.ext" -out "$certs/leaf.crt" 2>/dev/null &&
	cat "$certs/leaf.crt" "$pki/intermediate_ca.crt" >"$certs/server.crt" &&
	cat "$pki/root_ca.crt" "$pki/root_ca.crt" >"$certs/ca_twice.crt" &&
	chown "$pguser" "$certs/server.key" && chmod 600 "$certs/server.key"
ok $? "a server certificate valid for 10 days, and a CA file listing the root twice"
admin -c "ALTER SYSTEM SET ssl_cert_file = '$certs/server.crt'" -c "ALTER SYSTEM SET ssl_key_file = '$certs/server.key'" \
	-c "ALTER SYSTEM SET ssl_ca_file = '$certs/ca_twice.crt'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
days=$(admin -c "SELECT days_left FROM tls_server_certificates() WHERE role = 'server'")
[ "$days" -ge 9 ] 2>/dev/null && [ "$days" -le 11 ]
ok $? "the server reads the 10-day certificate (days_left $days)"

# Attempts of known outcomes, and one TLS session held open.
tcp="host=localhost port=$PGPORT dbname=postgres sslmode=verify-full sslrootcert=$pki/root_ca.crt"
PGPASSWORD=wrong psql -X -At -c 'SELECT 1' "$tcp user=regress_tls_app" >/dev/null 2>&1
PGPASSWORD=exporter-test-only psql -X -At -c 'SELECT 1' "$tcp user=regress_tls_app dbname=regress_tls_no_such_db" >/dev/null 2>&1
PGPASSWORD=exporter-test-only psql -X -At -c 'SELECT pg_sleep(60)' "$tcp user=regress_tls_app application_name=regress_tls_held" \
	>/dev/null 2>&1 &
sleeper_pid=$!
for _ in $(seq 1 50); do
	[ "$(admin -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'regress_tls_held'")" = 1 ] && break
	sleep 0.1
done

# The exporter: its own OS user, a free loopback port, only our queries.
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_user=()
[ "$(id -u)" = 0 ] && as_user=(setpriv --reuid="$(id -u "$pguser")" --regid="$(id -g "$pguser")" --init-groups --)
env -i PATH=/usr/bin:/bin \
	DATA_SOURCE_NAME="host=$PG_TLS_PROBE_SOCKET port=$PGPORT user=regress_tls_exporter dbname=postgres sslmode=disable" \
	"${as_user[@]}" "$exporter" --web.listen-address="127.0.0.1:$port" --extend.query-path="$queries" \
	--disable-default-metrics --disable-settings-metrics --log.level=warn >"$work/exporter.log" 2>&1 &
exporter_pid=$!

counts() {
	admin -F ' ' -c "SELECT outcome, recorded FROM tls_connection_outcomes() ORDER BY outcome"
}
counts >"$work/counts.before"
scraped=false
for _ in $(seq 1 100); do
	if curl -fsS "http://127.0.0.1:$port/metrics" -o "$work/metrics" 2>/dev/null &&
		grep -q '^pg_tls_audit_findings_count' "$work/metrics"; then
		scraped=true
		break
	fi
	kill -0 "$exporter_pid" 2>/dev/null || break
	sleep 0.1
done
counts >"$work/counts.after"
$scraped
ok $? "postgres_exporter (pid $exporter_pid, 127.0.0.1:$port) serves /metrics with our queries ($(head -c 300 "$work/exporter.log"))"

# metric NAME [LABEL-MATCH]: the value of the one series that matches.
metric() {
	grep -E "^$1(\{|\s)" "$work/metrics" | grep -F -- "${2:-}" | awk '{ print $NF }'
}
series() {
	grep -cE "^$1(\{|\s)" "$work/metrics"
}

[ "$(metric pg_exporter_last_scrape_error)" = 0 ]
ok $? "the scrape had no error (pg_exporter_last_scrape_error $(metric pg_exporter_last_scrape_error))"
[ "$(metric pg_exporter_user_queries_load_error)" = 0 ]
ok $? "queries.yaml loaded (pg_exporter_user_queries_load_error $(metric pg_exporter_user_queries_load_error))"
! grep -q 'level=error' "$work/exporter.log"
ok $? "the exporter logged no error ($(grep -m1 'level=error' "$work/exporter.log" | head -c 300))"

# Certificates.
read -r sql_days sql_epoch <<<"$(admin -F ' ' -c "SELECT days_left, EXTRACT(EPOCH FROM not_after)::bigint FROM tls_server_certificates() WHERE role = 'server'")"
days=$(metric pg_tls_audit_server_certificate_days_left 'role="server"')
epoch=$(metric pg_tls_audit_server_certificate_not_after_seconds 'role="server"')
[ "$days" = "$sql_days" ] && [ "$days" -ge 9 ] && [ "$days" -le 11 ]
ok $? "days_left of the server certificate: $days (SQL $sql_days, 10 ± 1)"
[ -n "$epoch" ] && [ "$(printf '%.0f' "$epoch")" = "$sql_epoch" ]
ok $? "not_after of the server certificate: $epoch s (SQL $sql_epoch)"
rows=$(admin -c "SELECT count(*) FROM tls_server_certificates()")
[ "$(series pg_tls_audit_server_certificate_days_left)" -eq $((rows - 1)) ]
ok $? "one days_left series per certificate and file: $(series pg_tls_audit_server_certificate_days_left) for $rows rows, the root listed twice being one"
[ "$(metric pg_tls_audit_server_certificate_copies 'role="ca"' | sort -n | tail -n 1)" = 2 ]
ok $? "the twice-listed root CA: copies 2"

# Sessions: the held TLS session, and the exporter's own over the socket.
sql_tls=$(admin -c "SELECT count(*) FROM tls_sessions WHERE ssl AND protocol = 'TLSv1.3'")
[ "$(metric pg_tls_audit_sessions_count 'protocol="TLSv1.3"')" = 1 ] && [ "$sql_tls" = 1 ]
ok $? "sessions over TLSv1.3: $(metric pg_tls_audit_sessions_count 'protocol="TLSv1.3"') (SQL $sql_tls)"
[ "$(metric pg_tls_audit_sessions_count 'protocol="none"')" -ge 1 ]
ok $? "sessions without TLS (the exporter's own): $(metric pg_tls_audit_sessions_count 'protocol="none"')"
[ "$(metric pg_tls_audit_sessions_count 'protocol="TLSv1.2"')" = 0 ]
ok $? "sessions over TLSv1.2: 0, present as a series"

# Outcome counters: exact for every outcome but accepted, which the
# admin's own sessions move; accepted lies between the two readings.
while read -r outcome before; do
	after=$(awk -v o="$outcome" '$1 == o { print $2 }' "$work/counts.after")
	got=$(metric pg_tls_audit_connection_attempts_total "outcome=\"$outcome\"")
	got=$(printf '%.0f' "${got:-nan}" 2>/dev/null)
	if [ "$outcome" = accepted ]; then
		[ -n "$got" ] && [ "$got" -ge "$before" ] && [ "$got" -le "$after" ]
	else
		[ "$got" = "$before" ] && [ "$got" = "$after" ]
	fi
	ok $? "connection attempts, $outcome: $got (SQL $before, then $after)"
done <"$work/counts.before"
[ "$(awk '$1 == "authentication_failed" { print $2 }' "$work/counts.after")" -ge 1 ] &&
	[ "$(awk '$1 == "refused" { print $2 }' "$work/counts.after")" -ge 1 ]
ok $? "the attempts made above are in the counts (a wrong password, an unknown database)"

# Findings, as the exporter's role sees them.
admin -F ' ' -c "SET ROLE regress_tls_exporter" \
	-c "SELECT v.s, count(a.severity) FROM (VALUES ('critical'), ('high'), ('medium'), ('low'), ('info')) v(s)
	    LEFT JOIN tls_audit() a ON a.severity = v.s GROUP BY v.s" >"$work/findings"
while read -r severity n; do
	got=$(metric pg_tls_audit_findings_count "severity=\"$severity\"")
	[ "$got" = "$n" ]
	ok $? "findings, $severity: $got (SQL as the exporter's role: $n)"
done <"$work/findings"
admin -c "SET ROLE regress_tls_exporter" -c "SELECT count(*) FROM tls_audit() WHERE \"check\" = 'server_certificate_expiring'" |
	grep -qx '[1-9][0-9]*'
ok $? "the 10-day certificate is an audit finding too (server_certificate_expiring)"

grep -E '^pg_tls_audit_' "$work/metrics" | head -n 40 | sed 's/^/# /'
tap_done
