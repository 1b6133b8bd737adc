#!/bin/bash
# testbed_lib.sh: shell helpers the preloaded test beds share (sourced by
# harness/t/testbed_preload.sh, test_audit_wire.sh, test_search_path.sh and
# test_conn_log.sh).
#
#   start_preloaded_cluster DIR [OPTION...]
#                                 pg_tls_probe cluster start with the library
#                                 preloaded and these further options
#                                 (--conf, --hba); exports its environment,
#                                 or reports "not ok" and ends the test
#                                 (tap.sh)
#   write_seclevel0_conf FILE     an OPENSSL_CONF that lowers OpenSSL's
#                                 security level to 0 (weak keys, SHA-1,
#                                 small DH groups, old protocols load)
#   restart_server [NAME=VALUE...]
#                                 pg_ctl restart as the server's OS user,
#                                 with exactly this environment; needs
#                                 $bindir, $data, $log, $pguser and $work
#   reload                        pg_reload_conf(), and time to apply it
#   set_conf NAME VALUE           ALTER SYSTEM SET, then reload
#   reset_conf NAME               ALTER SYSTEM RESET, then reload
#                                 (these three need the caller's admin())

start_preloaded_cluster() {
	local env dir=$1
	shift
	if ! env=$("$probe" cluster start "$dir" --pg-config "$PG_CONFIG" \
		--conf "shared_preload_libraries = 'pg_tls_audit'" "$@" 2>"$work/start.err"); then
		ok 1 "preloaded cluster starts: $(cat "$work/start.err")"
		tap_done
		exit
	fi
	eval "$env"
	ok 0 "preloaded cluster starts"
}

write_seclevel0_conf() {
	cat >"$1" <<CNF
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_section
[ssl_section]
system_default = system_default_section
[system_default_section]
CipherString = DEFAULT@SECLEVEL=0
CNF
	chmod 644 "$1"
}

restart_server() {
	local as=()
	[ "$(id -u)" = 0 ] && as=(runuser -u "$pguser" --)
	"${as[@]}" env -i PATH="$bindir:/usr/bin:/bin" LC_ALL=C "$@" \
		"$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 restart >"$work/restart.log" 2>&1
}

reload() {
	admin -c "SELECT pg_reload_conf()" >/dev/null
	sleep 0.5
}

set_conf() {
	admin -c "ALTER SYSTEM SET $1 = '$2'" >/dev/null
	reload
}

reset_conf() {
	admin -c "ALTER SYSTEM RESET $1" >/dev/null
	reload
}
