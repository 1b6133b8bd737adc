#!/bin/bash
# testbed_extension_asan.sh: pg_tls_audit built with AddressSanitizer,
# LeakSanitizer and UndefinedBehaviorSanitizer, inside real PostgreSQL
# servers that load the sanitizer runtime with LD_PRELOAD (Debian's
# server is not built with it), through the regression suite (make
# installcheck), the preloaded suite (harness/t/testbed_preload.sh, which
# runs make installcheck-preload) and a canary (make test-extension-asan).
#
# Nothing is installed into the system's PostgreSQL: the sanitized build
# goes into a private installation tree under the work directory, made of
# links to the system's files and these copies --
#
#   bin/postgres       a script that starts the real server binary with
#                      the sanitizer settings (sanitizer_lib.sh) and
#                      LD_PRELOAD of the runtime and asan_early_init.so
#                      (harness/t/asan_early_init.c says why)
#   bin/postgres.real  the system's postgres, copied: it finds $libdir and
#                      the extension directory relative to where it lies,
#                      so it loads the sanitized library from the tree
#   bin/pg_ctl         copied, so that a restart starts bin/postgres
#   bin/pg_config      a script that names the tree's directories and asks
#                      the system's pg_config everything else
#
# -- and every suite is given that pg_config (PG_CONFIG).
#
# The canary: the test build's pg_tls_audit.test_out_of_bounds_read
# setting reads one byte past a buffer; the run fails unless
# AddressSanitizer reports it.  Any other report fails the run, and so
# does a leak whose allocation stack passes through pg_tls_audit (an
# OpenSSL object it let go of among them); PostgreSQL's own leaks, which
# never pass through it, are summed up by stack and not counted.
#
# The suites drive the servers with the sanitized pg_tls_probe (make -C
# harness sanitized), so its reports count too.
#
# usage: harness/t/testbed_extension_asan.sh
# Output is TAP, ending with "N passed, N failed"; the wall time of each
# part is printed.
set -uo pipefail

cd "$(dirname "$0")/../.."
system_pg_config=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8

bash harness/scripts/install-deps.sh || exit 2
make -s -C harness PG_CONFIG="$system_pg_config" sanitized >/dev/null || exit 2
probe=$PWD/harness/sanitized/pg_tls_probe
libasan=$(gcc -print-file-name=libasan.so)
libasan=$(readlink -f "$libasan")
[ -f "$libasan" ] || { echo "Bail out! no libasan.so (gcc's AddressSanitizer runtime)"; exit 2; }

work=$(mktemp -d /tmp/pg_tls_audit-extension-asan.XXXXXX)
chmod 755 "$work"
cluster=$work/cluster
cleanup() {
	"$probe" cluster stop "$cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. harness/t/tap.sh
. harness/t/sanitizer_lib.sh

# The server's OS user writes its reports here.
reports=$work/reports
mkdir -m 1777 "$reports"
export SANITIZER_LEAK_SCOPE='/pg_tls_audit[.]so[+]'

# ---------------------------------------------------------------------------
# The sanitized build, from a copy of the sources (the checkout's objects
# stay as they are), installed into the tree.

t0=$SECONDS
tree=$work/install
mkdir "$work/src"
cp -r Makefile pg_tls_audit.control extension common "$work/src/"
if ! (
	cd "$work/src" &&
		make -s PG_CONFIG="$system_pg_config" HARNESS=no PG_TLS_AUDIT_TEST_HOOKS=1 \
			COPT='-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' &&
		make -s PG_CONFIG="$system_pg_config" HARNESS=no PG_TLS_AUDIT_TEST_HOOKS=1 DESTDIR="$tree" install
) >"$work/build.log" 2>&1; then
	sed 's/^/# /' "$work/build.log"
	echo "Bail out! the sanitized build of pg_tls_audit failed"
	exit 2
fi

sys_bindir=$("$system_pg_config" --bindir)
sys_pkglibdir=$("$system_pg_config" --pkglibdir)
sys_sharedir=$("$system_pg_config" --sharedir)
bindir=$tree$sys_bindir
pkglibdir=$tree$sys_pkglibdir
sharedir=$tree$sys_sharedir
mkdir -p "$bindir" "$pkglibdir" "$sharedir/extension"
for f in "$sys_bindir"/*; do
	[ -e "$bindir/$(basename "$f")" ] || ln -s "$f" "$bindir/"
done
rm -f "$bindir/postgres" "$bindir/pg_ctl" "$bindir/pg_config"
cp "$sys_bindir/postgres" "$bindir/postgres.real"
cp "$sys_bindir/pg_ctl" "$bindir/pg_ctl"
for f in "$sys_pkglibdir"/*; do
	[ -e "$pkglibdir/$(basename "$f")" ] || ln -s "$f" "$pkglibdir/"
done
for f in "$sys_sharedir"/*; do
	[ -e "$sharedir/$(basename "$f")" ] || ln -s "$f" "$sharedir/"
done
for f in "$sys_sharedir"/extension/*; do
	[ -e "$sharedir/extension/$(basename "$f")" ] || ln -s "$f" "$sharedir/extension/"
done
gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$bindir/asan_early_init.so" harness/t/asan_early_init.c -ldl ||
	{ echo "Bail out! harness/t/asan_early_init.c does not build"; exit 2; }
{
	echo '#!/bin/bash'
	echo '# The system postgres with the sanitizer runtime (testbed_extension_asan.sh).'
	sanitizer_options "$reports" | sed 's/^/export /'
	echo "export LD_PRELOAD='$libasan $bindir/asan_early_init.so'"
	echo "exec -a \"\$0\" $bindir/postgres.real \"\$@\""
} >"$bindir/postgres"
cat >"$bindir/pg_config" <<EOF
#!/bin/sh
# pg_config of the sanitized tree (testbed_extension_asan.sh).
case "\$1" in
	--bindir) echo $bindir ;;
	--pkglibdir) echo $pkglibdir ;;
	--sharedir) echo $sharedir ;;
	*) exec $system_pg_config "\$@" ;;
esac
EOF
chmod 755 "$bindir/postgres" "$bindir/pg_config"
chmod -R a+rX "$work/install"
export PG_CONFIG=$bindir/pg_config
"$bindir/postgres" -V >/dev/null && ldd "$pkglibdir/pg_tls_audit.so" | grep -q libasan
ok $? "the tree's server runs with the sanitizer runtime and loads the sanitized library"
echo "# setup: $((SECONDS - t0)) s"

# ---------------------------------------------------------------------------
# The regression suite, on a cluster that does not preload the library (as
# testbed.sh's first cluster), and the canary on the same cluster.

t0=$SECONDS
if ! env=$("$probe" cluster start "$cluster" --pg-config "$PG_CONFIG" 2>"$work/start.err"); then
	ok 1 "cluster starts on the sanitized tree: $(cat "$work/start.err")"
	tap_done
	exit
fi
eval "$env"
make -s PG_CONFIG="$PG_CONFIG" PG_TLS_AUDIT_TEST_HOOKS=1 installcheck EXTRA_REGRESS_OPTS="--outputdir=$work/regress" \
	>"$work/installcheck.log" 2>&1
rc=$?
sed 's/^/# /' "$work/installcheck.log"
[ $rc -ne 0 ] && [ -f "$work/regress/regression.diffs" ] && sed 's/^/# /' "$work/regress/regression.diffs"
ok $rc "make installcheck on the sanitized server ($(grep -cE '^ok |^test .* \.\.\. ok' "$work/installcheck.log") tests ok)"
sanitizer_reports "$reports"
ok $? "make installcheck: no sanitizer report"
echo "# installcheck: $((SECONDS - t0)) s"

t0=$SECONDS
psql -X -q -h "$PG_TLS_PROBE_SOCKET" -d postgres -U postgres \
	-c "LOAD 'pg_tls_audit'" -c "SET pg_tls_audit.test_out_of_bounds_read = on" >"$work/canary.out" 2>&1
canary=
for f in $(grep -l 'ERROR: AddressSanitizer: heap-buffer-overflow' "$reports"/asan.* 2>/dev/null); do
	[[ $(sanitizer_symbolized "$f") == *" in assign_test_out_of_bounds_read "*pg_tls_audit.c* ]] && canary=$f
done
[ -n "$canary" ]
ok $? "the canary's out-of-bounds read is caught by AddressSanitizer${canary:+ ($(basename "$canary"))}"
"$probe" cluster stop "$cluster" >/dev/null 2>&1
sanitizer_reports "$reports" "$canary"
ok $? "the server shut down with no other sanitizer report"
echo "# canary: $((SECONDS - t0)) s"

# ---------------------------------------------------------------------------
# The preloaded suite: installcheck-preload, the policy, the connection log
# and its storm, tls_audit(), on a cluster that preloads the sanitized
# library.

t0=$SECONDS
bash harness/t/testbed_preload.sh "$probe" >"$work/preload.out" 2>&1
rc=$?
sed 's/^/# /' "$work/preload.out"
ok $rc "the preload suite passes on the sanitized server ($(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/preload.out" | tail -n 1))"
sanitizer_reports "$reports" "$canary"
ok $? "the preload suite: no sanitizer report"
echo "# preload suite: $((SECONDS - t0)) s"

tap_done
