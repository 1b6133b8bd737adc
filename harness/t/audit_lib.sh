#!/bin/bash
# audit_lib.sh: what every suite of "pg_tls_probe audit" shares.  Sourced by
# harness/t/test_audit*.sh after "set -uo pipefail", with the probe to test
# as $1 and the suite's name in AUDIT_SUITE.  It sets
#   probe   the pg_tls_probe under test (absolute path)
#   tool    the test bed's tools (cluster, proxy, pki): the same binary
#           unless PTP_TOOL names another, so that an old probe can be
#           tested with today's test bed
#   work    a scratch directory, removed on exit
#   secret  a planted password that must never appear in any output
# and leaves libpq only what each test passes: no PG* variables, an empty
# HOME in $work.  On exit it calls audit_cleanup_extra when the suite
# defines it, then stops every cluster named in audit_clusters.

probe=${1:-$(dirname "${BASH_SOURCE[0]}")/../pg_tls_probe}
probe=$(cd "$(dirname "$probe")" && pwd)/$(basename "$probe")
tool=${PTP_TOOL:-$probe}
work=$(mktemp -d "/tmp/pg_tls_probe-$AUDIT_SUITE.XXXXXX")
chmod 755 "$work"
secret="planted-Secret-$RANDOM$RANDOM"
# every planted secret the audit() check looks for; suites may add more
audit_secrets=("$secret")
audit_clusters=()
audit_cleanup() {
	if declare -F audit_cleanup_extra >/dev/null; then audit_cleanup_extra; fi
	for c in "${audit_clusters[@]}"; do "$tool" cluster stop "$work/$c" >/dev/null 2>&1; done
	rm -rf "$work"
}
trap audit_cleanup EXIT
trap 'exit 130' INT TERM

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

for v in $(env | sed -n 's/^\(PG[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export HOME="$work/home"
mkdir -p "$HOME"

# start_cluster NAME [OPTION]...: "pg_tls_probe cluster start" in $work/NAME,
# its export lines in $work/NAME.env, stopped on exit; bails out on failure
start_cluster() {
	local name=$1
	shift
	audit_clusters+=("$name")
	"$tool" cluster start "$work/$name" "$@" >"$work/$name.env" ||
		{ echo "Bail out! cluster start failed"; exit 2; }
}

# cluster_port NAME: the port of the cluster started as NAME
cluster_port() {
	sed -n 's/^export PGPORT=//p' "$work/$1.env"
}

# audit NAME EXPECTED_EXIT ARGS...: runs the audit (never longer than
# AUDIT_TIMEOUT seconds, default 60), keeps stdout and stderr in
# $work/NAME.out and .err, and checks the exit code and that no planted
# secret reached either
audit() {
	local name=$1 expect=$2
	shift 2
	timeout "${AUDIT_TIMEOUT:-60}" "$probe" audit "$@" >"$work/$name.out" 2>"$work/$name.err"
	local rc=$?
	[ $rc -eq "$expect" ]
	ok $? "$name: exit $expect (got $rc)"
	local args=()
	for s in "${audit_secrets[@]}"; do args+=(-e "$s"); done
	! grep -qF "${args[@]}" "$work/$name.out" "$work/$name.err"
	ok $? "$name: the password appears in no output"
}

# json FILE PYTHON [ARG]...: asserts on the audit's JSON document a, with
# attack(name), the legs as client and server when present, and the ARGs
# in sys.argv[2:]
json() {
	local file=$1 code=$2
	shift 2
	/usr/bin/python3 -c "import json, sys
a = json.load(open(sys.argv[1]))
def attack(name):
    return [x for x in a['attacks'] if x['attack'] == name][0]
legs = a.get('legs') or {}
client, server = legs.get('client_to_endpoint'), legs.get('endpoint_to_server')
$code" "$file" "$@"
}
