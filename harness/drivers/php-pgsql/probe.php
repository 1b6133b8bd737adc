<?php
// PHP's pgsql extension with the guide's recommended call, quoted literally:
//   $dbconn = pg_connect("host={host} port={port} dbname={databasename} user={username} password={password} sslmode=verify-full sslrootcert=system")
// application_name and connect_timeout are appended so that an attacker
// proxy can tell this probe's startup from the others' and a silent peer
// cannot hang it.  The working directory is a throwaway one, so a libpq
// older than 16, which reads sslrootcert=system as a file name, finds no
// file called "system".
function report($version, $libpq, $row, $error)
{
	echo json_encode([
		'connected' => $row !== null,
		'server_ssl' => $row === null ? null : $row[0] === 't',
		'server_tls_version' => $row === null ? null : $row[1],
		'server_cipher' => $row === null ? null : $row[2],
		'error' => $error === null ? null : preg_replace('/\s+/', ' ', trim($error)),
		'version' => $version,
		'libpq' => $libpq,
	]), "\n";
}

if (!function_exists('pg_connect')) {
	echo json_encode(['unavailable' => 'the pgsql extension is not loaded (php-pgsql)']), "\n";
	exit(0);
}
$version = 'PHP ' . PHP_VERSION . ' pgsql';
$libpq = PGSQL_LIBPQ_VERSION;
$e = 'getenv';
$error = null;
set_error_handler(function ($no, $str) use (&$error) { $error = $str; return true; });
// PTP_VARIANT recipe: the guide's setting; generic: the guide's generic
// string, a URL (libpq takes one wherever it takes a conninfo); hardened:
// channel binding required too; hardened-rootfile: and the provider's root
// file in place of system (libpq before 16); default: no TLS setting.
$tls = [
	'recipe' => ' sslmode=verify-full sslrootcert=system',
	'hardened' => ' sslmode=verify-full sslrootcert=system channel_binding=require',
	'hardened-rootfile' => " sslmode=verify-full sslrootcert={$e('PTP_ROOT_CERT')} channel_binding=require",
][$e('PTP_VARIANT')] ?? '';
$keywords = " application_name={$e('PTP_APPNAME')} connect_timeout={$e('PTP_TIMEOUT')}";
if ($e('PTP_VARIANT') === 'generic')
	$dbconn = pg_connect("postgresql://{$e('PTP_USER')}:{$e('PTP_PASSWORD')}@{$e('PTP_HOST')}:{$e('PTP_PORT')}/{$e('PTP_DBNAME')}?sslmode=verify-full&sslrootcert=system"
		. str_replace(' ', '&', $keywords));
else
	$dbconn = pg_connect("host={$e('PTP_HOST')} port={$e('PTP_PORT')} dbname={$e('PTP_DBNAME')} user={$e('PTP_USER')} password={$e('PTP_PASSWORD')}"
		. $tls . $keywords);
if ($dbconn === false) {
	report($version, $libpq, null, $error ?? 'pg_connect failed');
	exit(0);
}
$res = pg_query($dbconn, 'SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
report($version, $libpq, pg_fetch_row($res), null);
