/*
 * version.h - PEP 440 versions: parse, canonical form, total order.
 *
 * A Version is parsed from the permissive spelling ("v1.0-RC.1", "1.0c1", "1.0-1") and
 * printed in canonical form ("1.0rc1", "1.0.post1"). Numbers are kept as digit strings,
 * so that any size compares exactly ("1.0.20260101123456789012345" is a fine version).
 * Everything a Version points to lives in the arena it was parsed into.
 *
 * The order is PEP 440's: epoch, release with trailing zeros ignored (1 == 1.0.0),
 * dev-only releases before pre-releases, pre < final < post, dev before whatever it is
 * the dev release of, and local labels after the public version they label.
 */
#ifndef BUNPY_VERSION_H
#define BUNPY_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/arena.h"
#include "../engine/err.h"

/* A non-negative integer: decimal digits without leading zeros ("0" for zero). */
typedef struct VersionNum {
	const char *digits;
	uint32_t len;
} VersionNum;

typedef enum VersionPre {
	VERSION_PRE_NONE,
	VERSION_PRE_A,
	VERSION_PRE_B,
	VERSION_PRE_RC,
} VersionPre;

/* One dot-separated part of a local label: lower-case letters and digits, or a number. */
typedef struct VersionLocal {
	const char *text;    /* a number is stored without leading zeros ("0" for zero) */
	uint32_t len;
	bool numeric;
} VersionLocal;

/*
 * Synthetic versions that only version ranges use (range.h): VERSION_POST_MAX sorts
 * after every version with the same epoch, release and pre-release, whatever its post,
 * dev or local parts, which is the bound ">V" needs ("not V, not V+local, not V.postN").
 */
enum { VERSION_POST_MAX = 1 };

typedef struct Version {
	const char *str;          /* canonical form, NUL-terminated */
	uint32_t str_len;
	uint32_t public_len;      /* length of str before "+local" */
	VersionNum epoch;
	const VersionNum *release;
	uint32_t release_len;     /* at least 1 */
	uint32_t release_sig;     /* release_len without trailing zeros (0 for "0.0") */
	VersionPre pre_kind;
	VersionNum pre;
	bool has_post, has_dev;
	VersionNum post, dev;
	const VersionLocal *local;
	uint32_t local_len;       /* 0: no local label */
	uint8_t synthetic;        /* VERSION_POST_MAX or 0 */
	uint64_t order_hint;      /* epoch and first release numbers packed for a fast
				     order (version.c); 0: unknown, compare in full */
} Version;

/* Errors read "\"VALUE\"" VERSION_ERROR_PHRASE "REASON" (err_reason finds REASON). */
#define VERSION_ERROR_PHRASE " is not a valid version (PEP 440): "

/*
 * Parse s[0..len). Leading and trailing white space is ignored: ASCII, and the Unicode
 * space characters Python's str.strip() removes too (packaging does, and indexes have
 * such strings), so both tools agree on which versions exist. Returns 0, or -1 with err
 * (when err is not NULL) saying what is wrong. Parsing many versions with err NULL is
 * the fast path.
 */
int version_parse(const char *s, size_t len, Arena *arena, Version *out, Err *err);

/*
 * White space as Python's str.isspace() has it: the length of the character at s (of n
 * bytes), or 0. Specifiers and requirements use it so that all of PEP 440 agrees on it.
 */
size_t version_space_len(const char *s, size_t n);
/* Move *s and shrink *len past leading and trailing white space. */
void version_strip(const char **s, size_t *len);

/* <0, 0, >0 as a sorts before, equal to, after b. */
int version_cmp(const Version *a, const Version *b);
/* Equal ignoring the local label (the public versions compare equal). */
int version_cmp_public(const Version *a, const Version *b);

bool version_is_prerelease(const Version *v);   /* has a/b/rc or .dev */
bool version_is_postrelease(const Version *v);
bool version_is_devrelease(const Version *v);

/* The number of release components up to the last non-zero one (release_sig). */
uint32_t version_release_sig(const VersionNum *release, uint32_t len);

/* Compare two numbers. */
int versionnum_cmp(VersionNum a, VersionNum b);
/* a + 1, allocated from arena. */
VersionNum versionnum_succ(VersionNum a, Arena *arena);
/* A number from an unsigned value; its digits are allocated from arena. */
VersionNum versionnum_from_u64(uint64_t n, Arena *arena);
/* The value if it fits in 64 bits; false otherwise. */
bool versionnum_to_u64(VersionNum a, uint64_t *out);

/*
 * After changing fields of a Version (the range code builds bounds such as "V.dev0"),
 * write its canonical string again (and its order hint). Synthetic versions print as their base with the
 * suffix ".post*" so that messages can show them.
 */
void version_format(Version *v, Arena *arena);

/*
 * packaging.utils.canonicalize_version: the canonical form with trailing ".0" release
 * components removed (keeping at least one). Used to compare file names' versions.
 */
char *version_canonical_stripped(const Version *v, Arena *arena);

#endif
