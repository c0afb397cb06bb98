/*
 * install.h - installing unpacked wheels into a virtual environment, and removing
 * installed distributions, so that each distribution is at every moment either fully
 * installed or absent (as importlib.metadata sees it: by its .dist-info directory).
 *
 * Installing one wheel (what pip does, in its order, see the packaging digest):
 *   1. stage: ROOT/.bunpy/stage/NAME.RANDOM/ gets the installed tree, one directory per
 *      scheme path (purelib/, scripts/, headers/, data/; one for purelib and platlib when
 *      they are the same place, as in a venv; headers go to include/site/python3.N/NAME
 *      with NAME the requested project name, as pip names it): every file of the unpacked wheel linked from the wheel cache by the link mode
 *      (clone with FICLONE, else hard link, else copy: a fallback is reported once per
 *      Installer through its warn hook), the root to purelib or platlib as WHEEL says,
 *      NAME-VER.data/{purelib,platlib,scripts,headers,data}/ to their scheme paths,
 *      scripts starting with "#!python" rewritten for ROOT/bin/python (a copy, never a
 *      link, and made executable), launchers for console_scripts and gui_scripts
 *      (a wheel script of the same name loses to the launcher), INSTALLER ("bunpy\n"),
 *      REQUESTED when asked, direct_url.json when given, and RECORD rewritten last for
 *      the installed paths (relative to site-packages, "../../../bin/tool"), changed and
 *      new files hashed.
 *   2. journal: ROOT/.bunpy/journal/NAME records "install", the .dist-info name and
 *      every path about to appear (relative to ROOT), written atomically.
 *   3. the distribution being replaced, if any, is removed (as install_remove).
 *   4. every staged path is renamed into place (a directory the environment
 *      does not have yet moves with one rename; otherwise files move one by one, so that
 *      packages sharing a namespace directory merge), the .dist-info directory last:
 *      that rename is the moment the distribution exists.
 *   5. the journal and the stage are removed.
 * Removing: journal "remove" with the paths RECORD lists (resolved against the
 * directory holding the .dist-info, never outside ROOT), the .dist-info renamed into
 * the stage (the moment the distribution stops existing), then the files, the .pyc
 * files of removed .py files (every optimisation level), and directories left empty.
 *
 * A sync killed at any point leaves journals behind; installer_open reads them first:
 * an "install" whose .dist-info is in place is finished (journal dropped), one whose
 * .dist-info is not is rolled back (its paths removed, and those of the distribution it
 * was replacing once that one's .dist-info is gone); a "remove" is carried on. The
 * journal names the staged .dist-info's inode, so that reinstalling the same version
 * (the same .dist-info name) is told apart from the old one still in place.
 * Nothing outside ROOT is ever written or removed: every path from a wheel, a RECORD
 * or a journal is checked to stay inside (no "..", no absolute path, no symbolic link
 * on the way that leads out).
 *
 * install_wheel and install_remove may run in several threads at once for different
 * distributions; the Installer is shared and read-only but for its atomics.
 */
#ifndef BUNPY_INSTALL_H
#define BUNPY_INSTALL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/arena.h"
#include "engine/err.h"
#include "venv.h"

typedef enum InstallLinkMode {
	INSTALL_CLONE,               /* the default: FICLONE, falling back to hard links, then copies */
	INSTALL_HARDLINK,            /* falling back to copies */
	INSTALL_COPY,
} InstallLinkMode;

typedef struct Installer {
	const Venv *venv;
	InstallLinkMode mode;        /* asked for */
	_Atomic int effective;       /* what works between the cache and ROOT (starts as mode) */
	bool case_insensitive;       /* ROOT's filesystem folds case (probed by installer_open) */
	/* Called (from any thread, once per fallback) with "cannot clone files from CACHE
	 * into ROOT (Operation not supported); hard-linking them instead", and for a wheel
	 * whose Wheel-Version is newer than 1.0. Set by the caller (before or after
	 * installer_open, which leaves warn and warn_ctx alone); NULL: no warnings. */
	void (*warn)(void *ctx, const char *message);
	void *warn_ctx;
	/* clone was not asked for by name: falling back from it to hard links (what most
	 * Linux filesystems make it do) is expected and not worth a warning */
	bool clone_by_default;
} Installer;

/* Get ready to change venv: make ROOT/.bunpy/{stage,journal}, probe case folding, and
 * recover from an interrupted sync (see above), then empty the stage. The caller holds
 * the sync lock. A damaged journal, or one naming a path outside ROOT, is an error
 * (nothing is touched for it). */
int installer_open(Installer *in, const Venv *venv, InstallLinkMode mode, Err *err);

/* A distribution the environment holds: a *.dist-info directory in purelib or platlib. */
typedef struct InstalledDist {
	const char *name;            /* normalized */
	const char *version;         /* from the directory's name (else METADATA's Version) */
	const char *dist_info;       /* absolute path of the .dist-info directory */
	const char *installer;       /* INSTALLER's first line; NULL when absent */
	bool has_record;
} InstalledDist;

/* Every distribution in the environment, sorted by name. */
int install_scan(const Venv *venv, Arena *arena, InstalledDist **out, size_t *n, Err *err);

typedef struct InstallRequest {
	const char *name;            /* normalized project name */
	const char *version;         /* as locked */
	const char *wheel_name;      /* the wheel's file name, for messages */
	const char *unpacked;        /* its directory in the wheel cache */
	bool requested;              /* a direct dependency of the project: write REQUESTED */
	const char *direct_url_json; /* the file's content, or NULL (installed from an index) */
} InstallRequest;

/*
 * Install one wheel, replacing replace (NULL: nothing to replace; a distribution of
 * the same name installed by anyone). Errors name the wheel and what is wrong (a bad
 * WHEEL or entry_points.txt, an unknown .data directory, a path that would leave ROOT,
 * two paths that differ only by case on a filesystem that folds case); on error the
 * environment is as it was (the replaced distribution included, when the error comes
 * before step 3).
 */
int install_wheel(Installer *in, const InstallRequest *req, const InstalledDist *replace,
		  Err *err);

/* Remove an installed distribution by its RECORD (one without RECORD is refused, as pip
 * refuses it: "cannot remove foo 1.0: it has no RECORD; remove .../foo-1.0.dist-info
 * by hand"). */
int install_remove(Installer *in, const InstalledDist *dist, Err *err);

/*
 * Compile the .py files of the given installed distributions (their RECORD) to
 * __pycache__/MODULE.CACHE_TAG.pyc with one run of ROOT/bin/python (compileall-like, files
 * read from its standard input). A file that does not compile is not an error (pip
 * neither); failing to run Python is.
 */
int install_compile(const Venv *venv, const char *const *dist_infos, size_t n, Err *err);

#endif
