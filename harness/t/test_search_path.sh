#!/bin/bash
# test_search_path.sh: pg_tls_audit under a hostile search_path
# (CVE-2018-1058), as TAP.  An unprivileged role with CREATE on schema
# public (as in a database upgraded from PostgreSQL 14 or older) plants
# there, generated from the catalogs:
#
#   - a shadow of every pg_catalog function whose name appears as a word in
#     the extension's SQL scripts or in the string literals of its C files,
#     with the same argument types (plpgsql functions, and aggregates with a
#     plpgsql state function; window functions and arguments of types
#     plpgsql cannot declare, such as internal or "any", are left out: an
#     unprivileged role cannot write those either);
#   - a shadow of every operator of pg_catalog, with the same operand types.
#
# Each shadow, run by a superuser, makes the planting role a superuser,
# records its call in public.shadow_calls and raises a NOTICE; otherwise it
# returns what the original returns.  Then a superuser whose search_path is
# "$user", public, pg_catalog (pg_catalog last) installs the oldest version,
# updates through every later one, calls every function and reads every
# view of the extension, and reinstalls the default version.  The planting
# role must still not be a superuser and no shadow may have been called.
#
# usage: harness/t/test_search_path.sh PG_TLS_PROBE
# Output is TAP, ending with "N passed, N failed".  The cluster (preloaded,
# so that every function works) is removed on exit, whatever happened.
set -uo pipefail

probe=${1:?usage: harness/t/test_search_path.sh PG_TLS_PROBE}
cd "$(dirname "$0")/../.."
export PG_CONFIG=${PG_CONFIG:-pg_config}
export LC_ALL=C.UTF-8

work=$(mktemp -d /tmp/pg_tls_audit-search-path.XXXXXX)
chmod 755 "$work"
cluster=$work/cluster
plaintext_pid=
cleanup() {
	[ -n "$plaintext_pid" ] && kill "$plaintext_pid" 2>/dev/null
	"$probe" cluster stop "$cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. harness/t/tap.sh
. harness/t/testbed_lib.sh

start_preloaded_cluster "$cluster"

# psql_as ROLE ARGS...: over the Unix socket (trust), default search_path.
psql_as() {
	local role=$1
	shift
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_TLS_PROBE_SOCKET" -d postgres -U "$role" "$@"
}

psql_as postgres -c "CREATE ROLE regress_attacker LOGIN" -c "GRANT CREATE ON SCHEMA public TO regress_attacker"
ok $? "regress_attacker created, with CREATE on schema public"

# The words of the extension's SQL: its scripts, and its C string literals.
words=$({
	grep -ohE '"([^"\\]|\\.)*"' extension/*.c
	cat extension/*.sql
} | grep -oE '[A-Za-z_][A-Za-z0-9_]*' | tr '[:upper:]' '[:lower:]' | sort -u | tr '\n' ' ')

# Types a plpgsql function can take and return, beyond the ordinary ones.
declarable="'anyelement', 'anyarray', 'anynonarray', 'anyenum', 'anyrange', 'anymultirange',
	'anycompatible', 'anycompatiblearray', 'anycompatiblenonarray', 'anycompatiblerange',
	'anycompatiblemultirange', 'record', 'void'"

psql_as regress_attacker -v words="$words" >"$work/plant.out" 2>&1 <<SQL
CREATE TABLE public.shadow_calls (what text);
GRANT INSERT ON public.shadow_calls TO PUBLIC;

-- What every shadow does first.  Schema-qualified throughout, and no
-- plpgsql CASE (it compares with an unqualified =).
CREATE FUNCTION public.shadow_hit(what text) RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
	RAISE NOTICE 'shadow called: %', what;
	INSERT INTO public.shadow_calls VALUES (what);
	IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		ALTER ROLE regress_attacker SUPERUSER;
	END IF;
END
\$\$;

-- The functions and aggregates to shadow.
CREATE TEMP VIEW shadowable AS
SELECT p.oid, p.proname, p.prokind, p.proretset, p.prorettype,
	   coalesce(p.proargmodes::text[] && ARRAY['o', 'b', 't'], false) AS has_out,
	   coalesce((SELECT string_agg(CASE m WHEN 'v' THEN 'VARIADIC \$' ELSE '\$' END || i, ', ' ORDER BY i)
				 FROM unnest(coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[p.pronargs::int])))
					  WITH ORDINALITY AS a(m, i)
				 WHERE m IN ('i', 'b', 'v')), '') AS call_args
FROM pg_proc p
WHERE p.pronamespace = 'pg_catalog'::regnamespace
  AND p.proname = ANY (string_to_array(:'words', ' ')::name[])
  AND (p.prokind = 'f' OR
	   (p.prokind = 'a' AND (SELECT aggkind FROM pg_aggregate WHERE aggfnoid = p.oid) = 'n'))
  AND NOT EXISTS (SELECT FROM pg_type t
				  WHERE t.oid = ANY (coalesce(p.proallargtypes, p.proargtypes::oid[]) || p.prorettype)
					AND t.typtype = 'p' AND t.typname NOT IN ($declarable));

SELECT format(\$f\$CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql AS \$shadow\$
BEGIN
	PERFORM public.shadow_hit(%L);
	%s;
END
\$shadow\$\$f\$,
		proname, pg_get_function_arguments(oid), pg_get_function_result(oid), oid::regprocedure,
		CASE WHEN proretset THEN format('RETURN QUERY SELECT * FROM pg_catalog.%I(%s)', proname, call_args)
			 WHEN prorettype = 'void'::regtype OR has_out
				 THEN format('PERFORM pg_catalog.%I(%s); RETURN', proname, call_args)
			 ELSE format('RETURN pg_catalog.%I(%s)', proname, call_args) END)
FROM shadowable WHERE prokind = 'f'
\gexec

-- An aggregate's shadow: its state function, and its final function too,
-- which runs even over no rows.
SELECT format(\$f\$CREATE FUNCTION public.shadow_agg_%s(%s) RETURNS %s LANGUAGE plpgsql AS \$shadow\$
BEGIN
	PERFORM public.shadow_hit(%L);
	RETURN \$1;
END
\$shadow\$\$f\$,
		oid, concat_ws(', ', prorettype::regtype::text, nullif(pg_get_function_identity_arguments(oid), '')),
		prorettype::regtype, oid::regprocedure),
	   format('CREATE AGGREGATE public.%I(%s) (SFUNC = public.shadow_agg_%s, STYPE = %s, '
			  'FINALFUNC = public.shadow_agg_%s, FINALFUNC_EXTRA)',
		proname, coalesce(nullif(pg_get_function_identity_arguments(oid), ''), '*'), oid, prorettype::regtype, oid)
FROM shadowable WHERE prokind = 'a'
\gexec

-- Every operator of pg_catalog.
SELECT format(\$f\$CREATE FUNCTION public.shadow_op_%s(%s) RETURNS %s LANGUAGE plpgsql AS \$shadow\$
BEGIN
	PERFORM public.shadow_hit(%L);
	RETURN %s OPERATOR(pg_catalog.%s) %s;
END
\$shadow\$\$f\$,
		o.oid, concat_ws(', ', nullif(o.oprleft, 0)::regtype::text, o.oprright::regtype::text),
		o.oprresult::regtype, 'operator ' || o.oid::regoperator::text,
		CASE WHEN o.oprleft <> 0 THEN '\$1' END, o.oprname, CASE WHEN o.oprleft <> 0 THEN '\$2' ELSE '\$1' END),
	   format('CREATE OPERATOR public.%s (%s RIGHTARG = %s, FUNCTION = public.shadow_op_%s)',
		o.oprname, CASE WHEN o.oprleft <> 0 THEN format('LEFTARG = %s,', o.oprleft::regtype) END,
		o.oprright::regtype, o.oid)
FROM pg_operator o
WHERE o.oprnamespace = 'pg_catalog'::regnamespace
  AND NOT EXISTS (SELECT FROM pg_type t
				  WHERE t.oid IN (o.oprleft, o.oprright, o.oprresult)
					AND t.typtype = 'p' AND t.typname NOT IN ($declarable))
ORDER BY o.oid
\gexec

SELECT (SELECT count(*) FROM shadowable),
	   (SELECT count(*) FROM pg_proc p JOIN shadowable s USING (proname, prokind)
		WHERE p.pronamespace = 'public'::regnamespace
		  AND pg_get_function_identity_arguments(p.oid) = pg_get_function_identity_arguments(s.oid)),
	   (SELECT count(*) FROM pg_operator WHERE oprnamespace = 'pg_catalog'::regnamespace),
	   (SELECT count(*) FROM pg_operator o JOIN pg_operator c USING (oprname, oprleft, oprright)
		WHERE o.oprnamespace = 'public'::regnamespace AND c.oprnamespace = 'pg_catalog'::regnamespace);
SQL
rc=$?
ok $rc "regress_attacker planted the shadows (rc=$rc$([ $rc -ne 0 ] && echo ": $(grep -m 1 ERROR "$work/plant.out")"))"
IFS='|' read -r nfunc nfunc_planted nop nop_planted <<<"$(tail -n 1 "$work/plant.out")"
[ "${nfunc:-0}" -gt 0 ] && [ "$nfunc_planted" = "$nfunc" ]
ok $? "a shadow for each of the $nfunc pg_catalog functions named in the extension's sources ($nfunc_planted planted)"
[ "${nop:-0}" -gt 0 ] && [ "$nop_planted" = "$nop" ]
ok $? "a shadow for each of the $nop operators of pg_catalog ($nop_planted planted)"
for object in "to_regprocedure('public.array_to_string(anyarray, text)')" \
	"to_regprocedure('public.has_table_privilege(text, text)')" "to_regprocedure('public.count()')" \
	"to_regoperator('public.=(text, text)')" "to_regoperator('public.~~(text, text)')" \
	"to_regoperator('public.<<=(inet, inet)')" "to_regoperator('public.=(integer, integer)')"; do
	[ "$(psql_as postgres -c "SELECT $object IS NOT NULL")" = t ]
	ok $? "the shadow $object exists"
done

# hostile DESCRIPTION SQL: SQL run by the superuser over TLS with
# pg_catalog last on search_path; it must succeed and call no shadow.
hostile() {
	local rc called
	psql -X -q -At -v ON_ERROR_STOP=1 -d postgres \
		-c 'SET search_path = "$user", public, pg_catalog' -c "$2" >"$work/hostile.out" 2>&1 </dev/null
	rc=$?
	ok $rc "$1: runs (rc=$rc$([ $rc -ne 0 ] && echo ": $(grep -m 1 -E 'ERROR|FATAL|error' "$work/hostile.out")"))"
	called=$(sed -n 's/.*NOTICE:  shadow called: //p' "$work/hostile.out" | sort -u | paste -sd ';' | sed 's/;/; /g')
	[ -z "$called" ]
	ok $? "$1: calls no shadow${called:+ (called: $called)}"
}

# The shadows do take precedence on that path: the planting role sees its
# own shadows called (and is no superuser, so nothing else happens).
psql_as regress_attacker -c 'SET search_path = "$user", public, pg_catalog' \
	-c "SELECT array_to_string(ARRAY[1, 2], ',') = 'a'::text" >"$work/control.out" 2>&1
grep -qx f "$work/control.out" &&
	grep -q 'shadow called: array_to_string(anyarray,text)' "$work/control.out" &&
	grep -q 'shadow called: operator =(text,text)' "$work/control.out"
ok $? "control: with pg_catalog last, unqualified names reach the shadows, which return the originals' results"
psql_as regress_attacker -c "DELETE FROM public.shadow_calls"

# A plaintext TCP session stays open meanwhile, so that tls_audit()'s
# sessions_without_tls check has a row to count.
psql -X -q "host=127.0.0.1 dbname=postgres sslmode=disable" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 </dev/null &
plaintext_pid=$!
plaintext_open() {
	[ "$(psql_as postgres -c "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
	                          WHERE NOT s.ssl AND a.client_addr IS NOT NULL AND a.query ~ 'pg_sleep'")" = 1 ]
}
for _ in $(seq 1 100); do
	plaintext_open && break
	sleep 0.1
done
plaintext_open
ok $? "a plaintext TCP session is open"

default_version=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" pg_tls_audit.control)
oldest=$(ls extension/pg_tls_audit--*.sql | sed -n 's|^extension/pg_tls_audit--\([^-]*\)\.sql$|\1|p' | sort -V | head -n 1)
hostile "CREATE EXTENSION pg_tls_audit VERSION '$oldest'" \
	"DROP EXTENSION IF EXISTS pg_tls_audit; CREATE EXTENSION pg_tls_audit VERSION '$oldest'"
from=$oldest
while next=$(ls extension/pg_tls_audit--"$from"--*.sql 2>/dev/null |
	sed -n "s|^extension/pg_tls_audit--$from--\(.*\)\.sql$|\1|p" | sort -V | tail -n 1) && [ -n "$next" ]; do
	hostile "ALTER EXTENSION pg_tls_audit UPDATE TO '$next'" "ALTER EXTENSION pg_tls_audit UPDATE TO '$next'"
	from=$next
done
[ "$from" = "$default_version" ]
ok $? "the update scripts lead from $oldest to the default version $default_version (reached $from)"

# Every function and view of the extension, from pg_depend; text
# arguments get 'CN', others NULL.
psql_as postgres >"$work/members" <<'SQL'
SELECT format('SELECT * FROM %I.%I(%s)', n.nspname, p.proname,
			  (SELECT coalesce(string_agg(CASE WHEN a.t = 'text'::regtype THEN '''CN'''
											 ELSE format('NULL::%s', a.t::regtype) END, ', ' ORDER BY a.i), '')
			   FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i))) AS q
FROM pg_depend d
JOIN pg_proc p ON p.oid = d.objid
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_tls_audit')
UNION ALL
SELECT format('SELECT * FROM %I.%I', n.nspname, c.relname)
FROM pg_depend d
JOIN pg_class c ON c.oid = d.objid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_tls_audit') AND c.relkind = 'v'
ORDER BY q;
SQL
grep -q 'tls_audit()' "$work/members" && grep -q 'tls_sessions$' "$work/members"
ok $? "the extension's $(wc -l <"$work/members") functions and views found in pg_depend"
while read -r query; do
	hostile "$query" "$query"
done <"$work/members"

hostile "DROP EXTENSION and CREATE EXTENSION pg_tls_audit (default version $default_version)" \
	"DROP EXTENSION pg_tls_audit; CREATE EXTENSION pg_tls_audit"

# Verdict, from a fresh session with the default search_path.
[ "$(psql_as postgres -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_attacker'")" = f ]
ok $? "regress_attacker is still not a superuser"
called=$(psql_as postgres -c "SELECT string_agg(DISTINCT what, '; ') FROM public.shadow_calls")
[ -z "$called" ]
ok $? "public.shadow_calls is empty${called:+ (called: $called)}"

tap_done
