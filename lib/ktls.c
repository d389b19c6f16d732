#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lib/ktls.h"

#define KTLS_ULPS "/proc/sys/net/ipv4/tcp_available_ulp"
#define KTLS_LINE 256

bool
ktls_available(void)
{
	char line[KTLS_LINE], *word, *save;
	FILE *f = fopen(KTLS_ULPS, "re");
	bool found = false;

	if (f == NULL)
		return false;
	if (fgets(line, sizeof(line), f) != NULL)
		for (word = strtok_r(line, " \n", &save); word != NULL;
		     word = strtok_r(NULL, " \n", &save))
			found |= strcmp(word, "tls") == 0;
	fclose(f);
	return found;
}
