/*
 * pyproject.h - reading pyproject.toml: [project] (PEP 621), [dependency-groups]
 * (PEP 735), [build-system] (PEP 517/518) and bunpy's own [tool.bunpy].
 *
 * The document is parsed from bytes (the file name only labels messages) into a
 * Pyproject whose strings, requirements and versions live in the caller's arena, with
 * the TOML tree kept alongside (tool tables are read from it by their owners, e.g. the
 * task table of rules/taskdef.c).
 *
 * Every error reads "FILE:LINE:COL: KEY: what is wrong", where KEY is the dotted path
 * of the offending value ("project.dependencies[2]", indexes counted from 0 as in
 * Python) and the message says what was expected, e.g.
 *   pyproject.toml:12:5: project.dependencies[2]: "requests>=" is not a valid
 *   requirement: Expected ...
 * Positions are those of the offending value; a missing key points at its table.
 *
 * [dependency-groups] is checked when read only as far as PEP 735 asks (group names
 * valid, no two equal once normalized); a group's contents are checked when the group
 * is expanded, so a broken group that is never used does no harm.
 */
#ifndef BUNPY_PYPROJECT_H
#define BUNPY_PYPROJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/arena.h"
#include "../engine/err.h"
#include "requirement.h"
#include "specifier.h"
#include "toml.h"
#include "version.h"

/* A requirement string from the file, parsed, with where it was written. */
typedef struct PyprojectReq {
	Requirement req;
	const char *text;        /* as written */
	unsigned line, col;
} PyprojectReq;

typedef struct PyprojectReqList {
	PyprojectReq *items;
	size_t len;
} PyprojectReqList;

typedef struct PyprojectStrList {
	const char *const *items;
	size_t len;
} PyprojectStrList;

/* One key = "string" pair of a table of strings (scripts, urls, entry points). */
typedef struct PyprojectEntry {
	const char *name;
	const char *value;
	unsigned line, col;      /* of the value */
} PyprojectEntry;

typedef struct PyprojectEntryList {
	PyprojectEntry *items;
	size_t len;
} PyprojectEntryList;

/* One [project.entry-points.GROUP] table. */
typedef struct PyprojectEntryGroup {
	const char *group;
	PyprojectEntryList entries;
} PyprojectEntryGroup;

/* One [project.optional-dependencies] extra. */
typedef struct PyprojectExtra {
	const char *name;        /* as written */
	const char *normalized;
	PyprojectReqList deps;
	unsigned line, col;
} PyprojectExtra;

/*
 * A normalized name and the index of what it names (in document order). Extras and
 * groups are also kept in arrays of these sorted by name (then index), which find a
 * name, and duplicates, in O(log n).
 */
typedef struct PyprojectNameRef {
	const char *normalized;
	size_t index;
} PyprojectNameRef;

/* An author or maintainer; either field may be NULL. */
typedef struct PyprojectPerson {
	const char *name;
	const char *email;
} PyprojectPerson;

typedef struct PyprojectProject {
	bool present;                     /* a [project] table exists */
	unsigned line, col;
	const char *name;                 /* as written */
	const char *normalized;           /* PEP 503 form */
	bool has_version;                 /* false when dynamic */
	Version version;
	bool has_requires_python;
	SpecifierSet requires_python;
	const char *requires_python_text;
	PyprojectReqList dependencies;
	PyprojectExtra *extras;           /* document order */
	size_t extras_len;
	const PyprojectNameRef *extras_sorted;  /* by normalized name */
	PyprojectEntryList scripts;
	PyprojectEntryList gui_scripts;
	PyprojectEntryGroup *entry_points;
	size_t entry_points_len;
	PyprojectStrList dynamic;         /* field names, as written (all valid) */

	/* Type-checked only. */
	const char *description;
	/* readme: a path (readme_file), or a table with file or text and content-type; for a
	 * path the content type comes from its extension, .md or .rst (case-insensitive),
	 * and any other is an error. */
	const char *readme_file, *readme_text, *readme_content_type;
	/* license: an SPDX expression string, or the legacy table with file or text. */
	const char *license_expression, *license_file, *license_text;
	PyprojectStrList license_files;
	PyprojectPerson *authors, *maintainers;
	size_t authors_len, maintainers_len;
	PyprojectStrList keywords, classifiers, import_names, import_namespaces;
	PyprojectEntryList urls;
} PyprojectProject;

typedef struct PyprojectBuildSystem {
	bool present;                     /* false: the legacy defaults below were filled in */
	unsigned line, col;
	PyprojectReqList requires;        /* absent table: "setuptools>=40.8.0" */
	/* "module" or "module:object"; "setuptools.build_meta:__legacy__" when not given
	 * (the table missing, or present without build-backend). */
	const char *backend;
	bool backend_given;
	PyprojectStrList backend_path;    /* relative directories inside the project */
} PyprojectBuildSystem;

/* One [dependency-groups] entry, its contents not yet checked (see pyproject_group_expand). */
typedef struct PyprojectGroup {
	const char *name;                 /* as written */
	const char *normalized;
	const TomlValue *value;
} PyprojectGroup;

/* [tool.bunpy] resolver settings (issue 4). uv's spellings. */
typedef enum PyprojectPrerelease {
	PYPROJECT_PRERELEASE_UNSET,
	PYPROJECT_PRERELEASE_DISALLOW,
	PYPROJECT_PRERELEASE_ALLOW,
	PYPROJECT_PRERELEASE_IF_NECESSARY,
	PYPROJECT_PRERELEASE_EXPLICIT,
	PYPROJECT_PRERELEASE_IF_NECESSARY_OR_EXPLICIT,
} PyprojectPrerelease;

typedef enum PyprojectResolution {
	PYPROJECT_RESOLUTION_UNSET,
	PYPROJECT_RESOLUTION_HIGHEST,
	PYPROJECT_RESOLUTION_LOWEST,
	PYPROJECT_RESOLUTION_LOWEST_DIRECT,
} PyprojectResolution;

/* How sync puts files from the cache into the environment. */
typedef enum PyprojectLinkMode {
	PYPROJECT_LINK_UNSET,
	PYPROJECT_LINK_CLONE,
	PYPROJECT_LINK_HARDLINK,
	PYPROJECT_LINK_COPY,
} PyprojectLinkMode;

/* Whether the project itself is installed into its environment. */
typedef enum PyprojectPackage {
	PYPROJECT_PACKAGE_UNSET,          /* a package when it has [build-system] */
	PYPROJECT_PACKAGE_YES,
	PYPROJECT_PACKAGE_NO,
} PyprojectPackage;

typedef struct PyprojectBunpy {
	const TomlValue *table;           /* [tool.bunpy], NULL when absent */
	const char *index_url;            /* NULL when not set */
	PyprojectStrList extra_index_urls;
	PyprojectStrList find_links;
	PyprojectReqList constraint_dependencies;
	PyprojectReqList override_dependencies;
	PyprojectPrerelease prerelease;
	PyprojectResolution resolution;
	PyprojectLinkMode link_mode;
	PyprojectPackage package;         /* [tool.bunpy] package = true / false */
} PyprojectBunpy;

typedef struct Pyproject {
	const char *filename;
	const TomlValue *root;            /* the whole document */
	PyprojectProject project;
	PyprojectBuildSystem build_system;
	PyprojectGroup *groups;           /* document order */
	size_t groups_len;
	const PyprojectNameRef *groups_sorted;  /* by normalized name */
	PyprojectBunpy bunpy;
} Pyproject;

/*
 * Parse and check a pyproject.toml. Returns 0, or -1 with err set ("FILE:LINE:COL:
 * KEY: ..."); everything allocated stays in arena either way.
 */
int pyproject_parse(const char *data, size_t len, const char *filename, Arena *arena,
		    Pyproject *out, Err *err);

/* Whether FIELD (a [project] key such as "version") is listed in project.dynamic. */
bool pyproject_is_dynamic(const Pyproject *p, const char *field);

/*
 * The project's requirements with some extras (names compared normalized):
 * project.dependencies, then each extra's requirements in the order asked. A
 * requirement on the project itself ("myproj[cli]" inside an extra, PEP 621's way of
 * building one extra from others) is replaced by the requirements of the extras it
 * names, recursively, its marker joined to theirs with "and". An extra is expanded once
 * per distinct marker, and not again inside itself (cycles end). Each result keeps the
 * text and position of the requirement as written; only its marker may have grown. A
 * self-reference with a version specifier ("myproj[cli]>=2") must be satisfied by the
 * project's own (static) version, else it is an error. An unknown extra is an error,
 * and so is an expansion past PYPROJECT_GROUP_MAX requirements or 1024 (extra, marker)
 * combinations.
 * When the metadata asked for is dynamic ("dependencies" in project.dynamic, or
 * "optional-dependencies" when extras are asked for or named by a self-reference) the
 * requirements are the build backend's to give: an error that says so, at the entry of
 * project.dynamic.
 */
int pyproject_requirements(const Pyproject *p, const char *const *extras, size_t n,
			   Arena *arena, PyprojectReqList *out, Err *err);

/* A dependency group by name (compared normalized); NULL when there is none. */
const PyprojectGroup *pyproject_group_find(const Pyproject *p, const char *name);

/*
 * The requirements of one group with its include-groups expanded in place, in order,
 * without removing duplicates (PEP 735). The group's contents, and those of the groups
 * it includes, are checked now: an unknown group, a member that is neither a
 * requirement string nor a table of exactly {include-group = "name"}, an invalid
 * requirement, or an include cycle (named in the message: "a -> b -> a") is an error.
 * An expansion longer than PYPROJECT_GROUP_MAX requirements is refused.
 */
#define PYPROJECT_GROUP_MAX 100000
int pyproject_group_expand(const Pyproject *p, const char *name, Arena *arena,
			   PyprojectReqList *out, Err *err);

/* Every group expanded: out[i] belongs to p->groups[i]. The first broken group is the
 * error; so is a total of more than 10 * PYPROJECT_GROUP_MAX requirements. */
int pyproject_groups_expand_all(const Pyproject *p, Arena *arena, PyprojectReqList **out,
				Err *err);

#endif
