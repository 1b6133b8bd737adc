/*-------------------------------------------------------------------------
 *
 * fuzz_name_field.c
 *		Fuzz target: the attribute-name and dotted-OID parser of
 *		tls_peer_subject_field() and tls_peer_issuer_field()
 *		(tls_name_field() in extension/x509_fields.c), on any field name.
 *
 * A name fails or succeeds the same with and without a certificate (a
 * typo fails on every session); a dotted OID that is accepted is exactly
 * the OID written, so a typo cannot select another attribute; a value
 * found is valid text in the database encoding.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_tls_audit.h"

#include <openssl/err.h>
#include <openssl/objects.h>

#include "shim/check.h"
#include "shim/server.h"

/*
 * test_name
 *		A distinguished name with the attributes people ask for, a private
 *		one and a repeated one; made once.
 */
static X509_NAME *
test_name(void)
{
	static X509_NAME *name;
	static const char *const entries[][2] = {
		{"CN", "fuzz.example"}, {"O", "Example, Inc."}, {"OU", "one"}, {"OU", "two"},
		{"emailAddress", "a@example.com"}, {"DC", "example"}, {"UID", "u1"},
		{"serialNumber", "42"}, {"1.3.6.1.4.1.55555.1", "private"},
	};

	if (name != NULL)
		return name;
	name = X509_NAME_new();
	FUZZ_CHECK(name != NULL, "memory");
	for (size_t i = 0; i < lengthof(entries); i++)
		FUZZ_CHECK(X509_NAME_add_entry_by_txt(name, entries[i][0], MBSTRING_UTF8,
											  (const unsigned char *) entries[i][1], -1, -1, 0),
				   "the test name is built");
	return name;
}

/*
 * field_value
 *		tls_name_field(name, field) in *value; false when it raised an
 *		ERROR.
 */
static bool
field_value(const X509_NAME *name, const char *field, text **value)
{
	volatile bool ok = true;

	PG_TRY();
	{
		*value = tls_name_field(name, field);
	}
	PG_CATCH();
	{
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *field = strndup((const char *) data, size);
	text	   *without = NULL;
	text	   *with = NULL;
	bool		ok_without;
	bool		ok_with;

	FUZZ_CHECK(field != NULL, "memory");
	ok_without = field_value(NULL, field, &without);
	ok_with = field_value(test_name(), field, &with);
	FUZZ_CHECK(ok_without == ok_with, "a field name fails the same with and without a certificate");
	FUZZ_CHECK(without == NULL, "no certificate, no value");
	if (with != NULL)
		fuzz_check_text(with, "a field's value");

	if (ok_with && isdigit((unsigned char) field[0]))
	{
		ASN1_OBJECT *obj = OBJ_txt2obj(field, 1);
		char		canonical[512];

		FUZZ_CHECK(obj != NULL, "an accepted dotted OID is one");
		FUZZ_CHECK(OBJ_obj2txt(canonical, sizeof(canonical), obj, 1) < (int) sizeof(canonical) &&
				   strcmp(canonical, field) == 0,
				   "an accepted dotted OID selects exactly the OID written");
		ASN1_OBJECT_free(obj);
	}

	ERR_clear_error();
	free(field);
	fuzz_end_input();
	return 0;
}
