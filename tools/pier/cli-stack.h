/*
 * The client's side of the stacks (`pier stack`, `pier services`, stack
 * templates in `pier deploy`): gathering a stack's files on the laptop
 * (stack-files.c), running a compose call on a node with its output live
 * and the two-step Ctrl-C (stack-run.c), and a stack's logs merged by the
 * node from its containers' (stack-logs.c, over logs.select).
 */
#ifndef PIER_CLI_STACK_H
#define PIER_CLI_STACK_H

#include <jansson.h>

#include "cli.h"

/* Most files one stack sends, and their bytes together (before base64). */
#define CLI_STACK_FILES_MAX	256
#define CLI_STACK_BYTES_MAX	(640 * 1024)
/* Bytes of one file: the node's limit (NODE_STACK_FILE_MAX). */
#define CLI_STACK_FILE_MAX	(512 * 1024)
/* Ctrl-C twice within this many ms stops compose; once detaches. */
#define CLI_STACK_GRACE_MS	2000

/* What `pier stack up` names on the laptop. */
struct cli_stack_src {
	const char *const	*compose;	/* -f, in order; at least one */
	size_t			 ncompose;
	const char		*env_file;	/* --env-file, or NULL */
	const char *const	*include;	/* --include: files, folders */
	size_t			 ninclude;
};

/*
 * Reads the files of a stack: the -f files, the .env beside the first,
 * the env_file: entries the compose files name, --env-file and
 * --include, all inside the first file's folder; sets params' files,
 * compose_files and env_file, and *name (malloc'd) to the folder's name
 * as compose would take it. 0, or -errno with *cause.
 */
int	cli_stack_gather(const struct cli_stack_src *src, json_t *params,
	    char **name, char **cause) WARN_UNUSED_RESULT;
/* Adds one file to params.files as path (base64); 0 or -ENOMEM. */
int	cli_stack_put(json_t *params, const char *path, const void *buf,
	    size_t len) WARN_UNUSED_RESULT;
/* Tells whether s is a compose project name the node takes. */
int	cli_stack_name_ok(const char *s);
/* A name as compose makes a project name of it (a new string). */
char	*cli_stack_name_from(const char *s);
/*
 * Reads NODE/NAME (NAME a stack name; NODE/ optional with one node
 * joined) into *tg: -1 to go on, else an exit code (error printed).
 */
int	cli_stack_target(const struct cli_cmd *self, const char *arg,
	    struct cli_target *tg);
/* `pier stack ls` and `pier stack ps` (cmd-stack-list.c). */
extern const struct cli_cmd cli_cmd_stack_ls;
extern const struct cli_cmd cli_cmd_stack_ps;
/*
 * Runs a stack method (stack.up, ...; params stolen) on node with
 * compose's output live: its exit code, 0 after a detach (Ctrl-C once),
 * 130 after a stop (Ctrl-C twice), CLI_EXIT_FAIL with a message.
 */
int	cli_stack_stream(const struct cli_cmd *self, const char *node,
	    const char *method, json_t *params);
/*
 * Prints the logs of stack name on node merged by time (logs.select on
 * the stack's label), each line after its container; follow keeps going
 * until Ctrl-C; tail < 0: all. An exit code.
 */
int	cli_stack_logs(const struct cli_cmd *self, const char *node,
	    const char *name, int follow, long long tail);

#endif
