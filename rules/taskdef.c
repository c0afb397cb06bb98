/*
 * taskdef.c - reading [tool.bunpy.tasks], and the packed table of definitions.
 *
 *   table := u32 count, count * (u32 name_off, u32 name_len, u32 json_off, u32 json_len),
 *            then the bytes the offsets point into; entries sorted by name.
 */
#include "config.h"

#include "taskdef.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "engine/fs.h"
#include "engine/glob.h"
#include "packaging/toml.h"

#define ENTRY_SIZE 16

static const char *const task_keys[] = {
	"cmd", "deps", "inputs", "outputs", "env", "cwd", "description", NULL
};

static const char *const no_strings[] = { NULL };

typedef struct Parse {
	const char *file;
	Arena *a;
	Err *err;
	TaskDef *tasks;
	size_t ntasks, cap;
} Parse;

bool
taskdef_valid_name(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || name[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || c == ':'))
			return false;
	}
	return true;
}

static int
bad(Parse *p, const TomlValue *v, const char *task, const char *key, const char *fmt,
    const char *found)
{
	char what[256];

	snprintf(what, sizeof(what), fmt, found);
	if (key)
		return err_set(p->err, "%s:%u:%u: tool.bunpy.tasks.%s.%s: %s", p->file, v->line,
			       v->col, task, key, what);
	return err_set(p->err, "%s:%u:%u: tool.bunpy.tasks.%s: %s", p->file, v->line, v->col,
		       task, what);
}

static const char *
str_of(Parse *p, const TomlValue *v)
{
	return arena_strndup(p->a, v->u.str.ptr, v->u.str.len);
}

/* A string or an array of strings, as a NULL-terminated list. */
static int
string_list(Parse *p, const TomlValue *v, const char *task, const char *key,
	    const char *const **out, size_t *n, bool allow_single)
{
	const char **list;
	size_t i;

	if (v->type == TOML_STRING && allow_single) {
		list = arena_alloc(p->a, 2 * sizeof(*list));
		list[0] = str_of(p, v);
		list[1] = NULL;
		*out = list;
		*n = 1;
		return 0;
	}
	if (v->type != TOML_ARRAY)
		return bad(p, v, task, key, allow_single ? "expected a string or an array of strings, found %s" :
			   "expected an array of strings, found %s", toml_type_name(v->type));
	list = arena_alloc(p->a, (v->u.arr.len + 1) * sizeof(*list));
	for (i = 0; i < v->u.arr.len; i++) {
		const TomlValue *item = v->u.arr.items[i];

		if (item->type != TOML_STRING)
			return bad(p, item, task, key, "expected an array of strings, found a %s in it",
				   toml_type_name(item->type));
		if (item->u.str.len == 0 || memchr(item->u.str.ptr, '\0', item->u.str.len))
			return bad(p, item, task, key, "empty string or NUL byte in the list%s", "");
		list[i] = str_of(p, item);
	}
	list[i] = NULL;
	*out = list;
	*n = v->u.arr.len;
	return 0;
}

bool
taskdef_is_own_file(const char *path)
{
	return !strcmp(path, "pyproject.toml") || !strcmp(path, ".bunpy") ||
	       !strncmp(path, ".bunpy/", 7);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Paths are cleaned so that "./a//b" and "a/b" are the same input. Outputs must stay
 * inside the project: bunpy writes them back when it restores them. */
static int
clean_paths(Parse *p, const TomlValue *v, const char *task, const char *key,
	    const char *const *list, size_t n, bool output)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *c = arena_strdup(p->a, list[i]);

		fs_path_clean(c);
		if (output && (fs_path_is_abs(c) || !strcmp(c, "..") || !strncmp(c, "../", 3) ||
			       !strcmp(c, ".")))
			return bad(p, v, task, key, "output '%s' is not a file inside the project", list[i]);
		if (output && taskdef_is_own_file(c))
			return bad(p, v, task, key, "output '%s' is bunpy's own file: a task may not "
				   "declare it", list[i]);
		((const char **)list)[i] = c;
	}
	return 0;
}

static int
parse_task(Parse *p, const char *name, const TomlValue *v, TaskDef *t)
{
	const TomlValue *cmd;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->name = name;
	t->cwd = ".";
	t->description = "";
	t->deps = t->inputs = t->outputs = t->env = no_strings;
	if (v->type == TOML_STRING || v->type == TOML_ARRAY) {
		cmd = v;
	} else if (v->type == TOML_TABLE) {
		for (i = 0; i < v->u.table.len; i++) {
			const char *const *k;
			const char *key = v->u.table.entries[i].key;

			for (k = task_keys; *k && strcmp(*k, key); k++)
				;
			if (!*k)
				return bad(p, v->u.table.entries[i].value, name, NULL,
					   "unknown key '%s' (a task has cmd, deps, inputs, outputs, env, cwd, description)",
					   key);
		}
		cmd = toml_get(v, "cmd");
		if (!cmd)
			return bad(p, v, name, NULL, "no 'cmd': a task needs a command to run%s", "");
	} else {
		return bad(p, v, name, NULL, "expected a command (string or array) or a table, found %s",
			   toml_type_name(v->type));
	}
	if (cmd->type == TOML_STRING) {
		const char **argv = arena_alloc(p->a, 4 * sizeof(*argv));

		if (cmd->u.str.len == 0 || memchr(cmd->u.str.ptr, '\0', cmd->u.str.len))
			return bad(p, cmd, name, "cmd", "the command is empty or holds a NUL byte%s", "");
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = str_of(p, cmd);
		argv[3] = NULL;
		t->argv = argv;
		t->shell = true;
		t->command = argv[2];
	} else if (cmd->type == TOML_ARRAY) {
		size_t n;
		Buf shown = { 0 };

		if (string_list(p, cmd, name, "cmd", &t->argv, &n, false) != 0)
			return -1;
		if (n == 0)
			return bad(p, cmd, name, "cmd", "the command array is empty%s", "");
		for (i = 0; i < n; i++)
			buf_printf(&shown, "%s%s", i ? " " : "", t->argv[i]);
		t->command = arena_strdup(p->a, shown.data);
		buf_free(&shown);
	} else {
		return bad(p, cmd, name, "cmd", "expected a string or an array of strings, found %s",
			   toml_type_name(cmd->type));
	}
	if (v->type != TOML_TABLE)
		return 0;
	{
		const TomlValue *f;

		if ((f = toml_get(v, "deps")) &&
		    string_list(p, f, name, "deps", &t->deps, &t->ndeps, true) != 0)
			return -1;
		if ((f = toml_get(v, "inputs")) &&
		    (string_list(p, f, name, "inputs", &t->inputs, &t->ninputs, true) != 0 ||
		     clean_paths(p, f, name, "inputs", t->inputs, t->ninputs, false) != 0))
			return -1;
		if ((f = toml_get(v, "outputs")) &&
		    (string_list(p, f, name, "outputs", &t->outputs, &t->noutputs, true) != 0 ||
		     clean_paths(p, f, name, "outputs", t->outputs, t->noutputs, true) != 0))
			return -1;
		if ((f = toml_get(v, "cwd"))) {
			char *c;

			if (f->type != TOML_STRING)
				return bad(p, f, name, "cwd", "expected a string, found %s", toml_type_name(f->type));
			c = arena_strndup(p->a, f->u.str.ptr, f->u.str.len);
			fs_path_clean(c);
			if (fs_path_is_abs(c) || !strcmp(c, "..") || !strncmp(c, "../", 3))
				return bad(p, f, name, "cwd", "'%s' is not a directory inside the project", c);
			t->cwd = c;
		}
		if ((f = toml_get(v, "description"))) {
			if (f->type != TOML_STRING)
				return bad(p, f, name, "description", "expected a string, found %s",
					   toml_type_name(f->type));
			t->description = str_of(p, f);
		}
		if ((f = toml_get(v, "env"))) {
			const char **env;

			if (f->type != TOML_TABLE)
				return bad(p, f, name, "env", "expected a table of strings, found %s",
					   toml_type_name(f->type));
			env = arena_alloc(p->a, (f->u.table.len + 1) * sizeof(*env));
			for (i = 0; i < f->u.table.len; i++) {
				const TomlEntry *e = &f->u.table.entries[i];

				if (e->value->type != TOML_STRING)
					return bad(p, e->value, name, "env", "expected string values, found %s",
						   toml_type_name(e->value->type));
				if (!e->key_len || memchr(e->key, '=', e->key_len) ||
				    memchr(e->key, '\0', e->key_len))
					return bad(p, e->value, name, "env", "'%s' is not a variable name", e->key);
				env[i] = arena_printf(p->a, "%s=%s", e->key, str_of(p, e->value));
			}
			env[i] = NULL;
			qsort(env, f->u.table.len, sizeof(*env), cmp_str);
			t->env = env;
			t->nenv = f->u.table.len;
		}
	}
	return 0;
}

/* ---- whole-table checks -------------------------------------------------------------- */

typedef struct NameIndex {
	const char *name;
	size_t task;
} NameIndex;

static int
cmp_index(const void *a, const void *b)
{
	return strcmp(((const NameIndex *)a)->name, ((const NameIndex *)b)->name);
}

static NameIndex *
lookup(NameIndex *idx, size_t n, const char *name)
{
	NameIndex key = { name, 0 };

	return bsearch(&key, idx, n, sizeof(*idx), cmp_index);
}

/* Literal inputs that another task declares as output make that task a dependency, so
 * that it runs first. */
static void
add_implicit_deps(Parse *p, NameIndex *outs, size_t nouts)
{
	size_t t, i, j;

	for (t = 0; t < p->ntasks; t++) {
		TaskDef *task = &p->tasks[t];
		const char **deps = NULL;
		size_t n = task->ndeps;

		for (i = 0; i < task->ninputs; i++) {
			NameIndex *o;
			const char *producer;
			bool have = false;

			if (glob_has_magic(task->inputs[i]))
				continue;
			o = lookup(outs, nouts, task->inputs[i]);
			if (!o || o->task == t)
				continue;
			producer = p->tasks[o->task].name;
			for (j = 0; j < n && !have; j++)
				have = !strcmp((deps ? deps : (const char **)task->deps)[j], producer);
			if (have)
				continue;
			if (!deps) {
				deps = arena_alloc(p->a, (task->ndeps + task->ninputs + 1) * sizeof(*deps));
				memcpy(deps, task->deps, task->ndeps * sizeof(*deps));
			}
			deps[n++] = producer;
		}
		if (deps) {
			deps[n] = NULL;
			task->deps = deps;
			task->ndeps = n;
		}
	}
}

static int
check_cycles(Parse *p, NameIndex *names)
{
	uint8_t *color = xcalloc(p->ntasks, 1);
	size_t *stack = xmalloc(p->ntasks * sizeof(*stack)), *next = xcalloc(p->ntasks, sizeof(*next));
	size_t root, sp;
	int rc = 0;

	for (root = 0; root < p->ntasks && rc == 0; root++) {
		if (color[root])
			continue;
		sp = 0;
		stack[sp++] = root;
		color[root] = 1;
		while (sp && rc == 0) {
			size_t cur = stack[sp - 1];
			TaskDef *t = &p->tasks[cur];

			if (next[cur] < t->ndeps) {
				size_t d = lookup(names, p->ntasks, t->deps[next[cur]++])->task;

				if (color[d] == 1) {
					Buf msg = { 0 };
					size_t i = 0;

					while (stack[i] != d)
						i++;
					for (; i < sp; i++)
						buf_printf(&msg, "%s -> ", p->tasks[stack[i]].name);
					buf_puts(&msg, p->tasks[d].name);
					rc = err_set(p->err, "%s: the tasks depend on each other in a cycle: %s",
						     p->file, msg.data);
					buf_free(&msg);
				} else if (color[d] == 0) {
					color[d] = 1;
					stack[sp++] = d;
				}
			} else {
				color[cur] = 2;
				sp--;
			}
		}
	}
	free(color);
	free(stack);
	free(next);
	return rc;
}

static int
check_table(Parse *p, const TomlValue *tasks_v)
{
	NameIndex *names = xmalloc((p->ntasks + 1) * sizeof(*names));
	NameIndex *outs;
	size_t t, i, nouts = 0, total = 0;
	int rc = 0;

	for (t = 0; t < p->ntasks; t++) {
		names[t] = (NameIndex){ p->tasks[t].name, t };
		total += p->tasks[t].noutputs;
	}
	qsort(names, p->ntasks, sizeof(*names), cmp_index);
	outs = xmalloc((total + 1) * sizeof(*outs));
	for (t = 0; t < p->ntasks; t++)
		for (i = 0; i < p->tasks[t].noutputs; i++)
			if (!glob_has_magic(p->tasks[t].outputs[i]))
				outs[nouts++] = (NameIndex){ p->tasks[t].outputs[i], t };
	qsort(outs, nouts, sizeof(*outs), cmp_index);
	for (i = 1; i < nouts && rc == 0; i++)
		if (!strcmp(outs[i].name, outs[i - 1].name) && outs[i].task != outs[i - 1].task)
			rc = err_set(p->err, "%s: tasks '%s' and '%s' both declare the output '%s'", p->file,
				     p->tasks[outs[i - 1].task].name, p->tasks[outs[i].task].name, outs[i].name);
	for (t = 0; t < p->ntasks && rc == 0; t++) {
		for (i = 0; i < p->tasks[t].ndeps && rc == 0; i++) {
			const char *d = p->tasks[t].deps[i];

			if (!lookup(names, p->ntasks, d)) {
				const TomlValue *tv = toml_getn(tasks_v, p->tasks[t].name, strlen(p->tasks[t].name));
				const TomlValue *dv = tv ? toml_get(tv, "deps") : NULL;

				rc = bad(p, dv ? dv : tasks_v, p->tasks[t].name, "deps",
					 "'%s' is not a task of this project", d);
			}
		}
	}
	if (rc == 0) {
		add_implicit_deps(p, outs, nouts);
		rc = check_cycles(p, names);
	}
	free(names);
	free(outs);
	return rc;
}

/* ---- the packed table -------------------------------------------------------------- */

static void
json_list(Buf *out, const char *key, const char *const *list, size_t n)
{
	size_t i;

	buf_printf(out, ",\"%s\":[", key);
	for (i = 0; i < n; i++) {
		if (i)
			buf_putc(out, ',');
		buf_json_string(out, list[i], strlen(list[i]));
	}
	buf_putc(out, ']');
}

void
taskdef_encode(const TaskDef *t, bool with_description, Buf *out)
{
	size_t argc = 0;

	while (t->argv[argc])
		argc++;
	buf_puts(out, "{\"name\":");
	buf_json_string(out, t->name, strlen(t->name));
	json_list(out, "argv", t->argv, argc);
	buf_printf(out, ",\"shell\":%s,\"command\":", t->shell ? "true" : "false");
	buf_json_string(out, t->command, strlen(t->command));
	json_list(out, "deps", t->deps, t->ndeps);
	json_list(out, "inputs", t->inputs, t->ninputs);
	json_list(out, "outputs", t->outputs, t->noutputs);
	json_list(out, "env", t->env, t->nenv);
	buf_puts(out, ",\"cwd\":");
	buf_json_string(out, t->cwd, strlen(t->cwd));
	if (with_description) {
		buf_puts(out, ",\"description\":");
		buf_json_string(out, t->description, strlen(t->description));
	}
	buf_putc(out, '}');
}

static int
cmp_task(const void *a, const void *b)
{
	return strcmp(((const TaskDef *)a)->name, ((const TaskDef *)b)->name);
}

static void
pack(Parse *p, Buf *table)
{
	Buf strings = { 0 };
	size_t t, header = 4 + p->ntasks * ENTRY_SIZE;

	qsort(p->tasks, p->ntasks, sizeof(*p->tasks), cmp_task);
	buf_put_u32(table, (uint32_t)p->ntasks);
	for (t = 0; t < p->ntasks; t++) {
		size_t name_off = header + strings.len, json_off;

		buf_puts(&strings, p->tasks[t].name);
		buf_putc(&strings, '\0');
		json_off = header + strings.len;
		taskdef_encode(&p->tasks[t], true, &strings);
		buf_put_u32(table, (uint32_t)name_off);
		buf_put_u32(table, (uint32_t)strlen(p->tasks[t].name));
		buf_put_u32(table, (uint32_t)json_off);
		buf_put_u32(table, (uint32_t)(header + strings.len - json_off));
		buf_putc(&strings, '\0');
	}
	buf_append(table, strings.data, strings.len);
	buf_free(&strings);
}

int
taskdef_parse_pyproject(const char *text, size_t len, const char *filename, Buf *table, Err *err)
{
	Arena a = { 0 };
	TomlValue *root;
	const TomlValue *tasks;
	Parse p = { .file = filename, .a = &a, .err = err };
	size_t i;
	int rc = -1;

	buf_clear(table);
	if (toml_parse(text, len, filename, &a, &root, err) != 0)
		goto out;
	tasks = toml_get_path(root, "tool.bunpy.tasks");
	if (!tasks) {
		buf_put_u32(table, 0);
		rc = 0;
		goto out;
	}
	if (tasks->type != TOML_TABLE) {
		err_set(err, "%s:%u:%u: tool.bunpy.tasks: expected a table of tasks, found %s", filename,
			tasks->line, tasks->col, toml_type_name(tasks->type));
		goto out;
	}
	p.tasks = xcalloc(tasks->u.table.len + 1, sizeof(*p.tasks));
	for (i = 0; i < tasks->u.table.len; i++) {
		const TomlEntry *e = &tasks->u.table.entries[i];

		if (!taskdef_valid_name(e->key, e->key_len)) {
			err_set(err, "%s:%u:%u: tool.bunpy.tasks: '%s' is not a usable task name (letters,"
				" digits, '_', '-', '.', ':'; not starting with '-')", filename,
				e->value->line, e->value->col, e->key);
			goto out;
		}
		if (parse_task(&p, e->key, e->value, &p.tasks[p.ntasks]) != 0)
			goto out;
		p.ntasks++;
	}
	if (check_table(&p, tasks) != 0)
		goto out;
	pack(&p, table);
	rc = 0;
out:
	free(p.tasks);
	arena_free(&a);
	return rc;
}

size_t
taskdef_count(const void *table, size_t len)
{
	const unsigned char *t = table;
	size_t n;

	if (!t || len < 4)
		return 0;
	n = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
	return len >= 4 + n * ENTRY_SIZE ? n : 0;
}

static uint32_t
u32_at(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool
taskdef_entry(const void *table, size_t len, size_t i, const char **name, size_t *name_len,
	      const char **json, size_t *json_len)
{
	const unsigned char *t = table, *e;
	uint32_t no, nl, jo, jl;

	if (i >= taskdef_count(table, len))
		return false;
	e = t + 4 + i * ENTRY_SIZE;
	no = u32_at(e);
	nl = u32_at(e + 4);
	jo = u32_at(e + 8);
	jl = u32_at(e + 12);
	if ((uint64_t)no + nl > len || (uint64_t)jo + jl > len)
		return false;
	*name = (const char *)t + no;
	*name_len = nl;
	*json = (const char *)t + jo;
	*json_len = jl;
	return true;
}

bool
taskdef_find(const void *table, size_t len, const char *name, const char **json, size_t *json_len)
{
	size_t lo = 0, hi = taskdef_count(table, len), nlen = strlen(name);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, el;
		const char *en;
		int c;

		if (!taskdef_entry(table, len, mid, &en, &el, json, json_len))
			return false;
		c = memcmp(name, en, nlen < el ? nlen : el);
		if (c == 0)
			c = nlen < el ? -1 : nlen > el ? 1 : 0;
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* ---- decoding ---------------------------------------------------------------------- */

static const char *const *
decode_list(const cJSON *obj, const char *key, Arena *a, size_t *n, bool *ok)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key), *it;
	const char **list;
	size_t i = 0;

	if (!cJSON_IsArray(arr)) {
		*ok = false;
		return NULL;
	}
	list = arena_alloc(a, ((size_t)cJSON_GetArraySize(arr) + 1) * sizeof(*list));
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it)) {
			*ok = false;
			return NULL;
		}
		list[i++] = arena_strdup(a, it->valuestring);
	}
	list[i] = NULL;
	if (n)
		*n = i;
	return list;
}

static const char *
decode_str(const cJSON *obj, const char *key, Arena *a, const char *dflt, bool *ok)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!s)
		return dflt;
	if (!cJSON_IsString(s)) {
		*ok = false;
		return dflt;
	}
	return arena_strdup(a, s->valuestring);
}

int
taskdef_decode(const char *json, size_t len, Arena *a, TaskDef *out, Err *err)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	bool ok = root != NULL;

	memset(out, 0, sizeof(*out));
	if (ok) {
		out->name = decode_str(root, "name", a, NULL, &ok);
		out->argv = decode_list(root, "argv", a, NULL, &ok);
		out->shell = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "shell"));
		out->command = decode_str(root, "command", a, "", &ok);
		out->deps = decode_list(root, "deps", a, &out->ndeps, &ok);
		out->inputs = decode_list(root, "inputs", a, &out->ninputs, &ok);
		out->outputs = decode_list(root, "outputs", a, &out->noutputs, &ok);
		out->env = decode_list(root, "env", a, &out->nenv, &ok);
		out->cwd = decode_str(root, "cwd", a, ".", &ok);
		out->description = decode_str(root, "description", a, "", &ok);
	}
	cJSON_Delete(root);
	if (!ok || !out->name || !out->argv || !out->argv[0])
		return err_set(err, "internal error: a stored task definition is malformed");
	return 0;
}
