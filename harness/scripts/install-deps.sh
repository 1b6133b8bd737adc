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
)
if $packaging; then
	packages+=(build-essential debhelper dpkg-dev help2man lintian postgresql-all)
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
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
