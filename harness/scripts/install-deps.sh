#!/bin/bash
# install-deps.sh: install the Debian packages pg_tls_audit and pg_tls_probe
# need to build and test, if any is missing.  Does nothing when all are
# present, so `make test` and `make demo` can call it every time.
#
# usage: harness/scripts/install-deps.sh [--packaging] [PG_MAJOR]   (default:
# the pg_config on PATH, else 15; --packaging adds what make deb needs)
set -euo pipefail

packaging=false
if [ "${1:-}" = --packaging ]; then
	packaging=true
	shift
fi
major=${1:-}
if [ -z "$major" ]; then
	if command -v pg_config >/dev/null 2>&1; then
		major=$(pg_config --version | sed -n 's/^PostgreSQL \([0-9]*\).*/\1/p')
	fi
	major=${major:-15}
fi

packages=(
	"postgresql-$major" "postgresql-server-dev-$major" "postgresql-$major-pgtap"
	libssl-dev libpq-dev libkrb5-dev gcc make openssl
	# the middleboxes of the audit's tests (harness/t/middlebox_lib.sh)
	pgbouncer stunnel4
)
# The host (PostgreSQL 15, Debian 12) runs the postgres_exporter test, the
# libFuzzer targets (make fuzz-check: Debian's clang, its libFuzzer and its
# sanitizer runtimes; gcc's come with gcc) and the Patroni cluster
# (make test-patroni: Patroni 3.0.2, whose etcd3 section needs python3-etcd,
# a Depends of the package, and etcd 3.4).
if [ "$major" = 15 ]; then
	packages+=(prometheus-postgres-exporter curl clang-14 libfuzzer-14-dev libclang-rt-14-dev
		patroni python3-etcd etcd-server)
fi
if $packaging; then
	packages+=(build-essential debhelper dpkg-dev lintian postgresql-all)
fi

missing=()
for p in "${packages[@]}"; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
	exit 2
fi
echo "install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# No service may start because of this install (prometheus-postgres-exporter
# would start its daemon on :9187, etcd-server its own on :2379): a
# policy-rc.d that refuses every start, for the length of the install,
# unless the system has one of its own.
policy=/usr/sbin/policy-rc.d
own_policy=false
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=true
	trap '$own_policy && rm -f "$policy"' EXIT
fi
daemons=(/usr/bin/prometheus-postgres-exporter /usr/bin/etcd)
running_before=$(pidof "${daemons[@]}" 2>/dev/null || true)
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
# And should an init system have started one all the same, stop what this
# install started (never a daemon that was running before).
for pid in $(pidof "${daemons[@]}" 2>/dev/null || true); do
	if [[ " $running_before " != *" $pid "* ]]; then
		echo "install-deps.sh: stopping the daemon the install started (pid $pid)" >&2
		kill "$pid" 2>/dev/null || true
	fi
done
# The Patroni suite runs its own etcd and Patroni, as an unprivileged user
# on ports of its own: the packages' services (package:service) stay
# disabled, at the next boot too.
for ps in etcd-server:etcd patroni:patroni; do
	if [[ " ${missing[*]} " == *" ${ps%%:*} "* ]]; then
		systemctl disable "${ps#*:}" >/dev/null 2>&1 || true
		[ ! -e "/etc/init.d/${ps#*:}" ] || update-rc.d "${ps#*:}" disable >/dev/null 2>&1 || true
	fi
done
