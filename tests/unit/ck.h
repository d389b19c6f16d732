/* Runs one Check suite with TAP on stdout, for automake's tap-driver. */
#ifndef MPMD_CK_H
#define MPMD_CK_H

#include <check.h>
#include <stdlib.h>

static inline int
ck_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Table-driven cases carry their source line so a failure names its row. */
#define CK_ROW __LINE__

#endif
