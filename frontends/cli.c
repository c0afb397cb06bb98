/*
 * cli.c - option parsing and help text.
 */
#include "config.h"

#include "cli.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/err.h"

enum { OPT_DIRECTORY = 1000, OPT_CACHE_DIR, OPT_QUIET, OPT_VERBOSE, OPT_COLOR, OPT_HELP };

const CliOption cli_global_options[] = {
	{ "directory", 'C', "DIR", "run as if bunpy was started in DIR", OPT_DIRECTORY },
	{ "cache-dir", 0, "DIR", "the shared cache (default $BUNPY_CACHE_DIR, else $XDG_CACHE_HOME/bunpy)", OPT_CACHE_DIR },
	{ "quiet", 'q', NULL, "print only errors", OPT_QUIET },
	{ "verbose", 'v', NULL, "say more about what happens (repeat for more)", OPT_VERBOSE },
	{ "color", 0, "WHEN", "colour output: auto, always or never", OPT_COLOR },
	{ "help", 'h', NULL, "show this help", OPT_HELP },
	{ NULL, 0, NULL, NULL, 0 },
};

void
cli_begin(Cli *cli, const CliCommand *spec, int argc, char **argv)
{
	static char *const none[] = { NULL };

	cli->command = spec->name;
	cli->spec = spec;
	cli->options = spec->options;
	cli->argc = argc;
	cli->argv = argv;
	cli->pos = 1;
	cli->operands = none;
	cli->noperands = 0;
	cli->past_dashdash = false;
	cli->bundle = NULL;
}

int
cli_usage_error(const Cli *cli, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	term_error(&cli->term, "%s (see 'bunpy %s%s--help')", msg, cli->command,
		   cli->command[0] ? " " : "");
	return 2;
}

const CliOption *
cli_find_long(const CliOption *opts, const char *name, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && !strncmp(opts->name, name, len))
			return opts;
	return NULL;
}

const CliOption *
cli_find_short(const CliOption *opts, char c)
{
	for (; opts && opts->name; opts++)
		if (opts->short_name == c)
			return opts;
	return NULL;
}

static void
add_operand(Cli *cli, char *s)
{
	/* operands are gathered at the front of argv, in order, past what was parsed */
	cli->argv[cli->noperands + 1] = s;
	cli->noperands++;
	cli->operands = cli->argv + 1;
}

/* Handle a global option; returns 0, or an exit status. */
static int
global(Cli *cli, int id, const char *arg)
{
	switch (id) {
	case OPT_DIRECTORY:
		cli->directory = arg;
		return 0;
	case OPT_CACHE_DIR:
		cli->cache_dir = arg;
		return 0;
	case OPT_QUIET:
		cli->term.verbosity = -1;
		return 0;
	case OPT_VERBOSE:
		if (cli->term.verbosity < 0)
			cli->term.verbosity = 0;
		cli->term.verbosity++;
		return 0;
	case OPT_COLOR:
		cli->color = arg;
		if (term_init(&cli->term, arg) != 0)
			return cli_usage_error(cli, "--color takes auto, always or never, not '%s'", arg);
		return 0;
	case OPT_HELP:
		cli_help(cli);
		return CLI_HELP;
	}
	return 0;
}

/* A short option at *p (within an argument); sets *arg and the bundle left over. */
static const CliOption *
short_option(Cli *cli, const char *p, const char **arg, int *err)
{
	const CliOption *o = cli_find_short(cli->options, *p);

	*err = 0;
	if (!o)
		o = cli_find_short(cli_global_options, *p);
	if (!o) {
		*err = cli_usage_error(cli, "unknown option '-%c'", *p);
		return NULL;
	}
	cli->bundle = NULL;
	if (o->arg) {
		if (p[1])
			*arg = p + 1;
		else if (cli->pos < cli->argc)
			*arg = cli->argv[cli->pos++];
		else
			*err = cli_usage_error(cli, "-%c needs %s", *p, o->arg);
	} else if (p[1]) {
		cli->bundle = p + 1;
	}
	return *err ? NULL : o;
}

int
cli_next(Cli *cli, const char **arg)
{
	for (;;) {
		const CliOption *o;
		int rc;

		*arg = NULL;
		if (cli->bundle) {
			o = short_option(cli, cli->bundle, arg, &rc);
			if (!o)
				return CLI_ERROR;
		} else {
			char *a;

			if (cli->pos >= cli->argc)
				return CLI_DONE;
			a = cli->argv[cli->pos++];
			if (cli->past_dashdash || a[0] != '-' || a[1] == '\0') {
				if (cli->stop_at_operand) {
					cli->pos--;
					return CLI_DONE;
				}
				add_operand(cli, a);
				continue;
			}
			if (!strcmp(a, "--")) {
				cli->past_dashdash = true;
				continue;
			}
			if (a[1] != '-') {
				o = short_option(cli, a + 1, arg, &rc);
				if (!o)
					return CLI_ERROR;
			} else {
				char *eq = strchr(a + 2, '=');
				size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

				o = cli_find_long(cli->options, a + 2, len);
				if (!o)
					o = cli_find_long(cli_global_options, a + 2, len);
				if (!o)
					return cli_usage_error(cli, "unknown option '%.*s'", (int)len + 2, a), CLI_ERROR;
				if (o->arg) {
					if (eq)
						*arg = eq + 1;
					else if (cli->pos < cli->argc)
						*arg = cli->argv[cli->pos++];
					else
						return cli_usage_error(cli, "--%s needs %s", o->name, o->arg), CLI_ERROR;
				} else if (eq) {
					return cli_usage_error(cli, "--%s takes no value", o->name), CLI_ERROR;
				}
			}
		}
		if (o->id >= OPT_DIRECTORY) {
			rc = global(cli, o->id, *arg);
			if (rc == CLI_HELP)
				return CLI_HELP;
			if (rc != 0)
				return CLI_ERROR;
			continue;
		}
		return o->id;
	}
}

void
cli_print_options(FILE *f, const CliOption *o)
{
	for (; o && o->name; o++) {
		char left[64];

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		fprintf(f, "  %-26s %s\n", left, o->help);
	}
}

void
cli_help(const Cli *cli)
{
	if (!cli->command[0])
		return;   /* before a command: main() prints the general usage */
	printf("%s\n\nUsage: bunpy %s %s\n", cli->spec->description, cli->command, cli->spec->usage);
	if (cli->options && cli->options->name) {
		printf("\nOptions:\n");
		cli_print_options(stdout, cli->options);
	}
	printf("\nGlobal options:\n");
	cli_print_options(stdout, cli_global_options);
}

int
cli_first_operand(const Cli *cli)
{
	return cli->pos;
}

int
cli_positive(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > INT_MAX)
		return -1;
	return (int)v;
}

void
cli_list_push(const char ***list, size_t *n, const char *s)
{
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = s;
}
