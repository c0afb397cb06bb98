/* cmd_update.c - being written */
#include "config.h"

#include "commands.h"

static const CliOption update_options[] = {
	{ NULL, 0, NULL, NULL, 0 },
};

static int
update_main(Cli *cli, int argc, char **argv)
{
	const char *arg;
	int id;

	cli_begin(cli, &cmd_update, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE)
		if (id == CLI_HELP || id == CLI_ERROR)
			return id == CLI_HELP ? 0 : 2;
	return cli_usage_error(cli, "not written yet");
}

const CliCommand cmd_update = {
	.name = "update",
	.usage = "[OPTIONS] [NAME...]",
	.summary = "lock again with newer versions, then sync",
	.description = "Lock again with newer versions, then sync.",
	.options = update_options,
	.run = update_main,
};

static const CliOption outdated_options[] = {
	{ NULL, 0, NULL, NULL, 0 },
};

static int
outdated_main(Cli *cli, int argc, char **argv)
{
	const char *arg;
	int id;

	cli_begin(cli, &cmd_outdated, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE)
		if (id == CLI_HELP || id == CLI_ERROR)
			return id == CLI_HELP ? 0 : 2;
	return cli_usage_error(cli, "not written yet");
}

const CliCommand cmd_outdated = {
	.name = "outdated",
	.usage = "[OPTIONS]",
	.summary = "list locked packages that have newer versions",
	.description = "List locked packages that have newer versions.",
	.options = outdated_options,
	.run = outdated_main,
};
