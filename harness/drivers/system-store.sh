#!/bin/sh
# system-store.sh DEST ROOT: a copy of /etc/ssl/certs in DEST that also
# trusts the PEM certificate ROOT, for `pg_tls_probe drivers` to bind over
# /etc/ssl/certs in each probe's private mount namespace.  Covered: the
# bundle ca-certificates.crt (OpenSSL's default file, Go, .NET), a hashed
# link (OpenSSL's default directory, libpq's sslrootcert=system) and the
# JVM's java/cacerts.  The machine's own store is only read.
set -eu
dest=$1
root=$2
[ -d /etc/ssl/certs ] || { echo "system-store.sh: no /etc/ssl/certs" >&2; exit 2; }
cp -a /etc/ssl/certs "$dest"
cp "$root" "$dest/pg_tls_probe-test-root.pem"
cat "$root" >>"$dest/ca-certificates.crt"
hash=$(openssl x509 -hash -noout -in "$root")
n=0
while [ -e "$dest/$hash.$n" ]; do n=$((n + 1)); done
ln -s pg_tls_probe-test-root.pem "$dest/$hash.$n"
if [ -f "$dest/java/cacerts" ] && command -v keytool >/dev/null 2>&1; then
	keytool -importcert -noprompt -storepass changeit -alias pg_tls_probe-test-root \
		-keystore "$dest/java/cacerts" -file "$root" >/dev/null 2>&1
fi
chmod -R a+rX "$dest"
echo "$dest"
