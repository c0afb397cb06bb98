/*
 * main.c - bunpy's entry point: global options, then one command.
 *
 * Errors are printed once, here or by the command that detected them, and the exit
 * status says what happened: 0 success, 1 failure, 2 bad usage or configuration,
 * 130 interrupted, or the exit status of a task that failed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static void
usage(FILE *f)
{
	const CliCommand *const *c;

	fprintf(f, "bunpy %s - a fast, all-in-one toolchain for Python projects\n\n"
		"Usage: bunpy [GLOBAL OPTIONS] COMMAND [ARGS...]\n"
		"       bunpy [GLOBAL OPTIONS] SCRIPT.py [ARGS...]   (bunpy run SCRIPT.py)\n"
		"       bunpy [GLOBAL OPTIONS] -c CODE [ARGS...]     (bunpy run -c CODE)\n\nCommands:\n",
		PACKAGE_VERSION);
	for (c = commands_all; *c; c++)
		if (!(*c)->hidden)
			fprintf(f, "  %-9s %s\n", (*c)->name, (*c)->summary);
	fprintf(f, "  %-9s %s\n", "help", "show help for a command");
	fprintf(f, "\nGlobal options (before or after the command):\n");
	cli_print_options(f, cli_global_options);
	cli_print_options(f, commands_top.options);
	fprintf(f, "\nExit status: 0 success, 1 failure, 2 bad usage or configuration, 130 interrupted;\n"
		"a task's or a program's own status. Settings: flags, then BUNPY_* variables, then\n"
		"[tool.bunpy] in pyproject.toml (see bunpy(1)).\n"
		"Run 'bunpy COMMAND --help' for a command's options.\n");
}

/* `bunpy run FIRST [SECOND] REST...`: the shortcuts for scripts and -c. */
static int
run_shortcut(Cli *cli, const char *first, const char *second, int nrest, char **rest)
{
	char **args = xcalloc((size_t)nrest + 4, sizeof(*args));
	int n = 0, rc;

	args[n++] = "run";
	args[n++] = (char *)first;
	if (second)
		args[n++] = (char *)second;
	memcpy(args + n, rest, (size_t)nrest * sizeof(*args));
	rc = cmd_run.run(cli, n + nrest, args);
	free(args);
	return rc;
}

int
main(int argc, char **argv)
{
	Cli cli = { 0 };
	const CliCommand *c;
	const char *arg;
	int i, id;

	term_init(&cli.term, "auto");
	/* Global options before the command; the command's parser takes them too. */
	cli_begin(&cli, &commands_top, argc, argv);
	cli.stop_at_operand = true;
	while ((id = cli_next(&cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP:
			usage(stdout);
			return 0;
		case CLI_ERROR:
			return 2;
		case COMMANDS_OPT_VERSION:
			printf("bunpy %s\n", PACKAGE_VERSION);
			return 0;
		case COMMANDS_OPT_CODE:
			/* `bunpy -c CODE ARGS...` is `bunpy run -c CODE ARGS...` */
			return run_shortcut(&cli, "-c", arg, argc - cli_first_operand(&cli),
					    argv + cli_first_operand(&cli));
		}
	}
	i = cli_first_operand(&cli);
	cli.stop_at_operand = false;
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "help")) {
		char *help_argv[] = { argv[i + 1], "--help", NULL };

		if (i + 1 >= argc) {
			usage(stdout);
			return 0;
		}
		c = commands_find(argv[i + 1]);
		if (!c) {
			term_error(&cli.term, "no command '%s' (see 'bunpy --help')", argv[i + 1]);
			return 2;
		}
		return c->run(&cli, 2, help_argv);
	}
	c = commands_find(argv[i]);
	if (!c && strlen(argv[i]) > 3 && !strcmp(argv[i] + strlen(argv[i]) - 3, ".py"))
		return run_shortcut(&cli, argv[i], NULL, argc - i - 1, argv + i + 1);
	if (!c) {
		term_error(&cli.term, "no command '%s' (see 'bunpy --help')", argv[i]);
		return 2;
	}
	return c->run(&cli, argc - i, argv + i);
}
