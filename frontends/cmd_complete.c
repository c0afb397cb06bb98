/*
 * cmd_complete.c - `bunpy complete -- WORD...`: the candidates for the last word of a
 * command line (possibly empty), one per line, for the scripts in contrib/completions.
 *
 * Commands, options and subcommands come from the tables the parser itself reads
 * (commands_all, each CliCommand, cli_global_options), so whatever is added there
 * completes without a change here. Names that belong to the project (tasks, extras,
 * dependency groups, locked packages) are read straight from pyproject.toml and
 * pylock.toml with the TOML parser: no engine, no network, nothing written, and any
 * error just means no candidates. Printing nothing is how the scripts know to complete
 * file names instead, which is also what options taking a FILE or DIR want.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/fs.h"
#include "project.h"
#include "packaging/toml.h"
#include "rules/taskdef.h"

static const CliOption complete_options[] = {
	{ NULL, 0, NULL, NULL, 0 },
};

/* What an operand or an option's argument is completed with, besides fixed words. */
typedef enum Names {
	NAMES_NONE, NAMES_COMMANDS, NAMES_TASKS, NAMES_PACKAGES, NAMES_EXTRAS, NAMES_GROUPS,
} Names;

/*
 * Option arguments that are one of a few words, as the options' help says. An option
 * not here with an argument completes nothing (file names, in the shell).
 */
static const struct {
	const char *command;     /* NULL: any command */
	const char *option;
	const char *words;
	Names names;
} option_values[] = {
	{ NULL, "color", "auto always never", NAMES_NONE },
	{ NULL, "resolution", "highest lowest lowest-direct", NAMES_NONE },
	{ NULL, "prerelease", "if-necessary allow disallow", NAMES_NONE },
	{ NULL, "link-mode", "clone hardlink copy", NAMES_NONE },
	{ "graph", "format", "text dot json", NAMES_NONE },
	{ "graph", "kind", "task file glob", NAMES_NONE },
	{ "export", "format", "requirements.txt", NAMES_NONE },
	{ NULL, "group", NULL, NAMES_GROUPS },
	{ NULL, "extra", NULL, NAMES_EXTRAS },
	{ NULL, "optional", NULL, NAMES_EXTRAS },
	{ NULL, "upgrade-package", NULL, NAMES_PACKAGES },
};

/* Operands that name something of the project. */
static const struct {
	const char *command;
	Names names;
} operand_names[] = {
	{ "run", NAMES_TASKS },
	{ "graph", NAMES_TASKS },
	{ "remove", NAMES_PACKAGES },
	{ "update", NAMES_PACKAGES },
	{ "why", NAMES_PACKAGES },
	{ "tree", NAMES_PACKAGES },
};

typedef struct Completer {
	const char *cur;         /* the word being completed, after any "--option=" */
	const char *prefix;      /* printed before each candidate: "--option=" or "" */
	size_t prefix_len;
	const char *directory;   /* -C DIR from the line */
	Arena arena;
	bool looked;             /* the project was looked for */
	char *root;              /* its directory, NULL when there is none */
	const TomlValue *pyproject, *pylock;
} Completer;

static void
offer(const Completer *c, const char *s, size_t n)
{
	size_t cl = strlen(c->cur);

	if (n < cl || memcmp(s, c->cur, cl) != 0)
		return;
	printf("%.*s%.*s\n", (int)c->prefix_len, c->prefix, (int)n, s);
}

/* Each word of a space-separated list. */
static void
offer_words(const Completer *c, const char *words)
{
	while (*words) {
		size_t n = strcspn(words, " ");

		if (n)
			offer(c, words, n);
		words += n;
		words += strspn(words, " ");
	}
}

/* ---------------------------------------------------------------- the project */

static const TomlValue *
read_toml(Completer *c, const char *name)
{
	Buf text = { 0 };
	TomlValue *root = NULL;
	const char *path = arena_printf(&c->arena, "%s/%s", c->root, name);
	Err err;

	if (fs_read_file(path, &text, &err) != 0 ||
	    toml_parse(arena_strndup(&c->arena, text.data ? text.data : "", text.len), text.len,
		       path, &c->arena, &root, &err) != 0)
		root = NULL;
	buf_free(&text);
	return root;
}

/* The project, as project_find finds it but silently, and its two files. */
static void
find_project(Completer *c)
{
	bool missing;
	char *root;

	if (c->looked)
		return;
	c->looked = true;
	if (!(root = project_root(c->directory ? c->directory : ".", &missing)))
		return;
	c->root = arena_strdup(&c->arena, root);
	free(root);
	c->pyproject = read_toml(c, "pyproject.toml");
	c->pylock = read_toml(c, "pylock.toml");
}

static void
offer_keys(const Completer *c, const TomlValue *t, bool tasks)
{
	size_t i;

	if (!t || t->type != TOML_TABLE)
		return;
	for (i = 0; i < t->u.table.len; i++) {
		const TomlEntry *e = &t->u.table.entries[i];

		if (strlen(e->key) != e->key_len || (tasks && !taskdef_valid_name(e->key, e->key_len)))
			continue;
		offer(c, e->key, e->key_len);
	}
}

static void
offer_names(Completer *c, Names names)
{
	const TomlValue *packages, *name;
	const CliCommand *const *cmd;
	size_t i;

	switch (names) {
	case NAMES_NONE:
		return;
	case NAMES_COMMANDS:
		for (cmd = commands_all; *cmd; cmd++)
			if (!(*cmd)->hidden)
				offer(c, (*cmd)->name, strlen((*cmd)->name));
		return;
	default:
		break;
	}
	find_project(c);
	switch (names) {
	case NAMES_TASKS:
		offer_keys(c, c->pyproject ? toml_get_path(c->pyproject, "tool.bunpy.tasks") : NULL, true);
		break;
	case NAMES_EXTRAS:
		offer_keys(c, c->pyproject ? toml_get_path(c->pyproject, "project.optional-dependencies") :
			   NULL, false);
		break;
	case NAMES_GROUPS:
		offer_keys(c, c->pyproject ? toml_get(c->pyproject, "dependency-groups") : NULL, false);
		break;
	case NAMES_PACKAGES:
		packages = c->pylock ? toml_get(c->pylock, "packages") : NULL;
		if (!packages || packages->type != TOML_ARRAY)
			break;
		for (i = 0; i < packages->u.arr.len; i++)
			if ((name = toml_get(packages->u.arr.items[i], "name")) && name->type == TOML_STRING &&
			    strlen(name->u.str.ptr) == name->u.str.len)
				offer(c, name->u.str.ptr, name->u.str.len);
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------- options */

static const CliOption *
option_long(const CliCommand *cmd, const char *name, size_t len)
{
	const CliOption *o = cmd ? cli_find_long(cmd->options, name, len) : NULL;

	return o ? o : cli_find_long(cli_global_options, name, len);
}

static const CliOption *
option_short(const CliCommand *cmd, char ch)
{
	const CliOption *o = cmd ? cli_find_short(cmd->options, ch) : NULL;

	return o ? o : cli_find_short(cli_global_options, ch);
}

static void
offer_options(const Completer *c, const CliOption *o)
{
	char s[80];

	for (; o && o->name; o++) {
		if (o->short_name) {
			snprintf(s, sizeof(s), "-%c", o->short_name);
			offer(c, s, strlen(s));
		}
		snprintf(s, sizeof(s), "--%s", o->name);
		offer(c, s, strlen(s));
	}
}

/* The argument of option o of cmd (NULL: before any command). */
static void
offer_option_value(Completer *c, const CliCommand *cmd, const CliOption *o)
{
	size_t i;

	for (i = 0; i < sizeof(option_values) / sizeof(option_values[0]); i++) {
		if (strcmp(option_values[i].option, o->name) != 0)
			continue;
		if (option_values[i].command && (!cmd || strcmp(option_values[i].command, cmd->name) != 0))
			continue;
		if (option_values[i].words)
			offer_words(c, option_values[i].words);
		offer_names(c, option_values[i].names);
		return;
	}
}

/* ---------------------------------------------------------------- the line */

/*
 * Where the words before the last one leave the line. Options are followed to know
 * which words are their arguments; -C DIR is kept for finding the project.
 */
typedef struct Line {
	const CliCommand *cmd;   /* NULL while no command was given */
	bool help;               /* `bunpy help ...` */
	bool program;            /* what follows belongs to a program (bunpy -c, run TARGET) */
	bool past_dashdash;
	const CliOption *pending;   /* the last word is this option's argument */
	int noperands;
	bool operands_tasks;     /* every operand so far names a task */
} Line;

static bool
is_task(Completer *c, const char *w)
{
	const TomlValue *tasks;

	find_project(c);
	tasks = c->pyproject ? toml_get_path(c->pyproject, "tool.bunpy.tasks") : NULL;
	return tasks && tasks->type == TOML_TABLE && toml_get(tasks, w) != NULL;
}

/* An option word w (starting with '-', not "--"): sets l->pending when its argument is
 * the next word. */
static void
take_option(Completer *c, Line *l, const char *w)
{
	const CliOption *o = NULL;
	const char *value = NULL;

	if (w[1] == '-') {
		const char *eq = strchr(w + 2, '=');
		size_t len = eq ? (size_t)(eq - w - 2) : strlen(w + 2);

		o = option_long(l->cmd, w + 2, len);
		if (o && o->arg && eq)
			value = eq + 1;
	} else {
		/* a bundle like -kvj4: flags until one that takes an argument */
		for (w++; *w; w++) {
			if (!l->cmd && *w == 'c') {
				l->program = true;   /* bunpy -c CODE ARGS */
				return;
			}
			o = option_short(l->cmd, *w);
			if (!o || o->arg) {
				if (o && w[1])
					value = w + 1;
				break;
			}
		}
	}
	if (!o || !o->arg)
		return;
	if (!value) {
		l->pending = o;
		return;
	}
	if (!strcmp(o->name, "directory"))
		c->directory = value;
	/* bunpy run -m MODULE / -c CODE: the rest is the program's */
	if (l->cmd && !strcmp(l->cmd->name, "run") && (!strcmp(o->arg, "MODULE") || !strcmp(o->arg, "CODE")))
		l->program = true;
}

static void
take_word(Completer *c, Line *l, const char *w)
{
	if (l->pending) {
		const CliOption *o = l->pending;

		l->pending = NULL;
		if (!strcmp(o->name, "directory"))
			c->directory = w;
		if (l->cmd && !strcmp(l->cmd->name, "run") && (!strcmp(o->arg, "MODULE") || !strcmp(o->arg, "CODE")))
			l->program = true;
		return;
	}
	if (!l->past_dashdash && !strcmp(w, "--")) {
		l->past_dashdash = true;
		return;
	}
	if (!l->past_dashdash && w[0] == '-' && w[1]) {
		take_option(c, l, w);
		return;
	}
	if (!l->cmd && !l->help) {
		size_t n = strlen(w);

		if (!strcmp(w, "help"))
			l->help = true;
		else if (!(l->cmd = commands_find(w)) && n > 3 && !strcmp(w + n - 3, ".py"))
			l->program = true;   /* bunpy SCRIPT.py ARGS */
		else if (!l->cmd)
			l->program = true;   /* not a command: nothing sensible follows */
		return;
	}
	if (l->cmd && !strcmp(l->cmd->name, "run") && !is_task(c, w))
		l->program = true;   /* run's options end at its TARGET */
	l->noperands++;
}

static void
complete_last(Completer *c, const Line *l, const char *cur)
{
	size_t i;

	c->cur = cur;
	if (l->program)
		return;
	if (l->pending) {
		offer_option_value(c, l->cmd, l->pending);
		return;
	}
	if (!l->past_dashdash && cur[0] == '-') {
		if (cur[1] == '-' && strchr(cur, '=')) {
			const char *eq = strchr(cur, '=');
			const CliOption *o = option_long(l->cmd, cur + 2, (size_t)(eq - cur - 2));

			if (o && o->arg) {
				c->prefix = cur;
				c->prefix_len = (size_t)(eq + 1 - cur);
				c->cur = eq + 1;
				offer_option_value(c, l->cmd, o);
			}
			return;
		}
		if (l->cmd)
			offer_options(c, l->cmd->options);
		offer_options(c, cli_global_options);
		if (!l->cmd && !l->help)
			offer_options(c, commands_top.options);
		return;
	}
	if (l->help) {
		if (!l->cmd && !l->noperands)
			offer_names(c, NAMES_COMMANDS);
		return;
	}
	if (!l->cmd) {
		offer_names(c, NAMES_COMMANDS);
		offer(c, "help", 4);
		return;
	}
	if (l->cmd->subcommands) {
		if (!l->noperands)
			offer_words(c, l->cmd->subcommands);
		return;
	}
	for (i = 0; i < sizeof(operand_names) / sizeof(operand_names[0]); i++)
		if (!strcmp(operand_names[i].command, l->cmd->name))
			offer_names(c, operand_names[i].names);
}

static int
complete_main(Cli *cli, int argc, char **argv)
{
	Completer c = { .prefix = "" };
	Line l = { 0 };
	char **words;
	int n, i;

	cli_begin(cli, &cmd_complete, argc, argv);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_help(cli);
		return 0;
	}
	/* the words are taken as they are, options or not: "--" only marks where they start */
	words = argv + 1;
	n = argc - 1;
	if (n > 0 && !strcmp(words[0], "--")) {
		words++;
		n--;
	}
	c.directory = cli->directory;
	for (i = 0; i < n - 1; i++)
		take_word(&c, &l, words[i]);
	complete_last(&c, &l, n > 0 ? words[n - 1] : "");
	arena_free(&c.arena);
	return fflush(stdout) == 0 ? 0 : 1;
}

const CliCommand cmd_complete = {
	.name = "complete",
	.usage = "-- [WORD...]",
	.summary = "complete a command line (used by the shell completions)",
	.description = "Print the completions of the last WORD of a bunpy command line (WORD... are\n"
		"the words after 'bunpy', the last one possibly empty), one per line: commands,\n"
		"options, subcommands, tasks, extras, groups and locked packages. Nothing is\n"
		"printed where a file name belongs. Used by the scripts in contrib/completions.",
	.options = complete_options,
	.hidden = true,
	.run = complete_main,
};
