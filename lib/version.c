/*
 * The version a running master reports (mpmd -V, mpmctl status, the log
 * line of an upgrade): the package version alone does not tell two builds
 * apart, the linker's build-id note of the executable does.
 */
#include "config.h"

#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "lib/version.h"

#define BUILD_ID_SHOWN 6 /* bytes of the id, as hex */

struct found {
	char hex[2 * BUILD_ID_SHOWN + 1];
};

static void
note_scan(const char *p, size_t size, struct found *f)
{
	const ElfW(Nhdr) * n;
	size_t off = 0, i, len;

	while (off + sizeof(*n) <= size) {
		n = (const void *)(p + off);
		off += sizeof(*n) + ((n->n_namesz + 3) & ~3u);
		len = n->n_descsz;
		if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
		    memcmp(n + 1, "GNU", 4) == 0 && off + len <= size) {
			for (i = 0; i < len && i < BUILD_ID_SHOWN; i++)
				snprintf(f->hex + 2 * i, 3, "%02x",
				    (unsigned char)p[off + i]);
			return;
		}
		off += (len + 3) & ~3u;
	}
}

/* The first object dl_iterate_phdr() reports is the executable. */
static int
scan_executable(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct found *f = arg;
	ElfW(Half) i;

	for (i = 0; i < info->dlpi_phnum && f->hex[0] == '\0'; i++)
		if (info->dlpi_phdr[i].p_type == PT_NOTE)
			note_scan((const char *)(info->dlpi_addr +
						 info->dlpi_phdr[i].p_vaddr),
			    info->dlpi_phdr[i].p_memsz, f);
	return 1;
}

const char *
mpmd_version(void)
{
	static char text[64];
	struct found f;

	if (text[0] != '\0')
		return text;
	memset(&f, 0, sizeof(f));
	dl_iterate_phdr(scan_executable, &f);
	if (f.hex[0] != '\0')
		snprintf(text, sizeof(text), "%s (build %s)", PACKAGE_VERSION,
		    f.hex);
	else
		snprintf(text, sizeof(text), "%s", PACKAGE_VERSION);
	return text;
}
