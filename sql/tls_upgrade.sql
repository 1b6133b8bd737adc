--
-- Upgrade paths: install 1.0, walk ALTER EXTENSION ... UPDATE to 1.1, 1.2
-- and then 1.3; install 1.1 and update it to the default version; compare
-- every object with a fresh install of the default version (functions with their
-- properties and privileges, views with their definitions, types), so the
-- upgrade scripts and pg_tls_audit--1.3.sql cannot drift apart.  In a
-- database of its own, leaving the suite's extension alone.
--
\set VERBOSITY terse
SELECT current_database() AS suite_database \gset
CREATE DATABASE regress_tls_upgrade;
\connect regress_tls_upgrade

-- Every member object of the extension with what defines it; not the
-- array and row types that come with a type or a view (PostgreSQL 17
-- records those as members too).
CREATE FUNCTION pg_temp.extension_objects()
RETURNS TABLE (object text, definition text) LANGUAGE sql AS $$
	SELECT pg_describe_object(d.classid, d.objid, 0),
	       CASE d.classid
	       WHEN 'pg_proc'::regclass THEN
	           (SELECT concat_ws(' | ', pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
	                             (SELECT l.lanname FROM pg_language l WHERE l.oid = p.prolang), p.prosrc, p.probin, p.provolatile, p.proisstrict,
	                             p.proparallel, p.prorows, p.prosecdef, p.proacl)
	            FROM pg_proc p WHERE p.oid = d.objid)
	       WHEN 'pg_class'::regclass THEN
	           (SELECT concat_ws(' | ', c.relkind, pg_get_viewdef(c.oid), c.relacl,
	                             (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', '
	                                                ORDER BY a.attnum)
	                              FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0))
	            FROM pg_class c WHERE c.oid = d.objid)
	       WHEN 'pg_type'::regclass THEN
	           (SELECT concat_ws(' | ', t.typtype, t.typacl,
	                             (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', '
	                                                ORDER BY a.attnum)
	                              FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0))
	            FROM pg_type t WHERE t.oid = d.objid)
	       END
	FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
	WHERE e.extname = 'pg_tls_audit' AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
	  AND NOT EXISTS (SELECT FROM pg_type t LEFT JOIN pg_class c ON c.oid = t.typrelid
	                  WHERE d.classid = 'pg_type'::regclass AND t.oid = d.objid
	                    AND (t.typcategory = 'A' OR c.relkind IS DISTINCT FROM 'c'))
$$;

CREATE EXTENSION pg_tls_audit VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'pg_tls_audit';
SELECT object FROM pg_temp.extension_objects() ORDER BY 1;

-- The update to 1.1 warns, as CREATE EXTENSION does, that nothing
-- preloaded the library on this server.
ALTER EXTENSION pg_tls_audit UPDATE TO '1.1';
SELECT extversion FROM pg_extension WHERE extname = 'pg_tls_audit';
SELECT object FROM pg_temp.extension_objects() ORDER BY 1;
CREATE TEMP TABLE upgraded AS SELECT * FROM pg_temp.extension_objects();

-- The 1.0 functions still answer after the update.
SELECT ssl, protocol IS NOT NULL AS has_protocol FROM tls_session();
SELECT source FROM tls_sessions WHERE pid = pg_backend_pid();

ALTER EXTENSION pg_tls_audit UPDATE TO '1.2';
SELECT extversion FROM pg_extension WHERE extname = 'pg_tls_audit';
SELECT object FROM pg_temp.extension_objects()
EXCEPT SELECT object FROM upgraded ORDER BY 1;
DROP TABLE upgraded;
CREATE TEMP TABLE upgraded AS SELECT * FROM pg_temp.extension_objects();

ALTER EXTENSION pg_tls_audit UPDATE TO '1.3';
SELECT extversion FROM pg_extension WHERE extname = 'pg_tls_audit';
SELECT object FROM pg_temp.extension_objects()
EXCEPT SELECT object FROM upgraded ORDER BY 1;
DROP TABLE upgraded;
CREATE TEMP TABLE upgraded AS SELECT * FROM pg_temp.extension_objects();

-- The 1.3 function answers after the update (this database has no
-- foreign server).
SELECT count(*) AS foreign_servers FROM tls_links() WHERE kind = 'foreign_server';

-- From 1.1 straight to the default version.
DROP EXTENSION pg_tls_audit;
CREATE EXTENSION pg_tls_audit VERSION '1.1';
ALTER EXTENSION pg_tls_audit UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'pg_tls_audit';
CREATE TEMP TABLE upgraded_from_1_1 AS SELECT * FROM pg_temp.extension_objects();

-- The 1.2 functions answer after the update.
SELECT role, source = current_setting('ssl_cert_file') AS from_cert_file
FROM tls_server_certificates() WHERE role = 'server';

-- A fresh install of the default version has the same objects, defined the same way, as
-- both updates.
DROP EXTENSION pg_tls_audit;
CREATE EXTENSION pg_tls_audit;
SELECT extversion FROM pg_extension WHERE extname = 'pg_tls_audit';
SELECT 'only in the install updated from 1.0' AS differs, * FROM
       (TABLE upgraded EXCEPT SELECT * FROM pg_temp.extension_objects()) x
UNION ALL
SELECT 'only in the fresh install', * FROM
       (SELECT * FROM pg_temp.extension_objects() EXCEPT TABLE upgraded) y
UNION ALL
SELECT 'only in the install updated from 1.1', * FROM
       (TABLE upgraded_from_1_1 EXCEPT SELECT * FROM pg_temp.extension_objects()) z
UNION ALL
SELECT 'only in the fresh install (vs 1.1)', * FROM
       (SELECT * FROM pg_temp.extension_objects() EXCEPT TABLE upgraded_from_1_1) w;
SELECT count(*) AS objects FROM upgraded;

\connect :suite_database
DROP DATABASE regress_tls_upgrade WITH (FORCE);
