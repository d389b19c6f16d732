/*
 * A strict JSON (RFC 8259) validator for the suites that check what mpmd
 * prints as JSON (check_status, check_master): no test depends on a JSON
 * library, and every document is checked whole, not by substrings only.
 */
#ifndef MPMD_TESTS_JSONCHECK_H
#define MPMD_TESTS_JSONCHECK_H

#include <stdbool.h>
#include <stddef.h>

/* True when the LEN bytes at S are one JSON value and nothing else. */
bool json_valid(const char *s, size_t len);

#endif
