#!/bin/bash
# testbed_sanitized.sh: the harness's suites run with pg_tls_probe built
# with AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer
# (make -C harness sanitized), against the throwaway clusters each suite
# starts (make test-asan).
#
# Builds and installs pg_tls_audit and pg_tls_probe as testbed.sh does (the
# suites need the extension installed), builds the sanitized probe beside
# them, and runs the expectation model's unit test, the matrix and the cli,
# search-path and every audit suite with it.  A suite passes when it
# passes and no sanitizer report was written while it ran: a memory error,
# undefined behaviour or a leak fails it, and is printed.  The only leaks
# suppressed are what a subcommand keeps until it returns
# (harness/t/lsan_probe.supp says which, and why).
#
# usage: harness/t/testbed_sanitized.sh
# Output is TAP, ending with "N passed, N failed".
set -uo pipefail

cd "$(dirname "$0")/../.."
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8

bash harness/scripts/install-deps.sh || exit 2
make -s PG_CONFIG="$PG_CONFIG" PG_TLS_AUDIT_TEST_HOOKS=1 >/dev/null &&
	make -s PG_CONFIG="$PG_CONFIG" PG_TLS_AUDIT_TEST_HOOKS=1 install >/dev/null &&
	make -s -C harness PG_CONFIG="$PG_CONFIG" sanitized >/dev/null || exit 2
probe=$PWD/harness/sanitized/pg_tls_probe

work=$(mktemp -d /tmp/pg_tls_audit-sanitized.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

. harness/t/tap.sh
. harness/t/sanitizer_lib.sh

# sanitized_suite NAME COMMAND...: one suite with its own report directory.
sanitized_suite() {
	local name=$1 rc=0 line
	shift
	mkdir "$work/$name"
	(
		while read -r line; do export "${line?}"; done < <(sanitizer_options "$work/$name" 1)
		export LSAN_OPTIONS=suppressions=$PWD/harness/t/lsan_probe.supp:print_suppressions=0
		"$@"
	) >"$work/$name.out" 2>&1 || rc=$?
	sed 's/^/# /' "$work/$name.out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/$name.out" | tail -n 1)
	ok $rc "suite $name passes with the sanitized pg_tls_probe (${line:-no summary line})"
	sanitizer_reports "$work/$name"
	ok $? "suite $name: no sanitizer report"
}

sanitized_suite expectation-model harness/sanitized/expectations_test
sanitized_suite matrix "$probe" matrix --format tap --pg-config "$PG_CONFIG"
sanitized_suite cli bash harness/t/test_cli.sh "$probe"
sanitized_suite search-path bash harness/t/test_search_path.sh "$probe"
sanitized_suite audit bash harness/t/test_audit.sh "$probe"
sanitized_suite audit-wire bash harness/t/test_audit_wire.sh "$probe"
sanitized_suite audit-messages bash harness/t/test_audit_messages.sh "$probe"
sanitized_suite audit-credentials bash harness/t/test_audit_credentials.sh "$probe"
sanitized_suite audit-middlebox bash harness/t/test_audit_middlebox.sh "$probe"
sanitized_suite audit-redact bash harness/t/test_audit_redact.sh "$probe"

tap_done
