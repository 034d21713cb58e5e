/*
 * tools/pier/: the `pier` client. main.c holds the table of commands
 * (one entry per command, from which usage is generated); each command
 * family lives in its own cmd-*.c file exporting its entries; config.c
 * keeps the config directory, the client identity and the address book
 * of joined nodes; conn.c dials a node and runs a connection to the end.
 * The client links overlay/ (and later proto/), never node/ or docker/.
 */
#ifndef PIER_CLI_H
#define PIER_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include <jansson.h>

#include "overlay.h"

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

/* One command: its name, entry point, argument synopsis and summary. */
struct cli_cmd {
	const char	*name;
	int		(*main)(const struct cli_cmd *, int, char **);
	const char	*usage;		/* after "pier NAME " */
	const char	*summary;	/* one line for `pier help` */
	const char	*help;		/* options, for --help */
};

/* main.c */

/* Prints "usage: pier NAME USAGE" to stderr; returns CLI_EXIT_USAGE. */
int	cli_usage(const struct cli_cmd *cmd);
/* Prints the command's full help on stdout; returns CLI_EXIT_OK. */
int	cli_help(const struct cli_cmd *cmd);
/* Prints "pier NAME: message" to stderr; returns CLI_EXIT_FAIL. */
int	cli_error(const struct cli_cmd *cmd, const char *fmt, ...)
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

/* The name a client gives the node in its hello: user@host. */
void	 cli_client_name(char *buf, size_t len);
/*
 * Dials a node at addrs (first handshake wins, CLI_TIMEOUT_MS) and runs
 * the loop until done; *out is the open connection (one reference).
 */
int	 cli_connect(uv_loop_t *loop, const struct ovl_identity *self,
	    const struct ovl_joinkey *jk, const char *const *addrs,
	    size_t naddrs, struct ovl_conn **out, char **cause)
	    WARN_UNUSED_RESULT;
/* Closes the connection, drops its reference and runs the loop dry. */
void	 cli_disconnect(uv_loop_t *loop, struct ovl_conn *c);
/* A book entry's join key and dial addresses (last answered first). */
int	 cli_node_target(const struct cli_node *n, struct ovl_joinkey *jk,
	    const char **addrs, size_t *naddrs, char **cause)
	    WARN_UNUSED_RESULT;
/* Room for cli_node_target's addrs. */
#define CLI_ADDRS_MAX	(OVL_JOINKEY_MAX_ADDRS + 1)

#endif
