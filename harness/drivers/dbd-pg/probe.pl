# Perl DBI with DBD::Pg (Debian's libdbd-pg-perl), which hands the DSN's
# keywords to libpq.  The guide has no Perl section, so the rows are the
# client with no TLS keyword (PTP_VARIANT=default), the hardened recipe
#   DBI->connect("dbi:Pg:host={host};port={port};dbname={databasename};sslmode=verify-full;"
#                . "sslrootcert=system;channel_binding=require", {username}, {password})
# (hardened), and the same with the provider's root file in place of
# system, which libpq before 16 needs (hardened-rootfile).
# application_name is added so that an attacker proxy can tell this probe's
# startup from the others'.
use strict;
use warnings;
use JSON::PP;

my $json = JSON::PP->new->canonical;

sub report
{
	my ($version, $libpq, $row, $error) = @_;
	$error =~ s/\s+/ /g if defined $error;
	$error =~ s/^ | $//g if defined $error;
	print $json->encode({
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
my $dsn = "dbi:Pg:host=$ENV{PTP_HOST};port=$ENV{PTP_PORT};dbname=$ENV{PTP_DBNAME}"
  . ($tls{$ENV{PTP_VARIANT} // ''} // '')
  . ";application_name=$ENV{PTP_APPNAME};connect_timeout=$ENV{PTP_TIMEOUT}";
my $dbh = DBI->connect($dsn, $ENV{PTP_USER}, $ENV{PTP_PASSWORD},
					   {PrintError => 0, RaiseError => 0, AutoCommit => 1});
# DBD::Pg tells libpq's version (PQlibVersion()) only on a handle; a
# refused connection has none, so the shared libpq5 that it loads is asked.
my $libpq;
if ($dbh)
{
	my $lv = $dbh->{pg_lib_version};
	$libpq = int($lv / 10000) . '.' . ($lv % 10000);
}
else
{
	($libpq) = `dpkg-query -W -f='\${Version}' libpq5 2>/dev/null` =~ /^(\d+(?:\.\d+)*)/;
}
unless ($dbh)
{
	report($version, $libpq, undef, DBI->errstr // 'DBI->connect failed');
	exit 0;
}
my $row = $dbh->selectrow_arrayref('SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
report($version, $libpq, $row, undef);
$dbh->disconnect;
