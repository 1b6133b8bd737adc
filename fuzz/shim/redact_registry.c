/*-------------------------------------------------------------------------
 *
 * redact_registry.c
 *		harness/redact.c compiled unchanged for the fuzz targets, with a way
 *		to empty its registry of secrets between two inputs.
 *
 * pg_tls_probe registers secrets for its whole run; a fuzzer that kept
 * them would slow down with every input, and an input's result would
 * depend on the ones before it.
 *
 *-------------------------------------------------------------------------
 */
#include "../../harness/redact.c"

#include "harness_shim.h"

/*
 * fuzz_redact_forget
 *		Empties the registry: no secret is masked until the next
 *		ptp_secret_add() or ptp_secrets_guess().
 */
void
fuzz_redact_forget(void)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < n_forms; i++)
		free(forms[i]);
	free(forms);
	forms = NULL;
	n_forms = 0;
	pthread_mutex_unlock(&lock);
}
