/*
 * hash.c - XXH3-128 via libxxhash, SHA-256 via OpenSSL's libcrypto (opened on the
 * first SHA-256, dynlib.h: a process that hashes nothing with it does not load it).
 *
 * OpenSSL 3 reads its configuration and registers every cipher and digest the first
 * time EVP_sha256() is used, about a millisecond. That is not skipped here: libcurl's
 * TLS shares the same libcrypto, and initialising it without the system configuration
 * (its security level) or without the digest table (certificate signatures then read as
 * "too weak") would change what TLS accepts. Paths that must start fast avoid SHA-256
 * instead (the lock's input digest is XXH3).
 */
#include "config.h"

#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <xxhash.h>

#include "dynlib.h"

struct Hasher {
	XXH3_state_t *xxh;
	const CryptoApi *cr;
	EVP_MD_CTX *sha;
};

/* libcrypto, or the end of the process: like a shared library the loader cannot find,
 * a missing libcrypto.so.3 is a broken installation, and SHA-256 has no error path. */
static const CryptoApi *
crypto(void)
{
	Err err;
	const CryptoApi *cr = dynlib_crypto(&err);

	if (!cr) {
		fprintf(stderr, "bunpy: error: %s\n", err.msg);
		exit(127);
	}
	return cr;
}

static Digest
digest_from_xxh(XXH128_hash_t h)
{
	XXH128_canonical_t c;
	Digest d;

	XXH128_canonicalFromHash(&c, h);
	memcpy(d.b, c.digest, sizeof(d.b));
	return d;
}

Digest
hash_bytes(const void *p, size_t n)
{
	return digest_from_xxh(XXH3_128bits(p, n));
}

bool
digest_eq(const Digest *a, const Digest *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

bool
digest_is_zero(const Digest *d)
{
	static const Digest zero;

	return digest_eq(d, &zero);
}

void
hash_hex(const void *bytes, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = bytes;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int
hash_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hash_unhex(const char *s, void *bytes, size_t n)
{
	unsigned char *b = bytes;
	size_t i;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		int hi = hash_hex_digit(s[2 * i]), lo = hash_hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

Sha256
sha256_bytes(const void *p, size_t n)
{
	const CryptoApi *cr = crypto();
	Sha256 s;
	unsigned int len = sizeof(s.b);

	cr->EVP_Digest(p, n, s.b, &len, cr->EVP_sha256(), NULL);
	return s;
}

Hasher *
hasher_new(bool with_sha256)
{
	Hasher *h = xcalloc(1, sizeof(*h));

	h->xxh = XXH3_createState();
	if (!h->xxh)
		xout_of_memory(sizeof(*h));
	XXH3_128bits_reset(h->xxh);
	if (with_sha256) {
		h->cr = crypto();
		h->sha = h->cr->EVP_MD_CTX_new();
		if (!h->sha || !h->cr->EVP_DigestInit_ex(h->sha, h->cr->EVP_sha256(), NULL))
			xout_of_memory(sizeof(*h));
	}
	return h;
}

void
hasher_update(Hasher *h, const void *p, size_t n)
{
	XXH3_128bits_update(h->xxh, p, n);
	if (h->sha)
		h->cr->EVP_DigestUpdate(h->sha, p, n);
}

void
hasher_final(Hasher *h, Digest *xxh, Sha256 *sha)
{
	if (xxh)
		*xxh = digest_from_xxh(XXH3_128bits_digest(h->xxh));
	if (h->sha) {
		unsigned int len = 32;
		Sha256 tmp;

		h->cr->EVP_DigestFinal_ex(h->sha, tmp.b, &len);
		if (sha)
			*sha = tmp;
		h->cr->EVP_MD_CTX_free(h->sha);
	}
	XXH3_freeState(h->xxh);
	free(h);
}

int
hash_file(const char *path, Digest *xxh, Sha256 *sha, Err *err)
{
	return hash_file_at(AT_FDCWD, path, xxh, sha, err);
}

int
hash_file_at(int dirfd, const char *path, Digest *xxh, Sha256 *sha, Err *err)
{
	unsigned char buf[64 * 1024];
	Hasher *h;
	int fd;
	ssize_t n;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "%s", path);
	h = hasher_new(sha != NULL);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_sys(err, "%s: read", path);
			hasher_final(h, NULL, NULL);
			close(fd);
			return -1;
		}
		hasher_update(h, buf, (size_t)n);
	}
	close(fd);
	hasher_final(h, xxh, sha);
	return 0;
}
