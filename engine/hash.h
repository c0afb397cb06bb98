/*
 * hash.h - the two hash functions bunpy uses, and why each.
 *
 * SHA-256 names everything that may leave the machine: CAS blobs, wheel hashes, the keys
 * of a future remote cache (REAPI and bazel-remote only speak SHA-256).
 * XXH3-128 fingerprints what never leaves it: file contents behind the stat fast path,
 * node values, traces. It is an order of magnitude faster than SHA-256.
 */
#ifndef BUNPY_HASH_H
#define BUNPY_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct Digest {
	unsigned char b[16];          /* XXH3-128, big-endian (the canonical form) */
} Digest;

typedef struct Sha256 {
	unsigned char b[32];
} Sha256;

#define DIGEST_HEX_LEN 32
#define SHA256_HEX_LEN 64

Digest hash_bytes(const void *p, size_t n);
bool digest_eq(const Digest *a, const Digest *b);
bool digest_is_zero(const Digest *d);
void hash_hex(const void *bytes, size_t n, char *out);   /* out holds 2n+1 chars */
/* The value of one hex digit, -1 when c is not one. */
int hash_hex_digit(char c);
/* Parse 2n hex digits into n bytes; -1 when s is not exactly that. */
int hash_unhex(const char *s, void *bytes, size_t n);

Sha256 sha256_bytes(const void *p, size_t n);

/* Streaming hasher computing XXH3-128 and, when asked, SHA-256 of the same bytes. */
typedef struct Hasher Hasher;
Hasher *hasher_new(bool with_sha256);
void hasher_update(Hasher *h, const void *p, size_t n);
void hasher_final(Hasher *h, Digest *xxh, Sha256 *sha);  /* frees h; sha may be NULL */

/* Hash a file's contents in one pass. sha may be NULL. */
int hash_file(const char *path, Digest *xxh, Sha256 *sha, Err *err);
/* The same for a path relative to the directory dirfd. */
int hash_file_at(int dirfd, const char *path, Digest *xxh, Sha256 *sha, Err *err);

#endif
