# Ruby pg (Debian's ruby-pg), which hands its keywords to libpq.  The
# guide has no Ruby section, so the rows are the client with no TLS
# keyword (PTP_VARIANT=default), the hardened recipe
#   PG.connect(host: {host}, port: {port}, dbname: {databasename}, user: {username},
#              password: {password}, sslmode: "verify-full", sslrootcert: "system",
#              channel_binding: "require")
# (hardened), and the same with the provider's root file in place of
# system, which libpq before 16 needs (hardened-rootfile).
# application_name is added so that an attacker proxy can tell this probe's
# startup from the others'.
# One process serves a whole row: the probe connects to each PTP_TARGETS
# entry (COLUMN:PORT:APPNAME) in turn, with a connection of its own, and
# prints one line per target.
require "json"

# Prints the line of one target and flushes it: the harness reads each
# line as it comes.
def report(column, version, libpq, row, error)
  puts JSON.generate({
    column: column,
    connected: !row.nil?,
    server_ssl: row.nil? ? nil : row[0] == "t",
    server_tls_version: row&.[](1),
    server_cipher: row&.[](2),
    error: error.nil? ? nil : error.to_s.split.join(" "),
    version: version,
    libpq: libpq,
  })
  $stdout.flush
end

begin
  require "pg"
rescue LoadError => e
  puts JSON.generate({ unavailable: "ruby-pg is not installed: #{e.message}" })
  exit 0
end

version = "ruby-pg #{PG::VERSION} (Ruby #{RUBY_VERSION})"
lv = PG.library_version
libpq = "#{lv / 10000}.#{lv % 10000}"
tls = {
  "hardened" => { sslmode: "verify-full", sslrootcert: "system", channel_binding: "require" },
  "hardened-rootfile" => { sslmode: "verify-full", sslrootcert: ENV["PTP_ROOT_CERT"], channel_binding: "require" },
}.fetch(ENV["PTP_VARIANT"], {})
ENV["PTP_TARGETS"].split(" ").each do |target|
  column, port, appname = target.split(":", 3)
  begin
    conn = PG.connect(host: ENV["PTP_HOST"], port: port, dbname: ENV["PTP_DBNAME"],
                      user: ENV["PTP_USER"], password: ENV["PTP_PASSWORD"],
                      application_name: appname, connect_timeout: ENV["PTP_TIMEOUT"], **tls)
    row = conn.exec("SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()").values.first
    report(column, version, libpq, row, nil)
  rescue StandardError => e
    report(column, version, libpq, nil, e.message)
  ensure
    conn&.close
  end
end
