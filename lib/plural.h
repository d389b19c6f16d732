/*
 * Counts in words: "1 worker", "2 workers". Every message that prints a
 * count it does not know in advance takes the noun's ending from here.
 */
#ifndef MPMD_LIB_PLURAL_H
#define MPMD_LIB_PLURAL_H

/* The ending of a regular noun after N: "s" unless N is 1. */
static inline const char *
plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

#endif
