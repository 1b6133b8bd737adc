#!/bin/bash
# test_drivers.sh: the drivers suites.
#
# usage: harness/t/test_drivers.sh PG_TLS_PROBE PG_CONFIG
#   the drivers suite of `make test`: runs `pg_tls_probe drivers` on this
#   machine when harness/scripts/install-drivers.sh has installed and built the
#   clients; otherwise says what it skipped and why, since installing them
#   takes minutes and `make test-drivers` is the place for that.
#
# usage: harness/t/test_drivers.sh --environments PG_CONFIG
#   `make test-drivers`: both environments, side by side once the host's
#   clients are installed.  host: this machine (Debian 12, libpq 15): install
#   the clients, run the drivers.  current: the Debian unstable chroot of
#   `make test PG=18` (libpq 18), on a copy of this checkout that carries the
#   host's node_modules (npm is reached from the host only), which installs
#   its own clients there.  Each environment writes its grid, JSON and rows
#   of the long table into harness/drivers/build/ (the rows joined in
#   table.md); then harness/recipes/recipes.py --check holds the run to the
#   verdicts doc/recipes.md was generated with.  Prints each part's wall
#   time; exits non-zero when either environment or the check does.  Enters
#   the chroot: run it under flock /tmp/pg_tls_audit-chroot-drivers.lock.
#
# usage: harness/t/test_drivers.sh --current
#   the chroot's part of --environments (run inside the chroot).
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# Builds in the chroot live in the chroot, outside its throwaway checkout copy.
chroot_build=/var/cache/pg_tls_probe-drivers

case "${1:-}" in
	--environments)
		pg_config=$2
		build=$here/drivers/build
		cache=$(realpath -m "${PG_TLS_AUDIT_CHROOT_CACHE:-/var/cache/pg_tls_audit}")/chroot-sid
		t0=$SECONDS
		bash "$here/scripts/install-drivers.sh" || exit 2
		t1=$SECONDS
		mkdir -p "$build"
		rm -f "$build"/host.* "$build"/current.* "$build/table.md"
		# The two environments share nothing but the CPUs: they run side by side.
		"$here/pg_tls_probe" drivers --format tap --pg-config "$pg_config" --drivers-dir "$here/drivers" \
			--environment host --markdown-to "$build/host.md" --json-to "$build/host.json" \
			--grid-to "$build/host.grid.txt" >"$build/host.tap" 2>"$build/host.stderr" &
		host_pid=$!
		# pg_tls_probe stops its server and proxies on SIGTERM
		trap 'kill -TERM $host_pid 2>/dev/null' EXIT
		PG_TLS_AUDIT_CHROOT_CARRY=harness/drivers/node/node_modules \
			bash "$here/scripts/chroot.sh" 18 bash harness/t/test_drivers.sh --current >"$build/current.tap"
		current_rc=$?
		t2=$SECONDS
		wait $host_pid
		host_rc=$?
		trap - EXIT
		t3=$SECONDS
		cat "$build/host.stderr" >&2
		cat "$build/host.tap" "$build/current.tap"
		for f in current.md current.json current.grid.txt; do
			cp "$cache$chroot_build/$f" "$build/$f" 2>/dev/null
		done
		cat "$build/host.md" "$build/current.md" >"$build/table.md" 2>/dev/null
		cat "$build/host.grid.txt" "$build/current.grid.txt" >&2
		# The committed page's verdicts must be what this run measured.
		/usr/bin/python3 "$here/recipes/recipes.py" --check "$here/recipes/verdicts.json" \
			"$build/host.json" "$build/current.json"
		recipes_rc=$?
		printf 'test_drivers: host install %d s, then side by side: host run %s s, current (chroot: install and run) %d s; total %d s; grids in %s/{host,current}.grid.txt\n' \
			$((t1 - t0)) "$(sed -n '1s/.*, \([0-9.]*\) s$/\1/p' "$build/host.grid.txt" 2>/dev/null)" $((t2 - t1)) \
			$((t3 - t0)) "$build" >&2
		[ $host_rc -eq 0 ] && [ $current_rc -eq 0 ] && [ $recipes_rc -eq 0 ]
		exit $?
		;;
	--current)
		make -s -C "$here" PG_CONFIG="$PG_CONFIG" >/dev/null || exit 2
		PTP_DRIVERS_BUILD=$chroot_build bash "$here/scripts/install-drivers.sh" || exit 2
		PTP_DRIVERS_BUILD=$chroot_build exec "$here/pg_tls_probe" drivers --format tap --pg-config "$PG_CONFIG" \
			--drivers-dir "$here/drivers" --environment current --no-header --markdown-to "$chroot_build/current.md" \
			--json-to "$chroot_build/current.json" --grid-to "$chroot_build/current.grid.txt"
		;;
esac

probe=$1
pg_config=$2
stamp="$here/drivers/build/.installed"

if [ ! -f "$stamp" ]; then
	echo "# SKIP drivers: the clients are not installed (harness/scripts/install-drivers.sh, or make test-drivers)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
exec "$probe" drivers --format tap --pg-config "$pg_config" --drivers-dir "$here/drivers"
