/* Chains and keys in pieces: see ipc_tls.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/ipc_tls.h"

#define PIECE_MAX (IPC_MAX_PAYLOAD - sizeof(struct ipc_tls_part))

size_t
ipc_tls_piece(size_t len, size_t offset)
{
	size_t left = len - offset;

	return left < PIECE_MAX ? left : PIECE_MAX;
}

int
ipc_tls_take(const struct ipc_msg *msg, struct ipc_tls_buf *parts,
    size_t nparts, const char **cause)
{
	struct ipc_tls_part h;
	struct ipc_tls_buf *b;
	size_t n = msg->len - sizeof(h);

	memcpy(&h, msg->payload, sizeof(h));
	if (h.index >= nparts || h.total == 0 || h.total > IPC_TLS_PART_MAX) {
		*cause = "a TLS part out of range";
		return -1;
	}
	b = &parts[h.index];
	if (b->data == NULL) {
		if (h.offset != 0) {
			*cause = "a TLS part that does not begin at 0";
			return -1;
		}
		if ((b->data = malloc(h.total)) == NULL) {
			*cause = "out of memory for a TLS part";
			return -1;
		}
		b->total = h.total;
		b->type = h.type;
	}
	if (h.total != b->total || h.offset != b->len ||
	    n > b->total - b->len) {
		*cause = "a TLS piece out of order";
		return -1;
	}
	memcpy(b->data + b->len, msg->payload + sizeof(h), n);
	b->len += n;
	return 0;
}

bool
ipc_tls_complete(const struct ipc_tls_buf *parts, size_t nparts)
{
	size_t i;

	for (i = 0; i < nparts; i++)
		if (parts[i].data == NULL || parts[i].len != parts[i].total)
			return false;
	return true;
}

void
ipc_tls_free(struct ipc_tls_buf *parts, size_t nparts)
{
	size_t i;

	for (i = 0; i < nparts; i++) {
		if (parts[i].data != NULL)
			explicit_bzero(parts[i].data, parts[i].total);
		free(parts[i].data);
		memset(&parts[i], 0, sizeof(parts[i]));
	}
}
