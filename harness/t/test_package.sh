#!/bin/bash
# test_package.sh: the Debian packages and the PGXN archive, installed the
# way a DBA installs them, as TAP (part of .ci/run, not of make test: it
# installs packages system-wide and must run as root).
#
#   1. make deb: postgresql-15-pg-tls-audit and pg-tls-probe, and lintian
#      on them (errors fail; warnings are printed).
#   2. A snapshot of every directory the packages or a cluster touch, and of
#      dpkg's package list.  Files that `make install` put at the packages'
#      paths (make test installs the same files unpackaged) are set aside
#      first and put back at the end, so the snapshot is of a system without
#      pg_tls_audit.
#   3. apt-get install ./*.deb; a cluster made with pg_createcluster on a free
#      port that preloads the library; CREATE EXTENSION, tls_audit() and a
#      TLS session seen by tls_sessions and the connection log;
#      /usr/bin/pg_tls_probe finds its probes.
#   4. The cluster dropped and the packages purged: the snapshot again, and
#      nothing may differ.
#   5. make dist: the archive unpacked, META.json checked against the control
#      file, and `make && make install` run from it (into a staging DESTDIR)
#      installing the same extension files as the package.
# Each step's wall time is printed.
#
# usage: harness/t/test_package.sh
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
. harness/t/tap.sh

[ "$(id -u)" -eq 0 ] || { echo "test_package.sh: must run as root (it installs packages)" >&2; exit 2; }
major=15
cluster=pg_tls_audit_pkgtest
work=$(mktemp -d /tmp/pg_tls_audit-pkgtest.XXXXXX)
chmod 755 "$work"
stash=$work/stash
installed=false
created=false
stashed=()

step_t0=$SECONDS
step() {
	echo "# $1 ($((SECONDS - step_t0)) s)"
	step_t0=$SECONDS
}

restore_stash() {
	local f
	for f in "${stashed[@]}"; do
		mkdir -p "$(dirname "$f")"
		mv "$stash$f" "$f"
	done
	stashed=()
}

cleanup() {
	if $created; then
		pg_dropcluster --stop "$major" "$cluster" >/dev/null 2>&1
	fi
	if $installed; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q postgresql-$major-pg-tls-audit pg-tls-probe >/dev/null 2>&1
	fi
	restore_stash
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# snapshot FILE: what the packages and a cluster could leave behind.
snapshot() {
	{
		find /usr/lib/postgresql /usr/share/postgresql /usr/share/pg-tls-probe /usr/share/doc \
			/usr/bin /usr/local/bin /etc/postgresql /var/lib/postgresql /var/log/postgresql \
			/var/run/postgresql -xdev -printf '%p %y %m %s\n' 2>/dev/null
		dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n'
	} | LC_ALL=C sort >"$1"
}

# 1. The packages.
rm -rf dist/deb
debs=$(make -s deb 2>"$work/deb.err")
rc=$?
ext_deb=$(grep "/postgresql-$major-pg-tls-audit_[^/]*\.deb$" <<<"$debs")
probe_deb=$(grep '/pg-tls-probe_[^/]*\.deb$' <<<"$debs")
[ $rc -eq 0 ] && [ -f "$ext_deb" ] && [ -f "$probe_deb" ]
ok $? "make deb builds postgresql-$major-pg-tls-audit and pg-tls-probe (rc=$rc: $(tail -n 3 "$work/deb.err" | tr '\n' ' '))"
step "make deb"
version=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" pg_tls_audit.control)
[ "$(dpkg-deb -f "$ext_deb" Version 2>/dev/null)" = "$version" ] &&
	[ "$(dpkg-deb -f "$probe_deb" Version 2>/dev/null)" = "$version" ]
ok $? "the packages' version is the control file's default_version ($version)"
lintian --fail-on error "$ext_deb" "$probe_deb" >"$work/lintian" 2>&1
rc=$?
ok $rc "lintian finds no error in the packages ($(grep -v 'running with root privileges' "$work/lintian" | tr '\n' ' '))"
if [ ! -f "$ext_deb" ] || [ ! -f "$probe_deb" ]; then
	tap_done
	exit 1
fi

# 2. Set aside what make install left at the packages' paths; snapshot.
for deb in "$ext_deb" "$probe_deb"; do
	while read -r f; do
		f=${f#.}
		if [ -f "$f" ] || [ -L "$f" ]; then
			if [ -n "$(dpkg-query -S "$f" 2>/dev/null)" ]; then
				echo "# $f belongs to an installed package: not set aside"
				continue
			fi
			mkdir -p "$stash$(dirname "$f")"
			mv "$f" "$stash$f" && stashed+=("$f")
			# dpkg removes the directories it made once they are empty:
			# leave none of make install's behind for it to adopt.
			rmdir -p --ignore-fail-on-non-empty "$(dirname "$f")" 2>/dev/null
		fi
	done < <(dpkg-deb --fsys-tarfile "$deb" | tar -tf - | grep -v '/$')
done
echo "# ${#stashed[@]} unpackaged files of an earlier make install set aside"
snapshot "$work/before"

# 3. Install, and use it as a DBA would.
out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$ext_deb" "$probe_deb" 2>&1)
rc=$?
[ $rc -eq 0 ] && installed=true
ok $rc "apt-get install ./postgresql-$major-pg-tls-audit ./pg-tls-probe ($(tail -n 1 <<<"$out"))"
step "install"

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
out=$(pg_createcluster "$major" "$cluster" -p "$port" -o shared_preload_libraries=pg_tls_audit \
	-o "listen_addresses=localhost" --start 2>&1)
rc=$?
[ $rc -eq 0 ] && created=true
ok $rc "pg_createcluster $major $cluster -p $port, preloading pg_tls_audit, started ($(tail -n 1 <<<"$out"))"
step "pg_createcluster"

# psql_pkg SQL: one value, as the cluster's superuser over its Unix socket.
psql_pkg() {
	runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -p "$port" -d postgres -c "$1" 2>&1
}
out=$(psql_pkg "CREATE EXTENSION pg_tls_audit; SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_tls_audit'")
[ "$out" = "CREATE EXTENSION"$'\n'"$version" ] || [ "$out" = "$version" ]
ok $? "CREATE EXTENSION pg_tls_audit installs version $version (got '$(tr '\n' ' ' <<<"$out")')"

out=$(psql_pkg "SELECT count(*) FROM tls_audit() WHERE \"check\" = 'policy_inactive'")
[ "$out" = 0 ]
ok $? "tls_audit() on the preloaded cluster: the policy is active (policy_inactive rows: $out)"
out=$(psql_pkg "SELECT string_agg(severity || ':' || \"check\", ' ' ORDER BY \"check\") FROM tls_audit()")
ok $? "tls_audit() runs: $out"

# A TLS session over TCP, with the cluster's own (Debian snakeoil) certificate.
runuser -u postgres -- psql -X -At -p "$port" -c "ALTER ROLE postgres PASSWORD 'pkgtest-only'" >/dev/null 2>&1
out=$(PGPASSWORD=pkgtest-only psql -X -At -v ON_ERROR_STOP=1 \
	"host=localhost port=$port dbname=postgres user=postgres sslmode=require" \
	-c "SELECT ssl, protocol IS NOT NULL FROM tls_sessions WHERE pid = pg_catalog.pg_backend_pid()" 2>&1)
[ "$out" = "t|t" ]
ok $? "a sslmode=require session is a TLS session in tls_sessions (got '$out')"
out=$(psql_pkg "SELECT count(*) > 0 FROM tls_connection_log WHERE ssl AND outcome = 'accepted'")
[ "$out" = t ]
ok $? "the connection log recorded the TLS session (got '$out')"

out=$(/usr/bin/pg_tls_probe --version 2>&1)
[ "$out" = "pg_tls_probe $version" ]
ok $? "/usr/bin/pg_tls_probe --version (got '$out')"
[ -x /usr/share/pg-tls-probe/drivers/libpq-psql/run ] || ls /usr/share/pg-tls-probe/drivers/*/run >/dev/null 2>&1
ok $? "the drivers' probes are installed in /usr/share/pg-tls-probe/drivers"
step "use"

# 4. Remove everything; nothing may be left.
out=$(pg_dropcluster --stop "$major" "$cluster" 2>&1)
rc=$?
[ $rc -eq 0 ] && created=false
ok $rc "pg_dropcluster --stop $major $cluster ($out)"
out=$(DEBIAN_FRONTEND=noninteractive apt-get purge -y -q postgresql-$major-pg-tls-audit pg-tls-probe 2>&1)
rc=$?
[ $rc -eq 0 ] && installed=false
ok $rc "apt-get purge postgresql-$major-pg-tls-audit pg-tls-probe ($(tail -n 1 <<<"$out"))"
snapshot "$work/after"
diff "$work/before" "$work/after" >"$work/left"
ok $? "nothing left behind: the snapshot after equals the one before ($(head -c 300 "$work/left" | tr '\n' ' '))"
step "remove"
restore_stash

# 5. The PGXN archive.
archive=$(make -s dist 2>"$work/dist.err")
rc=$?
[ $rc -eq 0 ] && [ -f "$archive" ]
ok $? "make dist makes $archive (rc=$rc: $(head -c 200 "$work/dist.err"))"
semver=$(basename "$archive" .zip)
semver=${semver#pg_tls_audit-}
mkdir "$work/dist" && (cd "$work/dist" && unzip -q "$archive")
top=$work/dist/pg_tls_audit-$semver
/usr/bin/python3 - "$top/META.json" "$version" "$semver" <<'EOF'
import json, sys
meta = json.load(open(sys.argv[1]))
version, semver = sys.argv[2], sys.argv[3]
for key in ("name", "abstract", "version", "maintainer", "license", "provides", "meta-spec"):
    assert key in meta, "META.json lacks " + key
assert meta["version"] == semver, meta["version"]
assert semver in (version, version + ".0"), semver
ext = meta["provides"]["pg_tls_audit"]
assert ext["version"] == semver and ext["file"] == "extension/pg_tls_audit--%s.sql" % version, ext
assert meta["prereqs"]["runtime"]["requires"]["PostgreSQL"] == "15.0.0"
assert "OpenSSL" in meta["description"]
EOF
ok $? "META.json: PGXN's required keys, version $semver from default_version $version, file and prereqs"
[ -f "$top/extension/pg_tls_audit--$version.sql" ]
ok $? "the archive holds the file META.json names"
chown -R nobody "$work/dist"
touch "$work/before-install"
if runuser -u nobody -- make -s -C "$top" >"$work/dist-make.log" 2>&1 &&
	make -s -C "$top" install DESTDIR="$work/stage" >>"$work/dist-make.log" 2>&1; then
	rc=0
else
	rc=1
fi
ok $rc "make && make install DESTDIR=... from the unpacked archive ($(tail -n 2 "$work/dist-make.log" | tr '\n' ' '))"
outside=$(find /usr /etc /opt /var/lib -xdev -newer "$work/before-install" 2>/dev/null | head -n 5)
[ -z "$outside" ] && [ -L "$work/stage/usr/local/bin/pg_tls_probe" ]
ok $? "make install honours DESTDIR: nothing written outside it, the /usr/local/bin link inside it (outside: $outside)"
# The extension's files: the library, its bitcode, the control file and the
# scripts (not the harness, which the archive's make install adds, nor the
# package's /usr/share/doc).
ext_files() { grep -e "^\./usr/lib/postgresql/$major/lib/" -e "^\./usr/share/postgresql/$major/extension/" | LC_ALL=C sort; }
(cd "$work/stage" && find . -type f | ext_files) >"$work/dist-files"
dpkg-deb --fsys-tarfile "$ext_deb" | tar -tf - | grep -v '/$' | ext_files >"$work/deb-files"
[ -s "$work/deb-files" ] || echo "the package lists no extension files" >"$work/files-diff"
diff "$work/deb-files" "$work/dist-files" >>"$work/files-diff" && [ -s "$work/deb-files" ]
ok $? "the archive installs the same extension files as the package ($(head -c 300 "$work/files-diff" | tr '\n' ' '))"
step "make dist"

tap_done
