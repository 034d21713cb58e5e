/*
 * session.open, attach, list, kill and resize: terminal sessions. A
 * shell or exec session runs a Docker exec with a TTY (term-exec.c); a
 * docker session runs the host's docker CLI under a local PTY with the
 * caller's arguments as an argv (admin only, checked by the catalogue's
 * choice roles). The session joins the node's table (sessions.c), and
 * the request's channel becomes its first viewer; the reply follows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node.h"

extern char **environ;

#define SESSION_ROWS	24	/* size when the caller gives none */
#define SESSION_COLS	80

/* A JSON array of strings as a NULL-terminated vector (owned). */
static int
strv_from_json(const json_t *a, char ***out)
{
	size_t	i;

	*out = NULL;
	for (i = 0; i < json_array_size(a); i++)
		if (node_strv_push(out, json_string_value(json_array_get(a,
		    i))) != 0)
			return (-ENOMEM);
	return (0);
}

/* Makes the request's channel the session's first viewer; replies. */
static enum cmd_retval
open_attach(struct cmd_req *r, struct node_session_entry *ns)
{
	struct ovl_chan	*ch;
	int		 err;

	ch = cmd_take_chan(r);
	if (ch == NULL || r->cancelled) {
		if (ch != NULL)
			ovl_chan_reset(ch);
		node_session_close(ns);
		return (cmd_fail(r, PROTO_E_CANCELLED, "the caller left "
		    "before the session started"));
	}
	ns->running = 1;
	/* A brand-new session streams from its first byte: no repaint. */
	err = node_session_attach(ns, ch, TERM_VIEWER_NO_REPAINT,
	    (int)proto_param_int(r->params, "rows", SESSION_ROWS),
	    (int)proto_param_int(r->params, "cols", SESSION_COLS));
	if (err != 0) {
		node_session_close(ns);
		return (cmd_fail(r, PROTO_E_INTERNAL, "cannot attach: %s",
		    strerror(-err)));
	}
	cmd_set_target(r, "%s %s", ns->id, ns->target);
	node_log(&r->node->log, NODE_LOG_INFO, "session %s (%s: %s) opened "
	    "by %s", ns->id, ns->target, ns->cmd != NULL ? ns->cmd : "",
	    r->caller.client);
	return (cmd_reply(r, json_pack("{s:s, s:s}", "session", ns->id,
	    "cmd", ns->cmd != NULL ? ns->cmd : "")));
}

/* The exec runs, or could not start. */
static void
open_ready(struct term_exec *x, int status, int code, const char *message,
    void *arg)
{
	struct cmd_req		*r = arg;
	struct node_session_entry *ns = r->data;

	r->data = NULL;
	if (status != 0) {
		(void)cmd_fail(r, code, "%s", message != NULL ? message :
		    "cannot start the session");
		if (!ns->closing)
			node_session_close(ns);
	} else {
		node_session_set_cmd(ns, term_exec_cmd(x));
		(void)open_attach(r, ns);
	}
	cmd_req_unref(r);
}

/* The container is known: make the session and start its exec. */
static void
open_resolved(struct cmd_req *r, const char *id, const char *name, void *arg)
{
	struct node		*n = r->node;
	struct node_session_entry *ns;
	struct term_exec_opts	 xo;
	struct term_session_opts o;
	char			**cmd = NULL, **env = NULL;
	int			 err, exec_kind;

	exec_kind = strcmp(proto_param_str(r->params, "kind", ""),
	    "exec") == 0;
	if (cmd_docker(r) == NULL)
		return;
	err = node_session_new(n, exec_kind ? NODE_SESSION_EXEC :
	    NODE_SESSION_SHELL, name[0] != '\0' ? name : id, &ns);
	if (err == -EMFILE) {
		(void)cmd_fail(r, PROTO_E_BUSY, "this node holds %zu session%s "
		    "already; end one with pier kill-session",
		    node_sessions_max(n), node_sessions_max(n) == 1 ? "" : "s");
		return;
	}
	if (err != 0) {
		(void)cmd_fail(r, PROTO_E_INTERNAL, "%s", strerror(-err));
		return;
	}
	memset(&xo, 0, sizeof(xo));
	if ((exec_kind && strv_from_json(json_object_get(r->params, "cmd"),
	    &cmd) != 0) || strv_from_json(json_object_get(r->params, "env"),
	    &env) != 0)
		err = -ENOMEM;
	xo.container = id;
	xo.name = name[0] != '\0' ? name : id;
	xo.cmd = (const char *const *)cmd;
	xo.env = (const char *const *)env;
	xo.user = proto_param_str(r->params, "user", NULL);
	xo.workdir = proto_param_str(r->params, "workdir", NULL);
	xo.rows = (int)proto_param_int(r->params, "rows", SESSION_ROWS);
	xo.cols = (int)proto_param_int(r->params, "cols", SESSION_COLS);
	if (err == 0)
		err = term_exec_new(n->dk, &xo, &ns->x);
	node_strv_free(cmd);
	node_strv_free(env);
	node_session_opts(ns, &o, xo.rows, xo.cols);
	if (err == 0) {
		err = term_session_new(n->loop, &o, &term_exec_ops, ns->x,
		    &ns->ts);
		if (err != 0) {
			term_exec_discard(ns->x);
			ns->x = NULL;
		}
	}
	if (err != 0) {
		node_session_close(ns);
		(void)cmd_fail(r, PROTO_E_INTERNAL, "cannot make the session: "
		    "%s", strerror(-err));
		return;
	}
	cmd_req_ref(r);
	r->data = ns;
	term_exec_start(ns->x, ns->ts, open_ready, r);
}

/* Finds the docker CLI on PATH: a new string, or NULL. */
char *
cmd_docker_cli(void)
{
	return (cmd_find_exe("docker"));
}

/* Finds an executable called name on PATH: a new string, or NULL. */
char *
cmd_find_exe(const char *name)
{
	const char	*path = getenv("PATH"), *p, *end;
	char		*cand;

	if (path == NULL || path[0] == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p != '\0'; p = end + (*end != '\0')) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		if (asprintf(&cand, "%.*s/%s", (int)(end - p), p, name) < 0)
			return (NULL);
		if (end > p && access(cand, X_OK) == 0)
			return (cand);
		free(cand);
	}
	return (NULL);
}

/* The environment of the docker CLI: the node's, with TERM and the
 * node's Docker endpoint. */
int
cmd_docker_env(struct node *n, char ***out)
{
	char	**e, buf[4096];
	int	  term = 0, host = 0;

	*out = NULL;
	for (e = environ; *e != NULL; e++) {
		if (strncmp(*e, "TERM=", 5) == 0)
			term = 1;
		if (strncmp(*e, "DOCKER_HOST=", 12) == 0)
			host = 1;
		if (node_strv_push(out, *e) != 0)
			return (-ENOMEM);
	}
	if (!term && node_strv_push(out, "TERM=xterm-256color") != 0)
		return (-ENOMEM);
	if (!host && n->dk_host != NULL && strstr(n->dk_host, "://") !=
	    NULL) {
		snprintf(buf, sizeof(buf), "DOCKER_HOST=%s", n->dk_host);
		if (node_strv_push(out, buf) != 0)
			return (-ENOMEM);
	}
	return (0);
}

/*
 * The host's docker CLI with the call's "cmd" after it, and its
 * environment, for a session or docker.run: 0, or -ENOENT when pierd's
 * PATH has no docker CLI (r is then answered), or -ENOMEM (not answered).
 */
int
cmd_docker_argv(struct cmd_req *r, char ***argv, char ***env)
{
	const json_t	*args = json_object_get(r->params, "cmd");
	char		*cli;
	size_t		 i;
	int		 err;

	*argv = NULL;
	*env = NULL;
	cli = cmd_docker_cli();
	if (cli == NULL) {
		(void)cmd_fail(r, PROTO_E_NO_CLI, "this host has no docker "
		    "CLI on pierd's PATH (%s); install the docker client "
		    "there", getenv("PATH") != NULL ? getenv("PATH") : "");
		return (-ENOENT);
	}
	err = node_strv_push(argv, cli);
	for (i = 0; err == 0 && i < json_array_size(args); i++)
		err = node_strv_push(argv, json_string_value(
		    json_array_get(args, i)));
	free(cli);
	if (err == 0)
		err = cmd_docker_env(r->node, env);
	if (err != 0) {
		node_strv_free(*argv);
		node_strv_free(*env);
		*argv = *env = NULL;
		return (-ENOMEM);
	}
	return (0);
}

/* kind docker: the host's docker CLI under a local PTY. */
static enum cmd_retval
open_docker(struct cmd_req *r)
{
	struct node		*n = r->node;
	struct node_session_entry *ns;
	struct term_session_opts o;
	struct term_pty_opts	 po;
	char			**argv = NULL, **env = NULL, *cause = NULL;
	int			 err;

	err = cmd_docker_argv(r, &argv, &env);
	if (err == -ENOENT)
		return (CMD_ERROR);	/* answered */
	if (err == 0)
		err = node_session_new(n, NODE_SESSION_DOCKER, "docker", &ns);
	if (err != 0) {
		node_strv_free(argv);
		node_strv_free(env);
		return (cmd_fail(r, err == -EMFILE ? PROTO_E_BUSY :
		    PROTO_E_INTERNAL, "cannot make the session: %s",
		    err == -EMFILE ? "too many sessions" : strerror(-err)));
	}
	node_session_set_cmd(ns, argv);
	node_session_opts(ns, &o,
	    (int)proto_param_int(r->params, "rows", SESSION_ROWS),
	    (int)proto_param_int(r->params, "cols", SESSION_COLS));
	memset(&po, 0, sizeof(po));
	po.argv = (const char *const *)argv;
	po.env = (const char *const *)env;
	err = term_session_spawn(n->loop, &o, &po, &ns->ts, &cause);
	node_strv_free(argv);
	node_strv_free(env);
	if (err != 0) {
		ns->ts = NULL;
		node_session_close(ns);
		err = cmd_fail(r, PROTO_E_HOST, "cannot run the docker CLI: %s",
		    cause != NULL ? cause : strerror(-err));
		free(cause);
		return (err);
	}
	return (open_attach(r, ns));
}

/* session.open: a shell, a command, or the docker CLI. */
enum cmd_retval
cmd_session_open(struct cmd_req *r)
{
	const char	*kind = proto_param_str(r->params, "kind", "");
	const char	*container = proto_param_str(r->params, "container",
			    NULL);

	if (strcmp(kind, "docker") == 0)
		return (open_docker(r));
	if (container == NULL)
		return (cmd_fail(r, PROTO_E_PARAMS, "params.container: "
		    "missing; kind %s needs a container", kind));
	if (strcmp(kind, "exec") == 0 &&
	    json_array_size(json_object_get(r->params, "cmd")) == 0)
		return (cmd_fail(r, PROTO_E_PARAMS, "params.cmd: missing; "
		    "kind exec needs a command"));
	cmd_set_target(r, "%s", container);
	return (node_resolve_container(r, container, open_resolved, NULL));
}

/* Finds the session of params.id, or fails the request. */
static struct node_session_entry *
session_of(struct cmd_req *r)
{
	const char		*id = proto_param_str(r->params, "id", "");
	struct node_session_entry *ns;

	ns = node_session_find(r->node, id);
	if (ns == NULL) {
		(void)cmd_fail(r, PROTO_E_NOTFOUND, "no session %s on this "
		    "node (pier sessions lists them)", id);
		return (NULL);
	}
	if (ns->kind == NODE_SESSION_DOCKER &&
	    r->caller.role < PROTO_ROLE_ADMIN) {
		(void)cmd_fail(r, PROTO_E_FORBIDDEN, "session %s runs the "
		    "docker CLI, which needs the admin role", ns->id);
		return (NULL);
	}
	cmd_set_target(r, "%s %s", ns->id, ns->target);
	return (ns);
}

/* session.attach: a repaint, then the live stream. */
enum cmd_retval
cmd_session_attach(struct cmd_req *r)
{
	struct node_session_entry *ns;
	struct ovl_chan		*ch;
	int			 err, ro;

	ns = session_of(r);
	if (ns == NULL)
		return (CMD_ERROR);
	if (!ns->running)
		return (cmd_fail(r, PROTO_E_STATE, "session %s is not running "
		    "yet or is ending", ns->id));
	ch = cmd_take_chan(r);
	if (ch == NULL)
		return (cmd_fail(r, PROTO_E_CHANNEL, "the channel is gone"));
	ro = proto_param_bool(r->params, "read_only", 0);
	err = node_session_attach(ns, ch, (ro ? TERM_VIEWER_READONLY : 0) |
	    (proto_param_bool(r->params, "repaint", 1) ? 0 :
	    TERM_VIEWER_NO_REPAINT),
	    (int)proto_param_int(r->params, "rows", SESSION_ROWS),
	    (int)proto_param_int(r->params, "cols", SESSION_COLS));
	if (err != 0)
		return (cmd_fail(r, PROTO_E_STATE, "cannot attach to session "
		    "%s: %s", ns->id, strerror(-err)));
	node_log(&r->node->log, NODE_LOG_INFO, "session %s attached by %s%s",
	    ns->id, r->caller.client, ro ? " (read-only)" : "");
	return (cmd_reply(r, json_pack("{s:s, s:s, s:s}", "session", ns->id,
	    "target", ns->target, "cmd", ns->cmd != NULL ? ns->cmd : "")));
}

/* session.list: every session of the node. */
enum cmd_retval
cmd_session_list(struct cmd_req *r)
{
	struct node_session_entry *ns;
	json_t			*arr;	/* owned */

	arr = json_array();
	if (arr == NULL)
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	for (ns = r->node->sess.head; ns != NULL; ns = ns->next) {
		if (ns->closing)
			continue;
		if (ns->kind == NODE_SESSION_DOCKER &&
		    r->caller.role < PROTO_ROLE_ADMIN)
			continue;
		if (json_array_append_new(arr, node_session_json(ns)) != 0) {
			json_decref(arr);
			return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
		}
	}
	return (cmd_reply(r, json_pack("{s:o}", "sessions", arr)));
}

/* session.kill: end a session and its process. */
enum cmd_retval
cmd_session_kill(struct cmd_req *r)
{
	struct node_session_entry *ns;
	char			 id[NODE_SESSION_ID_LEN + 1];

	ns = session_of(r);
	if (ns == NULL)
		return (CMD_ERROR);
	memcpy(id, ns->id, sizeof(id));
	node_log(&r->node->log, NODE_LOG_INFO, "session %s killed by %s", id,
	    r->caller.client);
	node_session_close(ns);
	return (cmd_reply(r, json_pack("{s:s}", "session", id)));
}

/* session.resize: as a RESIZE frame from a read-write viewer. */
enum cmd_retval
cmd_session_resize(struct cmd_req *r)
{
	struct node_session_entry *ns;
	int			 err;

	ns = session_of(r);
	if (ns == NULL)
		return (CMD_ERROR);
	err = node_session_resize(ns, (int)proto_param_int(r->params, "rows",
	    SESSION_ROWS), (int)proto_param_int(r->params, "cols",
	    SESSION_COLS));
	if (err == -ENOTSUP)
		return (cmd_fail(r, PROTO_E_STATE, "session %s runs the docker "
		    "CLI; its size follows its viewers' RESIZE frames",
		    ns->id));
	if (err != 0)
		return (cmd_fail(r, PROTO_E_STATE, "cannot resize session %s: "
		    "%s", ns->id, strerror(-err)));
	return (cmd_reply(r, json_pack("{s:s}", "session", ns->id)));
}
