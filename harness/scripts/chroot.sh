#!/bin/bash
# chroot.sh: run a command in a Debian chroot that has PostgreSQL MAJOR, on
# a fresh copy of this checkout.  This is what `make test PG=N` runs.
#
# usage: harness/scripts/chroot.sh MAJOR COMMAND...
#
#   MAJOR 17: Debian 13 (trixie), postgresql-17
#   MAJOR 18: Debian unstable (sid), postgresql-18 (by name: never another
#             major; if unstable no longer has it, the row is unavailable)
#   (15 is the host's own Debian 12: plain `make test`.)
#
# The chroot is built with debootstrap from the Debian mirror named in the
# host's apt sources (read here, at run time), with the packages
# harness/scripts/install-deps.sh lists, and cached in
#   ${PG_TLS_AUDIT_CHROOT_CACHE:-/var/cache/pg_tls_audit}/chroot-<suite>
# A build happens in chroot-<suite>.new and is renamed only once complete
# (stamp file .pg_tls_audit-complete), so an interrupted build is never
# reused; it is rebuilt when harness/scripts/install-deps.sh changes.
# PG_TLS_AUDIT_CHROOT_REFRESH=1 rebuilds it (say, for a newer sid); deleting
# the directory does too.  PG_TLS_AUDIT_MIRROR=URL overrides the mirror.
#
# Each run copies the checkout's files (tracked and untracked-but-not-
# ignored: no build products, no .git; plus the ignored paths listed in
# PG_TLS_AUDIT_CHROOT_CARRY) into a tmpfs /tmp inside the chroot,
# so the host checkout is never written to, and runs COMMAND there with a
# clean environment (PATH, HOME, LC_ALL, PG_CONFIG of MAJOR, CI passed
# through).  /proc, a minimal /dev and /tmp are mounted for the run; on exit,
# failure or interruption every process left in the chroot is stopped and
# every mount under it is undone.  A run first clears whatever an earlier,
# killed run left behind.  Runs of one suite are serialised by a lock.
#
# exit status: COMMAND's; 2 when the chroot could not be built or entered;
# 77 ("unavailable: ...") when the Debian suite has no package for MAJOR.
set -euo pipefail

EX_UNAVAILABLE=77
prog=chroot.sh

die() { echo "$prog: $*" >&2; exit 2; }
note() { echo "$prog: $*" >&2; }

if [ $# -lt 2 ]; then
	echo "usage: harness/scripts/chroot.sh MAJOR COMMAND...   (MAJOR: 17 or 18)" >&2
	exit 2
fi
major=$1
shift

case "$major" in
	17) suite=trixie; distro="Debian 13 (trixie)" ;;
	18) suite=sid; distro="Debian unstable (sid)" ;;
	15) die "PostgreSQL 15 is the host's own (Debian 12): run the command without PG=15" ;;
	*) die "no chroot for PostgreSQL $major: 17 (Debian 13) and 18 (Debian unstable) are supported" ;;
esac

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot and mounts need it)"

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
cache_root=$(realpath -m "${PG_TLS_AUDIT_CHROOT_CACHE:-/var/cache/pg_tls_audit}")
case "$cache_root" in
	*[[:space:]\\]*) die "cache directory must not contain blanks or backslashes: $cache_root" ;;
	/) die "cache directory must not be /" ;;
esac
root=$cache_root/chroot-$suite
new=$root.new
stamp_name=.pg_tls_audit-complete
pg_bin=/usr/lib/postgresql/$major/bin
chroot_path=$pg_bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
checkout=/tmp/pg_tls_audit-checkout

# --------------------------------------------------------------------------
# Mounts and processes inside a chroot directory.

# mounts_under DIR: mount points at or below DIR, most recent first.
mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | tac
}

# procs_in DIR: processes whose root directory is DIR.
procs_in() {
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		[ "$r" = "$1" ] && echo "${p#/proc/}"
	done
	return 0
}

# stop_procs DIR: stop every process left running in the chroot DIR (a
# server the command did not stop, say): TERM, then KILL after 10 s.
stop_procs() {
	local pids
	pids=$(procs_in "$1")
	[ -z "$pids" ] && return 0
	note "stopping processes left in $1: $(echo $pids)"
	kill -TERM $pids 2>/dev/null || true
	for _ in $(seq 50); do
		pids=$(procs_in "$1")
		[ -z "$pids" ] && return 0
		sleep 0.2
	done
	kill -KILL $pids 2>/dev/null || true
	sleep 0.5
}

# teardown DIR: no process left in DIR, nothing mounted under it.
teardown() {
	local d=$1 m
	[ -d "$d" ] || return 0
	stop_procs "$d"
	for _ in 1 2 3; do
		for m in $(mounts_under "$d"); do
			umount "$m" 2>/dev/null || true
		done
		[ -z "$(mounts_under "$d")" ] && return 0
		sleep 0.5
	done
	for m in $(mounts_under "$d"); do
		note "$m is busy: detaching it (umount -l)"
		umount -l "$m" || true
	done
	[ -z "$(mounts_under "$d")" ] || die "could not unmount: $(mounts_under "$d" | tr '\n' ' ')"
}

# remove DIR: delete a chroot tree, never crossing into a mounted file system.
remove() {
	[ -e "$1" ] || return 0
	teardown "$1"
	rm -rf --one-file-system "$1"
}

# setup_mounts DIR: DIR bound on itself, /proc, a minimal /dev (device nodes
# bound from the host's, private pts and shm) and an empty /tmp, on tmpfs.
setup_mounts() {
	local d=$1 n
	# The chroot's / a mount point of its own, private: a command inside can
	# then take a private mount namespace (unshare -m, as the drivers'
	# probes do) whose mounts never reach the host.
	mount --bind "$d" "$d"
	mount --make-private "$d"
	mount -t proc proc "$d/proc"
	mount -t tmpfs -o mode=0755,nosuid tmpfs "$d/dev"
	for n in null zero full random urandom tty; do
		touch "$d/dev/$n"
		mount --bind "/dev/$n" "$d/dev/$n"
	done
	mkdir -p "$d/dev/pts" "$d/dev/shm"
	if mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$d/dev/pts" 2>/dev/null; then
		ln -s pts/ptmx "$d/dev/ptmx"
	fi
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$d/dev/shm"
	ln -s /proc/self/fd "$d/dev/fd"
	ln -s /proc/self/fd/0 "$d/dev/stdin"
	ln -s /proc/self/fd/1 "$d/dev/stdout"
	ln -s /proc/self/fd/2 "$d/dev/stderr"
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$d/tmp"
}

# in_chroot DIR COMMAND...: run a command in DIR with a clean environment
# (the lock's descriptor closed, so nothing left behind can hold it).
in_chroot() {
	local d=$1
	shift
	chroot "$d" /usr/bin/env -i PATH="$chroot_path" HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@" 9>&-
}

# --------------------------------------------------------------------------
# The Debian mirror: the host's apt sources, read at run time.

host_mirror() {
	local codename f uri
	if [ -n "${PG_TLS_AUDIT_MIRROR:-}" ]; then
		echo "$PG_TLS_AUDIT_MIRROR"
		return
	fi
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || return 1
	# deb822 .sources: the first enabled "deb" paragraph for the host's suite.
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk -v want="$codename" '
			BEGIN { RS = ""; FS = "\n" }
			{
				types = ""; uris = ""; suites = ""; enabled = "yes"
				for (i = 1; i <= NF; i++) {
					l = $i
					if (l ~ /^#/) continue
					k = tolower(l); sub(/:.*/, "", k)
					v = l; sub(/^[^:]*:[ \t]*/, "", v)
					if (k == "types") types = v
					else if (k == "uris") uris = v
					else if (k == "suites") suites = v
					else if (k == "enabled") enabled = tolower(v)
				}
				if (enabled == "no" || types !~ /(^|[ \t])deb([ \t]|$)/) next
				n = split(suites, s, /[ \t]+/)
				for (j = 1; j <= n; j++)
					if (s[j] == want) { split(uris, u, /[ \t]+/); print u[1]; exit }
			}' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	# One-line sources.list format: deb [options] URI SUITE COMPONENTS...
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		uri=$(sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk -v want="$codename" '$1 == "deb" && $3 == want { print $2; exit }')
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	return 1
}

# --------------------------------------------------------------------------
# Building the chroot.

# The chroot holds what harness/scripts/install-deps.sh listed when it was built: a
# change to that script rebuilds it (the test bed never has to install
# anything, or reach a mirror, inside a cached chroot).
deps_hash=$(sha256sum "$srcdir/harness/scripts/install-deps.sh" | cut -c1-16)

stamp_ok() {
	[ -f "$root/$stamp_name" ] && grep -qx "major=$major" "$root/$stamp_name" &&
		grep -qx "deps=$deps_hash" "$root/$stamp_name" && [ -x "$root$pg_bin/pg_config" ]
}

build_failed() {
	note "$*"
	[ -f "$cache_root/chroot-$suite.log" ] && tail -n 25 "$cache_root/chroot-$suite.log" >&2
	exit 2
}

build() {
	local mirror log t0 pkg cand missing=() include=()
	t0=$SECONDS
	log=$cache_root/chroot-$suite.log
	mirror=$(host_mirror) ||
		die "could not read a Debian mirror from /etc/apt/sources.list{,.d/*} (set PG_TLS_AUDIT_MIRROR=URL)"
	case "$mirror" in
		http://*) ;;
		https://*) include=(--include=ca-certificates) ;;
		*) die "unsupported mirror URL \"$mirror\" (set PG_TLS_AUDIT_MIRROR=http://...)" ;;
	esac
	if ! command -v debootstrap >/dev/null 2>&1; then
		note "installing debootstrap on the host"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null ||
			{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -q --no-install-recommends debootstrap >/dev/null; } ||
			die "could not install debootstrap"
	fi

	note "building the $distro chroot for PostgreSQL $major in $root from $mirror (log: $log)"
	remove "$new"
	: >"$log"
	debootstrap --variant=minbase "${include[@]}" "$suite" "$new" "$mirror" >>"$log" 2>&1 ||
		build_failed "debootstrap $suite from $mirror failed"

	# No service starts in the chroot; localhost is the loopback of both
	# families; apt follows the host's policy on Release-file freshness
	# (a host on a frozen snapshot mirror sets Check-Valid-Until false).
	printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
	chmod 755 "$new/usr/sbin/policy-rc.d"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$new/etc/hosts"
	{
		echo "// written by pg_tls_audit's harness/scripts/chroot.sh from the host's apt configuration"
		apt-config dump Acquire::Check-Valid-Until Acquire::Check-Date \
			Acquire::http::Proxy Acquire::https::Proxy 2>/dev/null |
			grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy) ' || true
	} >"$new/etc/apt/apt.conf.d/90pg-tls-audit-host"

	setup_mounts "$new"
	in_chroot "$new" apt-get update -q >>"$log" 2>&1 || build_failed "apt-get update in the $suite chroot failed"

	# The major is pinned by name: postgresql-$major, never the "postgresql"
	# metapackage.  If the suite has dropped it, say so and test nothing.
	for pkg in "postgresql-$major" "postgresql-server-dev-$major" "postgresql-$major-pgtap"; do
		cand=$(in_chroot "$new" apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
		if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
			missing+=("$pkg")
		fi
	done
	if [ ${#missing[@]} -gt 0 ]; then
		teardown "$new"
		rm -rf --one-file-system "$new"
		echo "$prog: unavailable: $distro at $mirror has no ${missing[*]}; PostgreSQL $major not tested" >&2
		exit $EX_UNAVAILABLE
	fi

	# No default cluster: the test bed makes its own.
	in_chroot "$new" apt-get install -y -q --no-install-recommends postgresql-common >>"$log" 2>&1 ||
		build_failed "installing postgresql-common failed"
	sed -i 's/^#* *create_main_cluster *=.*/create_main_cluster = false/' \
		"$new/etc/postgresql-common/createcluster.conf"
	# Then exactly what the test bed installs on the host, for this major.
	cp "$srcdir/harness/scripts/install-deps.sh" "$new/root/install-deps.sh"
	in_chroot "$new" bash /root/install-deps.sh "$major" >>"$log" 2>&1 ||
		build_failed "installing the PostgreSQL $major packages failed"
	rm -f "$new/root/install-deps.sh"
	in_chroot "$new" apt-get clean >>"$log" 2>&1 || true
	[ -x "$new$pg_bin/pg_config" ] || build_failed "$pg_bin/pg_config missing after installation"

	teardown "$new"
	{
		echo "major=$major"
		echo "suite=$suite"
		echo "mirror=$mirror"
		echo "deps=$deps_hash"
		echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "seconds=$((SECONDS - t0))"
	} >"$new/$stamp_name"
	remove "$root"
	mv "$new" "$root"
	note "chroot built in $((SECONDS - t0)) s"
}

# --------------------------------------------------------------------------
# Copying the checkout.

. "$srcdir/harness/scripts/copy_checkout.sh"

# copy_checkout_for_run DEST: the checkout, plus PG_TLS_AUDIT_CHROOT_CARRY's
# ignored paths the command needs too (the host's node_modules: npm is
# reached from the host only).
copy_checkout_for_run() {
	local dest=$1 f
	copy_checkout "$srcdir" "$dest"
	for f in ${PG_TLS_AUDIT_CHROOT_CARRY:-}; do
		case "$f" in /* | *..*) die "PG_TLS_AUDIT_CHROOT_CARRY: \"$f\" is not a path inside the checkout" ;; esac
		[ -e "$srcdir/$f" ] && tar -C "$srcdir" -cf - "$f" | tar -xf - -C "$dest"
	done
}

# --------------------------------------------------------------------------
# Main.

mkdir -p "$cache_root"
exec 9>"$cache_root/chroot-$suite.lock"
if ! flock -n 9; then
	note "another run is using the $suite chroot; waiting for it"
	flock 9
fi

active=""
child=""
interrupted=""
cleanup() {
	local rc=$?
	set +e
	trap '' INT TERM
	[ -n "$active" ] && teardown "$active"
	[ -n "$interrupted" ] && rc=$interrupted
	exit $rc
}
# A signal ends the run.  While COMMAND runs, the loop below passes it on;
# otherwise (building, copying) the shell acts on it once the current step
# is over, and cleanup() undoes the mounts.
on_signal() {
	interrupted=$1
	signame=$2
	[ -n "$child" ] || exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130 INT' INT
trap 'on_signal 143 TERM' TERM

# Whatever a killed run left behind: processes, mounts, a half-built tree.
active=$new
remove "$new"
active=$root
teardown "$root"

if [ "${PG_TLS_AUDIT_CHROOT_REFRESH:-}" = 1 ] || ! stamp_ok; then
	if [ -e "$root" ] && ! stamp_ok; then
		note "$root is incomplete, or harness/scripts/install-deps.sh changed since it was built: rebuilding it"
	fi
	active=$new
	build
	active=$root
fi

setup_mounts "$root"
copy_checkout_for_run "$root$checkout"
note "PostgreSQL $(in_chroot "$root" postgres --version 2>/dev/null | sed 's/^[^0-9]*//')" \
	"in $distro chroot $root, libpq5 $(in_chroot "$root" dpkg-query -W -f='${Version}' libpq5 2>/dev/null)," \
	"built $(sed -n 's/^built=//p' "$root/$stamp_name")"

# COMMAND runs in the background so that a signal reaches this script at
# once; it gets SIGINT and SIGQUIT back (a background job starts with them
# ignored) so that Ctrl-C reaches it as it would in the foreground.
env --default-signal=INT,QUIT chroot "$root" /usr/bin/env -i \
	PATH="$chroot_path" HOME=/root LC_ALL=C.UTF-8 TERM="${TERM:-dumb}" \
	PG_CONFIG="$pg_bin/pg_config" PG_TLS_AUDIT_CHROOT="$suite" ${CI+CI="$CI"} \
	/bin/bash -c 'cd "$1" && shift && exec "$@"' chroot-run "$checkout" "$@" 9>&- &
child=$!

# Ctrl-C reaches every process of the terminal's process group, COMMAND's
# included: give them 2 s to act on it.  A signal sent to this script alone
# is then passed on to every process in the chroot (servers started in their
# own session included), and 30 s later cleanup() kills what is left.
status=""
forward_at=""
deadline=""
while [ -z "$status" ]; do
	if [ -z "$interrupted" ]; then
		rc=0
		wait "$child" || rc=$?
		# wait also returns when a trapped signal arrives
		[ -z "$interrupted" ] && status=$rc
	elif ! kill -0 "$child" 2>/dev/null; then
		status=$interrupted
	else
		[ -n "$forward_at" ] || forward_at=$((SECONDS + 2))
		if [ -z "$deadline" ] && [ $SECONDS -ge "$forward_at" ]; then
			note "passing SIG$signame on to the processes in the chroot"
			pids=$(procs_in "$root")
			[ -z "$pids" ] || kill -"$signame" $pids 2>/dev/null || true
			deadline=$((SECONDS + 30))
		fi
		if [ -n "$deadline" ] && [ $SECONDS -ge "$deadline" ]; then
			status=$interrupted
		else
			sleep 0.2
		fi
	fi
done
child=""
exit "$status"
