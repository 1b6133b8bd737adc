/*-------------------------------------------------------------------------
 *
 * session.c
 *		SQL functions reporting the TLS state of the current session.
 *
 * Each function reads the backend's own connection (MyProcPort), so it
 * shows a role nothing but its own session and needs no privilege.  On a
 * session without TLS, or in a process with no client connection, they
 * answer "no TLS" rather than raising an error.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"

#include <openssl/err.h>
#include <openssl/objects.h>

#include "funcapi.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#define TLS_SESSION_NATTS	8

PG_FUNCTION_INFO_V1(tls_session);
PG_FUNCTION_INFO_V1(tls_peer_certificate);
PG_FUNCTION_INFO_V1(tls_server_certificate);
PG_FUNCTION_INFO_V1(tls_peer_subject_field);
PG_FUNCTION_INFO_V1(tls_peer_issuer_field);
PG_FUNCTION_INFO_V1(tls_peer_extensions);

/*
 * session_ssl
 *		The current session's TLS connection, or NULL when it has none.
 */
static SSL *
session_ssl(void)
{
	if (MyProcPort == NULL || !MyProcPort->ssl_in_use)
		return NULL;
	return MyProcPort->ssl;
}

/*
 * session_peer
 *		The client certificate the server accepted for this session, or NULL.
 */
static X509 *
session_peer(void)
{
	if (session_ssl() == NULL)
		return NULL;
	return MyProcPort->peer;
}

/*
 * key_exchange_group
 *		Name of the group the key exchange used, or NULL when there was none.
 *
 * A group with a NID is given by its OpenSSL short name ("prime256v1",
 * "X25519"), which is also how ssl_ecdh_curve and ssl_groups spell it;
 * groups without one (hybrid post-quantum groups) by their TLS name.
 */
static const char *
key_exchange_group(SSL *ssl)
{
	int			nid = SSL_get_negotiated_group(ssl);
	const char *name = NULL;

	if (nid == NID_undef)
		return NULL;
	if ((nid & TLSEXT_nid_unknown) == 0)
		name = OBJ_nid2sn(nid);
	if (name == NULL)
		name = SSL_group_to_name(ssl, nid);
	ERR_clear_error();
	return name;
}

/* tls_session()'s row, once built (see there). */
static HeapTupleHeader cached_session = NULL;

/*
 * tls_session
 *		One row: ssl, protocol, cipher, cipher_bits, sni, alpn,
 *		key_exchange_group, peer_certificate_present.  On a session without
 *		TLS, ssl is false and every other column is NULL.
 */
Datum
tls_session(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[TLS_SESSION_NATTS];
	bool		nulls[TLS_SESSION_NATTS];
	SSL		   *ssl = session_ssl();
	HeapTuple	tuple;
	HeapTupleHeader result;

	/*
	 * A session's TLS state never changes after the handshake (the server
	 * allows no renegotiation), so the row is built once per backend and
	 * copied on later calls.  Its blessed record type lives as long as the
	 * backend.
	 */
	if (cached_session != NULL)
	{
		result = (HeapTupleHeader) palloc(HeapTupleHeaderGetDatumLength(cached_session));
		memcpy(result, cached_session, HeapTupleHeaderGetDatumLength(cached_session));
		PG_RETURN_HEAPTUPLEHEADER(result);
	}

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (tupdesc->natts != TLS_SESSION_NATTS)
		elog(ERROR, "tls_session() has %d columns, expected %d",
			 tupdesc->natts, TLS_SESSION_NATTS);
	tupdesc = BlessTupleDesc(tupdesc);

	memset(values, 0, sizeof(values));
	memset(nulls, true, sizeof(nulls));
	values[0] = BoolGetDatum(ssl != NULL);
	nulls[0] = false;

	if (ssl != NULL)
	{
		const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
		const unsigned char *alpn;
		unsigned int alpn_len;
		const char *group = key_exchange_group(ssl);

		values[1] = CStringGetTextDatum(SSL_get_version(ssl));
		values[2] = CStringGetTextDatum(SSL_get_cipher_name(ssl));
		values[3] = Int32GetDatum(SSL_get_cipher_bits(ssl, NULL));
		nulls[1] = nulls[2] = nulls[3] = false;

		/* The client chose these bytes: escape, never trust them. */
		if (sni != NULL)
		{
			values[4] = PointerGetDatum(tls_text_from_bytes(sni, strlen(sni),
															TLS_TEXT_ESCAPE_BACKSLASH));
			nulls[4] = false;
		}

		SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
		if (alpn != NULL && alpn_len > 0)
		{
			values[5] = PointerGetDatum(tls_text_from_bytes((const char *) alpn, alpn_len,
															TLS_TEXT_ESCAPE_BACKSLASH));
			nulls[5] = false;
		}

		if (group != NULL)
		{
			values[6] = CStringGetTextDatum(group);
			nulls[6] = false;
		}

		values[7] = BoolGetDatum(MyProcPort->peer != NULL);
		nulls[7] = false;
	}

	tuple = heap_form_tuple(tupdesc, values, nulls);
	cached_session = (HeapTupleHeader) MemoryContextAlloc(TopMemoryContext, tuple->t_len);
	memcpy(cached_session, tuple->t_data, tuple->t_len);
	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}

/*
 * tls_peer_certificate
 *		The client certificate as one tls_certificate row; no row when the
 *		client presented none or the session has no TLS.
 */
Datum
tls_peer_certificate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	X509	   *peer = session_peer();

	InitMaterializedSRF(fcinfo, 0);
	if (peer != NULL)
		tls_put_certificate(rsinfo->setResult, rsinfo->setDesc, peer);
	return (Datum) 0;
}

/*
 * tls_server_certificate
 *		The certificate the server presented to this session, as one
 *		tls_certificate row; no row when the session has no TLS.
 */
Datum
tls_server_certificate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SSL		   *ssl = session_ssl();
	X509	   *cert = ssl ? SSL_get_certificate(ssl) : NULL;

	InitMaterializedSRF(fcinfo, 0);
	if (cert != NULL)
		tls_put_certificate(rsinfo->setResult, rsinfo->setDesc, cert);
	return (Datum) 0;
}

/*
 * peer_name_field
 *		Every value of one attribute of a name of the client certificate,
 *		chosen by get_name (see tls_name_field()); NULL when there is no
 *		certificate or no such attribute.
 */
static Datum
peer_name_field(FunctionCallInfo fcinfo, X509_NAME *(*get_name) (const X509 *))
{
	char	   *field = text_to_cstring(PG_GETARG_TEXT_PP(0));
	X509	   *peer = session_peer();
	text	   *result;

	result = tls_name_field(peer ? get_name(peer) : NULL, field);
	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(result);
}

/*
 * tls_peer_subject_field
 *		A subject attribute of the client certificate (peer_name_field()).
 */
Datum
tls_peer_subject_field(PG_FUNCTION_ARGS)
{
	return peer_name_field(fcinfo, X509_get_subject_name);
}

/*
 * tls_peer_issuer_field
 *		An issuer attribute of the client certificate (peer_name_field()).
 */
Datum
tls_peer_issuer_field(PG_FUNCTION_ARGS)
{
	return peer_name_field(fcinfo, X509_get_issuer_name);
}

/*
 * tls_peer_extensions
 *		The client certificate's extensions, one row each (name, value,
 *		critical); no rows when there is no client certificate.
 */
Datum
tls_peer_extensions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	X509	   *peer = session_peer();

	InitMaterializedSRF(fcinfo, 0);
	if (peer != NULL)
		tls_put_extensions(rsinfo->setResult, rsinfo->setDesc, peer);
	return (Datum) 0;
}
