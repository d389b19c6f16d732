/* Whether the kernel can do TLS itself (kTLS), for sendfile() over TLS. */
#ifndef MPMD_KTLS_H
#define MPMD_KTLS_H

#include <stdbool.h>

/* The "tls" upper-layer protocol is available (the tls module loaded). */
bool ktls_available(void);

#endif
