/*-------------------------------------------------------------------------
 *
 * proxy.h
 *		In-process attacker proxies of pg_tls_probe (harness/proxy.c).
 *
 * harness/proxy.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PTP_PROXY_H
#define PTP_PROXY_H

#include <openssl/ssl.h>

typedef enum AttackKind
{
	ATTACK_NONE,
	ATTACK_STRIP,				/* answers SSLRequest with N (CVE-2017-7485 class) */
	ATTACK_FORGE,				/* answers S, completes TLS on a minted certificate */
	ATTACK_INJECT,				/* answers S plus plaintext bytes (CVE-2021-23222) */
	ATTACK_ERROR,				/* answers SSLRequest with an ErrorResponse (CVE-2024-10977) */
	ATTACK_DIRECT,				/* direct TLS (sslnegotiation=direct) on its certificate */
	ATTACK_DIRECT_NO_ALPN,		/* the same, without negotiating ALPN */
	ATTACK_COUNT
} AttackKind;

/* The marker the error-before-tls proxy puts in its injected message. */
#define PROXY_INJECTED_TEXT	"pg_tls_probe-injected-error"

typedef struct ProxyOptions
{
	AttackKind	kind;
	const char *upstream_addr;	/* numeric address (IPv4 or IPv6) of the real server */
	int			upstream_port;
	X509	   *cert;			/* forge and direct: what the proxy presents */
	EVP_PKEY   *key;
	X509	   *chain;			/* an intermediate to send after cert, or NULL */
	int			timeout_ms;		/* every socket operation */
	bool		strip_channel_binding;	/* drop SCRAM-SHA-256-PLUS for TLS clients too */
	bool		ask_client_cert;	/* request the client's certificate, as a server
									 * with ssl_ca_file does */
	bool		plaintext_upstream; /* never ask the upstream for TLS, so that
									 * the server sees what a stripped client
									 * sent */
} ProxyOptions;

/*
 * What an attacker got from the connections of one client (by
 * application_name): only what the client itself sent, each answer named
 * by the request it answered; what the upstream asked for is kept apart.
 * No secret's bytes are kept.
 */
typedef struct ProxyCapture
{
	bool		startup;		/* a StartupMessage reached the proxy */
	bool		startup_over_tls;	/* ... over TLS on the proxy's certificate */
	bool		startup_plaintext;	/* ... in plaintext */
	char		user[64];
	char		database[64];
	char		client_cert[256];	/* subject (RFC 2253) of the certificate the
									 * client presented, or "" */
	int			auth_request;	/* the upstream's first authentication request */
	bool		sent_cleartext; /* a PasswordMessage answering a cleartext request */
	bool		sent_md5;		/* an MD5 hash response (36 bytes, "md5...") */
	bool		sent_sasl;		/* a SASLInitialResponse */
	bool		sent_other;		/* any other answer to a request */
} ProxyCapture;

typedef struct Proxy Proxy;

extern Proxy *ptp_proxy_start(const ProxyOptions *opts, int *port);
extern void ptp_proxy_capture(Proxy *proxy, const char *application_name, ProxyCapture *out);
extern int	ptp_proxy_connections(Proxy *proxy);
extern void ptp_proxy_stop(Proxy *proxy);
extern char *ptp_proxy_describe(const ProxyCapture *cap);
extern int	ptp_proxy_main(int argc, char **argv);
extern bool ptp_mint_forgery(X509 *victim, bool self_signed, X509 **cert_out,
							 EVP_PKEY **key_out, X509 **ca_out);

#endif							/* PTP_PROXY_H */
