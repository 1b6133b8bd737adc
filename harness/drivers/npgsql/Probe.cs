// Npgsql with the guide's recommended configuration, quoted literally:
//   var connString = "Host={host};Username={username};Password={password};Database={databasename};Port={port};SSL Mode=VerifyFull;";
//   var dataSourceBuilder = new NpgsqlDataSourceBuilder(connString);
// (PTP_VARIANT=recipe), with the guide's generic string in Npgsql's keywords
// (generic: Npgsql takes no URL), with channel binding required too
// (hardened), or with no SSL Mode at all (default).  Application Name is
// added so that an attacker proxy can tell this probe's startup from the
// others'.  The major built against (8, 9, 10) is the row's PTP_NPGSQL
// (run picks the build).
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

    static void Report(bool connected, object ssl, object tls, object cipher, string error)
    {
        Console.WriteLine(JsonSerializer.Serialize(new {
            connected, server_ssl = ssl, server_tls_version = tls, server_cipher = cipher,
            error, version = "Npgsql " + Version(), ca_store = (string)null,
            libpq = (string)null }));
    }

    static void Main()
    {
        var connString = $"Host={E("PTP_HOST")};Username={E("PTP_USER")};Password={E("PTP_PASSWORD")};Database={E("PTP_DBNAME")};Port={E("PTP_PORT")};"
            + (E("PTP_VARIANT") switch
            {
                "default" => "",
                "generic" => "SSL Mode=VerifyFull;Root Certificate=system;",
                "hardened" => "SSL Mode=VerifyFull;Channel Binding=Require;",
                _ => "SSL Mode=VerifyFull;",
            })
            + $"Application Name={E("PTP_APPNAME")};Timeout={E("PTP_TIMEOUT")};";
        var dataSourceBuilder = new NpgsqlDataSourceBuilder(connString);
        try
        {
            using var dataSource = dataSourceBuilder.Build();
            using var conn = dataSource.OpenConnection();
            using var cmd = new NpgsqlCommand("SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()", conn);
            using var reader = cmd.ExecuteReader();
            reader.Read();
            Report(true, reader.GetBoolean(0), reader.GetString(1), reader.GetString(2), null);
        }
        catch (Exception e)
        {
            Report(false, null, null, null, e.Message);
        }
    }
}
