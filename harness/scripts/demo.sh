#!/bin/bash
# demo.sh: show pg_tls_audit's functions on a plaintext, a verified TLS and
# a client-certificate session, then 1.1's views of all of them.  Run by
# `make demo` (harness/t/testbed.sh) inside the environment `pg_tls_probe
# cluster start` exported.
set -euo pipefail

certificate_columns="subject, issuer, serial_hex, not_before, not_after, sha256_fingerprint,
	san_dns, san_ip, san_email, key_algorithm, key_bits, signature_algorithm"

show() {
	echo
	echo "== $1"
	shift
	psql -X -q -P pager=off -x "$@"
}

psql -X -q -c 'CREATE EXTENSION IF NOT EXISTS pg_tls_audit'

show "plaintext session (sslmode=disable)" "sslmode=disable" \
	-c 'SELECT * FROM tls_session()' \
	-c 'SELECT count(*) AS server_certificates FROM tls_server_certificate()'

show "verified TLS session (sslmode=verify-full, password)" \
	-c 'SELECT * FROM tls_session()' \
	-c "SELECT $certificate_columns FROM tls_server_certificate()"

client="user=tls_client sslcert=$PG_TLS_PROBE_PKI/client.crt sslkey=$PG_TLS_PROBE_PKI/client.key"
show "client-certificate session (sslmode=verify-full, cert authentication)" "$client" \
	-c 'SELECT * FROM tls_session()' \
	-c "SELECT $certificate_columns FROM tls_peer_certificate()" \
	-c "SELECT tls_peer_subject_field('CN') AS cn, tls_peer_subject_field('OU') AS ou,
	           tls_peer_issuer_field('organizationName') AS issuer_o" \
	-c 'SELECT * FROM tls_peer_extensions()'

show "pg_tls_audit 1.1: every session, the connection log, the configuration audit" \
	-c 'SELECT pid, usename, ssl, protocol, client_subject, sni, hba_line, auth_method FROM tls_sessions' \
	-c 'SELECT id, usename, ssl, protocol, outcome, reason FROM tls_connection_log ORDER BY id' \
	-c 'SELECT severity, "check", detail FROM tls_audit()'

# The client side: the sslmode matrix as a grid (its own throwaway servers),
# then two connection strings for this cluster audited against attackers:
# verify-full passes, prefer does not (a stripping proxy gets plaintext).
probe=$("${PG_CONFIG:-pg_config}" --bindir)/pg_tls_probe
echo
echo "== pg_tls_probe matrix: every sslmode against good and bad servers and attackers"
"$probe" matrix --pg-config "${PG_CONFIG:-pg_config}" || true
base="host=localhost port=$PGPORT dbname=postgres user=postgres sslrootcert=$PGSSLROOTCERT"
for mode in verify-full prefer; do
	echo
	echo "== pg_tls_probe audit 'sslmode=$mode ...' (exit 0 only when verified, confirmed and every attack refused)"
	rc=0
	"$probe" audit "$base sslmode=$mode" || rc=$?
	echo "(exit $rc)"
done
