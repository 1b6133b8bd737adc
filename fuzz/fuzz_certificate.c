/*-------------------------------------------------------------------------
 *
 * fuzz_certificate.c
 *		Fuzz target: the certificate-to-SQL code of extension/x509_fields.c
 *		(tls_certificate_values(), tls_put_extensions(), tls_name_to_text(),
 *		tls_name_field()) on any DER certificate OpenSSL parses.
 *
 * Each certificate is shown as in a UTF8, a LATIN1 and a SQL_ASCII
 * database.  An ERROR is an allowed outcome; a crash, a leak (an OpenSSL
 * object left behind by an ERROR among them) or a text value that is not
 * valid in the database encoding is not.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"

#include <openssl/err.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "shim/check.h"
#include "shim/server.h"

/* The tls_certificate columns that are text (numbered from 0). */
static const int text_columns[] = {0, 1, 3, 6, 10, 12, 13};

/* The fields asked for by name: the usual ones, an OID, a private OID. */
static const char *const fields[] = {"CN", "O", "OU", "emailAddress", "2.5.4.5", "1.3.6.1.4.1.55555.1"};

/* Checks one row of tls_peer_extensions(): name, value, critical. */
static void
check_extension_row(TupleDesc tupdesc, const Datum *values, const bool *nulls)
{
	FUZZ_CHECK(!nulls[0] && !nulls[1] && !nulls[2], "an extension row has no NULL");
	fuzz_check_text((const text *) DatumGetPointer(values[0]), "an extension's name");
	fuzz_check_text((const text *) DatumGetPointer(values[1]), "an extension's value");
}

/* Checks the tls_certificate columns of cert. */
static void
check_certificate_values(X509 *cert)
{
	Datum		values[TLS_CERTIFICATE_NATTS];
	bool		nulls[TLS_CERTIFICATE_NATTS];

	tls_certificate_values(cert, values, nulls);
	for (size_t i = 0; i < lengthof(text_columns); i++)
		if (!nulls[text_columns[i]])
			fuzz_check_text((const text *) DatumGetPointer(values[text_columns[i]]),
							"a tls_certificate column");
	FUZZ_CHECK(!nulls[0] && !nulls[1] && !nulls[2] && !nulls[3] && !nulls[6] &&
			   !nulls[7] && !nulls[8] && !nulls[9] && !nulls[12] && !nulls[13],
			   "subject, issuer, serial, fingerprint, SANs, signature and PEM are never NULL");
	fuzz_check_array(values[7], TEXTOID, "a DNS name");
	fuzz_check_array(values[8], INETOID, "an IP address");
	fuzz_check_array(values[9], TEXTOID, "an e-mail address");
}

/*
 * show
 *		Everything the extension shows of cert, in the current database
 *		encoding; an ERROR ends it early.
 */
static void
show(X509 *cert)
{
	PG_TRY();
	{
		check_certificate_values(cert);
		tls_put_extensions(fuzz_tuplestore(check_extension_row), fuzz_tupdesc(3), cert);
		for (size_t i = 0; i < lengthof(fields); i++)
		{
			text	   *subject = tls_name_field(X509_get_subject_name(cert), fields[i]);
			text	   *issuer = tls_name_field(X509_get_issuer_name(cert), fields[i]);

			if (subject != NULL)
				fuzz_check_text(subject, "a subject field");
			if (issuer != NULL)
				fuzz_check_text(issuer, "an issuer field");
		}
	}
	PG_CATCH();
	{
		ERR_clear_error();
	}
	PG_END_TRY();
	fuzz_end_input();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int encodings[] = {PG_UTF8, PG_LATIN1, PG_SQL_ASCII};
	const unsigned char *p = data;
	X509	   *cert = d2i_X509(NULL, &p, (long) size);

	if (cert == NULL)
	{
		ERR_clear_error();
		return 0;
	}
	for (size_t i = 0; i < lengthof(encodings); i++)
	{
		fuzz_set_database_encoding(encodings[i]);
		show(cert);
	}
	X509_free(cert);
	ERR_clear_error();
	return 0;
}
