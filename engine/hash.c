/*
 * hash.c - XXH3-128 via libxxhash, SHA-256 via OpenSSL's libcrypto.
 *
 * OpenSSL 3 by default reads its configuration file and registers every cipher and
 * digest it has the first time EVP_sha256() is used: a millisecond, a third of a
 * no-op lock. bunpy needs one digest, so it initialises libcrypto without those and
 * fetches SHA-256 once; the fetched method is process-wide state written once
 * (pthread_once) and only read after.
 */
#include "config.h"

#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <xxhash.h>

static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;

static void
sha256_init(void)
{
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
			    OPENSSL_INIT_NO_ADD_ALL_DIGESTS, NULL);
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
sha256_method(void)
{
	pthread_once(&sha256_once, sha256_init);
	if (!sha256_md)
		abort();   /* libcrypto without SHA-256 is not a libcrypto bunpy can run on */
	return sha256_md;
}

struct Hasher {
	XXH3_state_t *xxh;
	EVP_MD_CTX *sha;
};

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
	Sha256 s;
	unsigned int len = sizeof(s.b);

	EVP_Digest(p, n, s.b, &len, sha256_method(), NULL);
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
		h->sha = EVP_MD_CTX_new();
		if (!h->sha || !EVP_DigestInit_ex(h->sha, sha256_method(), NULL))
			xout_of_memory(sizeof(*h));
	}
	return h;
}

void
hasher_update(Hasher *h, const void *p, size_t n)
{
	XXH3_128bits_update(h->xxh, p, n);
	if (h->sha)
		EVP_DigestUpdate(h->sha, p, n);
}

void
hasher_final(Hasher *h, Digest *xxh, Sha256 *sha)
{
	if (xxh)
		*xxh = digest_from_xxh(XXH3_128bits_digest(h->xxh));
	if (h->sha) {
		unsigned int len = 32;
		Sha256 tmp;

		EVP_DigestFinal_ex(h->sha, tmp.b, &len);
		if (sha)
			*sha = tmp;
		EVP_MD_CTX_free(h->sha);
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
