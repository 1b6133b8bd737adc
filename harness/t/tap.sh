#!/bin/bash
# tap.sh: the TAP helpers the harness's shell tests share (sourced).
#   ok STATUS DESCRIPTION   one test line from a command's exit status
#   skip WHY                a test that cannot run here, said as a TAP SKIP
#                           with its reason; counted apart, never as passed
#   tap_done                the plan, the "N passed, N failed" line, the exit status
#   expect_error DESCRIPTION ARGS...   "$probe" ARGS exits 2 with one line on
#                           stderr (needs $probe and a scratch directory $work)

tap_n=0
tap_failed=0
tap_skipped=0

ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

skip() {
	tap_n=$((tap_n + 1))
	tap_skipped=$((tap_skipped + 1))
	echo "ok $tap_n # SKIP $1"
}

tap_done() {
	echo "1..$tap_n"
	echo "$((tap_n - tap_failed - tap_skipped)) passed, $tap_failed failed$([ $tap_skipped -eq 0 ] || echo ", $tap_skipped skipped")"
	[ $tap_failed -eq 0 ]
}

expect_error() {
	local what=$1
	shift
	"$probe" "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ] && grep -q '^pg_tls_probe: ' "$work/err"
	ok $? "$what: exit 2, one line on stderr (rc=$rc: $(head -c 200 "$work/err"))"
}
