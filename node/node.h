/*
 * node/: the daemon, pierd. It owns the state directory, the node's
 * identity and access keys (through overlay/), the overlay server, and
 * later the Docker client, the dispatcher and terminal sessions. One
 * struct node holds all of it, so there is no global state and a test
 * can run two nodes on one loop. This is the folder's only header; it
 * is split into sections by the file that defines what follows.
 *
 * Errors are negative errno (or UV_E*), 0 is success; human detail
 * comes back through `char **cause`, which the caller frees.
 */
#ifndef PIER_NODE_H
#define PIER_NODE_H

#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "overlay.h"

#ifndef WARN_UNUSED_RESULT
#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#endif

#define NODE_PORT		7437	/* default TCP port */
#define NODE_EXIT_OK		0
#define NODE_EXIT_FAIL		1
#define NODE_EXIT_USAGE		2
#define NODE_IDENTITY_FILE	"node.key"	/* in the state dir */

#ifndef container_of
/* The struct of type holding the member that ptr points at. */
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

/* log.c */

/* Log levels, least severe first. */
enum node_log_level {
	NODE_LOG_DEBUG,
	NODE_LOG_INFO,
	NODE_LOG_WARN,
	NODE_LOG_ERROR,
};

/* Where log lines go and from which level up. */
struct node_log {
	FILE			*fp;
	enum node_log_level	 min;
};

/* Sets up a log writing to fp (stderr when NULL) from level min up. */
void	node_log_init(struct node_log *lg, FILE *fp,
	    enum node_log_level min);
/* Parses a level name (debug, info, warn, error); -EINVAL if unknown. */
int	node_log_level_parse(const char *s, enum node_log_level *out)
	    WARN_UNUSED_RESULT;
/* Returns the name of a level. */
const char *node_log_level_name(enum node_log_level lv);
/* Writes one line: UTC time, level, message (newlines flattened). */
void	node_vlog(const struct node_log *lg, enum node_log_level lv,
	    const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
/* printf-style front end of node_vlog. */
void	node_log(const struct node_log *lg, enum node_log_level lv,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* state.c */

/* Returns the default state directory (caller frees) or NULL. */
char	*node_state_dir_default(void);
/* Creates the state directory (0700) and parents if missing. */
int	 node_state_dir_make(const char *dir, char **cause)
	    WARN_UNUSED_RESULT;
/* Appends a copy of s to a NULL-terminated string vector. */
int	 node_strv_push(char ***v, const char *s) WARN_UNUSED_RESULT;
/* Returns the number of strings in a vector (NULL is empty). */
size_t	 node_strv_len(char *const *v);
/* Frees a string vector and its strings. */
void	 node_strv_free(char **v);
/* Parses IPV4:PORT or [IPV6]:PORT (numeric hosts only) into ss. */
int	 node_addr_parse(const char *s, struct sockaddr_storage *ss,
	    char **cause) WARN_UNUSED_RESULT;
/* Formats an address as IPV4:PORT or [IPV6]:PORT into buf. */
int	 node_addr_format(const struct sockaddr *sa, char *buf, size_t len);
/* Records the addresses pierd bound in the state dir's listen file. */
int	 node_listen_save(const char *dir, char *const *addrs, char **cause)
	    WARN_UNUSED_RESULT;
/* Reads the listen file into a vector; -ENOENT if pierd never ran. */
int	 node_listen_load(const char *dir, char ***out) WARN_UNUSED_RESULT;
/* Listen addresses to join-key hints (wildcards expanded, loopback last). */
int	 node_hints_from_listen(char *const *listen, char ***out)
	    WARN_UNUSED_RESULT;
/* The default listen addresses: 0.0.0.0:7437 and [::]:7437. */
int	 node_listen_default(char ***out) WARN_UNUSED_RESULT;
/* Makes the state dir, loads the identity and keys, creates admin once. */
int	 node_state_open(const char *dir, struct ovl_identity *id,
	    struct ovl_keystore **ks, const struct ovl_access_key **admin,
	    char **cause) WARN_UNUSED_RESULT;

/* node.c */

/* How pierd was asked to run (main.c fills it from the command line). */
struct node_config {
	char			*state_dir;
	char			**listen;	/* HOST:PORT, NULL-ended */
	enum node_log_level	 log_level;
};

/* One running node: everything pierd holds, reached from the loop. */
struct node {
	uv_loop_t		*loop;
	char			*state_dir;
	struct node_log		 log;
	struct ovl_identity	 id;
	char			 fingerprint[OVL_FINGERPRINT_SIZE];
	struct ovl_keystore	*ks;
	struct ovl_limits	 limits;
	struct ovl_server	*srv;
	char			**bound;	/* addresses listened on */
	uv_signal_t		 sigint, sigterm, sighup;
	uv_fs_event_t		 keys_watch;	/* the state dir */
	uv_timer_t		 reload_timer;	/* debounces reloads */
	size_t			 pending;	/* closes not yet done */
	int			 closing;
	void			(*closed_cb)(struct node *);
	void			*closed_arg;	/* for closed_cb */
};

/*
 * Starts a node on loop: state, listeners, signals, the keys watcher.
 * On failure the caller still runs the loop once, so the half-made
 * server can release its handles (the node frees itself then).
 */
int	 node_new(uv_loop_t *loop, const struct node_config *cfg,
	    struct node **out, char **cause) WARN_UNUSED_RESULT;
/* Sets the callback run once node_close has closed everything. */
void	 node_set_closed_cb(struct node *n, void (*cb)(struct node *));
/* Begins a clean stop; the loop then runs dry. */
void	 node_close(struct node *n);
/* The exit code after the loop ended: 0 after a clean stop. */
int	 node_exit_code(const struct node *n);
/* Frees a node whose close completed. */
void	 node_free(struct node *n);
/* Re-reads the access keys; closes connections of revoked keys. */
int	 node_keys_reload(struct node *n);

/* node-key.c */

/* `pierd key COMMAND ...` (argv[0] is "key"); returns an exit code. */
int	 node_key_main(int argc, char **argv);

#endif
