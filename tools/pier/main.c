/*
 * pier: the client. The table below is the whole command set; usage and
 * `pier help` are generated from it, and a command is found by its name
 * or an unambiguous prefix (as tmux does). Each family of commands lives
 * in its own cmd-*.c file and exports one struct cli_cmd per command, so
 * a new command is a new entry here and nothing else.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "pier-config.h"
#include "cli.h"

extern const struct cli_cmd cli_cmd_attach;
extern const struct cli_cmd cli_cmd_audit;
extern const struct cli_cmd cli_cmd_config;
extern const struct cli_cmd cli_cmd_deploy;
extern const struct cli_cmd cli_cmd_docker;
extern const struct cli_cmd cli_cmd_dup;
extern const struct cli_cmd cli_cmd_events;
extern const struct cli_cmd cli_cmd_exec;
extern const struct cli_cmd cli_cmd_help;
extern const struct cli_cmd cli_cmd_image;
extern const struct cli_cmd cli_cmd_images;
extern const struct cli_cmd cli_cmd_info;
extern const struct cli_cmd cli_cmd_inspect;
extern const struct cli_cmd cli_cmd_join;
extern const struct cli_cmd cli_cmd_key;
extern const struct cli_cmd cli_cmd_kill;
extern const struct cli_cmd cli_cmd_kill_session;
extern const struct cli_cmd cli_cmd_logs;
extern const struct cli_cmd cli_cmd_network;
extern const struct cli_cmd cli_cmd_networks;
extern const struct cli_cmd cli_cmd_nodes;
extern const struct cli_cmd cli_cmd_pause;
extern const struct cli_cmd cli_cmd_ping;
extern const struct cli_cmd cli_cmd_ps;
extern const struct cli_cmd cli_cmd_pull;
extern const struct cli_cmd cli_cmd_rename;
extern const struct cli_cmd cli_cmd_restart;
extern const struct cli_cmd cli_cmd_rm;
extern const struct cli_cmd cli_cmd_rmi;
extern const struct cli_cmd cli_cmd_run;
extern const struct cli_cmd cli_cmd_sessions;
extern const struct cli_cmd cli_cmd_shell;
extern const struct cli_cmd cli_cmd_start;
extern const struct cli_cmd cli_cmd_stats;
extern const struct cli_cmd cli_cmd_stop;
extern const struct cli_cmd cli_cmd_templates;
extern const struct cli_cmd cli_cmd_top;
extern const struct cli_cmd cli_cmd_unpause;
extern const struct cli_cmd cli_cmd_update;
extern const struct cli_cmd cli_cmd_version;
extern const struct cli_cmd cli_cmd_volume;
extern const struct cli_cmd cli_cmd_volumes;

/* Every command, sorted by name. */
static const struct cli_cmd *const cli_cmds[] = {
	&cli_cmd_attach,
	&cli_cmd_audit,
	&cli_cmd_config,
	&cli_cmd_deploy,
	&cli_cmd_docker,
	&cli_cmd_dup,
	&cli_cmd_events,
	&cli_cmd_exec,
	&cli_cmd_help,
	&cli_cmd_image,
	&cli_cmd_images,
	&cli_cmd_info,
	&cli_cmd_inspect,
	&cli_cmd_join,
	&cli_cmd_key,
	&cli_cmd_kill,
	&cli_cmd_kill_session,
	&cli_cmd_logs,
	&cli_cmd_network,
	&cli_cmd_networks,
	&cli_cmd_nodes,
	&cli_cmd_pause,
	&cli_cmd_ping,
	&cli_cmd_ps,
	&cli_cmd_pull,
	&cli_cmd_rename,
	&cli_cmd_restart,
	&cli_cmd_rm,
	&cli_cmd_rmi,
	&cli_cmd_run,
	&cli_cmd_sessions,
	&cli_cmd_shell,
	&cli_cmd_start,
	&cli_cmd_stats,
	&cli_cmd_stop,
	&cli_cmd_templates,
	&cli_cmd_top,
	&cli_cmd_unpause,
	&cli_cmd_update,
	&cli_cmd_version,
	&cli_cmd_volume,
	&cli_cmd_volumes,
};
#define NCMDS	(sizeof(cli_cmds) / sizeof(cli_cmds[0]))

static int	cmd_help_main(const struct cli_cmd *, int, char **);
static int	cmd_version_main(const struct cli_cmd *, int, char **);
static void	print_usage(FILE *fp);

const struct cli_cmd cli_cmd_help = {
	.name = "help",
	.main = cmd_help_main,
	.usage = "[COMMAND]",
	.summary = "show the commands, or one command's options",
	.help = "",
};

const struct cli_cmd cli_cmd_version = {
	.name = "version",
	.main = cmd_version_main,
	.usage = "",
	.summary = "print the client's version",
	.help = "",
};

/* Prints "usage: pier NAME USAGE" to stderr; returns CLI_EXIT_USAGE. */
int
cli_usage(const struct cli_cmd *cmd)
{
	fprintf(stderr, "usage: pier %s%s%s\n", cmd->name,
	    cmd->usage[0] != '\0' ? " " : "", cmd->usage);
	fprintf(stderr, "Run 'pier %s --help' for the options.\n", cmd->name);
	return (CLI_EXIT_USAGE);
}

/* Prints the command's full help on stdout; returns CLI_EXIT_OK. */
int
cli_help(const struct cli_cmd *cmd)
{
	printf("usage: pier %s%s%s\n\n%s.\n", cmd->name,
	    cmd->usage[0] != '\0' ? " " : "", cmd->usage, cmd->summary);
	if (cmd->help[0] != '\0')
		printf("\n%s", cmd->help);
	return (CLI_EXIT_OK);
}

/* Writes all of buf to fd, waiting while it would block. */
void
cli_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	struct pollfd	 pfd;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, -1);
			continue;
		}
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* Prints "pier NAME: " and the message, one line on stderr. */
static void __attribute__((format(printf, 2, 0)))
complain(const struct cli_cmd *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "pier %s: ", cmd->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Prints "pier NAME: message" to stderr; returns CLI_EXIT_FAIL. */
int
cli_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	complain(cmd, fmt, ap);
	va_end(ap);
	return (CLI_EXIT_FAIL);
}

/* Prints "pier NAME: message" to stderr; returns CLI_EXIT_USAGE. */
int
cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	complain(cmd, fmt, ap);
	va_end(ap);
	return (CLI_EXIT_USAGE);
}

/*
 * Prints "pier NAME: WHAT: CAUSE" (no WHAT when NULL), with dflt for a
 * failure that gave no cause; returns CLI_EXIT_FAIL.
 */
int
cli_fail(const struct cli_cmd *cmd, const char *what, const char *cause,
    const char *dflt)
{
	if (cause == NULL)
		cause = dflt;
	if (what != NULL)
		return (cli_error(cmd, "%s: %s", what, cause));
	return (cli_error(cmd, "%s", cause));
}

/* Prints the command list generated from the table. */
static void
print_usage(FILE *fp)
{
	size_t	i;

	fprintf(fp, "usage: pier COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "  %-10s %s\n", cli_cmds[i]->name,
		    cli_cmds[i]->summary);
	fprintf(fp, "\nRun 'pier COMMAND --help' for a command's options.\n"
	    "The address book lives in $PIER_CONFIG_DIR, else "
	    "$XDG_CONFIG_HOME/pier, else ~/.config/pier.\n");
}

/* Finds a command by name or unambiguous prefix; reports failures. */
static const struct cli_cmd *
cmd_find(const char *name)
{
	const struct cli_cmd	*found = NULL;
	size_t			 i, len = strlen(name), matches = 0;

	for (i = 0; i < NCMDS; i++) {
		if (strcmp(cli_cmds[i]->name, name) == 0)
			return (cli_cmds[i]);
		if (len > 0 && strncmp(cli_cmds[i]->name, name, len) == 0) {
			found = cli_cmds[i];
			matches++;
		}
	}
	if (matches == 1)
		return (found);
	if (matches == 0) {
		fprintf(stderr, "pier: unknown command: %s\n", name);
		return (NULL);
	}
	fprintf(stderr, "pier: ambiguous command: %s, could be:", name);
	for (i = 0; i < NCMDS; i++) {
		if (strncmp(cli_cmds[i]->name, name, len) == 0)
			fprintf(stderr, " %s", cli_cmds[i]->name);
	}
	fputc('\n', stderr);
	return (NULL);
}

/* `pier help [COMMAND]`. */
static int
cmd_help_main(const struct cli_cmd *self, int argc, char **argv)
{
	const struct cli_cmd	*cmd;

	if (argc > 2)
		return (cli_usage(self));
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return (cli_help(self));
	if (argc == 2) {
		cmd = cmd_find(argv[1]);
		if (cmd == NULL)
			return (CLI_EXIT_USAGE);
		return (cli_help(cmd));
	}
	print_usage(stdout);
	return (CLI_EXIT_OK);
}

/* `pier version`. */
static int
cmd_version_main(const struct cli_cmd *self, int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return (cli_help(self));
	if (argc != 1)
		return (cli_usage(self));
	printf("pier %s\n", PIER_VERSION);
	return (CLI_EXIT_OK);
}

/* Finds the command named by argv[1] and runs it. */
int
main(int argc, char **argv)
{
	static char		 prog[CLI_NAME_MAX + 8];
	const struct cli_cmd	*cmd;
	int			 rc;

	/* A node that goes away mid-write is an error to report, not death. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		print_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_usage(stdout);
		return (CLI_EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0)
		return (cmd_version_main(&cli_cmd_version, 1, argv));
	if (sodium_init() < 0) {
		fprintf(stderr, "pier: libsodium failed to initialise\n");
		return (CLI_EXIT_FAIL);
	}
	cmd = cmd_find(argv[1]);
	if (cmd == NULL)
		return (CLI_EXIT_USAGE);
	/* getopt's own complaints then begin "pier NAME:" as ours do. */
	snprintf(prog, sizeof(prog), "pier %s", cmd->name);
	argv[1] = prog;
	rc = cmd->main(cmd, argc - 1, argv + 1);
	if (cli_out_lost())
		cli_out_die();	/* stdout's reader left: as docker's CLI */
	return (rc);
}
