/*
 * filename.h - wheel and sdist file names (PEP 427, PEP 625, the binary and source
 * distribution format specifications).
 *
 * A wheel is "{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl", an sdist
 * "{name}-{version}.tar.gz" (or the legacy ".zip"). Parsing is as lenient as
 * packaging's parse_wheel_filename / parse_sdist_filename, because index pages carry
 * every spelling ever uploaded: the name may be in legacy form ("Foo.Bar"), the version
 * in any PEP 440 spelling, the tag sets unsorted. What comes out is normalized; the
 * format functions write the canonical file name back.
 */
#ifndef BUNPY_FILENAME_H
#define BUNPY_FILENAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/arena.h"
#include "../engine/err.h"
#include "tags.h"
#include "version.h"

enum {
	/* Reject compressed tag sets that are not sorted ("py3.py2"); see tags.h. */
	FILENAME_VALIDATE_ORDER = TAGS_VALIDATE_ORDER,
};

typedef struct WheelFilename {
	const char *name;         /* normalized (PEP 503): "foo-bar" */
	uint32_t name_len;
	Version version;
	/*
	 * The optional build tag ("1000abc"): its leading digits as a number, and the rest.
	 * Wheels of one version and tag are ordered by it, absent first.
	 */
	bool has_build;
	VersionNum build_num;     /* digits without leading zeros ("0" for zero) */
	const char *build_suffix; /* NUL-terminated, may be empty */
	uint32_t build_suffix_len;
	TagSet tags;
} WheelFilename;

typedef enum SdistFormat {
	SDIST_TAR_GZ,
	SDIST_ZIP,
} SdistFormat;

typedef struct SdistFilename {
	const char *name;         /* normalized (PEP 503) */
	uint32_t name_len;
	Version version;
	SdistFormat format;
} SdistFilename;

/*
 * Parse a wheel file name s[0..len) (no directory). flags: FILENAME_VALIDATE_ORDER.
 * Returns 0, or -1 with err saying what is wrong (err may be NULL).
 */
int filename_wheel_parse(const char *s, size_t len, unsigned flags, Arena *arena,
			 WheelFilename *out, Err *err);
/* Parse an sdist file name: ".tar.gz" or ".zip"; the version follows the last '-'. */
int filename_sdist_parse(const char *s, size_t len, Arena *arena, SdistFilename *out,
			 Err *err);

/*
 * The canonical file name: the name normalized with '_' for '-', the canonical
 * version, the build tag as number and suffix, the tag sets sorted and without
 * duplicates. An sdist keeps its format.
 */
char *filename_wheel_format(const WheelFilename *w, Arena *arena);
char *filename_sdist_format(const SdistFilename *s, Arena *arena);

/* Build tags: absent before present, then by number, then by suffix (code points). */
int filename_build_cmp(const WheelFilename *a, const WheelFilename *b);

/* The wheel's best position in the supported list, or TAGS_INCOMPATIBLE. */
long filename_wheel_rank(const WheelFilename *w, const TagList *supported);

/*
 * Which of two wheels (of the same project and version) to install, as pip picks:
 * compatible before incompatible, then the better (lower) rank, then the higher build
 * tag. <0 when a is preferred, >0 when b is, 0 when neither.
 */
int filename_wheel_prefer(const WheelFilename *a, long rank_a, const WheelFilename *b,
			  long rank_b);

#endif
