#!/bin/bash
# test_docs.sh: the documentation stays true, as TAP.  In a sandbox of its
# own (a throwaway cluster that preloads pg_tls_audit and has the extension,
# libpq's PG* variables pointing at it with verified TLS, pg_tls_probe on
# PATH, a throwaway HOME and TMPDIR), docs_check.py runs every ```console
# command of README.md and doc/*.md, checks every relative link and that
# doc/ names everything the code defines (see docs_check.py for the
# convention of the blocks).
#
# usage: harness/t/test_docs.sh [PG_TLS_PROBE [PG_CONFIG [ROOT]]]
# (ROOT: the checkout whose documentation to check, by default this one)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "${3:-$here/../..}" && pwd)
probe=$(realpath "${1:-$here/../pg_tls_probe}")
pg_config=${2:-pg_config}

# The server runs as an unprivileged OS user, who must reach the directory.
work=$(mktemp -d "${TMPDIR:-/tmp}/pg_tls_audit-docs.XXXXXX")
chmod 755 "$work"
cleanup() {
	[ -d "$work/cluster" ] && "$probe" cluster stop "$work/cluster" --pg-config "$pg_config" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/home" "$work/tmp" "$work/bin"
ln -s "$probe" "$work/bin/pg_tls_probe"
if ! env=$("$probe" cluster start "$work/cluster" --pg-config "$pg_config" \
	--conf "shared_preload_libraries = 'pg_tls_audit'" 2>"$work/start.err"); then
	echo "not ok 1 - the sandbox cluster starts: $(head -c 300 "$work/start.err")"
	echo "0 passed, 1 failed"
	exit 1
fi
eval "$env"
export HOME=$work/home TMPDIR=$work/tmp PATH=$work/bin:$("$pg_config" --bindir):$PATH
unset NO_COLOR CI
if ! psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION pg_tls_audit' >"$work/create.out" 2>&1; then
	echo "not ok 1 - CREATE EXTENSION pg_tls_audit in the sandbox: $(head -c 300 "$work/create.out")"
	echo "0 passed, 1 failed"
	exit 1
fi
/usr/bin/python3 "$here/docs_check.py" "$root" "$probe"
