/*-------------------------------------------------------------------------
 *
 * sessions.c
 *		Every session's TLS state: one shared-memory slot per backend, filled
 *		at authentication and cleared at exit, read by tls_get_sessions()
 *		(the C half of the tls_sessions view).
 *
 * Also the capture of a connection's transport facts into a TlsConnInfo,
 * which the connection log shares: it runs in hooks that may not allocate
 * or raise errors (emit_log_hook, and before the backend has a PGPROC), so
 * it only copies fixed-size data.  Certificate names are kept as DER and
 * printed by the reader with tls_name_to_text(), the printer every other
 * function uses, in the reader's database encoding.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"

#include <sys/socket.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "catalog/pg_authid_d.h"
#include "common/ip.h"
#include "funcapi.h"
#include "libpq/hba.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#define TLS_AUTH_METHOD_LEN		32
#define TLS_GET_SESSIONS_NATTS	13

/* One backend's session, as authentication left it. */
typedef struct TlsSessionSlot
{
	int			pid;			/* 0: unused */
	TimestampTz backend_start;
	Oid			roleid;			/* InvalidOid: the role does not exist */
	int			hba_line;		/* 0: unknown */
	char		auth_method[TLS_AUTH_METHOD_LEN];
	TlsConnInfo conn;
} TlsSessionSlot;

typedef struct TlsSessionsShared
{
	LWLock	   *lock;			/* protects slots and served */
	bool		served_known;	/* a TLS session has authenticated */
	TlsServedCertificate served;	/* the newest TLS session's certificate */
	int			nslots;
	TlsSessionSlot slots[FLEXIBLE_ARRAY_MEMBER];
} TlsSessionsShared;

static TlsSessionsShared *sessions = NULL;

/* This backend's slot, once registered. */
static int	my_slot = -1;

PG_FUNCTION_INFO_V1(tls_get_sessions);

/*
 * copy_name_der
 *		Store the DER of a certificate name in buf; sets *len to 0 when it
 *		does not fit, so that a name is either complete or absent.
 */
static void
copy_name_der(const X509_NAME *name, unsigned char *buf, uint16 *len)
{
	int			need = name ? i2d_X509_NAME(name, NULL) : -1;
	unsigned char *p = buf;

	*len = 0;
	if (need > 0 && need <= TLS_AUDIT_NAME_DER_LEN &&
		i2d_X509_NAME(name, &p) == need)
		*len = (uint16) need;
}

/*
 * copy_serial
 *		The certificate serial number in decimal into buf; "" when it cannot
 *		be converted or does not fit.
 */
static void
copy_serial(X509 *cert, char *buf, size_t size)
{
	BIGNUM	   *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char	   *dec = bn ? BN_bn2dec(bn) : NULL;

	buf[0] = '\0';
	if (dec != NULL && strlen(dec) < size)
		strcpy(buf, dec);
	OPENSSL_free(dec);
	BN_free(bn);
}

/*
 * tls_capture_connection
 *		Fill *info with what is known about port's transport: client address,
 *		whether TLS was asked for and established, protocol, cipher, SNI and
 *		the client certificate's names, serial and expiry.
 *
 * Allocates nothing from PostgreSQL and never raises an error, so that it
 * can run in emit_log_hook and before the backend has a PGPROC.
 */
void
tls_capture_connection(Port *port, TlsConnInfo *info)
{
	SSL		   *ssl = port->ssl;
	char		service[NI_MAXSERV];

	memset(info, 0, sizeof(*info));

	if (port->raddr.addr.ss_family == AF_INET || port->raddr.addr.ss_family == AF_INET6)
	{
		if (pg_getnameinfo_all(&port->raddr.addr, port->raddr.salen,
							   info->client_addr, sizeof(info->client_addr),
							   service, sizeof(service),
							   NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		{
			clean_ipv6_addr(port->raddr.addr.ss_family, info->client_addr);
			info->client_port = atoi(service);
		}
		else
			info->client_addr[0] = '\0';
	}

	if (ssl == NULL)
		return;
	info->tls_attempted = true;

	/* The client may send a server name even when the handshake fails. */
	{
		const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

		if (sni != NULL)
		{
			info->sni_len = (uint16) Min(strlen(sni), TLS_AUDIT_SNI_LEN - 1);
			memcpy(info->sni, sni, info->sni_len);
		}
	}

	/* ssl_in_use is set before the handshake; it may have failed since. */
	if (port->ssl_in_use && SSL_is_init_finished(ssl))
	{
		info->tls = true;
		strlcpy(info->protocol, SSL_get_version(ssl), sizeof(info->protocol));
		strlcpy(info->cipher, SSL_get_cipher_name(ssl), sizeof(info->cipher));
		info->cipher_bits = SSL_get_cipher_bits(ssl, NULL);
	}

	if (port->peer != NULL)
	{
		info->peer_certificate = true;
		copy_name_der(X509_get_subject_name(port->peer), info->subject, &info->subject_len);
		copy_name_der(X509_get_issuer_name(port->peer), info->issuer, &info->issuer_len);
		copy_serial(port->peer, info->serial, sizeof(info->serial));
		info->has_not_after = tls_asn1_time(X509_get0_notAfter(port->peer),
													   &info->not_after);
	}

	/* Leave nothing in OpenSSL's queue for the server's own error checks. */
	ERR_clear_error();
}

/*
 * tls_der_name_datum
 *		A name captured by tls_capture_connection() as RFC 2253 text; NULL
 *		when none was kept.
 */
Datum
tls_der_name_datum(const unsigned char *der, int len, bool *isnull)
{
	const unsigned char *p = der;
	X509_NAME  *name;
	text	   *volatile result = NULL;

	*isnull = true;
	if (len <= 0)
		return (Datum) 0;
	name = d2i_X509_NAME(NULL, &p, len);
	if (name == NULL)
	{
		ERR_clear_error();
		return (Datum) 0;
	}
	PG_TRY();
	{
		result = tls_name_to_text(name);
	}
	PG_FINALLY();
	{
		X509_NAME_free(name);
	}
	PG_END_TRY();

	*isnull = false;
	return PointerGetDatum(result);
}

/*
 * tls_serial_datum
 *		A captured decimal serial number as numeric; NULL when unknown.
 */
Datum
tls_serial_datum(const char *serial, bool *isnull)
{
	*isnull = (serial[0] == '\0');
	if (*isnull)
		return (Datum) 0;
	return DirectFunctionCall3(numeric_in, CStringGetDatum(serial),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/*
 * tls_addr_datum
 *		A captured client address as inet; NULL for a Unix socket.
 */
Datum
tls_addr_datum(const char *addr, bool *isnull)
{
	*isnull = (addr[0] == '\0');
	if (*isnull)
		return (Datum) 0;
	return DirectFunctionCall1(inet_in, CStringGetDatum(addr));
}

/*
 * tls_sessions_shmem_size
 *		Shared memory for one slot per backend that can have a client.
 */
Size
tls_sessions_shmem_size(void)
{
	return add_size(offsetof(TlsSessionsShared, slots),
					mul_size(sizeof(TlsSessionSlot), MaxBackends));
}

/*
 * tls_sessions_shmem_init
 *		Create or attach to the slots; the caller holds AddinShmemInitLock.
 */
void
tls_sessions_shmem_init(void)
{
	bool		found;

	sessions = ShmemInitStruct("pg_tls_audit sessions",
							   tls_sessions_shmem_size(), &found);
	if (!found)
	{
		memset(sessions, 0, tls_sessions_shmem_size());
		sessions->lock = &(GetNamedLWLockTranche("pg_tls_audit"))->lock;
		sessions->nslots = MaxBackends;
	}
}

/*
 * clear_my_slot
 *		on_shmem_exit callback: the session is over.  Registered after the
 *		backend status entry's, so it runs first: a pid that pg_stat_activity
 *		no longer shows has no slot either.
 */
static void
clear_my_slot(int code, Datum arg)
{
	if (sessions == NULL || my_slot < 0)
		return;
	LWLockAcquire(sessions->lock, LW_EXCLUSIVE);
	sessions->slots[my_slot].pid = 0;
	LWLockRelease(sessions->lock);
	my_slot = -1;
}

/*
 * tls_sessions_register
 *		Fill this backend's slot for an authenticated connection.
 */
void
tls_sessions_register(Port *port, const TlsConnInfo *info)
{
	TlsSessionSlot slot;
	TlsServedCertificate served;
	bool		have_served = false;
	int			index = PG_TLS_AUDIT_MY_PROC_NUMBER();

	if (sessions == NULL || index < 0 || index >= sessions->nslots)
		return;

	memset(&slot, 0, offsetof(TlsSessionSlot, conn));
	slot.pid = MyProcPid;
	slot.backend_start = MyStartTimestamp;
	slot.roleid = get_role_oid(port->user_name, true);
	if (port->hba != NULL)
	{
		slot.hba_line = port->hba->linenumber;
		strlcpy(slot.auth_method, hba_authname(port->hba->auth_method),
				sizeof(slot.auth_method));
	}
	memcpy(&slot.conn, info, sizeof(slot.conn));

	/*
	 * The certificate this session was given is the one the postmaster's
	 * TLS context held when it forked this backend: after a reload that
	 * failed, still the one loaded before.
	 */
	if (info->tls && port->ssl != NULL && SSL_get_certificate(port->ssl) != NULL)
	{
		unsigned int md_len;

		served.at = GetCurrentTimestamp();
		served.pid = MyProcPid;
		have_served = X509_digest(SSL_get_certificate(port->ssl), EVP_sha256(),
								  served.sha256, &md_len) == 1 &&
			md_len == sizeof(served.sha256);
		ERR_clear_error();
	}

	if (my_slot < 0)
		on_shmem_exit(clear_my_slot, (Datum) 0);
	LWLockAcquire(sessions->lock, LW_EXCLUSIVE);
	memcpy(&sessions->slots[index], &slot, sizeof(slot));
	if (have_served && (!sessions->served_known || sessions->served.at <= served.at))
	{
		sessions->served = served;
		sessions->served_known = true;
	}
	LWLockRelease(sessions->lock);
	my_slot = index;
}

/*
 * tls_sessions_newest_served
 *		The server certificate of the newest TLS session that authenticated
 *		since the server started; false when there was none, or the library
 *		was not preloaded.
 */
bool
tls_sessions_newest_served(TlsServedCertificate *served)
{
	bool		known;

	if (sessions == NULL)
		return false;
	LWLockAcquire(sessions->lock, LW_SHARED);
	known = sessions->served_known;
	if (known)
		*served = sessions->served;
	LWLockRelease(sessions->lock);
	return known;
}

/*
 * tls_get_sessions
 *		One row per session with a slot whose role the caller may see
 *		(its own, one it has the privileges of, or any with
 *		pg_read_all_stats, as pg_stat_ssl decides): pid, backend_start, ssl,
 *		protocol, cipher, cipher_bits, client_subject, client_issuer,
 *		client_serial, client_not_after, sni, hba_line, auth_method.  No rows
 *		when the library was not preloaded; the tls_sessions view then falls
 *		back on pg_stat_ssl.
 */
Datum
tls_get_sessions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TlsSessionSlot slot;
	TlsConnInfo *conn = &slot.conn;
	bool		read_all;

	InitMaterializedSRF(fcinfo, 0);
	if (sessions == NULL)
		return (Datum) 0;

	read_all = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);
	for (int i = 0; i < sessions->nslots; i++)
	{
		Datum		values[TLS_GET_SESSIONS_NATTS];
		bool		nulls[TLS_GET_SESSIONS_NATTS];

		/* Copy under the lock; the conversions below may allocate and fail. */
		LWLockAcquire(sessions->lock, LW_SHARED);
		if (sessions->slots[i].pid != 0)
			memcpy(&slot, &sessions->slots[i], sizeof(slot));
		else
			slot.pid = 0;
		LWLockRelease(sessions->lock);

		if (slot.pid == 0)
			continue;
		if (!read_all && !has_privs_of_role(GetUserId(), slot.roleid))
			continue;

		memset(nulls, true, sizeof(nulls));
		values[0] = Int32GetDatum(slot.pid);
		nulls[0] = false;
		values[1] = TimestampTzGetDatum(slot.backend_start);
		nulls[1] = false;
		values[2] = BoolGetDatum(conn->tls);
		nulls[2] = false;
		if (conn->tls)
		{
			values[3] = CStringGetTextDatum(conn->protocol);
			values[4] = CStringGetTextDatum(conn->cipher);
			values[5] = Int32GetDatum(conn->cipher_bits);
			nulls[3] = nulls[4] = nulls[5] = false;
			values[6] = tls_der_name_datum(conn->subject, conn->subject_len, &nulls[6]);
			values[7] = tls_der_name_datum(conn->issuer, conn->issuer_len, &nulls[7]);
			values[8] = tls_serial_datum(conn->serial, &nulls[8]);
			if (conn->has_not_after)
			{
				values[9] = TimestampTzGetDatum(conn->not_after);
				nulls[9] = false;
			}
			if (conn->sni_len > 0)
			{
				values[10] = PointerGetDatum(tls_text_from_bytes(conn->sni, conn->sni_len,
																 TLS_TEXT_ESCAPE_BACKSLASH));
				nulls[10] = false;
			}
		}
		if (slot.hba_line > 0)
		{
			values[11] = Int32GetDatum(slot.hba_line);
			nulls[11] = false;
		}
		if (slot.auth_method[0] != '\0')
		{
			values[12] = CStringGetTextDatum(slot.auth_method);
			nulls[12] = false;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
