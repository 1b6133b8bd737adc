/*-------------------------------------------------------------------------
 *
 * proxy.c
 *		Attacker proxies: a listener on a free loopback port that plays
 *		one man-in-the-middle trick on every client, then relays it to the
 *		real server.
 *
 * strip answers the SSLRequest with N; forge answers S and completes TLS
 * on a certificate it was given (self-signed, from an attacker CA, a valid
 * one for another name); inject answers S followed by plaintext bytes;
 * error answers with an ErrorResponse; direct completes a TLS handshake
 * that the client starts without asking.  Given a certificate from a CA the
 * client trusts, forge is a TLS-terminating interceptor ("pg_tls_probe
 * proxy intercept", for tests of the audit), which may also take
 * SCRAM-SHA-256-PLUS out of the mechanisms offered.  Towards the upstream the proxy
 * always speaks what it accepts (TLS when offered), so a client that falls
 * for the trick gets a working session and no attack can pass merely
 * because the upstream refused the relayed one; "pg_tls_probe proxy strip",
 * for tests of the server's own links, relays in plaintext instead, so that
 * the server shows the stripped session as the client made it.
 *
 * What the attacker got is recorded per client, keyed by the
 * application_name of its StartupMessage, as soon as each event happens:
 * the startup itself (plaintext or over the proxy's TLS), the certificate
 * the client presented when asked for one, and the client's own answers
 * to authentication requests (a cleartext password, an MD5 hash, a SCRAM
 * exchange), kept apart from what the upstream asked for: a client that
 * has no password answers nothing, whatever it was asked.  Secrets are
 * never kept, only the kind of each answer.
 *
 * Every socket has a timeout; the proxy listens on 127.0.0.1 and, where the
 * machine has it, on ::1 at the same port, since "localhost" may resolve to
 * either first.  It counts the connections it accepted, so that a caller
 * can tell a client that never reached it from one that refused it.
 *
 * harness/proxy.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "pg_tls_probe.h"
#include "pqexpbuffer.h"
#include "proxy.h"

#define SSL_REQUEST_CODE	80877103
#define GSS_REQUEST_CODE	80877104
#define PROTOCOL_3			196608
#define MAX_STARTUP			10000
#define MAX_ROUNDS			4

typedef struct CaptureEntry
{
	char		application_name[64];
	ProxyCapture cap;
} CaptureEntry;

struct Proxy
{
	ProxyOptions opts;
	int			listen_fd;
	int			listen_fd6;		/* ::1, or -1 */
	int			wake[2];
	int			connections;	/* accepted so far */
	pthread_t	acceptor;
	SSL_CTX    *server_ctx;		/* what clients see (forge, inject, direct) */
	SSL_CTX    *client_ctx;		/* towards the upstream */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int			active;
	CaptureEntry *captures;
	int			n_captures;
	int			cap_captures;
};

/* One client connection, handled by one thread. */
typedef struct Conn
{
	Proxy	   *proxy;
	int			fd;
	SSL		   *ssl;
	int			up_fd;
	SSL		   *up_ssl;
	char		application_name[64];
	char		client_cert[256];	/* see ProxyCapture */
	int			auth_request;
} Conn;

/* Follows the message boundaries of one direction of the relayed stream. */
typedef struct Tracker
{
	unsigned char head[9];		/* type, length, first 4 body bytes */
	int			have;
	long		left;			/* body bytes still to skip */
} Tracker;

static uint32
be32(const unsigned char *p)
{
	return ((uint32) p[0] << 24) | ((uint32) p[1] << 16) | ((uint32) p[2] << 8) | p[3];
}

/*
 * set_timeouts
 *		Bounds every blocking operation on fd, and turns off Nagle's
 *		algorithm: relayed protocol messages are small and must not wait for
 *		delayed acknowledgements.
 */
static void
set_timeouts(int fd, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	int			on = 1;

	(void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* Reads up to len bytes: > 0 read, 0 end of stream, -1 error or timeout. */
static int
conn_read(int fd, SSL *ssl, void *buf, int len)
{
	if (ssl != NULL)
	{
		int			n = SSL_read(ssl, buf, len);

		if (n > 0)
			return n;
		n = SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
		ERR_clear_error();
		return n;
	}
	for (;;)
	{
		ssize_t		n = recv(fd, buf, len, 0);

		if (n >= 0)
			return (int) n;
		if (errno != EINTR)
			return -1;
	}
}

static bool
write_all(int fd, SSL *ssl, const void *buf, int len)
{
	const char *p = buf;

	while (len > 0)
	{
		int			n;

		if (ssl != NULL)
		{
			n = SSL_write(ssl, p, len);
			if (n <= 0)
			{
				ERR_clear_error();
				return false;
			}
		}
		else
		{
			n = (int) send(fd, p, len, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return false;
		}
		p += n;
		len -= n;
	}
	return true;
}

static bool
read_exact(int fd, SSL *ssl, unsigned char *buf, int len)
{
	while (len > 0)
	{
		int			n = conn_read(fd, ssl, buf, len);

		if (n <= 0)
			return false;
		buf += n;
		len -= n;
	}
	return true;
}

/*
 * record
 *		Applies update to the capture of c's client, under the lock, so the
 *		client can read it as soon as its own connection call returns.
 */
static void
record(Conn *c, void (*update) (ProxyCapture *cap, const void *arg), const void *arg)
{
	Proxy	   *p = c->proxy;
	CaptureEntry *e = NULL;

	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < p->n_captures && e == NULL; i++)
		if (strcmp(p->captures[i].application_name, c->application_name) == 0)
			e = &p->captures[i];
	if (e == NULL)
	{
		if (p->n_captures == p->cap_captures)
		{
			int			cap = p->cap_captures ? p->cap_captures * 2 : 64;
			CaptureEntry *bigger = realloc(p->captures, cap * sizeof(CaptureEntry));

			if (bigger == NULL)
			{
				pthread_mutex_unlock(&p->lock);
				return;
			}
			p->captures = bigger;
			p->cap_captures = cap;
		}
		e = &p->captures[p->n_captures++];
		memset(e, 0, sizeof(*e));
		strlcpy(e->application_name, c->application_name, sizeof(e->application_name));
	}
	update(&e->cap, arg);
	pthread_mutex_unlock(&p->lock);
}

typedef struct StartupFacts
{
	bool		over_tls;
	const char *user;
	const char *database;
	const char *client_cert;
} StartupFacts;

/* A client's answer to an authentication request: its kind, never its bytes. */
typedef struct ClientAnswer
{
	int			request;		/* the request it answers */
	long		body;			/* length of the message body */
	const unsigned char *first; /* its first four bytes, or NULL when shorter */
} ClientAnswer;

static void
update_startup(ProxyCapture *cap, const void *arg)
{
	const StartupFacts *f = arg;

	cap->startup = true;
	if (f->over_tls)
		cap->startup_over_tls = true;
	else
		cap->startup_plaintext = true;
	strlcpy(cap->user, f->user, sizeof(cap->user));
	strlcpy(cap->database, f->database, sizeof(cap->database));
	strlcpy(cap->client_cert, f->client_cert, sizeof(cap->client_cert));
}

static void
update_auth(ProxyCapture *cap, const void *arg)
{
	int			code = *(const int *) arg;

	if (cap->auth_request == 0)
		cap->auth_request = code;
}

/*
 * update_response
 *		Names the client's answer by the request it answers, as the
 *		protocol does; an MD5 answer counts as a hash only in the shape of
 *		one (36 bytes starting with "md5").
 */
static void
update_response(ProxyCapture *cap, const void *arg)
{
	const ClientAnswer *a = arg;

	if (a->request == 3)
		cap->sent_cleartext = true;
	else if (a->request == 5 && a->body == 36 && a->first != NULL && memcmp(a->first, "md5", 3) == 0)
		cap->sent_md5 = true;
	else if (a->request == 10)
		cap->sent_sasl = true;
	else
		cap->sent_other = true;
}

/*
 * track
 *		Feeds n relayed bytes to t; notes the upstream's authentication
 *		request (from_server) and the kind of the client's answer to it,
 *		from the answer's header and first four bytes alone.
 */
static void
track(Conn *c, Tracker *t, const unsigned char *buf, int n, bool from_server)
{
	int			i = 0;

	while (i < n)
	{
		if (t->left > 0)
		{
			int			skip = (int) Min((long) (n - i), t->left);

			i += skip;
			t->left -= skip;
			continue;
		}
		t->head[t->have++] = buf[i++];
		if (t->have < 5)
			continue;
		{
			long		body = (long) be32(t->head + 1) - 4;
			bool		request = from_server && t->head[0] == 'R';
			bool		answer = !from_server && t->head[0] == 'p';
			/* the first bytes of an answer only where they are a hash's prefix */
			bool		peek = body >= 4 && (request || (answer && c->auth_request == 5));

			if (peek && t->have < 9)
				continue;
			if (request && body >= 4)
			{
				int			code = (int) be32(t->head + 5);

				if (code != 0 && code != 11 && code != 12)
				{
					c->auth_request = code;
					record(c, update_auth, &code);
				}
			}
			else if (answer && c->auth_request != 0)
			{
				ClientAnswer a = {c->auth_request, body, peek ? t->head + 5 : NULL};

				record(c, update_response, &a);
			}
			t->left = Max(body - (t->have - 5), 0);
			t->have = 0;
		}
	}
}

/*
 * Holds the upstream's messages to a plaintext client until authentication
 * is over, to take SCRAM-SHA-256-PLUS out of the mechanisms offered: the
 * upstream offers it because its side is TLS, and a libpq that sees it on a
 * connection without TLS gives up.  A real attacker does the same, so the
 * client that accepted the strip gets a working session.  A TLS-terminating
 * interceptor (strip_channel_binding) takes it away from a TLS client, so
 * that a client that asks for channel binding has nothing to bind to.
 */
typedef struct Rewriter
{
	bool		active;			/* until AuthenticationOk has passed */
	unsigned char *pending;		/* an incomplete message */
	int			len;
	int			cap;
} Rewriter;

#define SCRAM_PLUS	"SCRAM-SHA-256-PLUS"

/*
 * rewrite_to_client
 *		Forwards n bytes from the upstream message by message, dropping
 *		SCRAM-SHA-256-PLUS from an AuthenticationSASL; once AuthenticationOk
 *		has passed, forwards the rest as it comes.  False when the client is
 *		gone.
 */
static bool
rewrite_to_client(Conn *c, Rewriter *r, const unsigned char *buf, int n)
{
	int			used = 0;

	if (r->len + n > r->cap)
	{
		int			cap = Max(r->cap * 2, r->len + n + 1024);
		unsigned char *bigger = realloc(r->pending, cap);

		if (bigger == NULL)
			return false;
		r->pending = bigger;
		r->cap = cap;
	}
	memcpy(r->pending + r->len, buf, n);
	r->len += n;

	while (r->active && r->len - used >= 5)
	{
		unsigned char *m = r->pending + used;
		int			mlen = 1 + (int) be32(m + 1);

		if (mlen < 5 || r->len - used < mlen)
			break;
		if (m[0] == 'R' && mlen >= 9 && be32(m + 5) == 10)
		{
			/* AuthenticationSASL: a list of NUL-terminated names, then NUL */
			unsigned char out[512];
			int			olen = 9;

			memcpy(out, m, 9);
			for (int i = 9; i < mlen && m[i] != '\0' && olen < (int) sizeof(out) - 2;)
			{
				const char *name = (const char *) m + i;
				int			nlen = (int) strnlen(name, mlen - i);

				if (strcmp(name, SCRAM_PLUS) != 0 && olen + nlen + 2 < (int) sizeof(out))
				{
					memcpy(out + olen, name, nlen + 1);
					olen += nlen + 1;
				}
				i += nlen + 1;
			}
			out[olen++] = '\0';
			out[1] = ((olen - 1) >> 24) & 0xff;
			out[2] = ((olen - 1) >> 16) & 0xff;
			out[3] = ((olen - 1) >> 8) & 0xff;
			out[4] = (olen - 1) & 0xff;
			if (!write_all(c->fd, c->ssl, out, olen))
				return false;
		}
		else
		{
			if (m[0] == 'R' && mlen >= 9 && be32(m + 5) == 0)
				r->active = false;
			if (!write_all(c->fd, c->ssl, m, mlen))
				return false;
		}
		used += mlen;
	}
	if (!r->active && r->len > used && !write_all(c->fd, c->ssl, r->pending + used, r->len - used))
		return false;
	if (!r->active)
		used = r->len;
	memmove(r->pending, r->pending + used, r->len - used);
	r->len -= used;
	if (!r->active)
	{
		free(r->pending);
		r->pending = NULL;
		r->cap = r->len = 0;
	}
	return true;
}

/*
 * pump
 *		Relays both ways until one side closes or goes quiet.
 */
static void
pump(Conn *c, Rewriter *rewrite)
{
	Proxy	   *p = c->proxy;
	Tracker		to_server = {{0}, 0, 0},
				to_client = {{0}, 0, 0};
	unsigned char buf[16384];

	for (;;)
	{
		struct pollfd fds[2] = {{c->fd, POLLIN, 0}, {c->up_fd, POLLIN, 0}};
		bool		client_ready = c->ssl && SSL_pending(c->ssl) > 0;
		bool		server_ready = c->up_ssl && SSL_pending(c->up_ssl) > 0;
		int			n;

		if (!client_ready && !server_ready)
		{
			if (poll(fds, 2, p->opts.timeout_ms) <= 0)
				return;
			client_ready = (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
			server_ready = (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
		}
		if (client_ready)
		{
			n = conn_read(c->fd, c->ssl, buf, sizeof(buf));
			if (n <= 0)
				return;
			track(c, &to_server, buf, n, false);
			if (!write_all(c->up_fd, c->up_ssl, buf, n))
				return;
		}
		if (server_ready)
		{
			n = conn_read(c->up_fd, c->up_ssl, buf, sizeof(buf));
			if (n <= 0)
				return;
			track(c, &to_client, buf, n, true);
			if (!(rewrite->active ?
				  rewrite_to_client(c, rewrite, buf, n) :
				  write_all(c->fd, c->ssl, buf, n)))
				return;
		}
	}
}

/*
 * relay
 *		Opens the upstream connection (TLS when the upstream offers it),
 *		sends it the client's startup packet and pumps both ways.
 */
static void
relay(Conn *c, const unsigned char *startup, int len)
{
	Proxy	   *p = c->proxy;
	struct addrinfo hints = {0};
	struct addrinfo *ai = NULL;
	char		service[16];
	unsigned char request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
	unsigned char answer;
	bool		connected;
	Rewriter	rewrite = {false, NULL, 0, 0};

	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%d", p->opts.upstream_port);
	if (getaddrinfo(p->opts.upstream_addr, service, &hints, &ai) != 0)
		return;
	c->up_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->up_fd >= 0)
		set_timeouts(c->up_fd, p->opts.timeout_ms);
	connected = c->up_fd >= 0 && connect(c->up_fd, ai->ai_addr, ai->ai_addrlen) == 0;
	freeaddrinfo(ai);
	if (!connected)
		return;
	if (p->opts.plaintext_upstream)
		answer = 'N';
	else if (!write_all(c->up_fd, NULL, request, sizeof(request)) ||
			 !read_exact(c->up_fd, NULL, &answer, 1))
		return;
	if (answer == 'S')
	{
		c->up_ssl = SSL_new(p->client_ctx);
		if (c->up_ssl == NULL || !SSL_set_fd(c->up_ssl, c->up_fd) || SSL_connect(c->up_ssl) != 1)
		{
			ERR_clear_error();
			return;
		}
	}
	else if (answer != 'N')
		return;
	if (!write_all(c->up_fd, c->up_ssl, startup, len))
		return;
	/*
	 * A plaintext client behind a TLS upstream must not be offered -PLUS;
	 * an interceptor may take it away from a TLS client too.
	 */
	rewrite.active = c->up_ssl != NULL && (c->ssl == NULL || p->opts.strip_channel_binding);

	pump(c, &rewrite);
	free(rewrite.pending);
}

/*
 * tls_accept
 *		Completes the TLS handshake on the proxy's certificate, and keeps the
 *		subject of the certificate the client presented, if asked for one.
 *		False when the handshake failed.
 */
static bool
tls_accept(Conn *c)
{
	X509	   *peer;

	c->ssl = SSL_new(c->proxy->server_ctx);
	if (c->ssl == NULL || !SSL_set_fd(c->ssl, c->fd) || SSL_accept(c->ssl) != 1)
	{
		ERR_clear_error();
		return false;
	}
	peer = SSL_get0_peer_certificate(c->ssl);
	if (peer != NULL)
	{
		BIO		   *bio = BIO_new(BIO_s_mem());
		int			n = 0;

		if (bio != NULL && X509_NAME_print_ex(bio, X509_get_subject_name(peer), 0, XN_FLAG_RFC2253) >= 0)
			n = BIO_read(bio, c->client_cert, sizeof(c->client_cert) - 1);
		/* a certificate without a readable subject was presented all the same */
		if (n > 0)
			c->client_cert[n] = '\0';
		else
			strlcpy(c->client_cert, "no subject shown", sizeof(c->client_cert));
		BIO_free(bio);
		ERR_clear_error();
	}
	return true;
}

/* Takes whatever certificate the client presents: the attacker only looks. */
static int
accept_any_certificate(int preverify_ok, X509_STORE_CTX *ctx)
{
	return 1;
}

/*
 * startup_value
 *		The value of key in a StartupMessage's key/value list, or "".
 */
static const char *
startup_value(const unsigned char *pkt, int len, const char *key)
{
	int			i = 8;

	while (i < len && pkt[i] != '\0')
	{
		const char *k = (const char *) pkt + i;
		int			klen = (int) strnlen(k, len - i);
		const char *v;
		int			vlen;

		if (i + klen + 1 >= len)
			break;
		v = k + klen + 1;
		vlen = (int) strnlen(v, len - (i + klen + 1));
		if (i + klen + 1 + vlen >= len)
			break;
		if (strcmp(k, key) == 0)
			return v;
		i += klen + 1 + vlen + 1;
	}
	return "";
}

/* The ErrorResponse the error-before-tls proxy sends instead of S or N. */
static int
injected_error(unsigned char *buf)
{
	static const char fields[] =
		"SFATAL\0VFATAL\0C28000\0M" PROXY_INJECTED_TEXT ": this message comes from the attacker\0";
	int			len = 4 + (int) sizeof(fields);	/* sizeof includes the final NUL */

	buf[0] = 'E';
	buf[1] = (len >> 24) & 0xff;
	buf[2] = (len >> 16) & 0xff;
	buf[3] = (len >> 8) & 0xff;
	buf[4] = len & 0xff;
	memcpy(buf + 5, fields, sizeof(fields));
	return 1 + len;
}

/*
 * handle
 *		One client: negotiate as the attack prescribes, take its startup,
 *		relay it.
 */
static void *
handle(void *arg)
{
	Conn	   *c = arg;
	Proxy	   *p = c->proxy;
	unsigned char pkt[MAX_STARTUP];

	set_timeouts(c->fd, p->opts.timeout_ms);
	for (int round = 0; round < MAX_ROUNDS; round++)
	{
		unsigned char first;
		uint32		len;
		uint32		code;

		/* A TLS record where a packet length should be: direct TLS. */
		if (c->ssl == NULL && recv(c->fd, &first, 1, MSG_PEEK) == 1 && first == 0x16)
		{
			if ((p->opts.kind != ATTACK_DIRECT && p->opts.kind != ATTACK_DIRECT_NO_ALPN) ||
				!tls_accept(c))
				break;
			continue;
		}
		if (!read_exact(c->fd, c->ssl, pkt, 4))
			break;
		len = be32(pkt);
		if (len < 8 || len > MAX_STARTUP || !read_exact(c->fd, c->ssl, pkt + 4, (int) len - 4))
			break;
		code = be32(pkt + 4);

		if (code == SSL_REQUEST_CODE && c->ssl == NULL)
		{
			unsigned char reply[256];
			int			n;

			switch (p->opts.kind)
			{
				case ATTACK_FORGE:
				case ATTACK_DIRECT:
				case ATTACK_DIRECT_NO_ALPN:
					if (!write_all(c->fd, NULL, "S", 1) || !tls_accept(c))
						round = MAX_ROUNDS;
					break;
				case ATTACK_INJECT:
					/* S, then an AuthenticationOk the client must not read */
					memcpy(reply, "SR\0\0\0\x08\0\0\0\0", 10);
					(void) write_all(c->fd, NULL, reply, 10);
					(void) tls_accept(c);
					round = MAX_ROUNDS;
					break;
				case ATTACK_ERROR:
					n = injected_error(reply);
					(void) write_all(c->fd, NULL, reply, n);
					round = MAX_ROUNDS;
					break;
				default:
					if (!write_all(c->fd, NULL, "N", 1))
						round = MAX_ROUNDS;
					break;
			}
			continue;
		}
		if (code == GSS_REQUEST_CODE)
		{
			if (!write_all(c->fd, c->ssl, "N", 1))
				break;
			continue;
		}
		if (code == PROTOCOL_3)
		{
			StartupFacts facts;

			strlcpy(c->application_name, startup_value(pkt, len, "application_name"),
					sizeof(c->application_name));
			facts.over_tls = c->ssl != NULL;
			facts.user = startup_value(pkt, len, "user");
			facts.database = startup_value(pkt, len, "database");
			facts.client_cert = c->client_cert;
			record(c, update_startup, &facts);
			relay(c, pkt, (int) len);
		}
		break;
	}

	if (c->ssl)
	{
		(void) SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->up_ssl)
		SSL_free(c->up_ssl);
	if (c->up_fd >= 0)
		close(c->up_fd);
	close(c->fd);
	ERR_clear_error();

	pthread_mutex_lock(&p->lock);
	if (--p->active == 0)
		pthread_cond_broadcast(&p->idle);
	pthread_mutex_unlock(&p->lock);
	free(c);
	return NULL;
}

static void *
accept_loop(void *arg)
{
	Proxy	   *p = arg;

	for (;;)
	{
		struct pollfd fds[3] = {{p->wake[0], POLLIN, 0}, {p->listen_fd, POLLIN, 0},
		{p->listen_fd6, POLLIN, 0}};
		int			fd;
		Conn	   *c;
		pthread_t	thread;
		pthread_attr_t attr;

		if (poll(fds, p->listen_fd6 >= 0 ? 3 : 2, -1) < 0 && errno != EINTR)
			return NULL;
		if (fds[0].revents != 0)
			return NULL;
		if ((fds[1].revents & POLLIN) != 0)
			fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		else if ((fds[2].revents & POLLIN) != 0)
			fd = accept4(p->listen_fd6, NULL, NULL, SOCK_CLOEXEC);
		else
			continue;
		if (fd < 0)
			continue;
		c = calloc(1, sizeof(Conn));
		if (c == NULL)
		{
			close(fd);
			continue;
		}
		c->proxy = p;
		c->fd = fd;
		c->up_fd = -1;
		pthread_mutex_lock(&p->lock);
		p->connections++;
		p->active++;
		pthread_mutex_unlock(&p->lock);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&thread, &attr, handle, c) != 0)
		{
			close(fd);
			free(c);
			pthread_mutex_lock(&p->lock);
			p->active--;
			pthread_mutex_unlock(&p->lock);
		}
		pthread_attr_destroy(&attr);
	}
}

static int
select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
			const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char postgresql[] = "\x0apostgresql";

	if (SSL_select_next_proto((unsigned char **) out, outlen, postgresql,
							  sizeof(postgresql) - 1, in, inlen) == OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_OK;
	return SSL_TLSEXT_ERR_NOACK;
}

/*
 * listen_ipv6_loopback
 *		A listening socket on [::1]:port, or -1 when the machine has no IPv6
 *		loopback.  A port taken on ::1 by someone else is a failure of this
 *		address only: the client that resolves there is then refused, which
 *		the connection count shows.
 */
static int
listen_ipv6_loopback(int port)
{
	struct sockaddr_in6 addr6 = {0};
	int			fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int			on = 1;

	if (fd < 0)
		return -1;
	addr6.sin6_family = AF_INET6;
	addr6.sin6_addr = in6addr_loopback;
	addr6.sin6_port = htons(port);
	(void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *) &addr6, sizeof(addr6)) != 0 || listen(fd, 128) != 0)
	{
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * ptp_proxy_start
 *		Starts a proxy on a free port of 127.0.0.1, and the same port of ::1
 *		where the machine has IPv6 loopback (set in *port).  NULL with a
 *		failure recorded.
 */
Proxy *
ptp_proxy_start(const ProxyOptions *opts, int *port)
{
	Proxy	   *p = ptp_malloc0(sizeof(Proxy));
	struct sockaddr_in addr = {0};
	socklen_t	addrlen = sizeof(addr);

	p->opts = *opts;
	p->listen_fd = p->listen_fd6 = -1;
	p->wake[0] = p->wake[1] = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->idle, NULL);

	p->client_ctx = SSL_CTX_new(TLS_client_method());
	if (p->client_ctx == NULL)
		goto fail_ssl;
	SSL_CTX_set_verify(p->client_ctx, SSL_VERIFY_NONE, NULL);
	if (opts->cert != NULL)
	{
		p->server_ctx = SSL_CTX_new(TLS_server_method());
		if (p->server_ctx == NULL ||
			SSL_CTX_use_certificate(p->server_ctx, opts->cert) != 1 ||
			SSL_CTX_use_PrivateKey(p->server_ctx, opts->key) != 1 ||
			(opts->chain != NULL && SSL_CTX_add1_chain_cert(p->server_ctx, opts->chain) != 1))
			goto fail_ssl;
		if (opts->kind != ATTACK_DIRECT_NO_ALPN)
			SSL_CTX_set_alpn_select_cb(p->server_ctx, select_alpn, NULL);
		if (opts->ask_client_cert)
			SSL_CTX_set_verify(p->server_ctx, SSL_VERIFY_PEER, accept_any_certificate);
	}

	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->listen_fd < 0 ||
		bind(p->listen_fd, (struct sockaddr *) &addr, sizeof(addr)) != 0 ||
		listen(p->listen_fd, 128) != 0 ||
		getsockname(p->listen_fd, (struct sockaddr *) &addr, &addrlen) != 0 ||
		pipe2(p->wake, O_CLOEXEC) != 0)
	{
		ptp_fail("could not listen on 127.0.0.1 for an attacker proxy: %s", strerror(errno));
		goto fail;
	}
	*port = ntohs(addr.sin_port);
	p->listen_fd6 = listen_ipv6_loopback(*port);
	if (pthread_create(&p->acceptor, NULL, accept_loop, p) != 0)
	{
		ptp_fail("could not start an attacker proxy thread");
		goto fail;
	}
	return p;

fail_ssl:
	ptp_fail_openssl("could not set up TLS for an attacker proxy");
fail:
	if (p->listen_fd >= 0)
		close(p->listen_fd);
	if (p->listen_fd6 >= 0)
		close(p->listen_fd6);
	if (p->wake[0] >= 0)
	{
		close(p->wake[0]);
		close(p->wake[1]);
	}
	SSL_CTX_free(p->server_ctx);
	SSL_CTX_free(p->client_ctx);
	free(p);
	return NULL;
}

/*
 * ptp_proxy_capture
 *		What the proxy got from the client whose StartupMessage carried
 *		application_name, or, when that is NULL, from the last client (for
 *		a proxy that serves one client, whatever name it sent); all false
 *		when none reached it.
 */
void
ptp_proxy_capture(Proxy *p, const char *application_name, ProxyCapture *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < p->n_captures; i++)
		if (application_name == NULL || strcmp(p->captures[i].application_name, application_name) == 0)
			*out = p->captures[i].cap;
	pthread_mutex_unlock(&p->lock);
}

/*
 * ptp_proxy_connections
 *		How many connections the proxy has accepted so far.
 */
int
ptp_proxy_connections(Proxy *p)
{
	int			n;

	pthread_mutex_lock(&p->lock);
	n = p->connections;
	pthread_mutex_unlock(&p->lock);
	return n;
}

/*
 * ptp_proxy_stop
 *		Stops listening, waits for the connections in flight (bounded by
 *		their socket timeouts) and frees the proxy.
 */
void
ptp_proxy_stop(Proxy *p)
{
	if (p == NULL)
		return;
	/* A full pipe would already wake the acceptor, so a failed write is harmless. */
	if (write(p->wake[1], "x", 1) < 0)
		shutdown(p->listen_fd, SHUT_RDWR);
	pthread_join(p->acceptor, NULL);
	close(p->listen_fd);
	if (p->listen_fd6 >= 0)
		close(p->listen_fd6);
	pthread_mutex_lock(&p->lock);
	while (p->active > 0)
		pthread_cond_wait(&p->idle, &p->lock);
	pthread_mutex_unlock(&p->lock);
	close(p->wake[0]);
	close(p->wake[1]);
	SSL_CTX_free(p->server_ctx);
	SSL_CTX_free(p->client_ctx);
	free(p->captures);
	free(p);
}

/* The pg_hba.conf method behind an authentication request code, or NULL. */
static const char *
request_method(int code)
{
	switch (code)
	{
		case 3:
			return "password";
		case 5:
			return "md5";
		case 7:
			return "gss";
		case 9:
			return "sspi";
		case 10:
			return "scram-sha-256";
		default:
			return NULL;
	}
}

/*
 * ptp_proxy_describe
 *		What the attacker got, in words (malloc'd): the client's own
 *		messages, then, when it answered nothing, what the upstream had
 *		asked for.  Never the secret itself, not even one in a database name
 *		that holds a connection string.
 */
char *
ptp_proxy_describe(const ProxyCapture *cap)
{
	PQExpBufferData out;
	char	   *database;
	char	   *described;
	int			answers = 0;
	const struct
	{
		bool		sent;
		const char *what;
	}			sent[] = {
		{cap->sent_cleartext, "the password in cleartext"},
		{cap->sent_md5, "an MD5 hash response (the password hashed with the user name and the "
		 "upstream's salt: open to offline guessing)"},
		{cap->sent_sasl, "a SCRAM exchange (not the password)"},
		{cap->sent_other, "another authentication response"},
	};

	if (!cap->startup)
		return ptp_strdup("nothing: the client sent no startup to the attacker");
	initPQExpBuffer(&out);
	database = ptp_dbname_display(cap->database);
	appendPQExpBuffer(&out, "the startup (user \"%s\", database \"%s\") %s",
					  cap->user, database,
					  cap->startup_over_tls && cap->startup_plaintext ?
					  "over TLS on the attacker's certificate, then again in plaintext" :
					  cap->startup_over_tls ? "over TLS on the attacker's certificate" : "in plaintext");
	if (cap->client_cert[0] != '\0')
		appendPQExpBuffer(&out, ", with the client's certificate (%s)", cap->client_cert);
	for (size_t i = 0; i < lengthof(sent); i++)
		if (sent[i].sent)
			appendPQExpBuffer(&out, "%s%s", answers++ ? ", " : "; then ", sent[i].what);
	if (answers == 0)
		appendPQExpBufferStr(&out, "; nothing beyond the startup");
	if (answers == 0 && request_method(cap->auth_request) != NULL)
		appendPQExpBuffer(&out, " (the server asked for %s authentication)", request_method(cap->auth_request));
	described = ptp_strdup(out.data);
	termPQExpBuffer(&out);
	free(database);
	return described;
}

/*
 * ptp_mint_forgery
 *		A certificate an attacker can mint for victim's identity: victim's
 *		subject and subjectAltNames on a fresh key, either self-signed or
 *		issued by a fresh attacker CA (returned in *ca_out, else NULL).
 *		Returns false with a failure recorded.
 */
bool
ptp_mint_forgery(X509 *victim, bool self_signed, X509 **cert_out, EVP_PKEY **key_out,
				 X509 **ca_out)
{
	static const PtpNameEntry placeholder[] = {{NID_commonName, 0, "forgery", 0}};
	static const PtpNameEntry attacker_subject[] = {
		{NID_organizationName, 0, "pg_tls_probe attacker", 0},
		{NID_commonName, 0, "pg_tls_probe Attacker CA", 0},
	};
	static const PtpExtension ca_ext[] = {
		{NID_basic_constraints, "critical,CA:TRUE"},
		{NID_key_usage, "critical,keyCertSign,cRLSign"},
	};
	PtpCertSpec spec = {0};
	X509	   *ca = NULL;
	EVP_PKEY   *ca_key = NULL;
	X509	   *cert = NULL;
	EVP_PKEY   *key = NULL;
	int			san = X509_get_ext_by_NID(victim, NID_subject_alt_name, -1);
	bool		ok = false;

	*cert_out = NULL;
	*key_out = NULL;
	*ca_out = NULL;
	if (!self_signed)
	{
		spec.subject = attacker_subject;
		spec.n_subject = lengthof(attacker_subject);
		spec.key_type = PTP_KEY_EC_P256;
		spec.extensions = ca_ext;
		spec.n_extensions = lengthof(ca_ext);
		spec.not_before = -PTP_HOUR;
		spec.not_after = 30 * PTP_DAY;
		if (!ptp_cert_build(&spec, &ca, &ca_key))
			return false;
	}
	memset(&spec, 0, sizeof(spec));
	spec.subject = placeholder;
	spec.n_subject = lengthof(placeholder);
	spec.key_type = PTP_KEY_EC_P256;
	spec.issuer_cert = ca;
	spec.issuer_key = ca_key;
	spec.not_before = -PTP_HOUR;
	spec.not_after = 30 * PTP_DAY;
	if (!ptp_cert_build(&spec, &cert, &key))
		goto done;

	/* Then take the victim's identity and sign again. */
	if (X509_set_subject_name(cert, X509_get_subject_name(victim)) != 1 ||
		(self_signed && X509_set_issuer_name(cert, X509_get_subject_name(victim)) != 1) ||
		(san >= 0 && X509_add_ext(cert, X509_get_ext(victim, san), -1) != 1) ||
		X509_sign(cert, self_signed ? key : ca_key, EVP_sha256()) <= 0)
	{
		ptp_fail_openssl("could not mint a forged certificate");
		goto done;
	}
	ok = true;

done:
	if (ok)
	{
		*cert_out = cert;
		*key_out = key;
		*ca_out = ca;
	}
	else
	{
		X509_free(cert);
		EVP_PKEY_free(key);
		X509_free(ca);
	}
	EVP_PKEY_free(ca_key);
	return ok;
}

static void
proxy_usage(void)
{
	printf("Run an attacker proxy in front of a server until SIGTERM or SIGINT, for tests.\n\n");
	printf("Usage:\n  %s proxy intercept --upstream ADDR:PORT --cert FILE --key FILE [OPTION]...\n",
		   PTP_PROGNAME);
	printf("  %s proxy strip --upstream ADDR:PORT [OPTION]...\n\n", PTP_PROGNAME);
	printf("intercept terminates TLS on the certificate chain in FILE (leaf first; give it a\n");
	printf("certificate from a CA the client trusts, or one it does not trust to forge) and\n");
	printf("re-encrypts towards the upstream.  strip answers the client's SSLRequest with N\n");
	printf("and relays in plaintext both ways, so the server sees a plaintext client.\n");
	printf("It listens on 127.0.0.1 (and ::1) and prints \"port N\" once it is ready.\n\n");
	printf("Options:\n");
	printf("  --upstream ADDR:PORT     the real server (numeric address)\n");
	printf("  --cert FILE, --key FILE  what the proxy presents (intercept)\n");
	printf("  --strip-channel-binding  take SCRAM-SHA-256-PLUS out of the mechanisms offered\n");
	printf("  --timeout SECS           every socket operation (default 30)\n");
	printf("  -h, --help               show this help, then exit\n");
}

/*
 * ptp_proxy_main
 *		Entry point of "pg_tls_probe proxy".  Returns the exit code.
 */
int
ptp_proxy_main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"help", no_argument, NULL, 'h'},
		{"upstream", required_argument, NULL, 1},
		{"cert", required_argument, NULL, 2},
		{"key", required_argument, NULL, 3},
		{"strip-channel-binding", no_argument, NULL, 4},
		{"timeout", required_argument, NULL, 5},
		{NULL, 0, NULL, 0}
	};
	ProxyOptions po = {0};
	const char *upstream = NULL,
			   *cert_file = NULL,
			   *key_file = NULL;
	char	   *addr = NULL;
	char	   *colon;
	int			timeout = 30;
	int			port;
	int			c;
	int			sig;
	BIO		   *bio;
	Proxy	   *proxy;
	sigset_t	stop;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'h':
				proxy_usage();
				return PTP_EXIT_OK;
			case 1:
				upstream = optarg;
				break;
			case 2:
				cert_file = optarg;
				break;
			case 3:
				key_file = optarg;
				break;
			case 4:
				po.strip_channel_binding = true;
				break;
			case 5:
				if (!ptp_parse_int(optarg, 1, 3600, &timeout))
					return ptp_usage_error("proxy", "invalid --timeout \"%s\" (seconds, 1 to 3600)", optarg);
				break;
			case ':':
				return ptp_usage_error("proxy", "option \"%s\" requires an argument", argv[optind - 1]);
			default:
				return ptp_usage_error("proxy", "unrecognized option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind + 1 == argc && strcmp(argv[optind], "intercept") == 0)
		po.kind = ATTACK_FORGE;
	else if (optind + 1 == argc && strcmp(argv[optind], "strip") == 0)
	{
		po.kind = ATTACK_STRIP;
		po.plaintext_upstream = true;
	}
	else
		return ptp_usage_error("proxy", "give one kind of proxy: intercept or strip");
	if (upstream == NULL)
		return ptp_usage_error("proxy", "%s needs --upstream", argv[optind]);
	if (po.kind == ATTACK_FORGE && (cert_file == NULL || key_file == NULL))
		return ptp_usage_error("proxy", "intercept needs --cert and --key");
	addr = ptp_strdup(upstream);
	colon = strrchr(addr, ':');
	if (colon == NULL || !ptp_parse_int(colon + 1, 1, 65535, &po.upstream_port))
	{
		free(addr);
		return ptp_usage_error("proxy", "invalid --upstream \"%s\" (ADDR:PORT)", upstream);
	}
	*colon = '\0';
	po.upstream_addr = addr;
	po.timeout_ms = timeout * 1000;
	if (po.kind == ATTACK_FORGE)
	{
		if ((bio = BIO_new_file(cert_file, "r")) != NULL)
		{
			po.cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
			po.chain = PEM_read_bio_X509(bio, NULL, NULL, NULL);
			BIO_free(bio);
		}
		if ((bio = BIO_new_file(key_file, "r")) != NULL)
		{
			po.key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
			BIO_free(bio);
		}
		ERR_clear_error();
		if (po.cert == NULL || po.key == NULL)
			ptp_fail("could not read the certificate \"%s\" and the key \"%s\"", cert_file, key_file);
	}

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	proxy = ptp_has_failed() ? NULL : ptp_proxy_start(&po, &port);
	if (proxy != NULL)
	{
		printf("port %d\n", port);
		fflush(stdout);
		(void) sigwait(&stop, &sig);
		ptp_proxy_stop(proxy);
	}
	X509_free(po.cert);
	X509_free(po.chain);
	EVP_PKEY_free(po.key);
	free(addr);
	return proxy != NULL ? PTP_EXIT_OK : ptp_report_failure();
}
