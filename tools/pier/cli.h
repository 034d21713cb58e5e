/*
 * tools/pier/: the `pier` client. cmds.c holds the table of commands
 * (one entry per command, declaring its method, options and arguments;
 * args.c reads a command line and writes --help from it); each command
 * family lives in its own cmd-*.c file exporting its entries; config.c
 * keeps the config directory, the client identity and the address book
 * of joined nodes; conn.c dials a node and runs a connection to the end.
 * The client links overlay/ and proto/, never node/ or docker/ (only
 * docker/libcurl/, the libcurl loader, for https.c).
 */
#ifndef PIER_CLI_H
#define PIER_CLI_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

#include <uv.h>

#include <jansson.h>

#include "overlay.h"
#include "format.h"

#ifndef WARN_UNUSED_RESULT
#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#endif

#ifndef container_of
/* The struct of type holding the member that ptr points at. */
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#define CLI_IDENTITY_FILE	"client.key"	/* in the config dir */
#define CLI_EXIT_OK		0	/* success */
#define CLI_EXIT_FAIL		1	/* the command failed */
#define CLI_EXIT_USAGE		2	/* bad arguments */
#define CLI_PORT		7437	/* default node port */
#define CLI_TIMEOUT_MS		3000	/* dial + handshake budget */
#define CLI_NAME_MAX		64	/* longest node name */

/* What an option's argument must be; cli_args_parse checks it. */
enum cli_kind {
	CLI_K_FLAG = 0,		/* no argument; sets its param true */
	CLI_K_INT,		/* an integer in the param's bounds */
	CLI_K_STRING,		/* a string in the param's bounds */
	CLI_K_TEXT,		/* a string the node checks */
	CLI_K_CPUS,		/* CPUs, fractions allowed (cli_parse_cpus) */
	CLI_K_SIZE,		/* a size: 512m, 1g (cli_parse_size) */
	CLI_K_RESTART,		/* a restart choice, on-failure[:N] */
	CLI_K_MAP,		/* K[=V], repeatable, into an object param */
	CLI_K_MAP_EQ,		/* K=V, repeatable, into an object param */
	CLI_K_ARG,		/* any argument: the command reads it */
	CLI_K_LIST,		/* a string, repeatable, into an array param */
	CLI_K_DURATION,		/* a Go duration (30s, 1m30s) as milliseconds */
};

#define CLI_OPTS_MAX		64	/* options of one command */
#define CLI_SEQ_MAX		256	/* options on one command line */

/*
 * One option of a command, as tmux's cmd_entry.args and pierd's key_cmds
 * declare them. An option with a param sets that parameter of the
 * command's method, its bounds and choices taken from proto's catalogue;
 * one without is left for the command in cli_args.val.
 */
struct cli_opt {
	const char	*name;		/* long name: "time" */
	int		 letter;	/* short letter, or 0 */
	const char	*arg;		/* argument in help ("SECS"), or NULL */
	const char	*help;		/* one line */
	enum cli_kind	 kind;
	const char	*param;		/* the method's param it sets, NULL */
	const char	*unit;		/* for errors: "seconds" */
};

/* The help line of a NODE/CONTAINER argument. */
#define CLI_HELP_TARGET							\
	"  NODE/CONTAINER  a container: name, id or unique id prefix; the\n" \
	"                  NODE/ part may be left out when one node is joined\n"

/* cli_cmd.flags */
#define CLI_F_ORDER	0x1	/* options end at the first argument
				   after args_before ones (run NODE ...) */
#define CLI_F_HIDDEN	0x2	/* left out of `pier help` and the
				   completion scripts (their helper) */

/*
 * One command: its name, entry point, argument synopsis and summary; for
 * a declared command also its method, options and argument bounds, from
 * which cli_args_parse reads argv and cli_help writes the options.
 */
struct cli_cmd;

/* One subcommand of a family (`pier volume create`): its words and entry. */
struct cli_sub {
	const char		*name;
	const char		*alias;		/* another word for it, NULL */
	const struct cli_cmd	*cmd;
};

struct cli_cmd {
	const char		*name;
	int			(*main)(const struct cli_cmd *, int, char **);
	const char		*usage;		/* after "pier NAME " */
	const char		*summary;	/* one line for `pier help` */
	const char		*help;		/* before the options, --help */
	const char		*method;	/* the method it calls, NULL */
	int			 role;		/* enum proto_role it needs */
	const struct cli_opt	*opts;		/* NULL-name ended, or NULL */
	int			 args_min;	/* positional arguments */
	int			 args_max;	/* -1: no limit */
	unsigned		 flags;		/* CLI_F_* */
	int			 args_before;	/* CLI_F_ORDER: args before */
	const char		*notes;		/* after the options, --help */
	const struct cli_sub	*subs;		/* a family's, NULL-name ended */
};

/* What cli_args_parse read from a command line. */
struct cli_args {
	json_t		*params;	/* owned: the options' params */
	const char	*val[CLI_OPTS_MAX]; /* per option, NULL: absent */
	int		 argc;		/* positional arguments */
	char		**argv;
	struct {
		size_t		 opt;	/* index in cmd->opts */
		const char	*arg;	/* "" for a flag */
	}		 seq[CLI_SEQ_MAX]; /* every option, in order */
	size_t		 nseq;
};

/* cmds.c */

/* Every command, sorted by name, and their number. */
extern const struct cli_cmd *const cli_cmds[];
extern const size_t cli_ncmds;
/* Finds a command by name or unambiguous prefix; reports failures. */
const struct cli_cmd *cli_cmd_find(const char *name);
/* Prints the command list generated from the table. */
void	cli_print_usage(FILE *fp);
/* Writes the man page of pier, from the table, to fp. */
void	cli_man_print(FILE *fp);
/* `pier version`, which main() runs for --version too. */
extern const struct cli_cmd cli_cmd_version;

/* args.c */

/*
 * Reads argv (argv[0] the command) against cmd's declaration: options
 * into a->params (checked by kind and by the catalogue's bounds) or
 * a->val, the positional arguments left in a->argc/argv and counted
 * against the bounds. Returns -1 to go on, else an exit code: --help
 * printed (CLI_EXIT_OK) or a usage error reported (CLI_EXIT_USAGE).
 * Call cli_args_free afterwards either way.
 */
int	cli_args_parse(const struct cli_cmd *cmd, int argc, char **argv,
	    struct cli_args *a);
/* Frees what cli_args_parse left in a. */
void	cli_args_free(struct cli_args *a);
/* The last argument of the option called name ("" for a flag), or NULL. */
const char *cli_args_get(const struct cli_cmd *cmd, const struct cli_args *a,
	    const char *name);
/*
 * A repeated option's arguments in order: the next of the option called
 * name from *pos on (start at 0), *pos moved past it; NULL at the end.
 */
const char *cli_args_next(const struct cli_cmd *cmd,
	    const struct cli_args *a, const char *name, size_t *pos);
/*
 * The options shell and exec share: -u, -w, -e and --escape (see
 * cli_args_term), with their own words for -u and --escape.
 */
#define CLI_OPTS_TERM(user_help, escape_help)				\
	{ .name = "user", .letter = 'u', .arg = "U", .kind = CLI_K_TEXT, \
	  .param = "user", .help = (user_help) },			\
	{ .name = "workdir", .letter = 'w', .arg = "DIR",		\
	  .kind = CLI_K_TEXT, .param = "workdir",			\
	  .help = "working directory" },				\
	{ .name = "env", .letter = 'e', .arg = "K=V", .kind = CLI_K_ARG, \
	  .help = "set an environment variable (repeatable)" },		\
	{ .name = "escape", .arg = "CHAR", .kind = CLI_K_ARG,		\
	  .help = (escape_help) }

/*
 * Reads a terminal command's line (cli_args_parse) and its shared
 * options: every --env K=V (declared "env") into the params, --escape
 * CHAR ("escape") into *esc with *esc_set 1. -1 to go on with *params
 * (owned), else an exit code (the error printed, *params NULL).
 */
int	cli_args_term(const struct cli_cmd *cmd, int argc, char **argv,
	    struct cli_args *a, json_t **params, int *esc_set, int *esc);
/*
 * Sets params.restart from a policy, "on-failure:N" as on-failure and
 * restart_retries N, checked against method's catalogue entry; 0 or
 * -EINVAL with *cause (caller frees).
 */
int	cli_restart_put(json_t *params, const char *method, const char *s,
	    char **cause) WARN_UNUSED_RESULT;

/* report.c */

/* Prints "usage: pier NAME USAGE" to stderr; returns CLI_EXIT_USAGE. */
int	cli_usage(const struct cli_cmd *cmd);
/* Prints the command's full help on stdout; returns CLI_EXIT_OK. */
int	cli_help(const struct cli_cmd *cmd);
/* A family's main: runs the subcommand argv[1] names (cmd->subs). */
int	cli_family_main(const struct cli_cmd *cmd, int argc, char **argv);
/* Writes all of buf to fd, waiting while it would block (a pipe). */
void	cli_write_all(int fd, const void *buf, size_t len);
/* Writes every piece of iov (changed as it goes) to fd, blocking. */
void	cli_writev_all(int fd, struct iovec *iov, int n);
/* Prints "pier NAME: message" to stderr; returns CLI_EXIT_FAIL. */
int	cli_error(const struct cli_cmd *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Prints "pier NAME: WHAT: CAUSE" (WHAT may be NULL), or dflt for a
 * NULL cause (a failure that said nothing); returns CLI_EXIT_FAIL.
 */
int	cli_fail(const struct cli_cmd *cmd, const char *what,
	    const char *cause, const char *dflt);
/* Prints "pier NAME: message" for a bad argument; returns CLI_EXIT_USAGE. */
int	cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* config.c */

/* One joined node in the address book. */
struct cli_node {
	char		*name;	/* local name: A-Z a-z 0-9 . _ - */
	char		*key;	/* join key text, with secret */
	char		*addr;	/* the address that last answered */
	char		*fingerprint; /* of the node's public key */
	char		*role;	/* role if known, or NULL */
	int64_t		 joined; /* unix seconds */
};

/* The address book: nodes.json in the config directory. */
struct cli_book {
	char		*path;
	struct cli_node	*nodes;
	size_t		 n;
};

/* Returns the config directory (caller frees) or NULL. */
char	*cli_config_dir(void);
/* Creates the config directory (0700) if missing. */
int	 cli_config_dir_make(const char *dir, char **cause)
	    WARN_UNUSED_RESULT;
/* Loads the client identity from the config dir, creating it once. */
int	 cli_identity_load(const char *dir, struct ovl_identity *id,
	    char **cause) WARN_UNUSED_RESULT;
/* Loads the address book (empty if none yet); never changes the file. */
int	 cli_book_load(struct cli_book *b, const char *dir, char **cause)
	    WARN_UNUSED_RESULT;
/* Writes the address book atomically with mode 0600. */
int	 cli_book_save(const struct cli_book *b, char **cause)
	    WARN_UNUSED_RESULT;
/* Frees what the book holds. */
void	 cli_book_free(struct cli_book *b);
/* Returns the node with this name, or NULL. */
struct cli_node *cli_book_find(struct cli_book *b, const char *name);
/* The named node, or the only one if name is NULL; else NULL, *cause. */
struct cli_node *cli_book_pick(struct cli_book *b, const char *name,
	    char **cause);
/* Adds n (copied) or replaces the node of the same name. */
int	 cli_book_put(struct cli_book *b, const struct cli_node *n)
	    WARN_UNUSED_RESULT;
/* Removes a node by name; -ENOENT if there is none. */
int	 cli_book_remove(struct cli_book *b, const char *name)
	    WARN_UNUSED_RESULT;
/* Tells whether s is a valid node name; 0 if so, else -EINVAL. */
int	 cli_name_check(const char *s) WARN_UNUSED_RESULT;
/* Formats unix seconds as UTC "YYYY-MM-DDTHH:MM:SSZ" into buf. */
void	 cli_time_format(int64_t t, char *buf, size_t len);

/* conn.c */

#define CLI_CLOSE_TEXT_MAX	(OVL_REASON_MAX + 64) /* cli_close_text */

/* The name a client gives the node in its hello: user@host. */
void	 cli_client_name(char *buf, size_t len);
/*
 * How a connection ended, from on_close's status and reason: "node
 * closed the connection: REASON" when the node sent a go-away (returns
 * 1), else "connection lost: WHY" (returns 0).
 */
int	 cli_close_text(int status, const char *reason, char *buf,
	    size_t len);
/*
 * Dials a node at addrs (first handshake wins, CLI_TIMEOUT_MS) and runs
 * the loop until done; *out is the open connection (one reference, no
 * callbacks set). With confirm, also waits (CLI_TIMEOUT_MS) for the node
 * to answer one ping. A node that closed the connection with a go-away
 * gives -ECONNABORTED and *cause "node closed the connection: REASON".
 * After a failure, run the loop dry before closing it.
 */
int	 cli_connect(uv_loop_t *loop, const struct ovl_identity *self,
	    const struct ovl_joinkey *jk, const char *const *addrs,
	    size_t naddrs, int confirm, struct ovl_conn **out, char **cause)
	    WARN_UNUSED_RESULT;
/* Closes the connection, drops its reference and runs the loop dry. */
void	 cli_disconnect(uv_loop_t *loop, struct ovl_conn *c);
/* How long a dial whose addresses all failed waits for LAN answers. */
#define CLI_LAN_HOLD_MS	300
#define CLI_LAN_DELAY_MS	25	/* a dial with addresses: the LAN later */
/* How long the DHT is asked for a node's address (find.c). */
#define CLI_DHT_MS	6000
/* A dial with addresses: the DHT only if none answered by then. */
#define CLI_DHT_DELAY_MS	300
/*
 * How long a hole punch after a knock may take: the node polls every
 * 15 s, so two polls and their lookups.
 */
#define CLI_PUNCH_MS	32000

/* find.c */

struct cli_find;

/*
 * Asks the LAN and the DHT for the node beside dial d (naddrs: the
 * addresses it has): answers become "lan+HOST:PORT" and "dht+HOST:PORT"
 * candidates, and the dial holds while they may come. Stop the result
 * (may be NULL) before d's callback returns.
 */
struct cli_find *cli_find_start(uv_loop_t *loop,
	    const struct ovl_joinkey *jk, struct ovl_dial *d, size_t naddrs);
/*
 * Asks the LAN and the DHT with no dial: each candidate to on_found,
 * until cli_find_over says all is in (pier doctor).
 */
struct cli_find *cli_find_collect(uv_loop_t *loop,
	    const struct ovl_joinkey *jk,
	    void (*on_found)(const char *cand, void *arg), void *arg);
/* Whether every answer is in or its time is over. */
int	 cli_find_over(const struct cli_find *f);
/* Says what was asked, for a failure's message ("; asked ..." or ""). */
void	 cli_find_tried(const struct cli_find *f, char *buf, size_t len);
/* Stops asking; released on the loop's next runs. */
void	 cli_find_stop(struct cli_find *f);
/* A book entry's join key and dial addresses (last answered first). */
int	 cli_node_target(const struct cli_node *n, struct ovl_joinkey *jk,
	    const char **addrs, size_t *naddrs, char **cause)
	    WARN_UNUSED_RESULT;
/* Room for cli_node_target's addrs. */
#define CLI_ADDRS_MAX	(OVL_JOINKEY_MAX_ADDRS + 1)

/* rpc.c */

#define CLI_CALL_TIMEOUT_MS	30000	/* default wait for one reply */
#define CLI_MULTI_TIMEOUT_MS	5000	/* per node, for cli_rpc_multi */

/*
 * What a command needs to talk to nodes: a private loop, the config dir,
 * the address book and the client identity. One per command run.
 */
struct cli_ctx {
	uv_loop_t		 loop;
	char			*dir;
	struct cli_book		 book;
	struct ovl_identity	 id;
	int			 loop_ready;
	uv_poll_t		 out;		/* stdout's watch */
	int			 out_on;
};

/*
 * An error from a call, in one of two domains that never mix: code (and
 * name) from the node's error reply, an enum proto_err of proto/errors.h;
 * or, when the reply never came, code 0 and local, a negative errno
 * (CLI_RPC_LOST or CLI_RPC_TIMEOUT) with the name "connection" or
 * "timeout" for people. Programs switch on code or local, never on name.
 * Strings are owned.
 */
#define CLI_RPC_LOST	(-ECONNRESET)	/* no reply: the link failed */
#define CLI_RPC_TIMEOUT	(-ETIMEDOUT)	/* no reply in time */
struct cli_rpc_error {
	int		 code;		/* enum proto_err, or 0 */
	int		 local;		/* CLI_RPC_LOST, CLI_RPC_TIMEOUT, or 0 */
	char		*name;
	char		*message;
	json_t		*data;		/* owned, or NULL */
};

struct cli_rpc;

/* Receives the outcome of an async call: result (borrowed) or err. */
typedef void (*cli_rpc_cb)(struct cli_rpc *, const json_t *result,
    const struct cli_rpc_error *err, void *arg);

/* Loads the config dir, address book and identity; makes the loop. */
int	 cli_ctx_open(struct cli_ctx *x, char **cause) WARN_UNUSED_RESULT;
/* Runs the loop dry, closes it and frees what x holds. */
void	 cli_ctx_close(struct cli_ctx *x);
/*
 * Connects to the joined node called name (NULL: the only one joined),
 * running the loop until the handshake is done; *out is the connection.
 * A node that closed it at once (a go-away: revoked, shutting down) gives
 * -ECONNABORTED and *cause "NODE: node closed the connection: REASON".
 */
int	 cli_rpc_open(struct cli_ctx *x, const char *name,
	    struct cli_rpc **out, char **cause) WARN_UNUSED_RESULT;
/* Receives cli_rpc_open_async's connection, or status and why not. */
typedef void (*cli_rpc_open_cb)(struct cli_rpc *, int status,
    const char *why, void *arg);
/*
 * cli_rpc_open without running the loop: cb runs once from the loop
 * with the connection (the caller's to close) or a negative status and
 * why ("NODE: ..."). A failure returned here (-ENOENT, *cause) never
 * calls cb. With out, *out is the connection while it dials (to cancel
 * with cli_rpc_close, which calls cb with -ECANCELED).
 */
int	 cli_rpc_open_async(struct cli_ctx *x, const char *name,
	    long timeout_ms, cli_rpc_open_cb cb, void *arg,
	    struct cli_rpc **out, char **cause) WARN_UNUSED_RESULT;
/* Closes the connection (waiting calls fail) and frees it. */
void	 cli_rpc_close(struct cli_rpc *r);
/* The node's name in the address book. */
const char *cli_rpc_node(const struct cli_rpc *r);
/* The overlay connection, e.g. to watch stream channels. */
struct ovl_conn *cli_rpc_conn(struct cli_rpc *r);
/*
 * Why the connection ended (see cli_close_text), or NULL while it is
 * open or when cli_rpc_close ended it.
 */
const char *cli_rpc_lost(const struct cli_rpc *r);
/* Called once with cli_rpc_lost's text when the connection ends. */
typedef void (*cli_rpc_lost_cb)(struct cli_rpc *, const char *why,
    void *arg);
/*
 * Sets fn to run when the connection ends other than by cli_rpc_close.
 * A stream's channel closes with -ECONNABORTED just before (the overlay
 * ends the channels first), so a stream leaves the message to fn.
 */
void	 cli_rpc_on_lost(struct cli_rpc *r, cli_rpc_lost_cb fn, void *arg);
/*
 * Sends a request (params stolen, NULL for none); cb runs once with the
 * result or the error, from the loop. -EPIPE if the connection is gone.
 * timeout_ms 0: CLI_CALL_TIMEOUT_MS.
 */
int	 cli_rpc_call_async(struct cli_rpc *r, const char *method,
	    json_t *params, long timeout_ms, cli_rpc_cb cb, void *arg)
	    WARN_UNUSED_RESULT;
/*
 * A relayed connection moves to a direct path by itself (rpc-move.c);
 * this tries it now and runs the loop until the try ended or wait_ms
 * passed: 0 when it moved (*ms after it opened), else -EHOSTUNREACH,
 * or -EINVAL when r's connection is not relayed. *why tells the last
 * try's outcome (valid while r is).
 */
int	 cli_rpc_move_now(struct cli_rpc *r, long wait_ms, const char **why,
	    double *ms);
/*
 * Calls a method and runs the loop until the reply: 0 with *result (a
 * new reference), or -EREMOTEIO with err filled for an error reply, or
 * a negative errno (err filled too) when the reply never came.
 */
int	 cli_rpc_call(struct cli_rpc *r, const char *method, json_t *params,
	    long timeout_ms, json_t **result, struct cli_rpc_error *err)
	    WARN_UNUSED_RESULT;
/*
 * Opens a stream channel with cbs (copied) and arg and adds "channel"
 * to params: call the stream method with those params next.
 */
int	 cli_rpc_stream_open(struct cli_rpc *r,
	    const struct ovl_chan_cbs *cbs, void *arg, json_t *params,
	    struct ovl_chan **out) WARN_UNUSED_RESULT;
/* Frees what an error holds and zeroes it. */
void	 cli_rpc_error_clear(struct cli_rpc_error *e);
/* Prints "pier CMD: NODE: message" for an error; returns CLI_EXIT_FAIL. */
int	 cli_rpc_fail(const struct cli_cmd *cmd, const char *node,
	    const struct cli_rpc_error *e);

/* One node's answer in cli_rpc_multi. */
struct cli_multi {
	char			*node;		/* owned */
	int			 status;	/* as cli_rpc_call returns */
	json_t			*result;	/* owned, or NULL */
	struct cli_rpc_error	 err;
};

/*
 * Calls method with params (borrowed) on the named nodes (all joined
 * nodes when n is 0) in parallel, connect and reply within timeout_ms
 * per node (0: CLI_MULTI_TIMEOUT_MS). *out (caller frees with
 * cli_multi_free) gets one entry per node in book order; a node that
 * fails or is too slow has a non-zero status and the others still
 * answer. -ENOENT with *cause for an unknown node name.
 */
int	 cli_rpc_multi(struct cli_ctx *x, const char *const *names, size_t n,
	    const char *method, const json_t *params, long timeout_ms,
	    struct cli_multi **out, size_t *nout, char **cause)
	    WARN_UNUSED_RESULT;
/* Frees the answers of cli_rpc_multi. */
void	 cli_multi_free(struct cli_multi *m, size_t n);

/* target.c */

/* NODE/CONTAINER as parsed: both owned. */
struct cli_target {
	char		*node;
	char		*container;
};

/*
 * Picks a node: by name, or the only one joined when name is NULL.
 * Returns the book entry, or NULL with *cause.
 */
struct cli_node *cli_target_node(struct cli_book *b, const char *name,
	    char **cause);
/*
 * Parses NODE/CONTAINER; when one node is joined, CONTAINER alone names
 * a container on it. -EINVAL (usage) or -ENOENT (no such node) with
 * *cause.
 */
int	 cli_target_parse(struct cli_book *b, const char *arg,
	    struct cli_target *t, char **cause) WARN_UNUSED_RESULT;
/* Frees what a target holds. */
void	 cli_target_free(struct cli_target *t);

/* logs-multi.c */

/* How `pier logs` prints a merged stream. */
struct cli_logs_how {
	int	follow;
	int	json;		/* one object per line */
	int	timestamps;	/* -t */
	int	prefix;		/* NODE/CONTAINER before each line */
	int	filters;	/* --filter given: NODE/ takes them */
};
/*
 * Runs logs.select on the nodes the targets name (NODE/CONTAINER, NODE/,
 * or none: every joined node) with base's params and prints the nodes'
 * lines merged by time. Returns an exit code.
 */
int	 cli_logs_multi(const struct cli_cmd *self, struct cli_ctx *x,
	    const json_t *base, int argc, char **argv,
	    const struct cli_logs_how *how);

/* link.c */

/* One node's connection for a command's calls in a row. */
struct cli_link {
	struct cli_ctx	 x;
	struct cli_rpc	*r;
	int		 ctx_open;
};

/* Connects to node (NULL: the only one); an exit code, errors printed. */
int	 cli_link_open(const struct cli_cmd *cmd, struct cli_link *l,
	    const char *node);
/* cli_link_open in two steps, for a target read from l->x.book between. */
int	 cli_link_ctx(const struct cli_cmd *cmd, struct cli_link *l);
/* Connects after cli_link_ctx; on failure l is closed (errors printed). */
int	 cli_link_connect(const struct cli_cmd *cmd, struct cli_link *l,
	    const char *node);
/* Calls method (params stolen): CLI_EXIT_OK with *res (owned) or printed. */
int	 cli_link_call(const struct cli_cmd *cmd, struct cli_link *l,
	    const char *method, json_t *params, json_t **res);
/* Closes what cli_link_open opened (safe to call twice). */
void	 cli_link_close(struct cli_link *l);

/* list.c */

/* The rows of a list sorted by their "name", as docker lists them (new). */
json_t	*cli_rows_by_name(const json_t *rows);

#define CLI_LIST_COLS_MAX	8	/* columns of a list table */
#define CLI_LIST_BUF		64	/* scratch for a row's cells */

/* What one family's list command shows; the rest is cli_list_main's. */
struct cli_list_spec {
	const char		 *key;		/* the answer's array */
	const struct cli_listing *listing;	/* its --format fields */
	const char *const	 *hdr;		/* ncols column headers */
	size_t			  ncols;
	size_t			  quiet_col;	/* the column -q prints */
	/* Fills cells from row; buf (CLI_LIST_BUF) may hold one. */
	void			(*cells)(const json_t *row, int no_trunc,
				    const char **cells, char *buf);
};

/*
 * `pier FAMILY ls [NODE] [-q] [--no-trunc] [--json]`: the rows of the
 * command's method by name, as a table of spec's columns, its quiet
 * column alone (-q, declared "quiet"), or JSON ("json"); an exit code.
 */
int	 cli_list_main(const struct cli_cmd *self, int argc, char **argv,
	    const struct cli_list_spec *spec);
/*
 * `pier FAMILY inspect [NODE] NAME` (argv[0] is "inspect"): prints
 * method's answer for {id: NAME} as indented JSON; an exit code.
 */
int	 cli_inspect_main(const struct cli_cmd *self, int argc, char **argv,
	    const char *method);
/* Tells whether name is a joined node's name. */
int	 cli_is_node(const char *name);
/* Prompts on stderr, reads a line of stdin (*line malloc'd); -ENODATA. */
int	 cli_ask_line(const char *prompt, char **line) WARN_UNUSED_RESULT;
/* Prints "WARNING! warning" and asks [y/N] as docker does; 1 for yes. */
int	 cli_confirm(const char *warning);

/* listing.c */

/* A listing --format runs over: the answer's array and docker's fields. */
struct cli_listing {
	const char		*key;
	struct cli_fmt_spec	 spec;
	const char		*table;	/* over several nodes, NODE first */
	const char		*quiet;	/* -q over several nodes */
};
/* ps, images, volumes and networks. */
extern const struct cli_listing cli_listing_ps, cli_listing_images,
	    cli_listing_volumes, cli_listing_networks;
/*
 * Reads -f/--filter ("filter", repeatable, KEY=VALUE) into
 * params.filters and --format ("format") into *f (NULL: absent or
 * "table", the default look). -1 to go on, else an exit code.
 */
int	 cli_listing_opts(const struct cli_cmd *self, const struct cli_args *a,
	    const struct cli_listing *ls, json_t *params, struct cli_fmt **f);
/*
 * Calls self->method with params on the named nodes (all joined when
 * nnodes is 0) and prints each row through f: the docker context of the
 * row, .Node the node; nodes that do not answer are named on stderr
 * (exit code 1). trunc: ids and commands cut as docker's default.
 */
int	 cli_listing_format(const struct cli_cmd *self,
	    const struct cli_listing *ls, const struct cli_fmt *f,
	    const char *const *nodes, size_t nnodes, const json_t *params,
	    int trunc);
/*
 * A listing over several nodes (several named, or none named and more
 * than one joined) without --format: ls->table, ls->quiet for -q, or
 * JSON lines of docker's fields and "Node" for --json. -1 when one node
 * is addressed (docker's own look is the caller's), else an exit code.
 */
int	 cli_listing_multi(const struct cli_cmd *self,
	    const struct cli_listing *ls, const struct cli_args *a,
	    const json_t *params, int quiet, int json, int no_trunc);
/* The options every listing declares: --format and -f/--filter. */
#define CLI_OPTS_LISTING						\
	{ .name = "format", .arg = "TEMPLATE", .kind = CLI_K_ARG,	\
	  .help = "print each row with a Go template, as\n"		\
	  "docker: '{{.ID}}', 'json',\n"					\
	  "'table {{.Names}}\\t{{.Status}}'" },				\
	{ .name = "filter", .letter = 'f', .arg = "KEY=VALUE",		\
	  .kind = CLI_K_ARG,						\
	  .help = "only rows that match, with docker's\nkeys "		\
	  "(repeatable)" }

/* out-watch.c */

/*
 * Watches stdout on x's loop (a pipe; not a file or a terminal): once its
 * reader has gone the loop stops and cli_out_lost() is 1; the command
 * ends its streams and main() dies of SIGPIPE. 0 or a negative errno.
 */
int	 cli_out_watch(struct cli_ctx *x);
/* Stops watching stdout (cli_ctx_close does it). */
void	 cli_out_unwatch(struct cli_ctx *x);
/* 1 once stdout's reader has gone. */
int	 cli_out_lost(void);
/* Dies of SIGPIPE (after flushing), as a filter whose reader left. */
void	 cli_out_die(void) __attribute__((noreturn));

/* cmd-config.c */

#define CLI_SETTINGS_FILE	"config.json"	/* in the config dir */

/* The settings (config.json in dir; {} when missing) into *out. */
int	 cli_settings_load(const char *dir, json_t **out, char **cause)
	    WARN_UNUSED_RESULT;
/* A setting of config.json in dir: 0 with *value (malloc'd; NULL: unset). */
int	 cli_setting_get(const char *dir, const char *key, char **value,
	    char **cause) WARN_UNUSED_RESULT;
/* A true/false setting of dir (NULL: none): 0 only when it is "false". */
int	 cli_setting_on(const char *dir, const char *key);

/* cmd-prune.c */

/* `pier image prune`, run by `pier image`. */
extern const struct cli_cmd cli_cmd_image_prune;
/* `pier volume prune`, run by `pier volume`. */
extern const struct cli_cmd cli_cmd_volume_prune;

/* cmd-exec.c */

/*
 * Runs an output-stream method (exec.run, docker.run) on node: STDOUT and
 * STDERR to pier's own, stdin along when params.stdin is true (its end a
 * FIN); returns the command's exit code, or CLI_EXIT_FAIL with a message.
 */
int	 cli_exec_stream(const struct cli_cmd *self, struct cli_ctx *x,
	    const char *node, const char *method, json_t *params);

/* run-attach.c */

/*
 * Attaches to the created, stopped container id on node and starts it
 * (docker run -i, -t, -it): with tty a terminal session, else pipes;
 * returns the container's exit code, or CLI_EXIT_FAIL with a message
 * (a container that never started then removed when remove, else named).
 */
int	 cli_run_attach(const struct cli_cmd *self, const char *node,
	    const char *id, int tty, int interactive, int remove);

/* cmd-pull.c */

/*
 * Pulls image on node as `pier pull` does, its progress on stderr (for
 * run and deploy, whose stdout is their result), its errors under cmd's
 * name; an exit code.
 */
int	 cli_pull_missing(const struct cli_cmd *cmd, const char *node,
	    const char *image);

/* cmd-template.c */

struct cli_tpl_file;

/*
 * Opens the template source: source, else the templates.source setting,
 * else the default; an exit code, with the error or warning printed.
 */
int	 cli_tpl_source_open(const struct cli_cmd *cmd, const char *source,
	    int offline, int refresh, struct cli_tpl_file **f);

/* term-client.c */

#define CLI_TERM_RETRY_MAX_MS	(10 * 60 * 1000) /* reconnecting, at most */

/* An interactive terminal session to run (see cli_term_run). */
struct cli_term_opts {
	const char	*node;		/* address book name, NULL: the only */
	const char	*method;	/* session.open (or attach_id set) */
	const json_t	*params;	/* the method's params; borrowed */
	const char	*attach_id;	/* attach to this session instead */
	int		 read_only;	/* attach without input */
	int		 need_tty;	/* refuse a stdin that is no terminal */
	int		 no_input;	/* stdin not attached (exec -t) */
	int		 reconnect;	/* reattach after a dropped link */
	int		 escape_set;	/* 0: '~' when stdin is a terminal */
	int		 escape;	/* else this, or CLI_ESC_NONE */
	int		 quiet_exit;	/* no line for a nonzero exit code */
};

/*
 * Runs a terminal: raw mode, typed input through the ~. escape filter,
 * window size changes, the node's screen; reattaches by itself after a
 * dropped connection. Returns pier's exit code: the session's exit code,
 * 0 after a detach, CLI_EXIT_FAIL with a message on stderr.
 */
int	 cli_term_run(const struct cli_cmd *cmd, struct cli_ctx *x,
	    const struct cli_term_opts *o);
/* Appends a string to params[key], an array made if missing; 0 or -1. */
int	 cli_params_push(json_t *params, const char *key, const char *s);

#endif
