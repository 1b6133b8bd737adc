#!/bin/bash
# dist.sh: make dist.  The PGXN distribution: a zip of the committed tree
# (git archive of HEAD) under pg_tls_audit-SEMVER/, with META.json made from
# META.json.in.  SEMVER is pg_tls_audit.control's default_version as PGXN
# wants it (1.2 -> 1.2.0), so the control file stays the one version source.
#
# usage: harness/scripts/dist.sh OUTDIR   (prints the archive's path)
set -euo pipefail

prog=dist.sh
die() { echo "$prog: $*" >&2; exit 2; }

[ $# -eq 1 ] || die "usage: harness/scripts/dist.sh OUTDIR"
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
command -v git >/dev/null || die "git is needed (make dist archives the committed tree)"
git -C "$srcdir" -c safe.directory="$srcdir" rev-parse --verify -q HEAD >/dev/null ||
	die "$srcdir is not a git checkout with a commit: make dist archives HEAD"

version=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" "$srcdir/pg_tls_audit.control")
case "$version" in
	[0-9]*.[0-9]*.[0-9]*) semver=$version ;;
	[0-9]*.[0-9]*) semver=$version.0 ;;
	*) die "default_version '$version' in pg_tls_audit.control is not MAJOR.MINOR[.PATCH]" ;;
esac
[[ $semver =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] ||
	die "default_version '$version' does not make a semantic version ($semver)"
[ -f "$srcdir/extension/pg_tls_audit--$version.sql" ] ||
	die "extension/pg_tls_audit--$version.sql (the default version's script) is missing"
if [ -n "$(git -C "$srcdir" -c safe.directory="$srcdir" status --porcelain --untracked-files=no)" ]; then
	echo "$prog: warning: uncommitted changes are not in the archive (it is HEAD)" >&2
fi

mkdir -p "$1"
outdir=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/pg_tls_audit-dist.XXXXXX)
trap 'rm -rf "$work"' EXIT
sed -e "s/@SEMVER@/$semver/g" -e "s/@VERSION@/$version/g" "$srcdir/META.json.in" >"$work/META.json"
/usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$work/META.json" ||
	die "META.json made from META.json.in is not valid JSON"

name=pg_tls_audit-$semver
archive=$outdir/$name.zip
rm -f "$archive"
git -C "$srcdir" -c safe.directory="$srcdir" archive --format=zip --prefix="$name/" \
	--add-file="$work/META.json" -o "$archive" HEAD
echo "$archive"
