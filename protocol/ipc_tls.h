/*
 * Certificate chains and private keys over the channel: a part larger
 * than a packet is sent in pieces (struct ipc_tls_part in ipc.h) and put
 * together here, each piece checked against the ones before it.
 */
#ifndef MPMD_IPC_TLS_H
#define MPMD_IPC_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/ipc.h"

struct ipc_tls_buf {
	unsigned char *data; /* TOTAL bytes once complete */
	size_t len;
	size_t total;
	uint32_t type;
};

/*
 * Adds the piece of a TLS_CERT or TLS_KEY message to PARTS (NPARTS of
 * them, by index). -1 with *CAUSE when it is out of order or range.
 */
int ipc_tls_take(const struct ipc_msg *msg, struct ipc_tls_buf *parts,
    size_t nparts, const char **cause);
bool ipc_tls_complete(const struct ipc_tls_buf *parts, size_t nparts);
/* Frees PARTS, cleansing what they held (keys among them). */
void ipc_tls_free(struct ipc_tls_buf *parts, size_t nparts);

/* The piece of DATA (LEN bytes) from OFFSET that fits one packet. */
size_t ipc_tls_piece(size_t len, size_t offset);

#endif
