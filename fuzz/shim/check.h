/*-------------------------------------------------------------------------
 *
 * check.h
 *		FUZZ_CHECK: a property a fuzz target asserts about the code under
 *		test.  A violation prints which property and aborts, which libFuzzer
 *		reports as a crash and saves the input of.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FUZZ_SHIM_CHECK_H
#define FUZZ_SHIM_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(condition, property) \
	do { \
		if (!(condition)) \
		{ \
			fprintf(stderr, "fuzz check failed: %s\n", (property)); \
			abort(); \
		} \
	} while (0)

#endif							/* FUZZ_SHIM_CHECK_H */
