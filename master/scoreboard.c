#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "master/master.h"
#include "lib/xmalloc.h"

/*
 * Sealed against shrinking so no worker can make the master's reads fault
 * (SIGBUS), against growing so the size stays what both sides mapped.
 */
#define SB_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

int
scoreboard_create(struct master *m, char **cause)
{
	uint64_t size = sb_size(SB_MAX_SLOTS);
	void *p;
	int fd;

	fd = memfd_create("mpmd-scoreboard", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1) {
		xasprintf(cause, "memfd_create: %s", strerror(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)size) == -1 ||
	    fcntl(fd, F_ADD_SEALS, SB_SEALS) == -1) {
		xasprintf(cause, "scoreboard setup: %s", strerror(errno));
		close(fd);
		return -1;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		xasprintf(cause, "scoreboard mmap: %s", strerror(errno));
		close(fd);
		return -1;
	}
	m->sb_fd = fd;
	m->sb = p;
	m->nslots = SB_MAX_SLOTS;
	m->sb->magic = SB_MAGIC;
	m->sb->nslots = SB_MAX_SLOTS;
	return 0;
}

static struct sb_slot *
slot_at(const struct master *m, uint32_t slot)
{
	return sb_slot_at(m->sb, slot);
}

int
scoreboard_claim(struct master *m, uint32_t *slot)
{
	uint32_t i;

	for (i = 0; i < m->nslots; i++) {
		if (m->slot_used[i])
			continue;
		m->slot_used[i] = 1;
		memset(slot_at(m, i), 0, sizeof(struct sb_slot));
		*slot = i;
		return 0;
	}
	return -1;
}

void
scoreboard_release(struct master *m, uint32_t slot)
{
	if (slot >= m->nslots)
		return;
	memset(slot_at(m, slot), 0, sizeof(struct sb_slot));
	m->slot_used[slot] = 0;
}

int
scoreboard_copy(const struct master *m, uint32_t slot, struct sb_slot *s)
{
	if (slot >= m->nslots) {
		memset(s, 0, sizeof(*s));
		return -1;
	}
	sb_copy(slot_at(m, slot), s);
	return 0;
}

uint32_t
scoreboard_busy(const struct master *m, uint32_t slot, uint32_t limit)
{
	struct sb_slot s;

	if (scoreboard_copy(m, slot, &s) == -1)
		return limit;
	return s.busy > limit ? limit : s.busy;
}
