/*-------------------------------------------------------------------------
 *
 * harness_main.c
 *		harness/main.c compiled unchanged for the fuzz targets, which need
 *		its error and memory helpers (ptp_fail, ptp_strdup, ...), with its
 *		main() renamed: libFuzzer brings the program's main().
 *
 *-------------------------------------------------------------------------
 */
#define main ptp_main_unused

int			ptp_main_unused(int argc, char **argv);

#include "../../harness/main.c"
