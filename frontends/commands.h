/*
 * commands.h - the commands main() dispatches to. Each returns the exit status.
 */
#ifndef BUNPY_COMMANDS_H
#define BUNPY_COMMANDS_H

#include "cli.h"

int cmd_run(Cli *cli, int argc, char **argv);
int cmd_graph(Cli *cli, int argc, char **argv);
int cmd_lock(Cli *cli, int argc, char **argv);
int cmd_export(Cli *cli, int argc, char **argv);
int cmd_sync(Cli *cli, int argc, char **argv);

#endif
