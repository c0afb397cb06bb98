/*
 * tags.h - wheel compatibility tags (PEP 425, PEP 600 manylinux, PEP 656 musllinux).
 *
 * A tag is "interpreter-abi-platform" ("cp311-cp311-manylinux_2_17_x86_64"). A wheel's
 * file name carries a compressed tag set, where each part may list several values
 * joined by '.' ("py2.py3-none-any" is two tags); it is kept compressed (TagSet) and
 * expanded on demand, because a set's cross product can be large.
 *
 * An interpreter supports an ordered list of tags (TagList), most preferred first,
 * computed here from a description of the interpreter and its platform exactly as
 * packaging.tags.sys_tags() orders them. A wheel's rank is the lowest index of any of
 * its tags in that list; the list keeps a hash index so that ranking the thousands of
 * files of an index page costs a few probes each.
 *
 * Everything returned lives in the caller's arena; nothing here does I/O. Facts about
 * the running system (glibc or musl version, the interpreter ELF's ABI, the macOS
 * version) are found by the caller and passed in.
 */
#ifndef BUNPY_TAGS_H
#define BUNPY_TAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/arena.h"
#include "../engine/err.h"

/* One tag. Parts are lower case, NUL-terminated, never empty, without '-'. */
typedef struct Tag {
	const char *interpreter, *abi, *platform;
} Tag;

/* ---------------------------------------------------------------- parsing */

/*
 * A compressed tag set as written: each part's values in the order given, duplicates
 * included (packaging counts them against a limit, then builds a set).
 */
typedef struct TagSet {
	const char **interpreters, **abis, **platforms;
	uint32_t n_interpreters, n_abis, n_platforms;
} TagSet;

enum {
	/* Reject a compressed part whose values are not in sorted order ("py3.py2"), as
	 * PEP 425 asks (packaging's validate_order=True). Off by default, like packaging:
	 * such wheels exist on PyPI. */
	TAGS_VALIDATE_ORDER = 1u << 0,
};

/*
 * Parse a tag or compressed tag set s[0..len): exactly three '-'-separated parts, no
 * empty value, each interpreter an identifier (ASCII letters, digits and '_', not
 * starting with a digit; packaging accepts any Python identifier, but no interpreter
 * tag outside ASCII exists). Values are lower-cased. A NUL byte is rejected.
 * limit, when not 0, is the most tags the set may expand to (duplicates count).
 * Returns 0, or -1 with err saying what is wrong.
 */
int tags_parse(const char *s, size_t len, unsigned flags, size_t limit, Arena *arena,
	       TagSet *out, Err *err);

/* The number of tags the set expands to, duplicates included. */
size_t tags_set_count(const TagSet *set);
/* The i-th tag of the cross product (interpreter slowest, platform fastest). */
Tag tags_set_at(const TagSet *set, size_t i);
/* The set compressed again: each part's values sorted, without duplicates. */
char *tags_set_format(const TagSet *set, Arena *arena);
/* "interp-abi-platform". */
char *tags_format(Tag t, Arena *arena);

/* ---------------------------------------------------------------- ordered lists */

/*
 * A growable list of strings (platform tags, ABIs). It allocates from its arena, and
 * so do the functions below that fill one or a TagList.
 */
typedef struct TagStrs {
	const char **items;
	size_t len, cap;
	Arena *arena;
} TagStrs;

void tags_strs_init(TagStrs *l, Arena *arena);
void tags_strs_push(TagStrs *l, const char *s);

/*
 * An ordered list of tags with an index from tag to its first position. Pushed tags'
 * strings are not copied: they must live as long as the list (allocate them from the
 * same arena). Duplicates are kept in the list (the reference lists are compared index
 * by index) and the index keeps the first.
 */
typedef struct TagList {
	Tag *tags;
	uint32_t len, cap;
	uint32_t *slots;          /* open addressing: index + 1, 0 is empty */
	uint32_t n_slots;         /* a power of two, at least twice the distinct tags */
	uint32_t n_distinct;
	Arena *arena;
} TagList;

void tags_list_init(TagList *l, Arena *arena);
void tags_list_push(TagList *l, const char *interpreter, const char *abi, const char *platform);

#define TAGS_INCOMPATIBLE (-1L)

/* The first position of the tag in the list, or TAGS_INCOMPATIBLE. Parts are compared
 * as given (tags in a list and from tags_parse are lower case). */
long tags_list_find(const TagList *l, const char *interpreter, size_t ilen, const char *abi,
		    size_t alen, const char *platform, size_t plen);
/* The best (lowest) position of any tag of the set, or TAGS_INCOMPATIBLE. */
long tags_list_rank(const TagList *l, const TagSet *set);

/* ---------------------------------------------------------------- generators */

/* A Python version: major only ("3", as in py3) or major.minor. */
typedef struct TagsPyVersion {
	unsigned major, minor;
	bool has_minor;
} TagsPyVersion;

/* "311" for 3.11, "3" for major only; out holds at least 24 bytes. */
void tags_version_nodot(TagsPyVersion v, char *out);

/*
 * packaging.tags.cpython_tags(version, abis, platforms): cpVER-ABI-P for each given ABI,
 * then the stable ABI (abi3, or abi3t when the first ABI is free-threaded "cp313t"),
 * then none, then the stable ABI of every older 3.x down to 3.2. Each line goes over
 * every platform in order. "abi3", "abi3t" (when free-threaded) and "none" given in
 * abis are dropped, since they have their fixed places.
 */
void tags_cpython(TagList *out, TagsPyVersion v, const char *const *abis, size_t n_abis,
		  const char *const *platforms, size_t n_platforms);
/* packaging.tags.generic_tags(interpreter, abis, platforms): each ABI, then none. */
void tags_generic(TagList *out, const char *interpreter, const char *const *abis,
		  size_t n_abis, const char *const *platforms, size_t n_platforms);
/*
 * packaging.tags.compatible_tags(version, interpreter, platforms): pyXY-none-P for
 * pyXY, pyX, then older minors down to pyX0; then INTERPRETER-none-any when
 * interpreter is not NULL; then the same py versions with none-any.
 */
void tags_compatible(TagList *out, TagsPyVersion v, const char *interpreter,
		     const char *const *platforms, size_t n_platforms);
/* packaging.tags.pure_python_tags(version): the py versions with none-any. */
void tags_pure_python(TagList *out, TagsPyVersion v);

/*
 * The ABI tags of a CPython build, most specific first, as packaging derives them from
 * sysconfig: "cp311"; debug "cp311d" then "cp311"; free-threaded "cp313t"; before 3.8
 * the pymalloc "m" (assumed) and before 3.3 the wide-unicode "u" (assumed).
 */
void tags_cpython_abis(TagsPyVersion v, bool debug, bool free_threaded, TagStrs *out);

/* ---------------------------------------------------------------- platforms */

typedef enum TagsOs {
	TAGS_OS_LINUX,
	TAGS_OS_MACOS,
	TAGS_OS_IOS,
	TAGS_OS_ANDROID,
	TAGS_OS_OTHER,            /* Windows, FreeBSD, ...: the sysconfig platform alone */
} TagsOs;

typedef enum TagsLibc {
	TAGS_LIBC_NONE,           /* neither found: only linux_<arch> */
	TAGS_LIBC_GLIBC,
	TAGS_LIBC_MUSL,
} TagsLibc;

enum {
	/*
	 * Put linux_<arch> after the manylinux/musllinux tags instead of before them. The
	 * default is packaging >= 26.3's order (pip from 26.3): a wheel built for this very
	 * machine beats a portable one. This flag gives the older order of packaging <= 26.2,
	 * pip <= 26.2 and uv. PyPI refuses linux_* uploads, so only local wheels differ.
	 */
	TAGS_LINUX_LAST = 1u << 0,
};

/*
 * PEP 600's _manylinux module hook: return 1 (compatible), 0 (not) or -1 (no opinion,
 * which counts as compatible) for manylinux_MAJOR_MINOR_ARCH. A module with only the
 * legacy manylinux1/2010/2014_compatible attributes answers for 2.5/2.12/2.17 alone.
 */
typedef int (*TagsManylinuxHook)(void *ctx, unsigned major, unsigned minor, const char *arch);

typedef struct TagsPlatform {
	TagsOs os;
	/*
	 * Linux: the machine of sysconfig.get_platform() ("x86_64" of "linux-x86_64").
	 * macOS: the CPU ("x86_64", "arm64"). iOS: the multiarch ("arm64-iphoneos").
	 * Android: the ABI ("arm64_v8a"). Other: the whole sysconfig platform ("win-amd64").
	 */
	const char *arch;
	bool is_32bit;            /* a 32-bit interpreter (on a 64-bit kernel: i686, armv8l) */
	/*
	 * Linux, manylinux only: for armv7l the interpreter's ELF is hard-float ARM EABI5;
	 * for i686 it is ELF32 i386. Other architectures do not look at it. Without it
	 * those two get no manylinux tags, as in packaging.
	 */
	bool elf_abi_ok;
	TagsLibc libc;
	unsigned libc_major, libc_minor;
	TagsManylinuxHook manylinux_hook;   /* NULL: no _manylinux module */
	void *hook_ctx;
	unsigned os_major, os_minor;        /* macOS, iOS version; Android API level (major) */
	unsigned flags;                     /* TAGS_LINUX_LAST */
} TagsPlatform;

/* The platform tags of p, most specific first (packaging.tags.platform_tags()). */
void tags_platforms(const TagsPlatform *p, TagStrs *out);

/* The pieces of tags_platforms, each named after its packaging function. */
void tags_linux_platforms(const TagsPlatform *p, TagStrs *out);
void tags_mac_platforms(unsigned major, unsigned minor, const char *arch, TagStrs *out);
/* _mac_arch: the arch a 32-bit interpreter runs as ("i386", or "ppc"). */
const char *tags_mac_arch(const char *arch, bool is_32bit);
/* _mac_binary_formats: the fat/universal formats that contain arch on that version. */
void tags_mac_binary_formats(unsigned major, unsigned minor, const char *arch,
			     TagStrs *out);
void tags_ios_platforms(unsigned major, unsigned minor, const char *multiarch, TagStrs *out);
void tags_android_platforms(unsigned api_level, const char *abi, TagStrs *out);
/* sysconfig's platform as a tag: '-', '.' and ' ' become '_' (and lower case). */
char *tags_normalize_platform(const char *s, Arena *arena);

/* ---------------------------------------------------------------- the supported list */

typedef enum TagsImpl {
	TAGS_IMPL_CPYTHON,        /* cpython_tags, then compatible_tags with cpXY-none-any */
	TAGS_IMPL_PYPY,           /* generic_tags, then compatible_tags with pp3-none-any */
	TAGS_IMPL_OTHER,          /* generic_tags, then compatible_tags */
} TagsImpl;

typedef struct TagsInterpreter {
	TagsImpl impl;
	const char *name;         /* TAGS_IMPL_OTHER: its short name ("graalpy", "ip") */
	TagsPyVersion version;
	/*
	 * The ABIs, most specific first: CPython "cp311" (see tags_cpython_abis), PyPy
	 * "pypy310_pp73", from EXT_SUFFIX. May be empty.
	 */
	const char *const *abis;
	size_t n_abis;
} TagsInterpreter;

/*
 * packaging.tags.sys_tags() for the interpreter and platform described: the ordered
 * list of every tag it can install.
 */
void tags_supported(const TagsInterpreter *in, const TagsPlatform *p, TagList *out);

#endif
