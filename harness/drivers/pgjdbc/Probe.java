/*
 * pgjdbc with the guide's recommended configuration, quoted literally:
 *   String url = "jdbc:postgresql://{host}:{port}/{databasename}";
 *   Properties props = new Properties();
 *   props.setProperty("user", {username});
 *   props.setProperty("password", {password});
 *   props.setProperty("ssl", "true");
 *   Connection conn = DriverManager.getConnection(url,props);
 * with the trust anchor in ~/.postgresql/root.crt, as the guide says: the
 * run script passes the harness's throwaway HOME as -Duser.home, which is
 * where pgjdbc looks (the JVM takes its home from the password database,
 * not from HOME).  ApplicationName is added so that an attacker proxy can
 * tell this probe's startup from the others'.
 *
 * One JVM serves a whole row: the probe connects to each PTP_TARGETS entry
 * (COLUMN:PORT:APPNAME) in turn and prints one line per target.  Nothing
 * that decides a target's verification outlives it: pgjdbc's LibPQFactory
 * builds a new SSLContext (and so a new TLS session cache) per connection.
 */
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

public class Probe
{
	static String json(String s)
	{
		if (s == null)
			return "null";
		StringBuilder b = new StringBuilder("\"");
		for (char ch : s.toCharArray())
		{
			if (ch == '"' || ch == '\\')
				b.append('\\').append(ch);
			else if (ch < 0x20)
				b.append(' ');
			else
				b.append(ch);
		}
		return b.append('"').toString();
	}

	/*
	 * Prints the line of one target and flushes it: the harness reads each
	 * line as it comes.
	 */
	static void report(String column, String version, boolean connected, Boolean ssl, String tls,
					   String cipher, String error)
	{
		System.out.println("{\"column\": " + json(column) + ", \"connected\": " + connected
						   + ", \"server_ssl\": " + (ssl == null ? "null" : ssl.toString())
						   + ", \"server_tls_version\": " + json(tls)
						   + ", \"server_cipher\": " + json(cipher)
						   + ", \"error\": " + json(error)
						   + ", \"version\": " + json(version) + ", \"libpq\": null}");
		System.out.flush();
	}

	public static void main(String[] args)
	{
		String version;

		try
		{
			Class.forName("org.postgresql.Driver");
			version = "pgjdbc " + org.postgresql.util.DriverInfo.DRIVER_VERSION;
		}
		catch (ClassNotFoundException e)
		{
			System.out.println("{\"unavailable\": \"pgjdbc is not on the class path (libpostgresql-jdbc-java)\"}");
			return;
		}

		for (String target : System.getenv("PTP_TARGETS").split(" "))
		{
			String[] t = target.split(":", 3);

			probe(t[0], version, t[1], t[2]);
		}
	}

	/*
	 * Connects to the target on PORT as APPNAME with a fresh connection,
	 * the way the row's variant says, and reports it as COLUMN; every
	 * failure is that target's error.
	 */
	static void probe(String column, String version, String port, String appname)
	{
		String url = "jdbc:postgresql://" + System.getenv("PTP_HOST") + ":" + port
			+ "/" + System.getenv("PTP_DBNAME");
		Properties props = new Properties();
		props.setProperty("user", System.getenv("PTP_USER"));
		props.setProperty("password", System.getenv("PTP_PASSWORD"));
		/*
		 * PTP_VARIANT recipe: the guide's ssl=true; generic: the guide's
		 * generic string in the URL; sslrootcert: the guide's ssl=true with
		 * the sslrootcert property naming the root file (its alternative to
		 * ~/.postgresql/root.crt); hardened: verify-full against the
		 * provider's root file (pgjdbc never reads the OS store);
		 * hardened-cb: that and channelBinding=require (pgjdbc 42.7.4 and
		 * later know it); default: no TLS setting.
		 */
		String variant = System.getenv("PTP_VARIANT");

		if ("generic".equals(variant))
			url += "?sslmode=verify-full&sslrootcert=system";
		else if ("hardened".equals(variant))
			url += "?sslmode=verify-full&sslrootcert=" + System.getenv("PTP_ROOT_CERT");
		else if ("hardened-cb".equals(variant))
			url += "?sslmode=verify-full&sslrootcert=" + System.getenv("PTP_ROOT_CERT") + "&channelBinding=require";
		else if ("sslrootcert".equals(variant))
		{
			props.setProperty("ssl", "true");
			props.setProperty("sslrootcert", System.getenv("PTP_ROOT_CERT"));
		}
		else if (!"default".equals(variant))
			props.setProperty("ssl", "true");
		props.setProperty("ApplicationName", appname);
		props.setProperty("connectTimeout", System.getenv("PTP_TIMEOUT"));
		props.setProperty("loginTimeout", System.getenv("PTP_TIMEOUT"));

		try (Connection conn = DriverManager.getConnection(url, props);
			 Statement st = conn.createStatement();
			 ResultSet rs = st.executeQuery("SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
		{
			rs.next();
			report(column, version, true, rs.getBoolean(1), rs.getString(2), rs.getString(3), null);
		}
		catch (SQLException e)
		{
			String msg = e.getMessage();

			if (e.getCause() != null)
				msg += " (" + e.getCause() + ")";
			report(column, version, false, null, null, null, msg);
		}
		catch (RuntimeException e)
		{
			report(column, version, false, null, null, null, e.toString());
		}
	}
}
