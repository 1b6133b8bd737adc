#!/bin/bash
# install-drivers.sh: install and build the third-party clients that
# `pg_tls_probe drivers` runs (harness/drivers/*): Debian packages of the
# suite it runs on (Debian 12 on the host, unstable in the chroot), the npm
# packages pinned by harness/drivers/node/package-lock.json, the Npgsql
# probe restored and built once per major (8, 9, 10) from the configured
# NuGet registry (where dotnet is), and the Go, Rust, Java and Prisma probes compiled offline into
# harness/drivers/build, or $PTP_DRIVERS_BUILD (a chroot run keeps its builds
# there, outside its throwaway copy of the checkout).  npm and NuGet are
# reached from the host only: in the chroot, node_modules is the host's,
# carried in by harness/scripts/chroot.sh.  Each step is skipped when its result is
# already there, so it can run before every `make test-drivers`.  Prints how
# long each step took.
#
# usage: harness/scripts/install-drivers.sh
set -euo pipefail

started=$(date +%s)
cd "$(dirname "$0")/../drivers"
drivers=$PWD
build=${PTP_DRIVERS_BUILD:-$drivers/build}
mkdir -p "$build"
rm -f "$build/.installed"

step_start=0
step() {
	step_start=$(date +%s)
	printf 'install-drivers: %s ... ' "$1" >&2
}
done_step() {
	echo "${1:-done} ($(($(date +%s) - step_start)) s)" >&2
}

# A build directory can serve several checkouts: the chroot's does, every
# worktree's copy builds into it.  So a probe is rebuilt when what it was
# built from differs from this checkout's, not when its sources are newer:
# another checkout's older source compiled later would pass for this one's
# (the stale pgjdbc probe that ignored PTP_VARIANT).
# build_key WORDS FILE...: the key of a build from FILE..., with WORDS (the
# library's package and version) in it.
build_key() {
	local words=$1
	shift
	{ echo "$words"; sha256sum "$@"; } | sha256sum | cut -d' ' -f1
}
# The key file also holds the product's own hash: a checkout whose
# install-drivers.sh predates the key files may overwrite the product and
# leave the key behind.
product_hash() {
	sha256sum <"$1" | cut -d' ' -f1
}
# stale PRODUCT KEY: true when PRODUCT is missing, or is not what a build
# from KEY made.
stale() {
	[ ! -e "$1" ] || [ "$(cat "$1.key" 2>/dev/null)" != "$2 $(product_hash "$1")" ]
}
# built PRODUCT KEY: records that PRODUCT was built from KEY.
built() {
	echo "$2 $(product_hash "$1")" >"$1.key"
}

# Debian packages.  cargo and rustc are Debian's, not a rustup toolchain
# that may be on PATH: the crates in /usr/share/cargo/registry are built
# and tested with them.
# pgx: v5 where the suite has it (unstable), else v4 (Debian 12).
if apt-cache show golang-github-jackc-pgx-v5-dev >/dev/null 2>&1; then
	pgx=v5
else
	pgx=v4
fi
packages=(
	python3-psycopg2 python3-psycopg python3-django python3-asyncpg
	php-cli php-pgsql
	libpostgresql-jdbc-java default-jdk-headless ca-certificates-java
	golang-go golang-github-lib-pq-dev golang-github-jackc-pgx-$pgx-dev
	cargo rustc librust-tokio-postgres-dev librust-tokio-dev librust-openssl-dev
	librust-tokio-openssl-dev librust-futures-util-dev
	ruby-pg libdbd-pg-perl pgbouncer
	nodejs openssl ca-certificates util-linux mount
)
step "Debian packages"
missing=()
for p in "${packages[@]}"; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing ${missing[*]} (run as root, or install them)" >&2
		exit 2
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
	done_step "installed ${#missing[*]}"
else
	done_step "present"
fi

# npm: exactly the lock file.  Install scripts stay off: Prisma's would
# download engines, and the probe needs none (see prisma/schema.prisma).
step "npm packages (node $(node --version))"
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)'; then
	echo "Prisma 7 needs Node.js 20.19 or later, this is $(node --version)" >&2
	exit 2
fi
if [ -n "${PG_TLS_AUDIT_CHROOT:-}" ]; then
	[ -d node/node_modules ] || { echo "no node_modules carried into the chroot" >&2; exit 2; }
	done_step "carried from the host"
elif [ ! -d node/node_modules ] || [ node/package-lock.json -nt node/node_modules ]; then
	(cd node && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
	touch node/node_modules
	done_step "installed"
else
	done_step "present"
fi

# Prisma: generate the client offline.  Generating needs no schema engine,
# but the CLI insists on finding one; any executable will do.
step "Prisma client"
key=$(build_key prisma prisma/schema.prisma node/package-lock.json)
if stale "$build/prisma/client/index.js" "$key"; then
	mkdir -p "$build/prisma"
	cp prisma/schema.prisma "$build/prisma/"
	ln -sfn "$drivers/node/node_modules" "$build/prisma/node_modules"
	printf '#!/bin/sh\necho "pg_tls_probe: no schema engine here" >&2\nexit 1\n' >"$build/prisma/no-schema-engine"
	chmod +x "$build/prisma/no-schema-engine"
	(cd "$build/prisma" &&
		PRISMA_SCHEMA_ENGINE_BINARY="$build/prisma/no-schema-engine" CHECKPOINT_DISABLE=1 \
		PRISMA_HIDE_UPDATE_MESSAGE=1 ./node_modules/.bin/prisma generate --schema schema.prisma \
		>"$build/prisma/generate.log" 2>&1) || { cat "$build/prisma/generate.log" >&2; exit 2; }
	built "$build/prisma/client/index.js" "$key"
	done_step "generated"
else
	done_step "present"
fi

# Go: GOPATH mode against Debian's golang-github-* sources, no network.
debver() { dpkg-query -W -f='${Version}' "$1" | sed 's/-[^-]*$//'; }
# The pgx probe imports pgx/v4; for v5, whose API it uses is the same, the
# import path is rewritten in the copy that is built.
gobuild() {
	local name=$1 pkg=$2 src key
	key=$(build_key "$pkg $(debver "$pkg")" "$name/probe.go")
	if stale "$build/$name" "$key"; then
		mkdir -p "$build/go-src/$name"
		src=$build/go-src/$name/probe.go
		sed "s|github.com/jackc/pgx/v4|github.com/jackc/pgx/$pgx|" "$name/probe.go" >"$src"
		GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$build/go-cache" GOFLAGS= GOPROXY=off \
			go build -o "$build/$name" -ldflags "-X main.libraryVersion=$(debver "$pkg")" "$src"
		built "$build/$name" "$key"
	fi
}
step "Go probes (lib/pq, pgx $pgx)"
gobuild go-libpq golang-github-lib-pq-dev
gobuild go-pgx golang-github-jackc-pgx-$pgx-dev
done_step

step "Java probe (pgjdbc)"
key=$(build_key "libpostgresql-jdbc-java $(debver libpostgresql-jdbc-java)" pgjdbc/Probe.java)
if stale "$build/pgjdbc/Probe.class" "$key"; then
	mkdir -p "$build/pgjdbc"
	javac -nowarn -d "$build/pgjdbc" -cp /usr/share/java/postgresql.jar pgjdbc/Probe.java
	built "$build/pgjdbc/Probe.class" "$key"
fi
done_step

# Rust: Debian's crate registry as the only source, offline.  The sources
# are copied so that Cargo.lock and target/ stay out of the repository.
step "Rust probe (tokio-postgres + openssl)"
key=$(build_key "librust-tokio-postgres-dev $(debver librust-tokio-postgres-dev)" \
	rust-postgres/src/main.rs rust-postgres/Cargo.toml)
if stale "$build/rust-postgres" "$key"; then
	mkdir -p "$build/rust/src" "$build/rust/cargo-home"
	cp rust-postgres/Cargo.toml "$build/rust/"
	cp rust-postgres/src/main.rs "$build/rust/src/"
	cat >"$build/rust/cargo-home/config.toml" <<'CONFIG'
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"

[net]
offline = true
CONFIG
	(cd "$build/rust" &&
		CARGO_HOME="$build/rust/cargo-home" PTP_CLIENT_VERSION=$(debver librust-tokio-postgres-dev) \
		/usr/bin/cargo build --quiet --release --offline --target-dir "$build/rust/target" \
		>"$build/rust/build.log" 2>&1) || { cat "$build/rust/build.log" >&2; exit 2; }
	cp "$build/rust/target/release/rust-postgres" "$build/rust-postgres"
	built "$build/rust-postgres" "$key"
fi
done_step

# Npgsql: restored and published ReadyToRun (see Probe.csproj) from the
# registry NuGet is configured with, once per major, each the newest
# release of that major it serves; where there is no dotnet (the chroot)
# the probe says so.
npgsql_versions=(8.0.9 9.0.5 10.0.3)
for v in "${npgsql_versions[@]}"; do
	out=$build/npgsql${v%%.*}
	step "Npgsql $v probe"
	if ! command -v dotnet >/dev/null 2>&1; then
		done_step "no dotnet here"
	elif key=$(build_key "Npgsql $v" npgsql/Probe.cs npgsql/Probe.csproj) && stale "$out/npgsql-probe.dll" "$key"; then
		mkdir -p "$out-src"
		cp npgsql/Probe.cs npgsql/Probe.csproj "$out-src/"
		(cd "$out-src" && DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
			dotnet publish -c Release --use-current-runtime --self-contained false -p:NpgsqlVersion="$v" \
			-o "$out" >"$out-build.log" 2>&1) ||
			{ cat "$out-build.log" >&2; exit 2; }
		built "$out/npgsql-probe.dll" "$key"
		done_step "built"
	else
		done_step "present"
	fi
done

# harness/t/test_drivers.sh runs the drivers suite of `make test` only then.
touch "$build/.installed"
echo "install-drivers: all clients ready in $(($(date +%s) - started)) s" >&2
