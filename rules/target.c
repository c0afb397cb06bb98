/*
 * target.c - finding and probing the target interpreter (see target.h).
 */
#include "config.h"

#include "target.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/buf.h"
#include "engine/cacheindex.h"
#include "engine/fs.h"
#include "engine/hash.h"
#include "engine/proc.h"
#include "pyenv.h"
#include "packaging/range.h"
#include "packaging/specifier.h"

/* The probe prints one JSON object; every marker variable, and what tags need. The
 * field names are the marker variables' own where there is one. It avoids importing
 * json and platform (half its run time): os.uname and sys answer the same questions,
 * and platform is imported only where os.uname does not exist. The paths a virtual
 * environment needs come from sysconfig's scheme with the base directories set to a
 * placeholder, so that they arrive relative to the environment's root. */
static const char probe_source[] =
	"import os, sys, sysconfig\n"
	"def fmt(i):\n"
	"    v = '%d.%d.%d' % (i.major, i.minor, i.micro)\n"
	"    return v if i.releaselevel == 'final' else v + i.releaselevel[0] + str(i.serial)\n"
	"def e(c):\n"
	"    o = ord(c)\n"
	"    if ' ' <= c <= '~' and c not in '\"\\\\':\n"
	"        return c\n"
	"    if o < 0x10000:\n"
	"        return '\\\\u%04x' % o\n"
	"    o -= 0x10000\n"
	"    return '\\\\u%04x\\\\u%04x' % (0xd800 + (o >> 10), 0xdc00 + (o & 0x3ff))\n"
	"def q(s):\n"
	"    if s is None:\n"
	"        return 'null'\n"
	"    if s is True or s is False:\n"
	"        return 'true' if s else 'false'\n"
	"    return '\"' + ''.join(map(e, s)) + '\"'\n"
	"try:\n"
	"    libc = os.confstr('CS_GNU_LIBC_VERSION')\n"
	"except (AttributeError, ValueError, OSError):\n"
	"    libc = None\n"
	"impl = sys.implementation.name\n"
	"names = {'cpython': 'CPython', 'pypy': 'PyPy', 'ironpython': 'IronPython', 'jython': 'Jython'}\n"
	"if hasattr(os, 'uname') and impl in names:\n"
	"    u = os.uname()\n"
	"    system, release, version, machine = u.sysname, u.release, u.version, u.machine\n"
	"    pyimpl = names[impl]\n"
	"else:\n"
	"    import platform\n"
	"    system, release, version, machine = platform.system(), platform.release(), platform.version(), platform.machine()\n"
	"    pyimpl = platform.python_implementation()\n"
	"d = {\n"
	"    'executable': sys.executable,\n"
	"    'os_name': os.name,\n"
	"    'sys_platform': sys.platform,\n"
	"    'platform_machine': machine,\n"
	"    'platform_python_implementation': pyimpl,\n"
	"    'platform_release': release,\n"
	"    'platform_system': system,\n"
	"    'platform_version': version,\n"
	"    'python_version': '%d.%d' % sys.version_info[:2],\n"
	"    'python_full_version': sys.version.split()[0],\n"
	"    'implementation_name': impl,\n"
	"    'implementation_version': fmt(sys.implementation.version),\n"
	"    'sysconfig_platform': sysconfig.get_platform(),\n"
	"    'libc': libc,\n"
	"    'debug': hasattr(sys, 'gettotalrefcount'),\n"
	"    'free_threaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED')),\n"
	"    'is_32bit': sys.maxsize <= 2**32,\n"
	"}\n"
	"base = getattr(sys, '_base_executable', None) or sys.executable\n"
	"scheme = 'venv' if 'venv' in sysconfig.get_scheme_names() else 'posix_prefix'\n"
	"R = '/@bunpy-root@'\n"
	"paths = sysconfig.get_paths(scheme, vars={'base': R, 'platbase': R, 'installed_base': R, 'installed_platbase': R})\n"
	"def rel(k):\n"
	"    p = paths.get(k)\n"
	"    if p == R:\n"
	"        return ''\n"
	"    return p[len(R) + 1:] if p and p.startswith(R + '/') else None\n"
	"d.update({\n"
	"    'base_executable': base,\n"
	"    'home': os.path.dirname(os.path.abspath(base)) if base else None,\n"
	"    'version': '%d.%d.%d' % sys.version_info[:3],\n"
	"    'purelib': rel('purelib'),\n"
	"    'platlib': rel('platlib'),\n"
	"    'include': rel('include'),\n"
	"    'scripts': rel('scripts'),\n"
	"    'cache_tag': sys.implementation.cache_tag,\n"
	"    'lib64': sys.maxsize > 2**32 and os.name == 'posix' and sys.platform != 'darwin',\n"
	"})\n"
	"print('{' + ', '.join(q(k) + ': ' + q(v) for k, v in sorted(d.items())) + '}')\n";

/* An interpreter named without a '/' is looked up in PATH, as a shell would. */
static int
find_python(const char *python, Buf *out, Err *err)
{
	const char *path = getenv("PATH"), *p;

	if (!python || !*python)
		python = getenv("BUNPY_PYTHON");
	if (!python || !*python)
		python = "python3";
	if (strchr(python, '/')) {
		char real[PATH_MAX];

		if (!realpath(python, real))
			return err_sys(err, "the Python interpreter %s", python);
		buf_puts(out, real);
		return 0;
	}
	for (p = path ? path : "/usr/bin:/bin"; ; ) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		char real[PATH_MAX];
		Buf cand = { 0 };

		buf_printf(&cand, "%.*s/%s", (int)len, len ? p : ".", python);
		if (access(cand.data, X_OK) == 0 && realpath(cand.data, real)) {
			buf_puts(out, real);
			buf_free(&cand);
			return 0;
		}
		buf_free(&cand);
		if (!colon)
			break;
		p = colon + 1;
	}
	return err_set(err, "no Python interpreter '%s' on PATH; install Python 3 or name one "
		       "with --python or BUNPY_PYTHON", python);
}

/* The minor version of a name "python3.N" (N digits only: not python3.13t, not
 * python3.11-config), else -1. */
static int
python3_minor(const char *name)
{
	const char *p;
	long n = 0;

	if (strncmp(name, "python3.", 8) || !name[8])
		return -1;
	for (p = name + 8; *p; p++) {
		if (*p < '0' || *p > '9' || n > 1000)
			return -1;
		n = n * 10 + (*p - '0');
	}
	return (int)n;
}

static bool
on_path(const char *name)
{
	const char *path = getenv("PATH"), *p;
	bool found = false;

	for (p = path ? path : "/usr/bin:/bin"; !found; ) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		Buf cand = { 0 };

		buf_printf(&cand, "%.*s/%s", (int)len, len ? p : ".", name);
		found = access(cand.data, X_OK) == 0;
		buf_free(&cand);
		if (!colon)
			break;
		p = colon + 1;
	}
	return found;
}

/* Whether requires-python admits some release of 3.minor: the minor's versions
 * (==3.N.*) and the specifier's overlap. A set that has no range (===) is asked about
 * 3.N itself. */
static bool
minor_allowed(const SpecifierSet *req, int minor, Arena *arena)
{
	SpecifierSet one;
	Range r, m;
	Err err;
	char text[32];

	snprintf(text, sizeof(text), "==3.%d.*", minor);
	if (specset_parse(text, strlen(text), arena, &one, &err) != 0 ||
	    range_from_specset(&one, arena, &m, &err) != 0)
		return false;
	if (range_from_specset(req, arena, &r, &err) != 0) {
		Version v;
		SpecCandidate c;

		snprintf(text, sizeof(text), "3.%d", minor);
		if (version_parse(text, strlen(text), arena, &v, &err) != 0)
			return false;
		c = (SpecCandidate){ &v, text, strlen(text) };
		return specset_contains(req, &c, PRERELEASES_ALLOW, false);
	}
	return !range_disjoint(r, m);
}

void
target_minors_on_path(const SpecifierSet *req, Arena *arena, bool allowed[TARGET_MINOR_MAX])
{
	const char *path = getenv("PATH"), *p;

	memset(allowed, 0, TARGET_MINOR_MAX * sizeof(*allowed));
	for (p = path ? path : "/usr/bin:/bin"; ; ) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		char *dir = arena_printf(arena, "%.*s", (int)len, len ? p : ".");
		DIR *d = opendir(dir);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			int minor = python3_minor(e->d_name);

			if (minor >= 0 && minor < TARGET_MINOR_MAX && !allowed[minor] &&
			    access(fs_path_join(arena, dir, e->d_name), X_OK) == 0 &&
			    (!req || minor_allowed(req, minor, arena)))
				allowed[minor] = true;
		}
		if (d)
			closedir(d);
		if (!colon)
			break;
		p = colon + 1;
	}
}

/*
 * One line of .python-version: "3.11", "3.11.7", "cpython@3.11", "cpython-3.11",
 * "pypy@3.10", "system" (pyenv's word for python3), or an absolute path. The command named for a version is pythonMAJOR.MINOR
 * (pypyMAJOR.MINOR): the patch level cannot pick among commands on PATH.
 */
static int
python_version_line(const char *line, const char *where, Arena *arena, const char **out,
		    Err *err)
{
	const char *impl = "python", *v = line;
	unsigned major, minor;
	int n = 0;

	if (!strcmp(line, "system")) {
		/* pyenv's name for the interpreter outside it */
		*out = "python3";
		return 0;
	}
	if (line[0] == '/') {
		if (access(line, X_OK) != 0)
			return err_sys(err, "%s names the interpreter %s", where, line);
		*out = arena_strdup(arena, line);
		return 0;
	}
	if (!strncmp(line, "cpython@", 8) || !strncmp(line, "cpython-", 8)) {
		v = line + 8;
	} else if (!strncmp(line, "pypy@", 5) || !strncmp(line, "pypy-", 5)) {
		impl = "pypy";
		v = line + 5;
	} else if (!strncmp(line, "python", 6) && line[6] >= '0' && line[6] <= '9') {
		v = line + 6;
	}
	if (sscanf(v, "%u.%u%n", &major, &minor, &n) != 2 ||
	    (v[n] && (v[n] != '.' || v[n + 1] < '0' || v[n + 1] > '9'))) {
		return err_set(err, "%s: '%s' is not a Python version bunpy understands (write "
			       "3.11, 3.11.7, cpython@3.11 or an absolute path)", where, line);
	}
	*out = arena_printf(arena, "%s%u.%u", impl, major, minor);
	if (!on_path(*out))
		return err_set(err, "%s asks for Python %s, but there is no %s on PATH", where, v, *out);
	return 0;
}

int
target_find(const char *python, const char *project_dir, Arena *arena, const char **out,
	    const char **why, Err *err)
{
	const char *env = getenv("BUNPY_PYTHON");

	if (python && *python) {
		*out = arena_strdup(arena, python);
		*why = "--python";
		return 0;
	}
	if (env && *env) {
		*out = arena_strdup(arena, env);
		*why = "BUNPY_PYTHON";
		return 0;
	}
	if (project_dir) {
		char *path = fs_path_join(arena, project_dir, ".python-version");
		Buf text = { 0 };
		FileStat st;
		int lineno = 0, rc = 1;
		char *line, *next;

		int found = fs_stat(path, &st, err);

		if (found < 0)
			return -1;
		if (found == 0) {
			if (fs_read_file(path, &text, err) != 0) {
				buf_free(&text);
				return -1;
			}
			for (line = text.data; rc == 1 && line; line = next) {
				char *end;

				lineno++;
				next = strchr(line, '\n');
				if (next)
					*next++ = 0;
				while (*line == ' ' || *line == '\t' || *line == '\r')
					line++;
				end = line + strlen(line);
				while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
					*--end = 0;
				if (!*line || *line == '#')
					continue;
				*why = arena_printf(arena, ".python-version:%d", lineno);
				rc = python_version_line(line, arena_printf(arena, "%s:%d", path, lineno),
							 arena, out, err);
			}
			buf_free(&text);
			if (rc != 1)
				return rc;
			/* only comments: as if there were no file */
		}
	}
	*out = "python3";
	*why = "PATH";
	return 0;
}

bool
target_admits(const Target *t, const SpecifierSet *req)
{
	SpecCandidate c = { &t->full_version, t->full_version.str, strlen(t->full_version.str) };

	return specset_contains(req, &c, PRERELEASES_ALLOW, false);
}

int
target_select(const char *python, const char *project_dir, const char *requires_python,
	      const char *cache_dir, Arena *arena, Target *out, const char **why, Err *err)
{
	SpecifierSet req;
	bool allowed[TARGET_MINOR_MAX];
	const char *name;
	Err first;
	int minor, rc;

	if (target_find(python, project_dir, arena, &name, why, err) != 0)
		return -1;
	if (strcmp(*why, "PATH") != 0)
		return target_load(name, cache_dir, arena, out, err);
	rc = target_load(name, cache_dir, arena, out, &first);
	if (!requires_python || !*requires_python ||
	    specset_parse(requires_python, strlen(requires_python), arena, &req, NULL) != 0 ||
	    (rc == 0 && target_admits(out, &req))) {
		if (rc != 0)
			*err = first;
		return rc;
	}
	/* python3 does not do: the newest python3.N that requires-python admits and that
	 * runs (a pyenv shim of a version not installed does not) */
	target_minors_on_path(&req, arena, allowed);
	for (minor = TARGET_MINOR_MAX - 1; minor >= 0; minor--) {
		Target t;

		if (allowed[minor] &&
		    target_load(arena_printf(arena, "python3.%d", minor), cache_dir, arena, &t, NULL) == 0 &&
		    target_admits(&t, &req)) {
			*out = t;
			*why = arena_printf(arena, "requires-python %s", requires_python);
			return 0;
		}
	}
	if (rc != 0)
		*err = first;
	return rc;   /* python3, which the caller finds not allowed, and says so */
}

static const char *
json_str(const cJSON *o, const char *key, Arena *arena)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? arena_strdup(arena, v->valuestring) : NULL;
}

static bool
json_true(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* What a virtual environment needs. A relative path that climbs out of the root (a
 * scheme with odd variables) is refused here rather than followed later. */
static int
venv_fields(const char *python, const cJSON *o, Arena *arena, Target *t, Err *err)
{
	static const char *const keys[] = { "base_executable", "home", "version", "purelib",
					    "platlib", "include", "scripts" };
	const char **slots[] = { &t->base_executable, &t->home, &t->version, &t->purelib,
				 &t->platlib, &t->include, &t->scripts };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = json_str(o, keys[i], arena);

		if (!v)
			return err_set(err, "%s: the interpreter's probe lacks %s", python, keys[i]);
		if (i >= 3 && (fs_path_is_abs(v) || !strcmp(v, "..") || !strncmp(v, "../", 3) ||
			       strstr(v, "/../") || (strlen(v) >= 3 && !strcmp(v + strlen(v) - 3, "/..")))) {
			return err_set(err, "%s: the interpreter's %s directory '%s' is not inside an "
				       "environment", python, keys[i], v);
		}
		*slots[i] = v;
	}
	t->cache_tag = json_str(o, "cache_tag", arena);
	t->lib64 = json_true(o, "lib64");
	return 0;
}

static int
parse_probe(const char *python, const char *text, Arena *arena, Target *t, Err *err)
{
	cJSON *o = cJSON_Parse(text);
	const char *plat, *libc, *impl;
	TagsInterpreter in = { 0 };
	TagsPlatform p = { 0 };
	TagStrs abis;

	unsigned major = 0, minor = 0;
	int i;

	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return err_set(err, "%s: the interpreter's probe printed something unexpected", python);
	}
	memset(t, 0, sizeof(*t));
	t->python = arena_strdup(arena, python);
	for (i = 0; i < MARKER_EXTRA; i++) {
		/* the probe names its fields after the marker variables */
		const char *var = marker_var_name((MarkerVar)i);

		if (!(t->env.values[i] = json_str(o, var, arena))) {
			cJSON_Delete(o);
			return err_set(err, "%s: the interpreter's probe lacks %s", python, var);
		}
	}
	t->env.extra = "";
	if (version_parse(t->env.values[MARKER_PYTHON_FULL_VERSION],
			  strlen(t->env.values[MARKER_PYTHON_FULL_VERSION]), arena, &t->full_version,
			  err) != 0 ||
	    sscanf(t->env.values[MARKER_PYTHON_VERSION], "%u.%u", &major, &minor) != 2) {
		cJSON_Delete(o);
		return err_set(err, "%s: cannot read the interpreter's version", python);
	}
	plat = json_str(o, "sysconfig_platform", arena);
	libc = json_str(o, "libc", arena);
	impl = t->env.values[MARKER_IMPLEMENTATION_NAME];

	in.version = (TagsPyVersion){ major, minor, true };
	tags_strs_init(&abis, arena);
	if (!strcmp(impl, "cpython")) {
		in.impl = TAGS_IMPL_CPYTHON;
		tags_cpython_abis(in.version, json_true(o, "debug"), json_true(o, "free_threaded"), &abis);
	} else if (!strcmp(impl, "pypy")) {
		in.impl = TAGS_IMPL_PYPY;
	} else {
		in.impl = TAGS_IMPL_OTHER;
		in.name = impl;
	}
	in.abis = abis.items;
	in.n_abis = abis.len;
	p.is_32bit = json_true(o, "is_32bit");
	if (plat && !strncmp(plat, "linux-", 6)) {
		p.os = TAGS_OS_LINUX;
		p.arch = plat + 6;
		p.elf_abi_ok = true;
		if (libc && sscanf(libc, "glibc %u.%u", &p.libc_major, &p.libc_minor) == 2)
			p.libc = TAGS_LIBC_GLIBC;
	} else if (plat && !strncmp(plat, "macosx-", 7)) {
		const char *arch = strrchr(plat, '-');

		p.os = TAGS_OS_MACOS;
		p.arch = arch ? arch + 1 : "";
		sscanf(plat + 7, "%u.%u", &p.os_major, &p.os_minor);
	} else {
		p.os = TAGS_OS_OTHER;
		p.arch = plat ? plat : "";
	}
	t->interp = in;
	t->platform = p;
	t->summary = arena_printf(arena, "%s %s on %s",
				  t->env.values[MARKER_PLATFORM_PYTHON_IMPLEMENTATION],
				  t->env.values[MARKER_PYTHON_FULL_VERSION], plat ? plat : "?");
	/* everything the wheel tags and markers depend on but the kernel's version */
	t->identity = arena_printf(arena, "%s %s%s%s %s %s %s", impl,
				   t->env.values[MARKER_PYTHON_FULL_VERSION],
				   json_true(o, "free_threaded") ? "t" : "", json_true(o, "debug") ? "d" : "",
				   plat ? plat : "?", t->env.values[MARKER_SYS_PLATFORM], libc ? libc : "-");
	if (venv_fields(python, o, arena, t, err) != 0) {
		cJSON_Delete(o);
		return -1;
	}
	cJSON_Delete(o);
	return 0;
}

void
target_tags(const Target *t, Arena *arena, TagList *out)
{
	tags_list_init(out, arena);
	tags_supported(&t->interp, &t->platform, out);
}

static bool
is_script(const char *path)
{
	char head[2] = { 0 };
	FILE *f = fopen(path, "rb");

	if (!f)
		return false;
	if (fread(head, 1, 2, f) != 2)
		head[0] = 0;
	fclose(f);
	return head[0] == '#' && head[1] == '!';
}

int
target_load(const char *python, const char *cache_dir, Arena *arena, Target *out, Err *err)
{
	Buf path = { 0 }, cached = { 0 }, text = { 0 }, key = { 0 };
	unsigned char packed[FILESTAT_PACKED];
	FileStat st;
	Digest d;
	char hex[33];
	bool script;
	int rc = -1, code;

	if (find_python(python, &path, err) != 0)
		goto out;
	/* a pyenv shim: the interpreter it would run, found as pyenv finds it */
	script = is_script(path.data);
	if (script) {
		Buf real = { 0 };

		if (pyenv_shim_target(path.data, &real)) {
			buf_free(&path);
			path = real;
			script = false;
		} else {
			buf_free(&real);
		}
	}
	if (fs_stat(path.data, &st, err) != 0)
		goto out;
	fs_stat_pack(&st, packed);
	/* The probe's version comes first: a cached answer of an older probe lacks fields. */
	buf_puts(&key, "probe 2");
	buf_append(&key, "", 1);
	buf_append(&key, path.data, path.len + 1);
	buf_append(&key, packed, sizeof(packed));
	d = hash_bytes(key.data, key.len);
	hash_hex(d.b, 16, hex);
	if (cache_dir)
		buf_printf(&cached, "%s/interpreters/%s.json", cache_dir, hex);
	/* A script (a wrapper, a shim pyenv.c cannot follow) may run another interpreter
	 * each time: its own stat proves nothing, so it is probed every time. */
	if (!script && cache_dir && fs_read_file(cached.data, &text, NULL) == 0 &&
	    parse_probe(path.data, text.data, arena, out, err) == 0) {
		rc = 0;
		goto out;
	}
	buf_clear(&text);
	{
		const char *argv[] = { path.data, "-I", "-S", "-c", probe_source, NULL };

		if (proc_output(argv, &text, &code, err) != 0)
			goto out;
		if (code != 0) {
			err_set(err, "%s: the interpreter's probe failed (exit status %d)", path.data, code);
			goto out;
		}
	}
	if (parse_probe(path.data, text.data, arena, out, err) != 0)
		goto out;
	/* A cache that cannot be written only costs the next run a probe. */
	if (!script && cache_dir && fs_mkdir_parent(cached.data, NULL) == 0 &&
	    fs_write_atomic(cached.data, text.data, text.len, 0644, NULL) == 0)
		cacheindex_note_add(cache_dir, cached.data + strlen(cache_dir) + 1, text.len, NULL);
	rc = 0;
out:
	buf_free(&path);
	buf_free(&cached);
	buf_free(&text);
	buf_free(&key);
	return rc;
}
