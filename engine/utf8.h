/*
 * utf8.h - UTF-8, strictly: no overlong forms, no surrogates, nothing past U+10FFFF.
 *
 * Outside data (TOML, METADATA, markers, index pages) must be UTF-8; these are the one
 * decoder and encoder every parser uses.
 */
#ifndef BUNPY_UTF8_H
#define BUNPY_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the character at s (avail bytes from s on, at least 1): its length (1 to 4)
 * with the code point in *cp, or 0 with the reason in *why (why may be NULL).
 */
size_t utf8_decode(const char *s, size_t avail, uint32_t *cp, const char **why);
/* Write cp (at most U+10FFFF) into out, which has room for 4 bytes; the length. */
size_t utf8_encode(uint32_t cp, char *out);
/* The offset of the first byte of s that is not part of valid UTF-8, or len. */
size_t utf8_valid_prefix(const char *s, size_t len);

#endif
