/* cmd_complete.c - being written */
#include "config.h"

#include "commands.h"

static const CliOption complete_options[] = {
	{ NULL, 0, NULL, NULL, 0 },
};

static int
complete_main(Cli *cli, int argc, char **argv)
{
	const char *arg;
	int id;

	cli_begin(cli, &cmd_complete, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE)
		if (id == CLI_HELP || id == CLI_ERROR)
			return id == CLI_HELP ? 0 : 2;
	return cli_usage_error(cli, "not written yet");
}

const CliCommand cmd_complete = {
	.name = "complete",
	.usage = "[WORD...]",
	.summary = "complete a command line (used by the shell completions)",
	.description = "Complete a command line (used by the shell completions).",
	.options = complete_options,
	.hidden = true,
	.run = complete_main,
};
