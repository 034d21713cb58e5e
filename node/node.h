/*
 * node/: the daemon, pierd. It owns the state directory, the node's
 * identity and access keys (through overlay/), the overlay server, the
 * Docker client (docker/), the dispatcher of requests and the terminal
 * sessions. One struct node holds all of it, so there is no global state
 * and a test can run two nodes on one loop. This is the folder's header
 * for everything but the terminal sessions, which keep their own
 * (term.h, with term-int.h private to the screen model); it is split
 * into sections by the file that defines what follows.
 *
 * Errors are negative errno (or UV_E*), 0 is success; human detail
 * comes back through `char **cause`, which the caller frees. Three error
 * domains meet here and are kept apart by type where they cross: errno
 * (int), Docker's enum dk_err (docker.h) and the protocol's enum
 * proto_err (proto/errors.h). A peer only ever sees an enum proto_err:
 * cmd_fail and friends take one, a Docker outcome becomes one through
 * cmd_err_from_dk (requests) or cmd_stream_err_from_dk (streams), both in
 * cmd-req.c. (A shell's start in term-exec.c and the stats hub choose
 * among fewer codes, each with its own message; a handler that fails
 * with an errno names the code that fits its operation.) gcc's
 * -Wenum-conversion, on with -Wextra, rejects an enum dk_err passed
 * where an enum proto_err is due.
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
#include "proto.h"
#include "docker.h"
#include "term.h"

#ifndef WARN_UNUSED_RESULT
#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#endif

#define NODE_PORT		7437	/* default TCP port */
#define NODE_EXIT_OK		0
#define NODE_EXIT_FAIL		1
#define NODE_EXIT_USAGE		2
#define NODE_IDENTITY_FILE	"node.key"	/* in the state dir */
#define NODE_TRIM_MS		2000	/* idle this long: trim the heap */

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
/* Sets *cause (if cause) to a formatted message. */
void	 node_set_cause(char **cause, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
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
/*
 * The join key text of secret on the node pub, with the hints of listen
 * that a joiner accepts and, with the state dir, the node's mapped
 * address and relays (listen NULL: no hints at all; the client then
 * asks the LAN); caller zeroes and frees; NULL if out of memory.
 */
char	*node_joinkey_text(const char *dir,
	    const uint8_t pub[static OVL_KEY_LEN],
	    const uint8_t secret[static OVL_KEY_LEN], char *const *listen);
/* The default listen addresses: 0.0.0.0:7437 and [::]:7437. */
int	 node_listen_default(char ***out) WARN_UNUSED_RESULT;
/* Makes the state dir, loads the identity and keys, creates admin once. */
int	 node_state_open(const char *dir, struct ovl_identity *id,
	    struct ovl_keystore **ks, const struct ovl_access_key **admin,
	    char **cause) WARN_UNUSED_RESULT;

/* audit.c */

#define NODE_AUDIT_FILE		"audit.log"	/* in the state dir */
#define NODE_AUDIT_MAX_BYTES	(4u << 20)	/* rotate past this size */
#define NODE_AUDIT_KEEP		4	/* rotated files: audit.log.1 .. 4 */
#define NODE_AUDIT_FIELD_MAX	512	/* bytes kept of one text field */

/* The audit log: JSON lines in the state dir, rotated by size. */
struct node_audit {
	char		*path;		/* DIR/audit.log */
	size_t		 max_bytes;	/* rotate when a line would pass it */
	unsigned	 keep;		/* rotated files kept */
	uint64_t	 lines;		/* written since open */
	uint64_t	 rotations;	/* since open */
	uint64_t	 failures;	/* lines that could not be written */
};

/* One line of the audit log; NULL fields are written as null. */
struct node_audit_entry {
	int64_t		 time_ms;	/* unix milliseconds; 0: now */
	const char	*client;	/* client key fingerprint */
	const char	*client_name;	/* the name in its hello */
	const char	*key;		/* access key name */
	const char	*role;		/* the access key's role */
	const char	*method;
	const char	*target;	/* what it acted on, or NULL */
	const char	*outcome;	/* "ok", "refused", "failed", ... */
	const char	*error;		/* the error's name: message, or NULL */
};

/* Opens the log DIR/audit.log (0: defaults for max_bytes and keep). */
int	 node_audit_open(struct node_audit *a, const char *dir,
	    size_t max_bytes, unsigned keep, char **cause) WARN_UNUSED_RESULT;
/* Frees what the log holds. */
void	 node_audit_close(struct node_audit *a);
/* Appends one line (O_APPEND, one write), rotating first if needed. */
int	 node_audit_write(struct node_audit *a,
	    const struct node_audit_entry *e) WARN_UNUSED_RESULT;
/*
 * The last tail entries (oldest first) at or after since (unix seconds,
 * 0: all), across the rotated files: *out is a new JSON array.
 */
int	 node_audit_read(const struct node_audit *a, size_t tail,
	    int64_t since, json_t **out, char **cause) WARN_UNUSED_RESULT;

/* cmd.c, cmd-req.c and cmd-conn.c: the dispatcher */

/* What a handler's exec returns. */
enum cmd_retval {
	CMD_ERROR = -1,		/* failed; the request was ended with cmd_fail */
	CMD_DONE,		/* answered; the request was ended */
	CMD_WAIT,		/* will end the request later */
};

struct cmd_req;
struct cmd_conn;
struct drun;
struct node;

/*
 * Who made a call: the access key it authenticated with and the client
 * behind it. The connection holds one from its handshake; each request
 * carries a copy, as it may outlive the connection.
 */
struct cmd_caller {
	enum proto_role	 role;		/* the access key's */
	char		 key[OVL_KEY_NAME_MAX + 1];	/* its name */
	char		 client[OVL_FINGERPRINT_SIZE];	/* key fingerprint */
	char		 client_name[OVL_HS_NAME_MAX + 1]; /* from its hello */
	uint8_t		 client_key[OVL_KEY_LEN];
};

/*
 * One method's handler. The dispatcher joins it with the catalogue entry
 * of the same name (proto_methods: role, schema, flags) and has checked
 * all of that before exec runs.
 */
struct cmd_entry {
	const char	*name;		/* as in proto_methods */
	enum cmd_retval	(*exec)(struct cmd_req *);
};

/*
 * A request being served (its life is told at the head of cmd-req.c).
 * exec ends it exactly once with cmd_reply or cmd_fail (before
 * returning, or later after CMD_WAIT). While it waits on the engine,
 * cmd_docker_wait holds the Docker request in wait_req (or wait_stream):
 * if the client goes away first, conn becomes NULL, cancelled is set and
 * the dispatcher cancels what it waits on; the handler's callback then
 * still ends the request (the reply goes nowhere). Fields are read-only
 * for handlers except target and data.
 */
struct cmd_req {
	struct node			*node;
	struct cmd_conn			*conn;	/* NULL once it dropped */
	const struct proto_method	*method;
	const struct cmd_entry		*entry;
	json_t				*id;	/* owned */
	json_t				*params; /* owned; checked; an object */
	struct cmd_caller		 caller;
	char				 target[256];	/* for the audit */
	struct ovl_chan			*chan;	/* PROTO_STREAM: the channel */
	int				 cancelled;
	int				 ended;
	int				 audit_later; /* see cmd_audit_later */
	unsigned			 refs;
	struct dk_req			*wait_req; /* see cmd_docker_wait */
	struct dk_stream		*wait_stream; /* or this */
	void				*data;	/* the handler's */
	struct cmd_req			*next;	/* in the connection's list */
};

/* The dispatch table, sorted by name: one entry per catalogue method. */
extern const struct cmd_entry cmd_table[];
/* The number of entries in cmd_table. */
extern const size_t cmd_ntable;
/* The handler entry of a method, or NULL (binary search). */
const struct cmd_entry *cmd_find(const char *name);
/* Handler of methods whose family is not built yet: "not implemented". */
enum cmd_retval cmd_not_implemented(struct cmd_req *r);

/* Sends a result (stolen; NULL is {}), audits, and ends the request. */
enum cmd_retval cmd_reply(struct cmd_req *r, json_t *result);
/* Sends an error (a protocol code, printf message), audits, ends it. */
enum cmd_retval cmd_fail(struct cmd_req *r, enum proto_err code,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* cmd_fail with an error object's data (stolen, may be NULL). */
enum cmd_retval cmd_fail_data(struct cmd_req *r, enum proto_err code,
	    json_t *data, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/*
 * The protocol code of a failed Docker request: not_found, conflict,
 * wrong_state (not modified), docker_unavailable (unavailable or
 * permission), timeout, cancelled, else docker_error.
 */
enum proto_err cmd_err_from_dk(enum dk_err status);
/*
 * The protocol code a Docker stream ends with: docker_unavailable,
 * not_found, else docker_error (a stream's other ends are the engine's).
 */
enum proto_err cmd_stream_err_from_dk(enum dk_err status);
/*
 * Ends a request after a failed Docker request: maps status (a dk_err)
 * and the engine's message to not_found, conflict, wrong_state,
 * docker_unavailable, timeout, cancelled or docker_error. req may be
 * NULL (status only, e.g. when dk_* refused to start).
 */
enum cmd_retval cmd_fail_docker(struct cmd_req *r, const struct dk_req *req,
	    enum dk_err status);
/* Sets the audit target: printf-style, truncated to fit. */
void	 cmd_set_target(struct cmd_req *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * The stream channel of a PROTO_STREAM request, now the handler's: it
 * sets the channel's callbacks and resumes it (the dispatcher paused it
 * on open). NULL if already taken. If a request ends without taking its
 * channel, the dispatcher resets the channel.
 */
struct ovl_chan *cmd_take_chan(struct cmd_req *r);
/*
 * For a call whose outcome comes after its reply (a stream that can
 * still fail, as a pull): if the reply about to be sent is the request's
 * first end, its audit line waits for cmd_audit_end; returns r with a
 * reference for that, else NULL (the request already ended and was
 * audited).
 */
struct cmd_req *cmd_audit_later(struct cmd_req *r);
/* Writes the audit line kept by cmd_audit_later (code 0: ok, else the
 * error) and drops its reference. */
void	 cmd_audit_end(struct cmd_req *r, int code, const char *msg);
/* Takes a reference on a request (the dispatcher holds one during exec). */
void	 cmd_req_ref(struct cmd_req *r);
/* Drops a reference; the last one frees the request. */
void	 cmd_req_unref(struct cmd_req *r);

#define CMD_INFLIGHT_MAX	64	/* requests in flight per connection */

/* Serving on a connection after the handshake (node.c calls this). */
int	 cmd_conn_attach(struct node *n, struct ovl_conn *c,
	    const struct ovl_auth *a) WARN_UNUSED_RESULT;
/* Requests in flight on a connection (for tests). */
size_t	 cmd_conn_inflight(const struct cmd_conn *cc);
/* The docker client, or NULL with a docker_unavailable reply sent. */
struct dk_client *cmd_docker(struct cmd_req *r);
/*
 * Holds req in r until its callback (a client leaving cancels it); if
 * err (what the dk_* call returned) is not 0, fails r with it instead.
 * A request waits on one engine request or stream at a time.
 */
enum cmd_retval cmd_docker_wait(struct cmd_req *r, struct dk_req *req,
	    enum dk_err err);
/* Holds a started stream s in r until its on_end, as cmd_docker_wait. */
void	 cmd_docker_wait_stream(struct cmd_req *r, struct dk_stream *s);
/* In the callback: lets go of what cmd_docker_wait held. */
void	 cmd_docker_done(struct cmd_req *r);
/*
 * In a dk_req_cb: cmd_docker_done; if status failed, frees res, answers
 * the error and returns 1; else returns 0.
 */
int	 cmd_docker_failed(struct cmd_req *r, const struct dk_req *req,
	    enum dk_err status, json_t *res);

/* Between cmd-conn.c and cmd-req.c. */

/* A new request on cc (not linked in its list) for a checked call. */
struct cmd_req *cmd__req_new(struct node *n, struct cmd_conn *cc,
	    const struct cmd_caller *caller, const struct proto_msg *m,
	    const struct proto_method *pm);
/* Refuses what exec must not see (no handler, no Docker), runs exec. */
void	 cmd__req_run(struct cmd_req *r);
/* The client left: detaches r and cancels what it waits on. */
void	 cmd__req_cancel(struct cmd_req *r);
/* Audits a call refused before it reached a handler (reply: NULL ok). */
void	 cmd__audit_refusal(struct node *n, const struct cmd_caller *caller,
	    const struct proto_msg *m, const struct proto_method *pm,
	    int code, const json_t *reply);
/* Sends r's last message (stolen), dooms ch, unlinks r; cc may be NULL. */
void	 cmd__conn_end(struct cmd_conn *cc, struct cmd_req *r, json_t *msg,
	    struct ovl_chan *ch);

/* cmd-util.c */

/* One reply row built from one engine object and arg (a new reference). */
typedef json_t *cmd_row_fn(const json_t *item, const void *arg);
/* A string member of o, or "" when it is missing or not a string. */
const char *cmd_jstr(const json_t *o, const char *k);
/* on_data of an output stream's channel: the client's FIN stops it. */
void	 cmd_out_chan_data(struct ovl_chan *ch, const uint8_t *buf,
	    size_t len, void *arg);
/* Answers {key: [row(item, arg)...]} over the array items (borrowed). */
void	 cmd_reply_rows(struct cmd_req *r, const char *key,
	    const json_t *items, cmd_row_fn *row, const void *arg);
/*
 * Adds params.filters ("KEY=VALUE" each, KEY among allowed, NULL-ended)
 * to the engine's filter object *filters (made when NULL). 0, or a
 * negative errno with the request failed (invalid_params naming the
 * keys there are).
 */
int	 cmd_list_filters(struct cmd_req *r, const char *const *allowed,
	    json_t **filters) WARN_UNUSED_RESULT;
/* A dk_req_cb (arg: the cmd_req) answering the engine's object as is. */
void	 cmd_on_passthrough(struct dk_req *req, int status, json_t *res,
	    void *arg);

/* resolve.c */

/* Called with the full id of the container resolved, or an error sent. */
typedef void (*node_resolve_cb)(struct cmd_req *r, const char *id,
	    const char *name, void *arg);
/*
 * Resolves a container name, full id or unique id prefix from the
 * node's model (cb may run before this returns), or with one list call
 * when the model cannot answer or does not know it. On success cb gets the id and name; on failure the request has
 * been ended (not_found, ambiguous_name with the matches in data.matches,
 * or a docker error) and cb is not called. Returns CMD_WAIT (CMD_DONE
 * if cb already ended it) or, if it could not start, CMD_ERROR with the
 * request ended. Until cb runs the
 * request waits on the list call (cmd_docker_wait).
 */
enum cmd_retval node_resolve_container(struct cmd_req *r, const char *name,
	    node_resolve_cb cb, void *arg);
/*
 * The matching rule on a list result (an array of the engine's container
 * summaries): 0 with *idx, -ENOENT, or -EEXIST (ambiguous) with *matches
 * a new array of {id, name}.
 */
int	 node_resolve_match(const json_t *list, const char *name, size_t *idx,
	    json_t **matches) WARN_UNUSED_RESULT;

/* archive-run.c */

/*
 * Sends a tar of path in container cid on r's channel (STDOUT frames,
 * then END or ERROR) and replies result (stolen). A helper container
 * (or NULL) is removed once the run is over. r is ended either way.
 */
void	 node_archive_out(struct cmd_req *r, struct dk_client *dk,
	    const char *cid, const char *path, const char *helper,
	    json_t *result);
/*
 * Unpacks the tar the client sends on r's channel (STDIN frames, then
 * FIN) into dir of container cid (DK_ARCHIVE_* flags), replies result
 * (stolen) and ends the channel with EXIT 0 or ERROR; audited then.
 */
void	 node_archive_in(struct cmd_req *r, struct dk_client *dk,
	    const char *cid, const char *dir, int flags, const char *helper,
	    json_t *result);

/* Removes a helper container (forced), logging a failure only. */
void	 node_archive_helper_remove(struct node *n, struct dk_client *dk,
	    const char *id);

/* cmd-archive.c */

/*
 * The engine's X-Docker-Container-Path-Stat header as {name, size,
 * mode, type, mtime, link_target} (a new reference), or NULL.
 */
json_t	*node_archive_stat(const char *hdr);
/* container.statpath, container.download, container.upload. */
enum cmd_retval cmd_container_statpath(struct cmd_req *r);
enum cmd_retval cmd_container_download(struct cmd_req *r);
enum cmd_retval cmd_container_upload(struct cmd_req *r);

/* cmd-container-more.c: container.diff, container.wait, commit. */
enum cmd_retval cmd_container_diff(struct cmd_req *r);
enum cmd_retval cmd_container_wait(struct cmd_req *r);
enum cmd_retval cmd_container_commit(struct cmd_req *r);

/* cmd-image-more.c: image.history, image.tag, container.prune, system.df. */
enum cmd_retval cmd_image_history(struct cmd_req *r);
enum cmd_retval cmd_image_tag(struct cmd_req *r);
enum cmd_retval cmd_container_prune(struct cmd_req *r);
enum cmd_retval cmd_system_df(struct cmd_req *r);

/* cmd-network-ops.c: network.create, remove, connect, disconnect, prune. */
enum cmd_retval cmd_network_create(struct cmd_req *r);
enum cmd_retval cmd_network_remove(struct cmd_req *r);
enum cmd_retval cmd_network_connect(struct cmd_req *r);
enum cmd_retval cmd_network_disconnect(struct cmd_req *r);
enum cmd_retval cmd_network_prune(struct cmd_req *r);

/* cmd-volume-backup.c: volume.backup, volume.restore. */
enum cmd_retval cmd_volume_backup(struct cmd_req *r);
enum cmd_retval cmd_volume_restore(struct cmd_req *r);

/* stack-files.c: the stacks' folders under the state directory */

#define NODE_STACK_NAME_MAX	63	/* a compose project name */
/* The engine's labels that say which stack an object belongs to. */
#define NODE_L_PROJECT		"com.docker.compose.project"
#define NODE_L_SERVICE		"com.docker.compose.service"
#define NODE_L_WORKDIR		"com.docker.compose.project.working_dir"
#define NODE_L_CONFIGS		"com.docker.compose.project.config_files"
#define NODE_L_NAMESPACE	"com.docker.stack.namespace"
#define NODE_L_SWARM_SVC	"com.docker.swarm.service.name"
#define NODE_STACK_DEPTH_MAX	16	/* parts of a path in a stack */
#define NODE_STACK_FILE_MAX	(512 * 1024)	/* bytes of one file */

/* Tells whether name is a valid compose project name (a-z0-9, - _). */
int	 node_stack_name_ok(const char *name);
/* Tells whether rel is a relative path that stays in the folder. */
int	 node_stack_path_ok(const char *rel);
/* STATE/stacks/NAME, a new string. */
char	*node_stack_dir(const struct node *n, const char *name);
/*
 * Replaces a stack's folder with files ({path: base64}, borrowed) and
 * meta (borrowed), atomically; 0 or -errno with *cause.
 */
int	 node_stack_write(struct node *n, const char *name,
	    const json_t *files, const json_t *meta, char **cause)
	    WARN_UNUSED_RESULT;
/* A stack's meta: 0 with *meta (new reference), -ENOENT or -EIO. */
int	 node_stack_meta(struct node *n, const char *name, json_t **meta)
	    WARN_UNUSED_RESULT;
/* Removes a stack's folder; 0 or -errno. */
int	 node_stack_purge(struct node *n, const char *name)
	    WARN_UNUSED_RESULT;
/* The names of the stacks that have a folder (a new array). */
json_t	*node_stack_stored(struct node *n);

/* Handlers (cmd-<family>.c); cmd_table in cmd.c points at them. */

/* audit.read (cmd-audit.c). */
enum cmd_retval cmd_audit_read(struct cmd_req *r);
/* container.list (cmd-container.c). */
enum cmd_retval cmd_container_list(struct cmd_req *r);
/* container.inspect (cmd-container.c). */
enum cmd_retval cmd_container_inspect(struct cmd_req *r);
/* container.top (cmd-container.c). */
enum cmd_retval cmd_container_top(struct cmd_req *r);
/* container.start (cmd-container-op.c). */
enum cmd_retval cmd_container_start(struct cmd_req *r);
/* container.stop (cmd-container-op.c). */
enum cmd_retval cmd_container_stop(struct cmd_req *r);
/* container.restart (cmd-container-op.c). */
enum cmd_retval cmd_container_restart(struct cmd_req *r);
/* container.kill (cmd-container-op.c). */
enum cmd_retval cmd_container_kill(struct cmd_req *r);
/* container.pause (cmd-container-op.c). */
enum cmd_retval cmd_container_pause(struct cmd_req *r);
/* container.unpause (cmd-container-op.c). */
enum cmd_retval cmd_container_unpause(struct cmd_req *r);
/* container.rename (cmd-container-op.c). */
enum cmd_retval cmd_container_rename(struct cmd_req *r);
/* container.remove (cmd-container-op.c). */
enum cmd_retval cmd_container_remove(struct cmd_req *r);
/* container.update (cmd-container-op.c). */
enum cmd_retval cmd_container_update(struct cmd_req *r);
/* container.create (cmd-container-create.c). */
enum cmd_retval cmd_container_create(struct cmd_req *r);
/*
 * Creates a container from a ready create body (stolen) named name (or
 * the engine's pick), after checking its image is on the node when
 * check_image, starts it when start, and answers {id, name, warnings};
 * a failed start is an error carrying data.id (cmd-container-create.c).
 */
enum cmd_retval cmd__container_create_body(struct cmd_req *r,
	    const char *name, json_t *body, int start, int check_image);
/* container.duplicate (cmd-container-dup.c). */
enum cmd_retval cmd_container_duplicate(struct cmd_req *r);
/*
 * The engine's create body from container.create's checked params (a
 * new reference), or NULL with *cause for a bad value (NULL cause and
 * NULL: out of memory) (cmd-container-body.c).
 */
json_t	*node_create_body(const json_t *params, char **cause);
/*
 * container.create's params from a create body (a new reference, NULL
 * out of memory); the names of fields they cannot say are appended to
 * dropped (cmd-container-export.c).
 */
json_t	*node_export_params(const json_t *body, json_t *dropped);
/*
 * Adds the docker run flags of container.create (cmd-container-flags.c)
 * to a create body b (borrowed); 0, or -1 with *cause naming the field.
 */
int	 node_create_flags(json_t *b, const json_t *params, char **cause);
/* key.create (cmd-key.c). */
enum cmd_retval cmd_key_create(struct cmd_req *r);
/* key.list (cmd-key.c). */
enum cmd_retval cmd_key_list(struct cmd_req *r);
/* key.revoke (cmd-key.c). */
enum cmd_retval cmd_key_revoke(struct cmd_req *r);
/* key.unrevoke (cmd-key.c). */
enum cmd_retval cmd_key_unrevoke(struct cmd_req *r);
/* The access key with this name or id, or NULL (cmd-key.c). */
const struct ovl_access_key *cmd_key_lookup(struct ovl_keystore *ks,
    const char *s);
/* Number of admin keys other than k (cmd-key.c). */
size_t	cmd_key_other_admins(struct ovl_keystore *ks,
    const struct ovl_access_key *k);
/* key.disable (cmd-key-limits.c). */
enum cmd_retval cmd_key_disable(struct cmd_req *r);
/* key.enable (cmd-key-limits.c). */
enum cmd_retval cmd_key_enable(struct cmd_req *r);
/*
 * key.create's expires, uses and labels into *lim; 0, or an error
 * answered (cmd-key-limits.c).
 */
int	cmd_key_limits(struct cmd_req *r, int64_t now,
    struct ovl_key_limits *lim);
/*
 * One access key as the protocol and `pierd key list --json` show it,
 * never its secret: {id, name, role, created, last_used, expires, uses,
 * used_by, state, labels} (cmd-key-limits.c). A new reference or NULL.
 */
json_t	*node_key_json(const struct ovl_access_key *k, int64_t now);
/* "enabled", "disabled" or "expired" (cmd-key-limits.c). */
const char *node_key_state(const struct ovl_access_key *k, int64_t now);
/* node.info (cmd-node.c). */
enum cmd_retval cmd_node_info(struct cmd_req *r);
/* container.logs (cmd-logs.c). */
enum cmd_retval cmd_container_logs(struct cmd_req *r);
/* logs.select (cmd-logsel.c). */
enum cmd_retval cmd_logs_select(struct cmd_req *r);
/* events.subscribe (cmd-events.c). */
enum cmd_retval cmd_events_subscribe(struct cmd_req *r);
/* image.pull (cmd-image-pull.c). */
enum cmd_retval cmd_image_pull(struct cmd_req *r);
/* image.list (cmd-image.c). */
enum cmd_retval cmd_image_list(struct cmd_req *r);
/* image.inspect (cmd-image.c). */
enum cmd_retval cmd_image_inspect(struct cmd_req *r);
/* image.remove (cmd-image.c). */
enum cmd_retval cmd_image_remove(struct cmd_req *r);
/* image.prune (cmd-image.c). */
enum cmd_retval cmd_image_prune(struct cmd_req *r);
/*
 * Prune filters for the engine: dangling ("dangling=true", or NULL for
 * none) and label=K[=V] for each string of labels (a new reference, NULL
 * when out of memory) (cmd-image.c).
 */
json_t	*node_prune_filters(const json_t *labels, const char *dangling);
/* volume.list (cmd-volume.c). */
enum cmd_retval cmd_volume_list(struct cmd_req *r);
/* volume.create (cmd-volume.c). */
enum cmd_retval cmd_volume_create(struct cmd_req *r);
/* volume.remove (cmd-volume.c). */
enum cmd_retval cmd_volume_remove(struct cmd_req *r);
/* volume.prune (cmd-volume.c). */
enum cmd_retval cmd_volume_prune(struct cmd_req *r);
/* network.list (cmd-network.c). */
enum cmd_retval cmd_network_list(struct cmd_req *r);
/* network.inspect (cmd-network.c). */
enum cmd_retval cmd_network_inspect(struct cmd_req *r);
/* stats.subscribe (cmd-stats.c). */
enum cmd_retval cmd_stats_subscribe(struct cmd_req *r);
/* container.stats (cmd-stats.c). */
enum cmd_retval cmd_container_stats(struct cmd_req *r);

/* cmd-events.c: a Docker stream feeding a JSON-lines channel */

/*
 * The writer of a JSON-lines stream channel fed by a Docker stream: a
 * line the channel does not take is held (one line) and the stream is
 * paused until the channel drains. It frees itself once both the channel
 * and the stream are over.
 */
struct node_lstream {
	struct node		*n;
	struct ovl_chan		*ch;	/* NULL once closed */
	struct dk_stream	*s;	/* the caller sets it; NULL once over */
	char			 label[160];	/* for the log */
	char			*held;	/* a line the channel did not take */
	size_t			 held_len;
	char			*last;	/* the end line, after held */
	size_t			 last_len;
	int			 ended;
	int			 writing;
	uint64_t		 lines;
	uint64_t		 dropped;
};

/* Makes a writer owning ch (its callbacks set); NULL if out of memory. */
struct node_lstream *node_lstream_new(struct node *n, struct ovl_chan *ch,
	    const char *label);
/* Sends one object as a line, or holds it and pauses ls->s. */
void	 node_lstream_line(struct node_lstream *ls, const json_t *obj);
/* From the stream's on_end: last (NULL: none) ends the channel. */
void	 node_lstream_end(struct node_lstream *ls, const json_t *last);
/* Resets the channel of a writer whose stream never started; frees it. */
void	 node_lstream_abort(struct node_lstream *ls);
/* {"error": {code, name, message}} for a failed Docker stream (new). */
json_t	*node_lstream_error(enum dk_err status, const char *message);

/* model.c: the node's model of its engine's containers */

#define NODE_MODEL_CTRS_MAX	20000	/* more: listings ask the engine */

struct node_model;

/* Where the model is. */
enum node_model_state {
	NODE_MODEL_OFF,		/* down: listings ask the engine */
	NODE_MODEL_BUILDING,	/* listed, inspecting: not yet */
	NODE_MODEL_READY,	/* answers listings */
};

/* What the model counts (node.info's model). */
struct node_model_stats {
	uint64_t	 events;	/* engine events taken */
	uint64_t	 refreshes;	/* containers set from an inspect */
	uint64_t	 lists;		/* lists of every container */
	uint64_t	 rebuilds;
	uint64_t	 checks;	/* the periodic GET /info */
	uint64_t	 mismatches;	/* checks that found it wrong */
	uint64_t	 answered;	/* listings answered from the model */
	uint64_t	 waited;	/* of them, after refreshes came back */
	uint64_t	 forwarded;	/* listings it could not answer */
};

/* The model can answer r (ok) or not (ask the engine). */
typedef void (*node_model_cb)(struct cmd_req *r, int ok, void *arg);

/* Starts the node's model if it has none (its first Docker request). */
void	 node_model_start(struct node *n);
/* Stops it; it frees itself once its requests are back. */
void	 node_model_close(struct node *n);
/* Refreshes a container the node just changed (full id). */
void	 node_model_touch(struct node_model *m, const char *id);
/* Lists every container again; full inspects each one too. */
void	 node_model_relist(struct node_model *m, int full);
/*
 * Whether the model can answer r: 0 now (node_model_rows), 1 through
 * cb once its refreshes are back, -EAGAIN no (ask the engine).
 */
int	 node_model_wait(struct node *n, struct cmd_req *r, node_model_cb cb,
	    void *arg) WARN_UNUSED_RESULT;
/*
 * The containers as engine summaries with State and Status as of now,
 * newest first, running ones unless all, with every label of labels
 * (a new array; NULL without a model or memory).
 */
json_t	*node_model_rows(struct node *n, int all, const json_t *labels);
/* The model's state and counters, for node.info (a new reference). */
json_t	*node_model_json(const struct node *n);

/* model-row.c */

/* The engine's summary cut to what the model keeps (new), or NULL. */
json_t	*node_model_summary(const json_t *c);
/* Sets a kept summary's engine keys from a newer summary c. */
void	 node_model_merge(json_t *sum, const json_t *c);
/* Sets the model's keys from an inspect's State and Created. */
void	 node_model_set_state(json_t *sum, const json_t *state,
	    const json_t *created);
/* An RFC 3339 time in ns since the epoch; 0: zero time, or bad. */
int64_t	 node_model_parse_time(const char *s);
/* The state word ("running", "exited", ...). */
const char *node_model_state(const json_t *sum);
/* Whether it runs (running, paused or restarting), as docker ps shows. */
int	 node_model_is_running(const json_t *sum);
/* Whether it has every label of labels ("KEY" or "KEY=VALUE"). */
int	 node_model_has_labels(const json_t *sum, const json_t *labels);
/* When it was made, ns since the epoch. */
int64_t	 node_model_created_ns(const json_t *sum);
/* The wall clock, ns since the epoch. */
int64_t	 node_model_now_ns(void);
/* A duration in the engine's words ("5 minutes", "About an hour"). */
void	 node_model_human_duration(int64_t ns, char *buf, size_t len);
/* The status text at now ("Up 5 minutes (healthy)", "Exited (0) ..."). */
void	 node_model_status(const json_t *sum, int64_t now, char *buf,
	    size_t len);
/* Sets the summary's State and Status as of now. */
void	 node_model_stamp_status(json_t *sum, int64_t now);
/* logsel-line.c: logs.select's lines, pattern and JSON (pure) */

/* Longest piece of a log line sent as one line (a longer one is cut). */
#define NODE_LSEL_LINE_MAX	10000
/* Longest timestamp before a line. */
#define NODE_LSEL_TS_MAX	40
/* Longest encoded line: a piece escaped, a name, the object's frame. */
#define NODE_LSEL_JSON_MAX	((NODE_LSEL_LINE_MAX + NODE_LSEL_TS_MAX) * 6 \
	    + 128 * 6 + 96)

/* One log line on its way: in a container's queue, then encoded. */
struct node_lsel_rec {
	struct node_lsel_rec	*next;
	int64_t			 t;	/* the engine's time, ns */
	uint64_t		 arrived;	/* loop ms */
	uint8_t			 kind;	/* DK_STREAM_STDOUT/STDERR/RAW */
	uint8_t			 ctx;	/* a --context line, not a match */
	uint32_t		 len;
	char			 line[];
};

/* One stream kind's partial line (a zeroed one needs _init). */
struct node_lsel_split {
	char		buf[NODE_LSEL_LINE_MAX + NODE_LSEL_TS_MAX];
	size_t		len;
	int		have_t;	/* the line's time was read */
	int64_t		t;	/* the current line's time, ns */
	uint64_t	untimed;	/* lines without a readable time */
};

/* A line (without '\n' and a TTY's '\r'); nonzero stops the feed. */
typedef int node_lsel_line_cb(void *arg, int64_t t, const char *line,
    size_t len);
/* A compiled --grep pattern. */
struct node_lsel_grep;

/*
 * Parses an RFC 3339 time with up to 9 fraction digits and Z or an
 * offset (the whole of s[0..len)) into ns since the epoch; -EINVAL.
 */
int	 node_lsel_time(const char *s, size_t len, int64_t *ns)
	    WARN_UNUSED_RESULT;
/* Sets up a splitter; a line without a time gets the last one seen. */
void	 node_lsel_split_init(struct node_lsel_split *sp, int64_t last_t);
/*
 * Splits the engine's timestamped log text into lines for cb: each
 * line's time read off its head, lines over NODE_LSEL_LINE_MAX passed
 * in pieces. Returns 0 or what cb returned.
 */
int	 node_lsel_split_feed(struct node_lsel_split *sp, const char *buf,
	    size_t len, node_lsel_line_cb *cb, void *arg);
/* At the stream's end: passes a last unterminated line, if any. */
int	 node_lsel_split_finish(struct node_lsel_split *sp,
	    node_lsel_line_cb *cb, void *arg);
/*
 * Compiles pattern (PCRE2, which reads extended regular expressions):
 * -EINVAL with *cause naming the position of the error, or -ENOMEM.
 */
int	 node_lsel_grep_new(const char *pattern, int icase, int invert,
	    struct node_lsel_grep **gp, char **cause) WARN_UNUSED_RESULT;
/* Frees a pattern; NULL is fine. */
void	 node_lsel_grep_free(struct node_lsel_grep *g);
/*
 * 1 when a line is selected (matches, or does not with invert). A line
 * whose match passes the work bound is not selected and is counted.
 */
int	 node_lsel_grep_match(struct node_lsel_grep *g, const char *line,
	    size_t len);
/* Lines that passed the work bound so far (NULL: 0). */
uint64_t node_lsel_grep_limited(const struct node_lsel_grep *g);
/*
 * Writes s as a JSON string with its quotes (bytes that are not UTF-8
 * become U+FFFD); out needs 6 * len + 2 bytes. Returns the bytes written.
 */
size_t	 node_lsel_json_str(char *out, const char *s, size_t len);
/*
 * Writes r as {"t", "c", "s", ["x",] "l"} and '\n' into out (at least
 * NODE_LSEL_JSON_MAX bytes for a name of at most 128); returns the length.
 */
size_t	 node_lsel_encode(char *out, const struct node_lsel_rec *r,
	    const char *ctr, size_t ctrlen);

/* fwriter.c: a framed stream channel's output */

#define NODE_FWRITER_FRAME_MAX	16384	/* payload bytes per frame */

/*
 * The writer of a framed stream channel, inside its run: frames the
 * channel refuses are held, and the caller pauses its source until
 * node_fwriter_drain says all went out. A zeroed one is ready; the run
 * sets ch when it takes its channel and NULL when the channel closes,
 * and frees the writer (node_fwriter_free) with itself.
 */
struct node_fwriter {
	struct ovl_chan	*ch;		/* NULL once closed: the run sets it */
	char		*held;		/* whole frames the channel refused */
	size_t		 held_len;
	int		 writing;	/* inside ovl_chan_write */
	uint64_t	 bytes;		/* payload bytes sent or held */
};

/* Frees the held frames. */
void	 node_fwriter_free(struct node_fwriter *fw);
/*
 * Sends buf as frames of type (NODE_FWRITER_FRAME_MAX bytes each); what
 * the channel refuses, and all of it while some is held, is held. 0: all
 * went; -ENOBUFS: some is held (pause the source); -ENOMEM: the channel
 * was reset (which may have freed the run: touch nothing).
 */
int	 node_fwriter_write(struct node_fwriter *fw, enum proto_frame type,
	    const void *buf, size_t len);
/* node_fwriter_write for one frame already built, header included. */
int	 node_fwriter_frame(struct node_fwriter *fw, const void *frame,
	    size_t len);
/* From on_drain: writes held frames; 1 when that emptied them (resume). */
int	 node_fwriter_drain(struct node_fwriter *fw);
/* Writes the last frame (payload cut to PROTO_FRAME_CTL_MAX) and FIN. */
void	 node_fwriter_end(struct node_fwriter *fw, enum proto_frame type,
	    const void *payload, size_t len);
/* node_fwriter_end with ERROR {code, name, message}. */
void	 node_fwriter_error(struct node_fwriter *fw, int code,
	    const char *msg);
/* node_fwriter_end with EXIT and code. */
void	 node_fwriter_exit(struct node_fwriter *fw, int32_t code);

/* stats-hub.c */

#define NODE_STATS_QUEUE_MAX	(64u * 1024)	/* bytes queued per sub */

struct node_stats_hub;
struct node_stats_sub;

/* What a hub counts (node_stats_counts). */
struct node_stats_counts {
	size_t		 streams;	/* Docker stats streams open */
	size_t		 containers;	/* containers held */
	size_t		 subs;		/* subscribers */
	uint64_t	 started;	/* stats streams ever started */
	uint64_t	 samples;	/* received */
	uint64_t	 lines;		/* taken by a subscriber */
	uint64_t	 dropped;	/* refused by a full subscriber */
};

/* Takes a sample line (or refuses it: non-zero, the line is dropped). */
typedef int (*node_stats_sink)(struct node_stats_sub *sub, const char *line,
    size_t len, const json_t *sample, void *arg);
/* The hub ended a subscription (code: proto error); unsubscribe it. */
typedef void (*node_stats_end)(struct node_stats_sub *sub, int code,
    const char *message, void *arg);

/* The hub in *slot, made if missing; NULL when out of memory. */
struct node_stats_hub *node_stats_hub(struct node_stats_hub **slot,
	    struct dk_client *dk, const struct node_log *log);
/*
 * Subscribes to the full ids given (ids NULL: every running container,
 * followed as they start and stop), one line per interval samples.
 */
int	 node_stats_subscribe(struct node_stats_hub *h,
	    const char *const *ids, size_t nids, unsigned interval,
	    node_stats_sink sink, node_stats_end end, void *arg,
	    struct node_stats_sub **out) WARN_UNUSED_RESULT;
/* Ends a subscription (may free the hub; safe inside sink and end). */
void	 node_stats_unsubscribe(struct node_stats_sub *sub);
/* The hub's latest sample of a container (borrowed), or NULL. */
const json_t *node_stats_latest(const struct node_stats_hub *h,
	    const char *id);
/* The hub's counters (zeros for a NULL hub). */
void	 node_stats_counts(const struct node_stats_hub *h,
	    struct node_stats_counts *out);
/* A sample as the protocol sends it: {id, name, cpu_pct, ...} (new). */
json_t	*node_stats_json(const struct dk_stats *st, const char *id);

/* term-exec.c */

#define TERM_EXEC_KILL_MS	1000	/* after SIGHUP, SIGKILL */

/* A terminal session source over a Docker exec with a TTY. */
struct term_exec;

/* What the exec runs; everything is copied. */
struct term_exec_opts {
	const char		*container;	/* full id */
	const char		*name;	/* for messages; NULL: the id */
	const char *const	*cmd;	/* NULL: bash, else sh */
	const char *const	*env;	/* "K=V", or NULL */
	const char		*user;	/* or NULL */
	const char		*workdir; /* or NULL */
	int			 rows;	/* first window size */
	int			 cols;
};

/*
 * The exec runs (status 0) or could not start: status < 0 with a proto
 * error code and a message (borrowed, for the reply).
 */
typedef void (*term_exec_ready_cb)(struct term_exec *x, int status,
    int code, const char *message, void *arg);

/* The source operations for term_session_new. */
extern const struct term_source_ops term_exec_ops;
/* Makes the source (nothing runs yet); -ENOMEM. */
int	 term_exec_new(struct dk_client *dk, const struct term_exec_opts *o,
	    struct term_exec **out) WARN_UNUSED_RESULT;
/* Finds a shell if needed, creates and starts the exec for session s. */
void	 term_exec_start(struct term_exec *x, struct term_session *s,
	    term_exec_ready_cb cb, void *arg);
/* Frees a source that never became a session's. */
void	 term_exec_discard(struct term_exec *x);
/* Why it failed or ended abnormally (borrowed), or NULL. */
const char *term_exec_error(const struct term_exec *x);
/* The argv that runs (the shell, once found), or NULL. */
char *const *term_exec_cmd(const struct term_exec *x);

/* term-reap.c */

/*
 * Sends signum to every process of process session sid (setsid; an
 * exec's Pid) whose cgroup names container (a full id); the count,
 * -ESRCH if none, -EINVAL.
 */
int	 term_exec_signal(const char *container, int sid, int signum);
/*
 * term_exec_signal(first_sig) now and SIGKILL to what is left after
 * TERM_EXEC_KILL_MS, on a timer of its own; the first call's result.
 */
int	 term_exec_reap(uv_loop_t *loop, const char *container, int sid,
	    int first_sig);

/* sessions.c */

#define NODE_SESSIONS_MAX	64	/* sessions a node holds at once */
#define NODE_FILES_BASE		64	/* open files besides the below */
#define NODE_FILES_PER_CONN	1	/* a client's socket */
#define NODE_FILES_PER_SESSION	2	/* its engine connection, and one spare */
#define NODE_SESSION_ID_LEN	12	/* hex digits of a session id */
#define NODE_SESSION_SB_LINES	1000	/* scrollback kept per session */

/* What a session runs. */
enum node_session_kind {
	NODE_SESSION_SHELL,
	NODE_SESSION_EXEC,
	NODE_SESSION_DOCKER,
};

/*
 * A terminal session's entry in the node's table (sessions belong to the
 * node): its id and what session.list shows. ts is the session itself:
 * its source, screen and viewers (term.h).
 */
struct node_session_entry {
	struct node		*n;
	struct node_session_entry *next;
	char			 id[NODE_SESSION_ID_LEN + 1];
	enum node_session_kind	 kind;
	char			*target;	/* container name, or "" */
	char			*cmd;		/* for lists, space-joined */
	int64_t			 started;	/* unix seconds */
	struct term_session	*ts;
	struct term_exec	*x;		/* shell and exec kinds */
	char			*error;		/* why it ended, or NULL */
	int			 running;	/* ready, not ended */
	int			 closing;
};

/* The node's table of sessions. */
struct node_session_table {
	struct node_session_entry *head;
	size_t			 n;
	size_t			 max;		/* 0: NODE_SESSIONS_MAX */
	int			 closing;
	void			(*done)(struct node *);
	struct term_worker	*worker;	/* the screen models */
};

/* Sessions the node holds at most (pierd --max-sessions). */
size_t	 node_sessions_max(const struct node *n);
/* Adds a session (not running yet) to the node's table; -EMFILE, -ENOMEM. */
int	 node_session_new(struct node *n, enum node_session_kind kind,
	    const char *target, struct node_session_entry **out)
	    WARN_UNUSED_RESULT;
/* Sets the command shown in lists (space-joined argv). */
void	 node_session_set_cmd(struct node_session_entry *ns, char *const *argv);
/* The term_session options every session uses (end_cb included). */
void	 node_session_opts(struct node_session_entry *ns,
	    struct term_session_opts *o, int rows, int cols);
/* Attaches an overlay channel as a viewer (TERM_VIEWER_ flags). */
int	 node_session_attach(struct node_session_entry *ns, struct ovl_chan *ch,
	    int flags, int rows, int cols) WARN_UNUSED_RESULT;
/* Finds a session by id or unique id prefix; NULL if none. */
struct node_session_entry *node_session_find(struct node *n, const char *id);
/* Ends a session and its process, telling its viewers. */
void	 node_session_close(struct node_session_entry *ns);
/* A session as session.list shows it (new reference). */
json_t	*node_session_json(const struct node_session_entry *ns);
/* Resizes as a read-write viewer's RESIZE would; 0 or -errno. */
int	 node_session_resize(struct node_session_entry *ns, int rows, int cols)
	    WARN_UNUSED_RESULT;
/* Closes every session; done runs when all are freed. */
void	 node_sessions_close(struct node *n, void (*done)(struct node *));

/* Handlers of cmd-session.c and cmd-exec.c. */

/* session.open (cmd-session.c). */
enum cmd_retval cmd_session_open(struct cmd_req *r);
/* session.attach (cmd-session.c). */
enum cmd_retval cmd_session_attach(struct cmd_req *r);
/* session.list (cmd-session.c). */
enum cmd_retval cmd_session_list(struct cmd_req *r);
/* session.kill (cmd-session.c). */
enum cmd_retval cmd_session_kill(struct cmd_req *r);
/* session.resize (cmd-session.c). */
enum cmd_retval cmd_session_resize(struct cmd_req *r);
/* The docker CLI on PATH, a new string, or NULL (cmd-session.c). */
char	*cmd_docker_cli(void);
/* The docker CLI's environment: pierd's, TERM, the engine (cmd-session.c). */
int	 cmd_docker_env(struct node *n, char ***out) WARN_UNUSED_RESULT;
/* The docker CLI, the call's "cmd" and its environment (cmd-session.c). */
int	 cmd_docker_argv(struct cmd_req *r, char ***argv, char ***env)
	    WARN_UNUSED_RESULT;
/* exec.run (cmd-exec.c). */
enum cmd_retval cmd_exec_run(struct cmd_req *r);
/* stack.up, stack.pull, stack.down, stack.restart (cmd-stack.c). */
enum cmd_retval cmd_stack_up(struct cmd_req *r);
enum cmd_retval cmd_stack_pull(struct cmd_req *r);
enum cmd_retval cmd_stack_down(struct cmd_req *r);
enum cmd_retval cmd_stack_restart(struct cmd_req *r);
/* stack.list, stack.ps, service.list (cmd-stack-list.c). */
enum cmd_retval cmd_stack_list(struct cmd_req *r);
enum cmd_retval cmd_stack_ps(struct cmd_req *r);
enum cmd_retval cmd_service_list(struct cmd_req *r);
/* An executable called name on pierd's PATH, a new string, or NULL. */
char	*cmd_find_exe(const char *name);
/* Lets go of detached compose runs as pierd stops (cmd-docker-run.c). */
void	 cmd_runs_abandon(struct node *n);
/* docker.run (cmd-docker-run.c). */
enum cmd_retval cmd_docker_run(struct cmd_req *r);
#define CMD_RUN_STDIN	0x1	/* the client's STDIN frames to stdin */
#define CMD_RUN_DETACH	0x2	/* only a reset stops it (stacks) */
/* How cmd__run_cli runs a process; zero fields are defaults. */
struct cmd_run_opts {
	const char	*cwd;		/* NULL: pierd's */
	unsigned	 flags;		/* CMD_RUN_* */
	/* Runs once when the process ended (code as in EXIT), or with -1
	 * when pierd stops first and lets go of it; never if not spawned. */
	void		(*exit_cb)(struct node *, int64_t code, void *arg);
	void		*exit_arg;	/* owned by exit_cb once it runs */
};
/*
 * Runs argv (argv[0] a path) with env as o says, its stdout and stderr
 * as frames on r's channel with credit, then EXIT; answers r with reply
 * (stolen; NULL: {}) plus "pid" once it runs, else fails r (exit_cb
 * then never runs). The arrays are borrowed (cmd-docker-run.c).
 */
enum cmd_retval cmd__run_cli(struct cmd_req *r, char **argv, char **env,
	    const struct cmd_run_opts *o, json_t *reply);
/* relay.hello, relay.dialback, node.reach (cmd-relay.c). */
enum cmd_retval cmd_relay_hello(struct cmd_req *r);
enum cmd_retval cmd_relay_announce(struct cmd_req *r);
enum cmd_retval cmd_relay_dialback(struct cmd_req *r);
enum cmd_retval cmd_node_reach(struct cmd_req *r);
enum cmd_retval cmd_path_punch(struct cmd_req *r);
/* The overlay connection a client's requests come on. */
struct ovl_conn *cmd_conn_ovl(const struct cmd_conn *cc);

/* reach-map.c */

struct node_portmaps;

/* Starts mapping each IPv4 port the node listens on at the router. */
void	 node_portmaps_start(struct node *n);
/* Deletes the mappings; done runs when all are deleted (or given up). */
void	 node_portmaps_stop(struct node *n, void (*done)(struct node *));
/* The mappings as a JSON array of objects (state, protocol, ...). */
json_t	*node_portmaps_json(const struct node *n);
/* Asks a relay to dial back every mapping not yet verified. */
void	 node_portmaps_verify(struct node *n);
/* The mapping that holds public ip:port, or NULL. */
struct ovl_portmap *node_portmap_find(const struct node *n, const char *ip,
	    uint16_t port);

/* node.c */

/* How pierd was asked to run (main.c fills it from the command line). */
struct node_config {
	char			*state_dir;
	char			**listen;	/* HOST:PORT, NULL-ended */
	enum node_log_level	 log_level;
	char			*docker_host;	/* NULL: DOCKER_HOST, default */
	size_t			 audit_max_bytes; /* 0: default */
	unsigned		 audit_keep;	/* 0: default */
	int			 port_mapping;	/* pierd: 1 unless
						 * --no-port-mapping */
	int			 no_lan;	/* --no-lan: no LAN responder */
	int			 no_dht;	/* --no-dht */
	char			**dht_bootstrap; /* NULL: the routers */
	uint32_t		 max_conns;	/* 0: OVL_MAX_CONNS */
	uint32_t		 max_sessions;	/* 0: NODE_SESSIONS_MAX */
	struct ovl_relay_limits	 relay;		/* zero fields: defaults */
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
	uv_timer_t		 trim_timer;	/* the heap, once idle */
	uint64_t		 trims;		/* malloc_trim calls */
	size_t			 pending;	/* closes not yet done */
	int			 closing;
	void			(*closed_cb)(struct node *);
	void			*closed_arg;	/* for closed_cb */
	struct node_audit	 audit;
	struct dk_client	*dk;		/* NULL: no usable endpoint */
	struct node_portmaps	*portmaps;	/* NULL: none */
	char			*dk_host;	/* the endpoint, for messages */
	char			*dk_cause;	/* why dk is NULL */
	uint64_t		 started_ms;	/* uv_now at start */
	int64_t			 started;	/* unix seconds */
	char			**revoked;	/* keys to disconnect soon */
	size_t			 nreqs;		/* requests alive, all conns */
	uint64_t		 nserved;	/* requests answered */
	struct node_stats_hub	*stats;		/* NULL while idle */
	struct node_model	*model;		/* NULL until Docker is asked */
	struct node_session_table  sess;		/* terminal sessions */
	uint64_t		 session_idle_ms; /* 0: TERM_IDLE_MS */
	struct node_reach	*reach;		/* relays, reach.json */
	struct drun		*runs;	/* detached compose runs
					 * (cmd-docker-run.c) */
	const char		*screen_exe; /* the screen worker; NULL:
						 * screens in-process */
	struct ovl_lan_responder *lan;		/* NULL: not answering */
	struct node_dht		*dht;		/* NULL: off */
	struct node_punches	*punches;	/* punch.c */
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
/* Closes a revoked key's connections a moment from now (after replies). */
void	 node_key_revoked(struct node *n, const char *name);
/* Closes the connections of keys disabled by a call, after its reply. */
void	 node_keys_sweep_soon(struct node *n);
/*
 * The last request in flight ended, or a client left: NODE_TRIM_MS
 * later, if no request came, the allocator gives the heap's free pages
 * back (malloc_trim).
 */
void	 node_idle_soon(struct node *n);

/* node-lan.c */

/*
 * Starts answering LAN probes for the node's TCP ports (those of its
 * non-loopback listeners); a failure is logged, never fatal.
 */
void	 node_lan_start(struct node *n);
/* Stops answering; done(arg) runs once closed (at once if never started). */
void	 node_lan_close(struct node *n, void (*done)(void *), void *arg);

/* node-dht.c */

struct node_dht;

/* Starts the node on the DHT (bootstrap NULL: the default routers). */
void	 node_dht_start(struct node *n, char *const *bootstrap);
/* The access keys changed: their hashes are announced at once. */
void	 node_dht_keys_changed(struct node *n);
/* Saves the table and stops; done(arg) runs once closed. */
void	 node_dht_close(struct node *n, void (*done)(void *), void *arg);
/* The DHT's part of node.reach (a new object), NULL when off. */
json_t	*node_dht_json(const struct node *n);
/* The DHT's socket, for the hole punch; NULL when off. */
struct ovl_dhts *node_dht_sock(struct node *n);
/* The address the DHT's votes agree on, "ip:port"; -ENOENT when none. */
int	 node_dht_external(const struct node *n, char *out, size_t len);
/*
 * The relay hashes of the node's active keys (today, and the day beyond
 * midnight when near it), for its relays to announce; 0 when the DHT is
 * off.
 */
size_t	 node_dht_relay_hashes(const struct node *n,
	    uint8_t (*out)[OVL_DHT_ID_LEN], size_t max);
/*
 * Relay side: the k hashes a relayed node gave over its link (owner)
 * replace what it gave before; each is announced now and with every
 * round for 20 minutes. -ENOTCONN with the DHT off, -ENOSPC when the
 * table (256) is full.
 */
int	 node_dht_foreign(struct node *n, const void *owner,
	    const uint8_t (*ih)[OVL_DHT_ID_LEN], size_t k);

/* punch.c */

struct node_punches;

/* Sets up hole punching (n->punches); -ENOMEM. */
int	 node_punch_init(struct node *n) WARN_UNUSED_RESULT;
/* A client knocked from a: connect to it from the listen port. */
void	 node_punch_start(struct node *n, const struct ovl_dht_addr *a);
/*
 * Connects to to from the listen port for a path move (why: for the
 * log), even if it was punched lately; -EINVAL for an address no punch
 * goes to, -EBUSY at the limit of punches at once.
 */
int	 node_punch_to(struct node *n, const struct sockaddr_in *to,
	    const char *why);
/*
 * The node's own addresses a client may connect to for a path move,
 * "KIND+ip:port" each (punch+, map+, lan+ or plain), best first: where
 * relays and the DHT see it (with the listen port), its mapped address,
 * its host's IPv4 addresses. Returns how many (at most max).
 */
size_t	 node_punch_addrs(struct node *n, char (*out)[OVL_ADDR_MAX],
	    size_t max);
/* Ends every punch in progress (their handles close). */
void	 node_punch_stop(struct node *n);
/* Frees what node_punch_init made, once the handles closed. */
void	 node_punch_free(struct node *n);
/* Punches that connected, for reports. */
uint64_t node_punch_won(const struct node *n);

/* notify.c */

/*
 * Tells the service manager (NOTIFY_SOCKET) state: "READY=1\nSTATUS=..."
 * or "STOPPING=1". Does nothing without NOTIFY_SOCKET; 0 or -errno.
 */
int	 node_notify(const char *state);

/* node-key.c */

/* `pierd key COMMAND ...` (argv[0] is "key"); returns an exit code. */
int	 node_key_main(int argc, char **argv);

#endif
