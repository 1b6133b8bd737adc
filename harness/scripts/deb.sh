#!/bin/bash
# deb.sh: make deb.  Builds the Debian packages -- postgresql-N-pg-tls-audit
# for each PostgreSQL major this system supports (pg_buildext) and
# pg-tls-probe -- from a clean copy of the checkout, and copies them to OUTDIR.
#
# usage: harness/scripts/deb.sh [--pg N] OUTDIR   (the packages go to OUTDIR/pgN)
#
#   without --pg: on this machine (the host: PostgreSQL 15, Debian 12)
#   --pg 17|18:   inside that major's chroot (harness/scripts/chroot.sh);
#                 the packages are copied out to OUTDIR on the host
#
# The package version is pg_tls_audit.control's default_version: debian/
# changelog and debian/control are generated here, in the copy, from it and
# from debian/control.in.  Prints the packages it made, one per line.
set -euo pipefail

prog=deb.sh
die() { echo "$prog: $*" >&2; exit 2; }

major=
if [ "${1:-}" = --pg ]; then
	major=${2:?usage: harness/scripts/deb.sh [--pg N] OUTDIR}
	shift 2
fi
[ $# -eq 1 ] || die "usage: harness/scripts/deb.sh [--pg N] OUTDIR"
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
outdir=$(cd "$1" && pwd)

if [ -n "$major" ]; then
	# Built in the chroot into a directory of the chroot's own (the checkout
	# copy there is a tmpfs that goes with the run), then copied out.
	inside=/var/cache/pg_tls_audit-deb
	cache=$(realpath -m "${PG_TLS_AUDIT_CHROOT_CACHE:-/var/cache/pg_tls_audit}")
	case "$major" in
		17) root=$cache/chroot-trixie ;;
		18) root=$cache/chroot-sid ;;
		*) die "no chroot for PostgreSQL $major: 17 and 18 are supported (15 is the host: no --pg)" ;;
	esac
	rc=0
	bash "$srcdir/harness/scripts/chroot.sh" "$major" \
		bash -c "rm -rf $inside && bash harness/scripts/deb.sh $inside >/dev/null" || rc=$?
	[ $rc -eq 0 ] || exit $rc
	mkdir -p "$outdir/pg$major"
	for deb in "$root$inside/pg$major"/*.deb; do
		[ -e "$deb" ] || die "the chroot build made no package for PostgreSQL $major"
		cp "$deb" "$outdir/pg$major/"
		echo "$outdir/pg$major/$(basename "$deb")"
	done
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs the build dependencies)"
bash "$srcdir/harness/scripts/install-deps.sh" --packaging

version=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" "$srcdir/pg_tls_audit.control")
[ -n "$version" ] || die "no default_version in pg_tls_audit.control"

work=$(mktemp -d /tmp/pg_tls_audit-deb.XXXXXX)
# pg_virtualenv's server runs as another OS user and reads the built files.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
src=$work/pg-tls-audit-$version

# A clean copy (no build products; a chroot run's copy is one already).
. "$srcdir/harness/scripts/copy_checkout.sh"
copy_checkout "$srcdir" "$src"

cat >"$src/debian/changelog" <<EOF
pg-tls-audit ($version) unstable; urgency=medium

  * pg_tls_audit $version, as pg_tls_audit.control's default_version says.

 -- pg_tls_audit developers <pg-tls-audit@invalid.invalid>  $(date -R)
EOF
(cd "$src" && pg_buildext updatecontrol) >&2

# One directory per PostgreSQL major (pg-tls-probe has the same file name
# in each): OUTDIR/pgN, N the newest major the packages are built for.
newest=$(cd "$src" && pg_buildext supported-versions | tail -n 1)
[ -n "$newest" ] || die "pg_buildext finds no supported PostgreSQL major (debian/pgversions)"
outdir=$outdir/pg$newest
mkdir -p "$outdir"
log=$outdir/dpkg-buildpackage.log
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	die "dpkg-buildpackage failed: the last 40 lines of $log are above"
fi
n=0
for deb in "$work"/*.deb; do
	[ -e "$deb" ] || continue
	cp "$deb" "$outdir/"
	echo "$outdir/$(basename "$deb")"
	n=$((n + 1))
done
[ $n -gt 0 ] || die "dpkg-buildpackage made no package"
