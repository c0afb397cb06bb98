/*
 * cli.h - the command line: global options, commands, their options and help.
 *
 * Every command describes its options in a table; the same table parses them (options
 * and operands may be mixed, "--" ends options) and prints `bunpy COMMAND --help`.
 * The options every command takes (-C, -q, -v, --color) are added to each table.
 */
#ifndef BUNPY_CLI_H
#define BUNPY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "term.h"

typedef struct CliOption {
	const char *name;        /* long name, without "--" */
	char short_name;         /* 0 when none */
	const char *arg;         /* name of its argument, NULL for a flag */
	const char *help;
	int id;                  /* returned by cli_next */
} CliOption;

/*
 * A command: its name, its help and its option table, in one place, so that parsing,
 * `--help`, `bunpy --help`, shell completion and the documentation's check all read the
 * same description. Each cmd_*.c defines one (or two) and commands.c lists them.
 */
typedef struct Cli Cli;
typedef struct CliCommand {
	const char *name;
	const char *usage;       /* "[OPTIONS] [TASK...]" */
	const char *summary;     /* one line for `bunpy --help` */
	const char *description; /* the paragraph `bunpy COMMAND --help` starts with */
	const CliOption *options;
	/* words the first operand may be ("dir clean prune"), NULL when free */
	const char *subcommands;
	bool hidden;             /* left out of `bunpy --help` (internal commands) */
	int (*run)(Cli *cli, int argc, char **argv);
} CliCommand;

struct Cli {
	Term term;
	const char *directory;   /* -C DIR */
	const char *cache_dir;   /* --cache-dir DIR */
	const char *color;
	/* the command being parsed */
	const char *command;
	const CliCommand *spec;
	const CliOption *options;
	char **argv;
	int argc, pos;
	char *const *operands;   /* after cli_parse: what was not an option */
	int noperands;
	bool past_dashdash;
	const char *bundle;      /* short flags left in an argument like -kv */
	bool stop_at_operand;    /* parse options up to the first operand only */
};

enum { CLI_DONE = -1, CLI_ERROR = -2, CLI_HELP = -3 };

/* Start parsing a command's arguments (argv[0] is the command's name). */
void cli_begin(Cli *cli, const CliCommand *spec, int argc, char **argv);
/* The options every command takes (-C, -q, -v, --color, --help). */
extern const CliOption cli_global_options[];
/* The next option's id (its argument in *arg), CLI_DONE at the end, CLI_ERROR after
 * printing a usage error, CLI_HELP after printing the help. Global options are handled
 * inside and not returned. Operands are collected for after. */
int cli_next(Cli *cli, const char **arg);
void cli_help(const Cli *cli);
/* A usage error: prints it with a pointer to --help; returns the exit status, 2. */
int cli_usage_error(const Cli *cli, const char *fmt, ...) ERR_PRINTF(2, 3);
/* Index in argv of the first operand, after cli_next returned CLI_DONE with
 * stop_at_operand set (argc when there is none). */
int cli_first_operand(const Cli *cli);
/* Append s to a malloc'd list of strings (repeatable options). */
void cli_list_push(const char ***list, size_t *n, const char *s);
/* The option of a table with that long name (len bytes of name), or short name. */
const CliOption *cli_find_long(const CliOption *opts, const char *name, size_t len);
const CliOption *cli_find_short(const CliOption *opts, char c);
/* One line per option, as `--help` shows them. */
void cli_print_options(FILE *f, const CliOption *o);
/* Parse a positive integer option; -1 when it is not one. */
int cli_positive(const char *s);

#endif
