/*
 * commands.h - every command bunpy has, each described by a CliCommand (cli.h) defined
 * in its cmd_*.c file, and the list main() dispatches from (commands.c).
 */
#ifndef BUNPY_COMMANDS_H
#define BUNPY_COMMANDS_H

#include "cli.h"

extern const CliCommand cmd_init, cmd_add, cmd_remove, cmd_run, cmd_lock, cmd_sync,
	cmd_update, cmd_outdated, cmd_tree, cmd_why, cmd_export, cmd_python, cmd_cache,
	cmd_graph, cmd_complete;

/* What `bunpy` takes before a command: its options (-V, -c CODE). */
enum { COMMANDS_OPT_VERSION = 1, COMMANDS_OPT_CODE };
extern const CliCommand commands_top;

/* In the order `bunpy --help` lists them; NULL-terminated. */
extern const CliCommand *const commands_all[];

/* The command of that name, NULL when there is none. */
const CliCommand *commands_find(const char *name);

#endif
