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
require "json"

def report(version, libpq, row, error)
  puts JSON.generate({
    connected: !row.nil?,
    server_ssl: row.nil? ? nil : row[0] == "t",
    server_tls_version: row&.[](1),
    server_cipher: row&.[](2),
    error: error.nil? ? nil : error.to_s.split.join(" "),
    version: version,
    libpq: libpq,
  })
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
begin
  conn = PG.connect(host: ENV["PTP_HOST"], port: ENV["PTP_PORT"], dbname: ENV["PTP_DBNAME"],
                    user: ENV["PTP_USER"], password: ENV["PTP_PASSWORD"],
                    application_name: ENV["PTP_APPNAME"], connect_timeout: ENV["PTP_TIMEOUT"], **tls)
rescue PG::Error => e
  report(version, libpq, nil, e.message)
  exit 0
end
row = conn.exec("SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()").values.first
report(version, libpq, row, nil)
conn.close
