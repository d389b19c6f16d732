/*
 * PEM files for the suites that read certificates and keys, made with
 * OpenSSL in a directory the caller owns. tlsfiles_write() makes, each
 * certificate self-signed with its name as CN:
 *
 *   ec.crt ec.key             a P-256 pair ("ec.test")
 *   rsa.crt rsa.key           an RSA-2048 pair ("rsa.test")
 *   both.pem                  a P-256 certificate, then its key ("both.test")
 *   ed25519.crt ed25519.key   an Ed25519 pair ("ed25519.test")
 *   encrypted.key             ec.key, encrypted (TLSFILES_PASSPHRASE)
 *   other.key                 a P-256 key no certificate above holds
 */
#ifndef MPMD_TESTS_TLSFILES_H
#define MPMD_TESTS_TLSFILES_H

#define TLSFILES_PASSPHRASE "check-passphrase"

/* 0, or -1 with *CAUSE (static text) naming the step that failed. */
int tlsfiles_write(const char *dir, const char **cause);

#endif
