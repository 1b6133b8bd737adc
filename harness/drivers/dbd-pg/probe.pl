# Perl DBI with DBD::Pg (Debian's libdbd-pg-perl), which hands the DSN's
# keywords to libpq.  The guide has no Perl section, so the rows are the
# client with no TLS keyword (PTP_VARIANT=default), the hardened recipe
#   DBI->connect("dbi:Pg:host={host};port={port};dbname={databasename};sslmode=verify-full;"
#                . "sslrootcert=system;channel_binding=require", {username}, {password})
# (hardened), and the same with the provider's root file in place of
# system, which libpq before 16 needs (hardened-rootfile).
# application_name is added so that an attacker proxy can tell this probe's
# startup from the others'.
# One process serves a whole row: the probe connects to each PTP_TARGETS
# entry (COLUMN:PORT:APPNAME) in turn, with a connection of its own, and
# prints one line per target.
use strict;
use warnings;
use JSON::PP;

my $json = JSON::PP->new->canonical;
$| = 1;

# Prints the line of one target (stdout is unbuffered: the harness reads
# each line as it comes).
sub report
{
	my ($column, $version, $libpq, $row, $error) = @_;
	$error =~ s/\s+/ /g if defined $error;
	$error =~ s/^ | $//g if defined $error;
	print $json->encode({
		column => $column,
		connected => defined $row ? JSON::PP::true : JSON::PP::false,
		server_ssl => defined $row ? ($row->[0] ? JSON::PP::true : JSON::PP::false) : undef,
		server_tls_version => defined $row ? $row->[1] : undef,
		server_cipher => defined $row ? $row->[2] : undef,
		error => $error,
		version => $version,
		libpq => $libpq,
	}), "\n";
}

unless (eval { require DBI; require DBD::Pg; 1 })
{
	print $json->encode({unavailable => "DBD::Pg is not installed (libdbd-pg-perl)"}), "\n";
	exit 0;
}

my $version = "DBD::Pg $DBD::Pg::VERSION (DBI $DBI::VERSION)";
my %tls = (
	'hardened' => ';sslmode=verify-full;sslrootcert=system;channel_binding=require',
	'hardened-rootfile' => ";sslmode=verify-full;sslrootcert=$ENV{PTP_ROOT_CERT};channel_binding=require",
);
# The libpq that DBD::Pg loaded (PQlibVersion()), which it tells only on a
# handle; a refused connection has none, so the shared libpq5 is asked.
sub libpq_version
{
	my ($dbh) = @_;
	my $lv = $dbh ? $dbh->{pg_lib_version} : undef;

	return int($lv / 10000) . '.' . ($lv % 10000) if defined $lv;
	my ($v) = `dpkg-query -W -f='\${Version}' libpq5 2>/dev/null` =~ /^(\d+(?:\.\d+)*)/;
	return $v;
}

for my $target (split / /, $ENV{PTP_TARGETS})
{
	my ($column, $port, $appname) = split /:/, $target, 3;
	my $dsn = "dbi:Pg:host=$ENV{PTP_HOST};port=$port;dbname=$ENV{PTP_DBNAME}"
	  . ($tls{$ENV{PTP_VARIANT} // ''} // '')
	  . ";application_name=$appname;connect_timeout=$ENV{PTP_TIMEOUT}";
	my ($dbh, $row, $error);

	# Errors are read from errstr (RaiseError is off); eval catches
	# anything that dies all the same.
	unless (eval {
		$dbh = DBI->connect($dsn, $ENV{PTP_USER}, $ENV{PTP_PASSWORD},
							{PrintError => 0, RaiseError => 0, AutoCommit => 1});
		$row = $dbh->selectrow_arrayref('SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
		  if $dbh;
		1;
	})
	{
		$error = $@;
	}
	elsif (!$row)
	{
		$error = $dbh ? $dbh->errstr : DBI->errstr // 'DBI->connect failed';
	}
	report($column, $version, libpq_version($dbh), $row, $error);
	$dbh->disconnect if $dbh;
}
