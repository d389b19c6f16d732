/* Request-target to a path beneath the document root (RFC 3986). */
#ifndef MPMD_URI_H
#define MPMD_URI_H

#include <stddef.h>

/*
 * Takes an origin-form target ("/a/b%20c?q"), or absolute-form
 * ("http://host/a"), splits off the query, percent-decodes, removes dot
 * segments and merges repeated slashes. OUT gets an absolute path starting
 * with '/' and *QUERY points at the query in TARGET (without '?') or is
 * NULL. Returns 0, or an HTTP status: 400 for bad escapes, an encoded NUL,
 * or anything that is not origin- or absolute-form; 414 when OUT is too
 * small.
 */
int uri_to_path(const char *target, size_t len, char *out, size_t outsz,
    const char **query);

/*
 * Escapes PATH for a Location header or an HTML body: percent-encodes
 * bytes outside unreserved / sub-delims / ":@/"; returns bytes written or
 * -1 when OUT is too small.
 */
int uri_escape_path(const char *path, char *out, size_t outsz);

#endif
