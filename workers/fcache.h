/*
 * Small files kept in memory per thread: a hit costs no system call at
 * all while its entry was found unchanged less than FCACHE_TRUST_MS ago,
 * and one fstatat() that proves the file is still the one read after
 * that, instead of open, fstat, pread and close. A file that changes is
 * served new within FCACHE_TRUST_MS, and never mixed: the metadata
 * (ETag, Length) and the bytes of a hit come from one snapshot. No
 * locking (each thread has its own), nothing opened outside the document
 * root (an entry is only ever filled from a file opened beneath it).
 */
#ifndef MPMD_FCACHE_H
#define MPMD_FCACHE_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

#define FCACHE_FILE_MAX 2048 /* larger files are sent with sendfile() */
#define FCACHE_TRUST_MS 1000 /* how stale a hit may be */

/*
 * The bytes of REL (relative to DOCROOT) when this thread has them and
 * the file is unchanged (*ST is filled; st_size is the length). They
 * stay valid until this thread's next fcache call. NULL otherwise.
 */
const char *fcache_get(int docroot, const char *rel, struct stat *st);

/*
 * Remembers REL: reads the regular file FD (described by ST, at most
 * FCACHE_FILE_MAX bytes, unchanged for a second) for this thread. Returns
 * its bytes as fcache_get() would, or NULL when it does not keep it (the
 * caller goes on with FD).
 */
const char *fcache_put(const char *rel, int fd, const struct stat *st);

/* The monotonic clock in milliseconds it goes by (tests set their own). */
void fcache_set_clock(int64_t (*now)(void));

#endif
