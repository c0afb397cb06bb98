/*
 * venv.c - virtual environments made natively (see venv.h).
 *
 * The layout follows what CPython's venv module (3.11) makes with --without-pip and
 * symlinks: the directories come from the target's own sysconfig scheme (Target's
 * purelib, include, scripts), so the interpreter started from ROOT/bin/python finds
 * the same sys.prefix, sys.path and site-packages as in an environment venv made. The
 * activation scripts are bunpy's own.
 */
#include "config.h"

#include "venv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/fs.h"

/* The last component of a path, for messages about "the .venv" of a project. */
static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

static char *
absolute(const char *root, Arena *arena)
{
	char *p;

	if (fs_path_is_abs(root)) {
		p = arena_strdup(arena, root);
	} else {
		char cwd[PATH_MAX];

		p = getcwd(cwd, sizeof(cwd)) ? fs_path_join(arena, cwd, root) : arena_strdup(arena, root);
	}
	fs_path_clean(p);
	return p;
}

void
venv_layout(const char *root, const Target *target, Arena *arena, Venv *out)
{
	const char *r = absolute(root, arena);

	out->root = r;
	out->bin = fs_path_join(arena, r, target->scripts);
	out->python = fs_path_join(arena, out->bin, "python");
	out->purelib = fs_path_join(arena, r, target->purelib);
	out->platlib = fs_path_join(arena, r, target->platlib);
	out->include = fs_path_join(arena, r, target->include);
	out->data = r;
	out->state_dir = fs_path_join(arena, r, ".bunpy");
	out->cache_tag = target->cache_tag;
}

/* What is at root now. */
typedef enum RootState {
	ROOT_ABSENT,
	ROOT_EMPTY,       /* an empty directory */
	ROOT_VENV,        /* a directory with pyvenv.cfg */
} RootState;

static int
root_state(const char *root, RootState *state, Err *err)
{
	struct stat sb;
	DIR *d;
	struct dirent *e;
	bool empty = true;

	if (stat(root, &sb) != 0) {
		if (errno == ENOENT) {
			struct stat lb;

			/* a symlink to nowhere is not nothing: it would be followed */
			if (lstat(root, &lb) == 0)
				return err_set(err, "%s is a symlink to nothing; remove it or make it point "
					       "to a directory", root);
			*state = ROOT_ABSENT;
			return 0;
		}
		return err_sys(err, "%s", root);
	}
	if (!S_ISDIR(sb.st_mode))
		return err_set(err, "%s exists and is not a directory; bunpy will not replace it with "
			       "a virtual environment", root);
	{
		Buf cfg = { 0 };

		buf_printf(&cfg, "%s/pyvenv.cfg", root);
		if (access(cfg.data, F_OK) == 0) {
			buf_free(&cfg);
			*state = ROOT_VENV;
			return 0;
		}
		buf_free(&cfg);
	}
	if (!(d = opendir(root)))
		return err_sys(err, "%s", root);
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	if (!empty)
		return err_set(err, "%s is not a virtual environment (it has no pyvenv.cfg) and is not "
			       "empty; bunpy will not replace it: move it away or remove it", root);
	*state = ROOT_EMPTY;
	return 0;
}

const char *
venv_cfg_value(const char *text, const char *key, Arena *arena)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (line && *line) {
		const char *end = strchr(line, '\n'), *eq, *k, *ke, *v, *ve;

		if (!end)
			end = line + strlen(line);
		eq = memchr(line, '=', (size_t)(end - line));
		if (eq) {
			for (k = line; k < eq && (*k == ' ' || *k == '\t'); k++)
				;
			for (ke = eq; ke > k && (ke[-1] == ' ' || ke[-1] == '\t'); ke--)
				;
			if ((size_t)(ke - k) == klen && !strncmp(k, key, klen)) {
				for (v = eq + 1; v < end && (*v == ' ' || *v == '\t'); v++)
					;
				for (ve = end; ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'); ve--)
					;
				return arena_strndup(arena, v, (size_t)(ve - v));
			}
		}
		line = *end ? end + 1 : NULL;
	}
	return NULL;
}

int
venv_check(const char *root, const Target *target, Arena *arena, const char **why, Err *err)
{
	const char *abs = absolute(root, arena), *name = base_name(abs);
	const char *version, *home;
	RootState state;
	Buf text = { 0 };
	Venv v;
	struct stat sb;

	if (root_state(abs, &state, err) != 0)
		return -1;
	if (state == ROOT_ABSENT) {
		*why = arena_printf(arena, "there is no %s", name);
		return 0;
	}
	if (state == ROOT_EMPTY) {
		*why = arena_printf(arena, "%s is empty", name);
		return 0;
	}
	if (fs_read_file(arena_printf(arena, "%s/pyvenv.cfg", abs), &text, err) != 0)
		return -1;
	version = venv_cfg_value(text.data, "version", arena);
	if (!version && (version = venv_cfg_value(text.data, "version_info", arena))) {
		/* virtualenv writes "3.11.2.final.0", uv "3.13.0rc1": the release is what
		 * venv's "version" says */
		unsigned x, y, z;

		if (sscanf(version, "%u.%u.%u", &x, &y, &z) == 3)
			version = arena_printf(arena, "%u.%u.%u", x, y, z);
	}
	home = venv_cfg_value(text.data, "home", arena);
	buf_free(&text);
	if (!version || strcmp(version, target->version)) {
		*why = version ? arena_printf(arena, "%s/pyvenv.cfg is for Python %s, the project needs "
					      "%s (%s)", name, version, target->version,
					      target->base_executable) :
				 arena_printf(arena, "%s/pyvenv.cfg names no Python version", name);
		return 0;
	}
	if (!home || strcmp(home, target->home)) {
		*why = arena_printf(arena, "%s/pyvenv.cfg is for the Python in %s, the project needs "
				    "the one in %s (%s)", name, home ? home : "(nowhere)", target->home,
				    target->base_executable);
		return 0;
	}
	venv_layout(abs, target, arena, &v);
	/* stat follows the link: a base interpreter that went away counts as missing */
	if (stat(fs_path_join(arena, v.bin, "python3"), &sb) != 0) {
		*why = arena_printf(arena, "%s/%s/python3 is missing", name, target->scripts);
		return 0;
	}
	if (stat(v.purelib, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		*why = arena_printf(arena, "%s/%s is missing", name, target->purelib);
		return 0;
	}
	return 1;
}

/* Text for the scripts: single-quoted for sh, fish and csh. Control characters are
 * refused before this (venv_create), so one line stays one line. */
static void
quote_sh(Buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

static void
quote_fish(Buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

/* csh expands history ('!') even inside single quotes. */
static void
quote_csh(Buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_puts(b, "'\\''");
		else if (*s == '!')
			buf_puts(b, "\\!");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

/* Python's repr of a str, as venv writes "prompt = 'name'". */
static void
quote_repr(Buf *b, const char *s)
{
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';

	buf_putc(b, q);
	for (; *s; s++) {
		if (*s == q || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, q);
}

static bool
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static void
script_sh(Buf *b, const char *root, const char *scripts, const char *prompt)
{
	buf_puts(b, "# activate - enter this virtual environment from bash or zsh:\n#     . ");
	quote_sh(b, root);
	buf_printf(b, "/%s/activate\n", scripts);
	buf_puts(b, "# and leave it with `deactivate`. Written by bunpy " PACKAGE_VERSION ".\n\n");
	buf_puts(b,
		 "# Another environment may be active: its own deactivate knows what it changed.\n"
		 "if typeset -f deactivate >/dev/null 2>&1; then\n"
		 "    deactivate\n"
		 "fi\n\n"
		 "deactivate () {\n"
		 "    if [ -n \"${_BUNPY_SAVED_PATH+set}\" ]; then\n"
		 "        PATH=$_BUNPY_SAVED_PATH\n"
		 "        export PATH\n"
		 "        unset _BUNPY_SAVED_PATH\n"
		 "    fi\n"
		 "    if [ -n \"${_BUNPY_SAVED_PYTHONHOME+set}\" ]; then\n"
		 "        PYTHONHOME=$_BUNPY_SAVED_PYTHONHOME\n"
		 "        export PYTHONHOME\n"
		 "        unset _BUNPY_SAVED_PYTHONHOME\n"
		 "    fi\n"
		 "    if [ -n \"${_BUNPY_SAVED_PS1+set}\" ]; then\n"
		 "        PS1=$_BUNPY_SAVED_PS1\n"
		 "        unset _BUNPY_SAVED_PS1\n"
		 "    fi\n"
		 "    unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT\n"
		 "    # the shell remembers where it found commands: forget the environment's\n"
		 "    hash -r 2>/dev/null\n"
		 "    # \"deactivate nondestructive\" restores the variables and keeps the function\n"
		 "    if [ \"${1-}\" != nondestructive ]; then\n"
		 "        unset -f deactivate\n"
		 "    fi\n"
		 "}\n\n"
		 "VIRTUAL_ENV=");
	quote_sh(b, root);
	buf_puts(b, "\nVIRTUAL_ENV_PROMPT=");
	quote_sh(b, prompt);
	buf_puts(b, "\nexport VIRTUAL_ENV VIRTUAL_ENV_PROMPT\n\n"
		 "_BUNPY_SAVED_PATH=$PATH\n"
		 "PATH=\"$VIRTUAL_ENV\"/");
	quote_sh(b, scripts);
	buf_puts(b, ":\"$PATH\"\n"
		 "export PATH\n\n"
		 "# PYTHONHOME would send the interpreter to another installation's library\n"
		 "if [ -n \"${PYTHONHOME+set}\" ]; then\n"
		 "    _BUNPY_SAVED_PYTHONHOME=$PYTHONHOME\n"
		 "    unset PYTHONHOME\n"
		 "fi\n\n"
		 "if [ -z \"${VIRTUAL_ENV_DISABLE_PROMPT-}\" ]; then\n"
		 "    _BUNPY_SAVED_PS1=${PS1-}\n"
		 "    PS1=\"$VIRTUAL_ENV_PROMPT${PS1-}\"\n"
		 "fi\n\n"
		 "hash -r 2>/dev/null\n");
}

static void
script_fish(Buf *b, const char *root, const char *scripts, const char *prompt)
{
	buf_puts(b, "# activate.fish - enter this virtual environment from fish:\n#     source ");
	quote_fish(b, root);
	buf_printf(b, "/%s/activate.fish\n", scripts);
	buf_puts(b, "# and leave it with `deactivate`. Written by bunpy " PACKAGE_VERSION ".\n\n");
	buf_puts(b,
		 "# Another environment may be active: its own deactivate knows what it changed.\n"
		 "if functions -q deactivate\n"
		 "    deactivate\n"
		 "end\n\n"
		 "function deactivate -d 'Leave the virtual environment'\n"
		 "    if set -q _bunpy_saved_path\n"
		 "        set -gx PATH $_bunpy_saved_path\n"
		 "        set -e _bunpy_saved_path\n"
		 "    end\n"
		 "    if set -q _bunpy_saved_pythonhome\n"
		 "        set -gx PYTHONHOME $_bunpy_saved_pythonhome\n"
		 "        set -e _bunpy_saved_pythonhome\n"
		 "    end\n"
		 "    if functions -q _bunpy_saved_fish_prompt\n"
		 "        functions -e fish_prompt\n"
		 "        functions -c _bunpy_saved_fish_prompt fish_prompt\n"
		 "        functions -e _bunpy_saved_fish_prompt _bunpy_with_status\n"
		 "    end\n"
		 "    set -e VIRTUAL_ENV\n"
		 "    set -e VIRTUAL_ENV_PROMPT\n"
		 "    if test \"$argv[1]\" != nondestructive\n"
		 "        functions -e deactivate\n"
		 "    end\n"
		 "end\n\n"
		 "set -gx VIRTUAL_ENV ");
	quote_fish(b, root);
	buf_puts(b, "\nset -gx VIRTUAL_ENV_PROMPT ");
	quote_fish(b, prompt);
	buf_puts(b, "\nset -g _bunpy_saved_path $PATH\n"
		 "set -gx PATH \"$VIRTUAL_ENV\"/");
	quote_fish(b, scripts);
	buf_puts(b, " $PATH\n\n"
		 "# PYTHONHOME would send the interpreter to another installation's library\n"
		 "if set -q PYTHONHOME\n"
		 "    set -g _bunpy_saved_pythonhome $PYTHONHOME\n"
		 "    set -e PYTHONHOME\n"
		 "end\n\n"
		 "if not set -q VIRTUAL_ENV_DISABLE_PROMPT; and functions -q fish_prompt\n"
		 "    functions -c fish_prompt _bunpy_saved_fish_prompt\n"
		 "    # returns its argument, so that the saved prompt sees the last command's status\n"
		 "    function _bunpy_with_status\n"
		 "        return $argv[1]\n"
		 "    end\n"
		 "    function fish_prompt\n"
		 "        set -l last_status $status\n"
		 "        printf '%s' \"$VIRTUAL_ENV_PROMPT\"\n"
		 "        _bunpy_with_status $last_status\n"
		 "        _bunpy_saved_fish_prompt\n"
		 "    end\n"
		 "end\n");
}

/* csh has no functions: deactivate is an alias, each step guarded by a test of its
 * own variable. */
static void
script_csh(Buf *b, const char *root, const char *scripts, const char *prompt)
{
	buf_puts(b, "# activate.csh - enter this virtual environment from csh or tcsh:\n#     source ");
	quote_csh(b, root);
	buf_printf(b, "/%s/activate.csh\n", scripts);
	buf_puts(b, "# and leave it with `deactivate`. Written by bunpy " PACKAGE_VERSION ".\n\n");
	buf_puts(b,
		 "alias deactivate '"
		 "test $?_bunpy_saved_path != 0 && setenv PATH \"$_bunpy_saved_path:q\" && unset _bunpy_saved_path; "
		 "test $?_bunpy_saved_pythonhome != 0 && setenv PYTHONHOME \"$_bunpy_saved_pythonhome:q\" && unset _bunpy_saved_pythonhome; "
		 "test $?_bunpy_saved_prompt != 0 && set prompt=\"$_bunpy_saved_prompt:q\" && unset _bunpy_saved_prompt; "
		 "unsetenv VIRTUAL_ENV; unsetenv VIRTUAL_ENV_PROMPT; rehash; "
		 "test \"\\!:*\" != nondestructive && unalias deactivate'\n\n"
		 "# leave an environment that is already active, keeping the alias\n"
		 "deactivate nondestructive\n\n"
		 "setenv VIRTUAL_ENV ");
	quote_csh(b, root);
	buf_puts(b, "\nsetenv VIRTUAL_ENV_PROMPT ");
	quote_csh(b, prompt);
	buf_puts(b, "\nset _bunpy_saved_path=\"$PATH:q\"\n"
		 "setenv PATH \"${VIRTUAL_ENV}/\"");
	quote_csh(b, scripts);
	buf_puts(b, "\":${PATH}\"\n\n"
		 "# PYTHONHOME would send the interpreter to another installation's library\n"
		 "if ($?PYTHONHOME) then\n"
		 "    set _bunpy_saved_pythonhome=\"$PYTHONHOME:q\"\n"
		 "    unsetenv PYTHONHOME\n"
		 "endif\n\n"
		 "if (! $?VIRTUAL_ENV_DISABLE_PROMPT && $?prompt) then\n"
		 "    set _bunpy_saved_prompt=\"$prompt:q\"\n"
		 "    set prompt=\"${VIRTUAL_ENV_PROMPT}$prompt:q\"\n"
		 "endif\n\n"
		 "rehash\n");
}

static void
pyvenv_cfg(Buf *b, const char *root, const Target *t, const char *prompt)
{
	char real[PATH_MAX];
	const char *executable = realpath(t->base_executable, real) ? real : t->base_executable;

	/* venv's keys in venv's order, then what uv and virtualenv add */
	buf_printf(b, "home = %s\n", t->home);
	buf_puts(b, "include-system-site-packages = false\n");
	buf_printf(b, "version = %s\n", t->version);
	if (prompt) {
		buf_puts(b, "prompt = ");
		quote_repr(b, prompt);
		buf_putc(b, '\n');
	}
	buf_printf(b, "executable = %s\n", executable);
	/* informational: the command that makes the same environment */
	buf_printf(b, "command = %s -m venv --without-pip %s\n", t->base_executable, root);
	buf_printf(b, "implementation = %s\n", t->env.values[MARKER_PLATFORM_PYTHON_IMPLEMENTATION]);
	buf_printf(b, "version_info = %s\n", t->version);
	buf_puts(b, "bunpy = " PACKAGE_VERSION "\n");
}

static int
write_file(const char *dir, const char *name, const Buf *text, Arena *arena, Err *err)
{
	return fs_write_atomic(fs_path_join(arena, dir, name), text->data, text->len, 0644, err);
}

/* ROOT/bin/python3 -> the base interpreter; python, python3.N and the base's own name
 * -> python3, relative, as venv links them. */
static int
link_interpreter(const char *bin, const Target *t, Arena *arena, Err *err)
{
	const char *main_link = fs_path_join(arena, bin, "python3");
	const char *names[3];
	size_t i;

	names[0] = "python";
	names[1] = arena_printf(arena, "python%s", t->env.values[MARKER_PYTHON_VERSION]);
	names[2] = base_name(t->base_executable);
	if (symlink(t->base_executable, main_link) != 0) {
		/* a filesystem without symlinks gets a copy, as venv --copies makes */
		if (errno != EPERM && errno != EOPNOTSUPP)
			return err_sys(err, "%s", main_link);
		if (fs_copy_file(t->base_executable, main_link, 0755, err) != 0)
			return -1;
	}
	for (i = 0; i < 3; i++) {
		const char *p = fs_path_join(arena, bin, names[i]);
		struct stat lb;

		if (lstat(p, &lb) == 0)
			continue;
		if (symlink("python3", p) != 0 && fs_copy_file(main_link, p, 0755, err) != 0)
			return -1;
	}
	return 0;
}

static int
populate(const char *dir, const char *root, const Target *t, const char *prompt,
	 Arena *arena, Err *err)
{
	Venv v;
	Buf text = { 0 };
	const char *shown;
	int rc = -1;

	/* the layout of the temporary directory; the files name root */
	venv_layout(dir, t, arena, &v);
	if (fs_mkdir_p(v.bin, err) != 0 || fs_mkdir_p(v.purelib, err) != 0 ||
	    fs_mkdir_p(v.platlib, err) != 0 || fs_mkdir_p(v.include, err) != 0 ||
	    fs_mkdir_p(v.state_dir, err) != 0)
		goto out;
	if (t->lib64 && !strncmp(t->purelib, "lib/", 4) &&
	    symlink("lib", fs_path_join(arena, dir, "lib64")) != 0) {
		err_sys(err, "%s/lib64", dir);
		goto out;
	}
	if (link_interpreter(v.bin, t, arena, err) != 0)
		goto out;
	pyvenv_cfg(&text, root, t, prompt);
	if (write_file(dir, "pyvenv.cfg", &text, arena, err) != 0)
		goto out;
	buf_clear(&text);
	buf_puts(&text, "# Made by bunpy: a virtual environment is never committed.\n*\n");
	if (write_file(dir, ".gitignore", &text, arena, err) != 0)
		goto out;
	/* the prompt as venv shows it, "(name) " */
	if (!prompt) {
		/* the project's directory: the one that holds the environment */
		char *parent = arena_strdup(arena, root), *slash = strrchr(parent, '/');

		if (slash && slash > parent)
			*slash = 0;
		prompt = base_name(parent);
	}
	shown = arena_printf(arena, "(%s) ", prompt);
	buf_clear(&text);
	script_sh(&text, root, t->scripts, shown);
	if (write_file(v.bin, "activate", &text, arena, err) != 0)
		goto out;
	buf_clear(&text);
	script_fish(&text, root, t->scripts, shown);
	if (write_file(v.bin, "activate.fish", &text, arena, err) != 0)
		goto out;
	buf_clear(&text);
	script_csh(&text, root, t->scripts, shown);
	if (write_file(v.bin, "activate.csh", &text, arena, err) != 0)
		goto out;
	rc = 0;
out:
	buf_free(&text);
	return rc;
}

/* Put the finished directory tmp at place, where an environment or an empty directory
 * may be: exchanged in one step where the kernel can, else moved aside first. */
static int
put_in_place(const char *tmp, const char *place, RootState state, Err *err)
{
	Buf old = { 0 };
	int rc = -1;

	if (state == ROOT_ABSENT) {
		if (rename(tmp, place) != 0)
			return err_sys(err, "%s", place);
		return 0;
	}
#ifdef RENAME_EXCHANGE
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, place, RENAME_EXCHANGE) == 0) {
		/* tmp now holds the old environment */
		Err ignored;

		(void)fs_remove_tree(tmp, &ignored);
		return 0;
	}
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return err_sys(err, "%s", place);
#endif
	fs_tmp_name(&old, place);
	if (rename(place, old.data) != 0) {
		err_sys(err, "%s", place);
	} else if (rename(tmp, place) != 0) {
		err_sys(err, "%s", place);
		(void)rename(old.data, place);
	} else {
		Err ignored;

		(void)fs_remove_tree(old.data, &ignored);
		rc = 0;
	}
	buf_free(&old);
	return rc;
}

int
venv_create(const char *root, const Target *target, const char *prompt, Arena *arena,
	    Err *err)
{
	const char *abs = absolute(root, arena), *place = abs;
	RootState state;
	struct stat lb;
	Buf tmp = { 0 };
	int rc = -1;

	if (strchr(abs, ':'))
		return err_set(err, "%s: a virtual environment's path cannot contain ':' (the PATH "
			       "separator)", abs);
	if (has_control(abs))
		return err_set(err, "%s: a virtual environment's path cannot contain control characters",
			       abs);
	if (prompt && has_control(prompt))
		return err_set(err, "the prompt %s contains control characters",
			       buf_quoted_string(arena, prompt, strlen(prompt), 80));
	if (root_state(abs, &state, err) != 0)
		return -1;
	/* A .venv that is a symlink to a directory stays one: the environment is made where
	 * it points, under the name it is reached by. */
	if (state != ROOT_ABSENT && lstat(abs, &lb) == 0 && S_ISLNK(lb.st_mode)) {
		char real[PATH_MAX];

		if (!realpath(abs, real))
			return err_sys(err, "%s", abs);
		place = arena_strdup(arena, real);
	}
	fs_tmp_name(&tmp, place);
	if (fs_mkdir_parent(tmp.data, err) != 0)
		goto out;
	if (mkdir(tmp.data, 0777) != 0) {
		err_sys(err, "%s", tmp.data);
		goto out;
	}
	if (populate(tmp.data, abs, target, prompt, arena, err) != 0 ||
	    put_in_place(tmp.data, place, state, err) != 0) {
		Err ignored;

		(void)fs_remove_tree(tmp.data, &ignored);
		err_wrap(err, "cannot make the virtual environment %s", abs);
		goto out;
	}
	rc = 0;
out:
	buf_free(&tmp);
	return rc;
}
