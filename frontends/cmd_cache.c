/* cmd_cache.c - being written */
#include "config.h"

#include "commands.h"

static const CliOption cache_options[] = {
	{ NULL, 0, NULL, NULL, 0 },
};

static int
cache_main(Cli *cli, int argc, char **argv)
{
	const char *arg;
	int id;

	cli_begin(cli, &cmd_cache, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE)
		if (id == CLI_HELP || id == CLI_ERROR)
			return id == CLI_HELP ? 0 : 2;
	return cli_usage_error(cli, "not written yet");
}

const CliCommand cmd_cache = {
	.name = "cache",
	.usage = "dir|clean|prune [OPTIONS]",
	.summary = "show, clean or prune the shared cache",
	.description = "Show, clean or prune the shared cache.",
	.options = cache_options,
	.run = cache_main,
};
