#!/bin/bash
# tap.sh: the TAP helpers the harness's shell tests share (sourced).
#   ok STATUS DESCRIPTION   one test line from a command's exit status
#   tap_done                the plan, the "N passed, N failed" line, the exit status

tap_n=0
tap_failed=0

ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

tap_done() {
	echo "1..$tap_n"
	echo "$((tap_n - tap_failed)) passed, $tap_failed failed"
	[ $tap_failed -eq 0 ]
}
