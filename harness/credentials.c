/*-------------------------------------------------------------------------
 *
 * credentials.c
 *		What the attack connections of "pg_tls_probe audit" authenticate
 *		with: the credentials the client's libpq used against the real
 *		server, handed over explicitly.
 *
 * An attacker who takes the server's address gets whatever libpq finds for
 * that host and port: the password of the string, of a service file, of
 * PGPASSWORD or of the matching password-file line, the same user and the
 * same client certificate.  The audit's attackers cannot take the address:
 * they listen on ports of their own, and the hostname probe uses another
 * name, where a password-file line for the server no longer matches.  So
 * each attack connection is handed the direct connection's user, password
 * and client certificate instead, and the report says that this is a
 * simulation and what was handed over, never the password itself.
 *
 * harness/credentials.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <sys/stat.h>

#include "audit.h"

/* True when s is set and not empty. */
static bool
given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/*
 * password_source
 *		Where libpq found the password it used, in libpq's order: the string,
 *		a service file, PGPASSWORD (ptp_origins_of), else the password file.
 *		malloc'd.
 */
static char *
password_source(const CredentialSources *src)
{
	const SettingOrigin *o = src->password;

	if (o == NULL || !given(o->value))
		return given(src->passfile) ? ptp_psprintf("the password file %s", src->passfile) :
			ptp_strdup("the password file");
	switch (o->from)
	{
		case SETTING_FROM_SERVICE:
			return ptp_psprintf("the service file %s (service \"%s\")", o->file, o->service);
		case SETTING_FROM_ENVIRONMENT:
			return ptp_strdup(o->variable);
		default:
			return ptp_strdup("the connection string");
	}
}

/*
 * ptp_credentials_take
 *		Fills c from conn, a direct connection that reached host and port
 *		(trace or PQhost): PQpass() is the password libpq used for the host
 *		it tried last, so it is taken only when that is the one it reached.
 *		The client certificate is resolved as libpq resolves it (sslcert,
 *		else ~/.postgresql/postgresql.crt), and kept only when the file
 *		exists: libpq sends none otherwise.
 */
void
ptp_credentials_take(Credentials *c, PGconn *conn, const char *host, const char *port,
					 const CredentialSources *src)
{
	const char *pass = PQpass(conn);
	const char *user = PQuser(conn);
	const char *tried_host = PQhost(conn);
	const char *tried_port = PQport(conn);
	struct stat st;

	memset(c, 0, sizeof(*c));
	if (given(user))
		c->user = ptp_strdup(user);
	if (!given(pass))
		c->password_from = ptp_strdup("libpq found none for this host");
	else if (tried_host == NULL || tried_port == NULL || strcmp(tried_host, host) != 0 ||
			 strcmp(tried_port, port) != 0)
		c->password_from = ptp_strdup("libpq's is for another host of the string: not handed over");
	else
	{
		c->password = ptp_strdup(pass);
		c->password_from = password_source(src);
	}

	if (given(src->sslcert))
		c->sslcert = ptp_strdup(src->sslcert);
	else if (given(src->home))
		c->sslcert = ptp_psprintf("%s/.postgresql/postgresql.crt", src->home);
	if (c->sslcert != NULL && stat(c->sslcert, &st) != 0)
	{
		free(c->sslcert);
		c->sslcert = NULL;
	}
	if (c->sslcert != NULL)
		c->sslkey = given(src->sslkey) ? ptp_strdup(src->sslkey) :
			ptp_psprintf("%s/.postgresql/postgresql.key", given(src->home) ? src->home : "");
}

/*
 * ptp_credentials_append
 *		Appends c to the n options keys/vals as overrides of the string
 *		(at most CREDENTIAL_KEYS of them); returns the new count.
 */
int
ptp_credentials_append(const Credentials *c, const char **keys, const char **vals, int n)
{
	if (c->user != NULL)
		keys[n] = "user", vals[n++] = c->user;
	if (c->password != NULL)
		keys[n] = "password", vals[n++] = c->password;
	if (c->sslcert != NULL)
	{
		keys[n] = "sslcert", vals[n++] = c->sslcert;
		keys[n] = "sslkey", vals[n++] = c->sslkey;
	}
	return n;
}

/*
 * ptp_credentials_note
 *		The report's note on the simulation (malloc'd): what was handed to
 *		the attack connections, and from where, never the password.
 */
char *
ptp_credentials_note(const Credentials *c, const char *host, const char *port)
{
	char	   *cert = c->sslcert != NULL ?
		ptp_psprintf("the client certificate %s (key %s)", c->sslcert, c->sslkey) :
		ptp_strdup("no client certificate (libpq found none)");
	char	   *note;

	note = ptp_psprintf("the attacks are simulated: each attacker listens on a port of its own (the "
						"hostname probe uses another name), where a password-file line for the server "
						"would not match, so the attack and channel-binding connections were handed what "
						"libpq used for %s port %s, as a real attacker holding the server's address gets "
						"it: user \"%s\", %s%s%s, %s",
						host, port, c->user ? c->user : "",
						c->password != NULL ? "the password (from " : "no password (",
						c->password_from, ")", cert);
	free(cert);
	return note;
}

/* Frees c, overwriting the password first. */
void
ptp_credentials_free(Credentials *c)
{
	if (c->password != NULL)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->password_from);
	free(c->user);
	free(c->sslcert);
	free(c->sslkey);
	memset(c, 0, sizeof(*c));
}
