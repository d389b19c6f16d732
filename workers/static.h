/*
 * Static files beneath the DocumentRoot fd: opening (openat2 confined with
 * RESOLVE_BENEATH), directories and DirectoryIndex, validators (ETag,
 * Last-Modified), conditional requests (RFC 9110 13) and byte ranges
 * (RFC 9110 14). No socket I/O: paths and header values in, statuses out.
 */
#ifndef MPMD_STATIC_H
#define MPMD_STATIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATIC_PATH_MAX 4096 /* decoded request path, index name included */
#define STATIC_ETAG_MAX 64   /* "\"<16 hex>.<8 hex>-<16 hex>\"" and NUL */

struct static_file {
	int fd;           /* open regular file, or -1: the bytes are in DATA */
	const char *data; /* a small file from this thread's fcache */
	int64_t size;
	int64_t mtime; /* seconds */
	long mtime_nsec;
	char etag[STATIC_ETAG_MAX]; /* strong, quoted */
};

/*
 * Opens PATH (absolute, decoded, without dot segments, as uri_to_path()
 * makes it) beneath DOCROOT. A directory whose PATH ends in '/' is served
 * by the first DirectoryIndex name that opens; that name is then appended
 * to PATH (size PATHSZ) so the caller can look up its MIME type. Returns
 * 0 with F filled (the caller ends with static_close()), or 301
 * (directory named without its trailing slash), 403, 404 or 500.
 */
int static_open(int docroot, char *path, size_t pathsz, char *const *index,
    size_t nindex, struct static_file *f);

/*
 * True when a segment of PATH (decoded, without dot segments) starts
 * with '.': .htpasswd, .git/config. Only /.well-known/ (RFC 8615) is
 * public by design.
 */
bool static_hidden(const char *path);

/* Closes the file F, unless it came from memory. */
void static_close(struct static_file *f);

/*
 * If-None-Match, else If-Modified-Since, for GET and HEAD (RFC 9110
 * 13.2.2 steps 3 and 4). Either may be NULL. An If-Modified-Since later
 * than NOW (the server's clock) is invalid and ignored, as Apache does.
 * Returns 304 or 0.
 */
int static_not_modified(
    const struct static_file *f, const char *inm, const char *ims, int64_t now);

/*
 * True when the If-Range validator still holds: a strong entity-tag, or
 * the Last-Modified date when that is a strong validator, at least a
 * second before NOW (RFC 9110 8.8.2.2, 13.1.5).
 */
bool static_if_range(
    const struct static_file *f, const char *if_range, int64_t now);

/* True when an If-None-Match list holds ETAG ("*" included; weak match). */
bool etag_list_match(const char *list, const char *etag);

enum range_result {
	RANGE_NONE,          /* no usable single range: send the whole file */
	RANGE_OK,            /* *first..*last (inclusive) */
	RANGE_UNSATISFIABLE, /* 416 */
};

/*
 * Parses a Range header value against a representation of SIZE bytes.
 * Only a single "bytes" range is honoured; several ranges, other units
 * and malformed values give RANGE_NONE (RFC 9110 14.2 lets us ignore
 * Range).
 */
enum range_result range_parse(
    const char *spec, int64_t size, int64_t *first, int64_t *last);

#endif
