#!/bin/bash
# test_files.sh: how tls_audit(), tls_server_certificates() and tls_crls()
# read the files the server's settings name, on a cluster of its own that
# preloads the library:
#
#   1. a PEM block that does not decode is a finding that names the file
#      and the block's position, and the blocks after it are still read;
#      each finding's claim about the server is checked against the server
#      (its reload fails, a client certificate is refused);
#   2. ssl_crl_dir: only the names the server reads, symbolic links
#      followed; a FIFO is a finding, not a hang;
#   3. reads can be interrupted: 30,000 files in ssl_crl_dir under a 100 ms
#      statement_timeout, pg_cancel_backend() and pg_terminate_backend();
#   4. no OpenSSL object leaks when a call fails or is cancelled: the
#      backend's resident memory over many such calls.
#
# usage: harness/t/test_files.sh PG_TLS_PROBE
# Output is TAP, ending with "N passed, N failed".  The cluster and every
# file are removed on exit, and every process started here is stopped.
set -uo pipefail

probe=${1:?usage: harness/t/test_files.sh PG_TLS_PROBE}
cd "$(dirname "$0")/../.."
. harness/t/tap.sh
. harness/t/testbed_lib.sh
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8
CRL_DIR_FILES=${CRL_DIR_FILES:-30000}
LEAK_CALLS=${LEAK_CALLS:-200}
# A leak of the held certificates costs about 700 kB a call (140 MB over 200
# calls before the fix); glibc's arenas, the catalog caches and a cancelled
# call's error path move RSS by a few MB (4.3 MB once on PostgreSQL 18).  The
# slack is 80 kB a call: nine times below the leak, well above the noise.
RSS_SLACK_KB=$((LEAK_CALLS * 80))

work=$(mktemp -d /tmp/pg_tls_audit-files.XXXXXX)
chmod 755 "$work"
cluster=$work/cluster
background=()
fifos=()
# release_fifos: open each FIFO for writing once, which lets a reader that
# waits in open() go on (the code before this test's fixes did wait).
release_fifos() {
	for f in "${fifos[@]}"; do
		[ -p "$f" ] && timeout 2 bash -c 'exec 3>"$1"; sleep 0.2' _ "$f" 2>/dev/null
	done
}
cleanup() {
	for pid in "${background[@]}"; do
		kill "$pid" 2>/dev/null
	done
	release_fifos
	"$probe" cluster stop "$cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_preloaded_cluster "$cluster"
pki=$PG_TLS_PROBE_PKI
log=$PG_TLS_PROBE_CLUSTER/postgresql.log

admin() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres "$@"
}
admin -c "CREATE EXTENSION pg_tls_audit"
ok $? "extension created"

# findings CHECK: "severity|detail" of each finding of that check.
findings() {
	admin -c "SELECT severity || '|' || detail FROM tls_audit() WHERE \"check\" = '$1'"
}
# expect_finding DESCRIPTION CHECK SEVERITY DETAIL_PATTERN: one finding
# of the check matches; with SEVERITY "", there is none.
expect_finding() {
	local got
	got=$(findings "$2")
	if [ -z "$3" ]; then
		[ -z "$got" ]
	else
		grep -qE "^$3\|.*$4" <<<"$got"
	fi
	ok $? "$1: $2 ${3:-absent} [$got]"
}
# server_log_since LINES: what the server logged after line LINES.
server_log_since() {
	tail -n +"$(($1 + 1))" "$log"
}
log_lines() {
	wc -l <"$log"
}
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}
# client_cert: a session as tls_client, authenticated by its certificate.
client_cert() {
	psql -X -At -c "SELECT 'connected'" \
		"host=127.0.0.1 port=$PGPORT dbname=postgres user=tls_client sslmode=verify-full sslrootcert=$pki/root_ca.crt sslcert=$pki/client.crt sslkey=$pki/client.key connect_timeout=${1:-10}" 2>&1
}

files=$work/files
mkdir -p "$files"
chmod 755 "$files"

# mkcrl NAME CA [ARGS...]: a CRL of the fixture's root or intermediate CA,
# listing $REVOKED certificates (none by default).
mkcrl() {
	local name=$1 ca=$2
	shift 2
	local d=$files/ca_$name
	mkdir -p "$d"
	for i in $(seq "${REVOKED:-0}"); do
		printf 'R\t301231235959Z\t240101000000Z\t%04X\tunknown\t/CN=revoked %d\n' $((4096 + i)) "$i"
	done >"$d/index.txt"
	echo 1000 >"$d/crlnumber"
	printf '[ca]\ndefault_ca = c\n[c]\ndatabase = %s\ncrlnumber = %s\ndefault_md = sha256\ndefault_crl_days = 30\n' \
		"$d/index.txt" "$d/crlnumber" >"$d/ca.cnf"
	openssl ca -gencrl -batch -config "$d/ca.cnf" -cert "$pki/$ca.crt" -keyfile "$pki/$ca.key" \
		-out "$files/$name.crl" "$@" >/dev/null 2>&1
}
ts() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
# bad_base64 IN OUT: IN with its first PEM block's first base64 line spoilt.
bad_base64() {
	awk 'done == 0 && prev ~ /^-----BEGIN / { $0 = "!" substr($0, 2); done = 1 } { print; prev = $0 }' "$1" >"$2"
}
# truncated_der IN LABEL OUT: the first block of IN cut to 60 bytes of DER,
# in valid base64.
truncated_der() {
	{
		echo "-----BEGIN $2-----"
		sed -n '/^-----BEGIN/,/^-----END/p' "$1" | sed '1d;$d' | base64 -d | head -c 60 | base64 -w 64
		echo "-----END $2-----"
	} >"$3"
}
# line_of FILE N: the line of FILE's Nth -----BEGIN.
line_of() {
	grep -n '^-----BEGIN' "$1" | sed -n "${2}p" | cut -d: -f1
}

mkcrl int intermediate_ca &&
	mkcrl root root_ca &&
	mkcrl outdated intermediate_ca -crl_lastupdate "$(ts '-60 days')" -crl_nextupdate "$(ts '-30 days')" &&
	REVOKED=200 mkcrl long intermediate_ca &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3 \
		-subj "/CN=regress expiring CA" -keyout "$files/expiring.key" -out "$files/expiring.crt" 2>/dev/null
ok $? "test CRLs and certificates made"
h_int=$(openssl crl -in "$files/int.crl" -noout -hash)
h_root=$(openssl crl -in "$files/root.crl" -noout -hash)

# ---------------------------------------------------------------------------
# 1. A block that does not decode: reported with its position; what follows
#    is read.

# damaged_load SETTING FILE CHECK WHAT LOGGED: FILE, whose second block
# does not decode, as SETTING: CHECK names the block, and the server's own
# reload fails with LOGGED.
damaged_load() {
	local line before
	line=$(line_of "$2" 2)
	before=$(log_lines)
	set_conf "$1" "$2"
	expect_finding "$1 with a damaged second block" "$3" high \
		"Block 2 \\(line $line\\) of $1 \"$2\" does not decode as a $4: "
	server_log_since "$before" | grep -q "$5"
	ok $? "the server itself cannot load that $1 (its reload failed)"
}

# ssl_ca_file: the root, a damaged certificate, a CA certificate that
# expires in 3 days.
bad_base64 "$pki/intermediate_ca.crt" "$files/damaged.crt"
cat "$pki/root_ca.crt" "$files/damaged.crt" "$files/expiring.crt" >"$files/ca_bundle.crt"
chmod 644 "$files"/*
damaged_load ssl_ca_file "$files/ca_bundle.crt" ca_file_unreadable_block certificate \
	'could not load root certificate file'
expect_finding "the certificate after the damaged block" ca_certificate_expiring medium \
	'"CN=regress expiring CA" expires'
rows=$(admin -c "SELECT string_agg(subject, ';' ORDER BY subject) FROM tls_server_certificates() WHERE source = '$files/ca_bundle.crt'")
[ "$rows" = "$(openssl x509 -in "$pki/root_ca.crt" -noout -subject -nameopt RFC2253 | sed 's/^subject=//');CN=regress expiring CA" ]
ok $? "tls_server_certificates() lists the certificates before and after the damaged block [$rows]"
reset_conf ssl_ca_file
expect_finding "ssl_ca_file restored" ca_file_unreadable_block "" ""

# ssl_crl_file: a current CRL, a damaged one (DER cut short), an outdated one.
truncated_der "$files/int.crl" "X509 CRL" "$files/truncated.crl"
cat "$files/int.crl" "$files/truncated.crl" "$files/outdated.crl" >"$files/crl_bundle.crl"
chmod 644 "$files"/*
damaged_load ssl_crl_file "$files/crl_bundle.crl" crl_unreadable_block CRL \
	'could not load SSL certificate revocation list file'
expect_finding "the CRL after the damaged block" crl_outdated high "ssl_crl_file \"$files/crl_bundle.crl\""
[ "$(admin -c "SELECT count(*) FROM tls_crls() WHERE source = '$files/crl_bundle.crl'")" = 2 ]
ok $? "tls_crls() lists the CRLs before and after the damaged block"
reset_conf ssl_crl_file

# ssl_cert_file: its first block (the server certificate) damaged.
awk '/^-----BEGIN/ { n++ } n == 1' "$PG_TLS_PROBE_CLUSTER/server/server.crt" >"$files/leaf.crt"
bad_base64 "$files/leaf.crt" "$files/damaged_leaf.crt"
cat "$files/damaged_leaf.crt" "$pki/intermediate_ca.crt" >"$files/damaged_chain.crt"
chmod 644 "$files"/*
set_conf ssl_cert_file "$files/damaged_chain.crt"
expect_finding "ssl_cert_file with a damaged first block" server_certificate_unreadable_block high \
	"Block 1 \\(line 1\\) of ssl_cert_file \"$files/damaged_chain.crt\""
roles=$(admin -c "SELECT string_agg(role, ',') FROM tls_server_certificates() WHERE source = '$files/damaged_chain.crt'")
[ "$roles" = intermediate ]
ok $? "tls_server_certificates(): no server row for a damaged first block, the next one listed [$roles]"
reset_conf ssl_cert_file

# ---------------------------------------------------------------------------
# 2. ssl_crl_dir: what the server reads, and nothing else.

crldir=$files/crldir
mkdir -p "$crldir"
ln -s "$files/int.crl" "$crldir/$h_int.r0"
cp "$files/root.crl" "$crldir/$h_root.r0"
# Names the server never opens: past a gap, upper-case, a leading zero.
cp "$files/outdated.crl" "$crldir/$h_int.r2"
cp "$files/outdated.crl" "$crldir/$(tr a-f A-F <<<"$h_root" | sed 's/^[0-9]/A/').r0"
cp "$files/outdated.crl" "$crldir/$h_root.r01"
chmod -R a+rX "$files"
set_conf ssl_crl_dir "$crldir"
[ "$(client_cert)" = connected ]
ok $? "with the CRLs of both CAs in ssl_crl_dir, a client certificate connects"
sources=$(admin -c "SELECT string_agg(source, ' ' ORDER BY source) FROM tls_crls()")
[ "$sources" = "$crldir/$h_root.r0 $crldir/$h_int.r0" ] || [ "$sources" = "$crldir/$h_int.r0 $crldir/$h_root.r0" ]
ok $? "tls_crls(): the two files the server reads, the symbolic link followed [$sources]"
expect_finding "files the server does not read" crl_outdated "" ""

# The intermediate's CRL damaged: every client certificate it issued is refused.
rm "$crldir/$h_int.r0"
bad_base64 "$files/int.crl" "$crldir/$h_int.r0"
chmod 644 "$crldir/$h_int.r0"
expect_finding "a damaged $h_int.r0" crl_unreadable_block high \
	"Block 1 \\(line 1\\) of ssl_crl_dir file \"$crldir/$h_int.r0\" does not decode as a CRL: bad base64 decode\\. .*refuses the certificate"
out=$(client_cert)
grep -q 'unknown ca' <<<"$out"
ok $? "the server refuses the client certificate [$out]"
cp "$files/int.crl" "$crldir/$h_int.r0"
[ "$(client_cert)" = connected ]
ok $? "CRL restored, no reload: the client certificate connects"

# A FIFO where the server reads a CRL: a finding, not a hang.
fifo=$crldir/$h_int.r1
mkfifo -m 644 "$fifo"
fifos+=("$fifo")
t0=$(now_ms)
got=$(timeout 10 psql -X -At -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres \
	-c "SELECT severity || '|' || detail FROM tls_audit() WHERE \"check\" = 'crl_unreadable'" 2>&1)
rc=$?
elapsed=$(($(now_ms) - t0))
[ $rc = 0 ] && [ $elapsed -lt 5000 ]
ok $? "tls_audit() returns with a FIFO in ssl_crl_dir (exit $rc, $elapsed ms)"
[ $rc = 0 ] || release_fifos
grep -qE "^high\|Could not read a CRL from ssl_crl_dir file \"$fifo\": it is a FIFO, not a regular file\. .*hangs until authentication_timeout" <<<"$got"
ok $? "crl_unreadable names the FIFO [$got]"
out=$(client_cert 3)
grep -q 'timeout expired' <<<"$out"
ok $? "the server's own handshake waits on the FIFO [$out]"
release_fifos
rm -f "$fifo"

# Several directories, as OpenSSL reads the setting, one of them missing.
set_conf ssl_crl_dir "$files/no_such_dir:$crldir"
expect_finding "a missing directory in ssl_crl_dir" crl_unreadable high \
	"Could not read ssl_crl_dir directory \"$files/no_such_dir\": No such file or directory\."
[ "$(admin -c "SELECT count(*) FROM tls_crls()")" = 2 ] && [ "$(client_cert)" = connected ]
ok $? "the other directory is read, by tls_crls() and by the server: a client certificate connects"
set_conf ssl_crl_dir "$files/no_such_dir"
out=$(client_cert)
grep -q 'unknown ca' <<<"$out"
ok $? "with no CRL found, the server refuses the client certificate [$out]"
reset_conf ssl_crl_dir

# ---------------------------------------------------------------------------
# 3. Interrupts: $CRL_DIR_FILES CRL files in ssl_crl_dir, each listing 200
#    certificates, which takes the code that cannot be interrupted seconds.

bigdir=$files/bigdir
mkdir -p "$bigdir"
/usr/bin/python3 - "$bigdir" "$files/long.crl" "$CRL_DIR_FILES" <<'EOF'
import os, sys
d, target, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    os.symlink(target, os.path.join(d, "%08x.r0" % (0x10000000 + i)))
EOF
ok $? "$CRL_DIR_FILES files made in a directory"
set_conf ssl_crl_dir "$bigdir"

# The whole read must take long enough for a cancellation to show.
t0=$(now_ms)
rows=$(admin -c "SELECT count(*) FROM tls_crls()")
full=$(($(now_ms) - t0))
[ "$rows" = "$CRL_DIR_FILES" ] && [ $full -ge 2000 ]
ok $? "tls_crls() reads $rows CRLs in $full ms, uninterrupted"

# timed_out FUNCTION: the call under a 100 ms statement_timeout is
# cancelled, well before it could have finished.
timed_out() {
	local t0 out rc elapsed
	t0=$(now_ms)
	out=$(psql -X -At -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres \
		-c "SET statement_timeout = '100ms'" -c "SELECT count(*) FROM $1" 2>&1)
	rc=$?
	elapsed=$(($(now_ms) - t0))
	[ $rc != 0 ] && grep -q 'canceling statement due to statement timeout' <<<"$out" && [ $elapsed -lt 1000 ]
	ok $? "$1 with $CRL_DIR_FILES CRL files and statement_timeout = 100ms: cancelled after $elapsed ms [$out]"
}
timed_out "tls_audit()"
timed_out "tls_crls()"

# signalled FUNCTION SIGNAL MESSAGE: the call, signalled by SIGNAL() from
# another session while it reads, ends within a second with MESSAGE.
signalled() {
	local t0 pid elapsed
	PGAPPNAME=regress_files_signal psql -X -At -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres \
		-c "SELECT count(*) FROM $1" >"$work/signalled.out" 2>&1 &
	background+=($!)
	pid=
	for _ in $(seq 100); do
		pid=$(admin -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'regress_files_signal' AND state = 'active' AND query LIKE 'SELECT count(*) FROM tls%'")
		[ -n "$pid" ] && break
		sleep 0.02
	done
	sleep 0.2
	t0=$(now_ms)
	admin -c "SELECT $2($pid)" >/dev/null
	wait "${background[-1]}"
	elapsed=$(($(now_ms) - t0))
	unset 'background[-1]'
	grep -q "$3" "$work/signalled.out" && [ $elapsed -lt 1000 ]
	ok $? "$1 ends $elapsed ms after $2() [$(tr '\n' ' ' <"$work/signalled.out")]"
}
signalled "tls_audit()" pg_cancel_backend 'canceling statement due to user request'
signalled "tls_crls()" pg_terminate_backend 'terminating connection due to administrator command'
reset_conf ssl_crl_dir

# ---------------------------------------------------------------------------
# 4. OpenSSL objects are freed when a call fails or is cancelled.  The
#    backend's resident memory (VmRSS) is measured over $LEAK_CALLS calls
#    that complete, then over as many that fail while the certificates of
#    ssl_ca_file are held: a tuplestore that spills past temp_file_limit
#    raises an ERROR, as does statement_timeout once reading checks for
#    interrupts.  A call that leaks the certificates it holds leaves
#    hundreds of kB behind (about 700 kB a failed call before the fix); the
#    allocator's own noise stays well under RSS_SLACK_KB (see its comment).

edge=$files/edge.crt
awk '/^-----BEGIN/ { n++ } n == 1' "$pki/client_edge.crt" >"$edge"
for _ in $(seq 40); do cat "$edge"; done >"$files/big_bundle.crt"
for _ in $(seq 5); do cat "$files/big_bundle.crt"; done >"$files/huge_bundle.crt"
chmod 644 "$files"/*
set_conf ssl_ca_file "$files/big_bundle.crt"

rss="substring(pg_catalog.pg_read_file('/proc/self/status') from 'VmRSS:\\s*(\\d+)')::int"
# calls N: a DO block of N calls of tls_server_certificates(), counting
# those that fail.
calls() {
	cat <<EOF
DO \$\$
DECLARE
	failed int := 0;
BEGIN
	FOR i IN 1..$1 LOOP
		BEGIN
			PERFORM count(*) FROM tls_server_certificates();
		EXCEPTION WHEN configuration_limit_exceeded THEN
			failed := failed + 1;
		END;
	END LOOP;
	INSERT INTO calls VALUES (failed);
END
\$\$;
EOF
}
admin -F ' ' >"$work/leak.out" 2>&1 <<EOF
SET work_mem = '64kB';
CREATE TEMP TABLE calls (failed int);
CREATE TEMP TABLE rss (step int, kb int);
$(calls 20)
INSERT INTO rss VALUES (1, $rss);
$(calls "$LEAK_CALLS")
INSERT INTO rss VALUES (2, $rss);
SET temp_file_limit = '8kB';
$(calls "$LEAK_CALLS")
RESET temp_file_limit;
INSERT INTO rss VALUES (3, $rss);
SELECT (SELECT string_agg(failed::text, ',') FROM calls),
	   (SELECT kb FROM rss WHERE step = 2) - (SELECT kb FROM rss WHERE step = 1),
	   (SELECT kb FROM rss WHERE step = 3) - (SELECT kb FROM rss WHERE step = 2);
EOF
read -r failed completed_kb failed_kb < <(tail -n 1 "$work/leak.out")
echo "# RSS growth over $LEAK_CALLS calls: completed ${completed_kb:-?} kB, failed ${failed_kb:-?} kB (failures per round: ${failed:-?})"
[ "${failed:-}" = "0,0,$LEAK_CALLS" ]
ok $? "every call of the last round failed on temp_file_limit, none before [$(tail -n 1 "$work/leak.out")]"
[ -n "${failed_kb:-}" ] && [ "$failed_kb" -le $((completed_kb + RSS_SLACK_KB)) ]
ok $? "failed calls leave no more memory behind than completed ones: ${failed_kb:-?} kB against ${completed_kb:-?} kB"

# The same over calls that statement_timeout cancels while they read: the
# script runs each call as a statement of its own.
set_conf ssl_ca_file "$files/huge_bundle.crt"
{
	echo "SELECT count(*) FROM tls_server_certificates();"
	echo "SELECT 'rss', $rss;"
	echo "SET statement_timeout = '20ms';"
	for _ in $(seq "$LEAK_CALLS"); do echo "SELECT count(*) FROM tls_server_certificates();"; done
	echo "RESET statement_timeout;"
	echo "SELECT 'rss', $rss;"
} >"$work/cancel.sql"
psql -X -At -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres -f "$work/cancel.sql" >"$work/cancel.out" 2>&1
cancelled=$(grep -c 'canceling statement due to statement timeout' "$work/cancel.out")
read -r rss0 rss1 < <(grep '^rss|' "$work/cancel.out" | cut -d'|' -f2 | tr '\n' ' ')
echo "# RSS growth over $cancelled cancelled calls: $((${rss1:-0} - ${rss0:-0})) kB"
[ "$cancelled" = "$LEAK_CALLS" ]
ok $? "statement_timeout cancelled every call ($cancelled of $LEAK_CALLS)"
[ -n "${rss1:-}" ] && [ $((rss1 - rss0)) -le $RSS_SLACK_KB ]
ok $? "cancelled calls leave no memory behind: $((${rss1:-0} - ${rss0:-0})) kB"
reset_conf ssl_ca_file

tap_done
