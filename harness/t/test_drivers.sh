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
#   `make test-drivers`: both environments, one table.  host: this machine
#   (Debian 12, libpq 15): install the clients, run the drivers.  current:
#   the Debian unstable chroot of `make test PG=18` (libpq 18), on a copy of
#   this checkout that carries the host's node_modules (npm is reached from
#   the host only), which installs its own clients there.  Each environment
#   writes its rows of the table; they are joined in
#   harness/drivers/build/table.md.  Prints each part's wall time; exits
#   non-zero when either environment does.
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
		t0=$SECONDS
		bash "$here/scripts/install-drivers.sh" || exit 2
		t1=$SECONDS
		mkdir -p "$build"
		"$here/pg_tls_probe" drivers --format tap --pg-config "$pg_config" --drivers-dir "$here/drivers" \
			--environment host --markdown-to "$build/host.md"
		host_rc=$?
		t2=$SECONDS
		PG_TLS_AUDIT_CHROOT_CARRY=harness/drivers/node/node_modules \
			bash "$here/scripts/chroot.sh" 18 bash harness/t/test_drivers.sh --current
		current_rc=$?
		t3=$SECONDS
		cache=$(realpath -m "${PG_TLS_AUDIT_CHROOT_CACHE:-/var/cache/pg_tls_audit}")/chroot-sid
		{
			cat "$build/host.md"
			cat "$cache$chroot_build/current.md" 2>/dev/null
		} >"$build/table.md"
		printf 'test_drivers: host install %d s, host run %d s, current (chroot: install and run) %d s, total %d s; table in %s\n' \
			$((t1 - t0)) $((t2 - t1)) $((t3 - t2)) $((t3 - t0)) "$build/table.md" >&2
		[ $host_rc -eq 0 ] && [ $current_rc -eq 0 ]
		exit $?
		;;
	--current)
		make -s -C "$here" PG_CONFIG="$PG_CONFIG" >/dev/null || exit 2
		PTP_DRIVERS_BUILD=$chroot_build bash "$here/scripts/install-drivers.sh" || exit 2
		PTP_DRIVERS_BUILD=$chroot_build exec "$here/pg_tls_probe" drivers --format tap --pg-config "$PG_CONFIG" \
			--drivers-dir "$here/drivers" --environment current --no-header --markdown-to "$chroot_build/current.md"
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
