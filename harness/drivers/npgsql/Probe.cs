// Npgsql with the guide's recommended configuration, quoted literally:
//   var connString = "Host={host};Username={username};Password={password};Database={databasename};Port={port};SSL Mode=VerifyFull;";
//   var dataSourceBuilder = new NpgsqlDataSourceBuilder(connString);
// (PTP_VARIANT=recipe), with the guide's generic string in Npgsql's keywords
// (generic: Npgsql takes no URL), with channel binding required too
// (hardened), or with no SSL Mode at all (default).  Application Name is
// added so that an attacker proxy can tell this probe's startup from the
// others'.  The major built against (8, 9, 10) is the row's PTP_NPGSQL
// (run picks the build).
//
// One process serves a whole row: the probe connects to each PTP_TARGETS
// entry (COLUMN:PORT:APPNAME) in turn and prints one line per target.  Each
// target gets its own data source, whose pool is disposed with it (pooling
// stays Npgsql's default, as in the guide's recipe); run turns .NET's TLS
// resumption off, so no target's handshake resumes another's session.
using System;
using System.Text.Json;
using Npgsql;

class Probe
{
    static string E(string name) => Environment.GetEnvironmentVariable(name) ?? "";

    // The informational version is the package's (10.0.3), not 10.0.3.0.
    static string Version()
    {
        var asm = typeof(NpgsqlConnection).Assembly;
        var info = (System.Reflection.AssemblyInformationalVersionAttribute)Attribute.GetCustomAttribute(
            asm, typeof(System.Reflection.AssemblyInformationalVersionAttribute));
        return info?.InformationalVersion?.Split('+')[0] ?? asm.GetName().Version.ToString();
    }

    // Prints the line of one target and flushes it: the harness reads each
    // line as it comes.
    static void Report(string column, bool connected, object ssl, object tls, object cipher, string error)
    {
        Console.WriteLine(JsonSerializer.Serialize(new {
            column, connected, server_ssl = ssl, server_tls_version = tls, server_cipher = cipher,
            error, version = "Npgsql " + Version(), ca_store = (string)null,
            libpq = (string)null }));
        Console.Out.Flush();
    }

    static void Main()
    {
        foreach (var target in E("PTP_TARGETS").Split(' '))
        {
            var t = target.Split(':', 3);
            ProbeTarget(t[0], t[1], t[2]);
        }
    }

    // Connects to the target on PORT as APPNAME through a data source of
    // its own, the way the row's variant says, and reports it as COLUMN;
    // every failure is that target's error.
    static void ProbeTarget(string column, string port, string appname)
    {
        var connString = $"Host={E("PTP_HOST")};Username={E("PTP_USER")};Password={E("PTP_PASSWORD")};Database={E("PTP_DBNAME")};Port={port};"
            + (E("PTP_VARIANT") switch
            {
                "default" => "",
                "generic" => "SSL Mode=VerifyFull;Root Certificate=system;",
                "hardened" => "SSL Mode=VerifyFull;Channel Binding=Require;",
                _ => "SSL Mode=VerifyFull;",
            })
            + $"Application Name={appname};Timeout={E("PTP_TIMEOUT")};";
        try
        {
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(connString);
            using var dataSource = dataSourceBuilder.Build();
            using var conn = dataSource.OpenConnection();
            using var cmd = new NpgsqlCommand("SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()", conn);
            using var reader = cmd.ExecuteReader();
            reader.Read();
            Report(column, true, reader.GetBoolean(0), reader.GetString(1), reader.GetString(2), null);
        }
        catch (Exception e)
        {
            Report(column, false, null, null, null, e.Message);
        }
    }
}
