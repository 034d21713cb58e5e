/*
 * stack.up, stack.pull, stack.down and stack.restart: compose on the
 * node's host, on files the client sent. A call with "files" first
 * replaces the stack's folder (stack-files.c) and records how compose
 * runs for it; without, the folder from an earlier stack.up is used.
 * Then the host's compose runs as an argv, never through a shell, with
 * the folder as its working directory, in a process group of its own,
 * under the runner of docker.run (cmd__run_cli): its output comes as
 * STDOUT and STDERR frames with the channel's credit, its exit code in
 * EXIT. Only a reset of the channel stops it (CMD_RUN_DETACH): a FIN or
 * a dropped connection leaves compose to finish on its own.
 *
 * Which compose: the docker CLI's compose plugin when one of the CLI's
 * plugin folders has it (`docker compose`), else `docker-compose` on
 * pierd's PATH. A swarm stack ("swarm": true) runs `docker stack deploy`
 * and `docker stack rm` instead, on a manager. down, restart and pull of
 * a stack the node keeps no files for (one started on the host by hand)
 * run in the folder its containers' compose labels name (on_hand).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node.h"

/* Where the docker CLI looks for plugins (besides ~/.docker). */
static const char *const plugin_dirs[] = {
	"/usr/local/lib/docker/cli-plugins",
	"/usr/local/libexec/docker/cli-plugins",
	"/usr/lib/docker/cli-plugins",
	"/usr/libexec/docker/cli-plugins",
	NULL
};

/* What a call asks compose to do. */
enum stack_op {
	STACK_UP,
	STACK_PULL,
	STACK_DOWN,
	STACK_RESTART,
};

/* The compose command: [docker, compose] or [docker-compose]; -ENOENT. */
static int
compose_argv(char ***argv)
{
	const char	*home = getenv("HOME");
	char		*docker, *path, *v1;
	size_t		 i;
	int		 plugin = 0, err;

	docker = cmd_docker_cli();
	if (docker != NULL && home != NULL) {
		path = proto_xasprintf("%s/.docker/cli-plugins/docker-compose",
		    home);
		plugin = access(path, X_OK) == 0;
		free(path);
	}
	for (i = 0; docker != NULL && !plugin && plugin_dirs[i] != NULL;
	    i++) {
		path = proto_xasprintf("%s/docker-compose", plugin_dirs[i]);
		plugin = access(path, X_OK) == 0;
		free(path);
	}
	if (plugin) {
		err = node_strv_push(argv, docker);
		if (err == 0)
			err = node_strv_push(argv, "compose");
		free(docker);
		return (err);
	}
	free(docker);
	v1 = cmd_find_exe("docker-compose");
	if (v1 == NULL)
		return (-ENOENT);
	err = node_strv_push(argv, v1);
	free(v1);
	return (err);
}

/* Appends every string of a JSON array to argv, each after flag. */
static int
push_each(char ***argv, const char *flag, const json_t *a)
{
	size_t	i;
	int	err = 0;

	for (i = 0; err == 0 && i < json_array_size(a); i++) {
		if (flag != NULL)
			err = node_strv_push(argv, flag);
		if (err == 0)
			err = node_strv_push(argv, json_string_value(
			    json_array_get(a, i)));
	}
	return (err);
}

/* The argv of a swarm stack's op; -ENOTSUP for pull and restart. */
static int
swarm_argv(enum stack_op op, const char *name, const json_t *meta,
    char ***argv)
{
	char	*docker;
	int	 err;

	if (op == STACK_PULL || op == STACK_RESTART)
		return (-ENOTSUP);
	docker = cmd_docker_cli();
	if (docker == NULL)
		return (-ENOENT);
	err = node_strv_push(argv, docker);
	free(docker);
	if (err == 0)
		err = node_strv_push(argv, "stack");
	if (err == 0 && op == STACK_UP) {
		err = node_strv_push(argv, "deploy");
		if (err == 0)
			err = push_each(argv, "--compose-file",
			    json_object_get(meta, "compose_files"));
		if (err == 0)
			err = node_strv_push(argv, "--prune");
	} else if (err == 0)
		err = node_strv_push(argv, "rm");
	if (err == 0)
		err = node_strv_push(argv, name);
	return (err);
}

/* The argv of a compose stack's op. */
static int
stack_argv(enum stack_op op, const char *name, const json_t *meta,
    int volumes, char ***argv)
{
	const char	*envf = json_string_value(json_object_get(meta,
			    "env_file"));
	int		 err;

	if (json_is_true(json_object_get(meta, "swarm")))
		return (swarm_argv(op, name, meta, argv));
	err = compose_argv(argv);
	if (err == 0)
		err = node_strv_push(argv, "--project-name");
	if (err == 0)
		err = node_strv_push(argv, name);
	if (err == 0)
		err = push_each(argv, "--file", json_object_get(meta,
		    "compose_files"));
	if (err == 0 && envf != NULL) {
		err = node_strv_push(argv, "--env-file");
		if (err == 0)
			err = node_strv_push(argv, envf);
	}
	if (err == 0 && op == STACK_UP) {
		err = node_strv_push(argv, "up");
		if (err == 0)
			err = node_strv_push(argv, "--detach");
		if (err == 0)
			err = node_strv_push(argv, "--remove-orphans");
	} else if (err == 0 && op == STACK_DOWN) {
		err = node_strv_push(argv, "down");
		if (err == 0 && volumes)
			err = node_strv_push(argv, "--volumes");
	} else if (err == 0)
		err = node_strv_push(argv, op == STACK_PULL ? "pull" :
		    "restart");
	return (err);
}

/* Checks what a call with files says and writes the folder. */
static enum cmd_retval
stack_store(struct cmd_req *r, const char *name, const json_t *files)
{
	const json_t	*cf = json_object_get(r->params, "compose_files");
	const char	*envf = proto_param_str(r->params, "env_file", NULL);
	json_t		*meta;	/* owned */
	char		*cause = NULL;
	size_t		 i;
	int		 err;

	if (json_array_size(cf) == 0)
		return (cmd_fail(r, PROTO_E_PARAMS, "params.compose_files: "
		    "needed with files"));
	for (i = 0; i < json_array_size(cf); i++)
		if (json_object_get(files, json_string_value(
		    json_array_get(cf, i))) == NULL)
			return (cmd_fail(r, PROTO_E_PARAMS, "params."
			    "compose_files: %s is not among the files",
			    json_string_value(json_array_get(cf, i))));
	if (envf != NULL && json_object_get(files, envf) == NULL)
		return (cmd_fail(r, PROTO_E_PARAMS, "params.env_file: %s is "
		    "not among the files", envf));
	meta = json_pack("{s:O, s:b, s:O*, s:s*}", "compose_files", cf,
	    "swarm", proto_param_bool(r->params, "swarm", 0), "env",
	    json_object_get(r->params, "env"), "env_file", envf);
	if (meta == NULL)
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	err = node_stack_write(r->node, name, files, meta, &cause);
	json_decref(meta);
	if (err != 0) {
		(void)cmd_fail(r, err == -EINVAL || err == -EFBIG ?
		    (err == -EFBIG ? PROTO_E_TOOLARGE : PROTO_E_PARAMS) :
		    PROTO_E_HOST, "stack %s: %s", name, cause != NULL ? cause :
		    strerror(-err));
		free(cause);
		return (CMD_ERROR);
	}
	return (CMD_DONE);
}

/* Removes the folder once `stack down --purge` ended well. */
static void
purge_after(struct node *n, int64_t code, void *arg)
{
	char	*name = arg;

	if (code == 0 && node_stack_purge(n, name) != 0)
		node_log(&n->log, NODE_LOG_WARN, "stack %s: cannot remove "
		    "its folder", name);
	free(name);
}

/* A stack whose folder may go once the engine has answered. */
struct forget {
	struct node	*n;
	char		*name;
};

/* The containers of a failed first up: none left, the folder goes. */
static void
forget_listed(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct forget	*fg = arg;

	if (status == 0 && json_array_size(list) == 0 &&
	    node_stack_purge(fg->n, fg->name) != 0)
		node_log(&fg->n->log, NODE_LOG_WARN, "stack %s: cannot remove "
		    "its folder", fg->name);
	json_decref(list);
	free(fg->name);
	free(fg);
}

/*
 * A first stack.up ended: when compose failed and left no container of
 * the project, the folder goes too, as if the call never came.
 */
static void
forget_failed(struct node *n, int64_t code, void *arg)
{
	struct forget	*fg;
	json_t		*f = NULL;	/* owned */

	fg = code > 0 && n->dk != NULL && !n->closing ? malloc(sizeof(*fg)) :
	    NULL;
	if (fg != NULL) {
		fg->n = n;
		fg->name = arg;
		f = json_pack("{s:[s+]}", "label",
		    NODE_L_PROJECT "=", fg->name);
	}
	if (f == NULL || dk_container_list(n->dk, 1, f, forget_listed, fg,
	    NULL) != 0) {
		free(fg);
		free(arg);
	}
	json_decref(f);
}

/* Fails r for a failed stack_argv. */
static enum cmd_retval
argv_fail(struct cmd_req *r, const char *name, int err)
{
	if (err == -ENOTSUP)
		return (cmd_fail(r, PROTO_E_STATE, "stack %s is a swarm "
		    "stack: swarm updates its services itself (deploy it "
		    "again with pier stack up --swarm)", name));
	if (err == -ENOENT)
		return (cmd_fail(r, PROTO_E_NO_CLI, "this host has no compose: "
		    "tried `docker compose` (the docker CLI's compose plugin, "
		    "in its cli-plugins folders) and `docker-compose` on "
		    "pierd's PATH (%s); install one, e.g. apt-get install "
		    "docker-compose-plugin or docker-compose", getenv("PATH") !=
		    NULL ? getenv("PATH") : ""));
	return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
}

/* The environment compose runs with: the docker CLI's plus meta.env. */
static int
stack_env(struct node *n, const json_t *meta, char ***env)
{
	int	err;

	err = cmd_docker_env(n, env);
	if (err == 0)
		err = push_each(env, NULL, json_object_get(meta, "env"));
	return (err);
}

/* Runs op's argv for a stack described by meta, in cwd. */
static enum cmd_retval
stack_spawn(struct cmd_req *r, enum stack_op op, const json_t *meta,
    const char *cwd, int fresh)
{
	struct cmd_run_opts	 ro;
	const char		*name = proto_param_str(r->params, "name", "");
	char			**argv = NULL, **env = NULL;
	enum cmd_retval		 rv;
	int			 err;

	err = stack_argv(op, name, meta, proto_param_bool(r->params,
	    "volumes", 0), &argv);
	if (err == 0)
		err = stack_env(r->node, meta, &env);
	if (err != 0) {
		node_strv_free(argv);
		node_strv_free(env);
		if (fresh && node_stack_purge(r->node, name) != 0)
			node_log(&r->node->log, NODE_LOG_WARN, "stack %s: "
			    "cannot remove its folder", name);
		return (argv_fail(r, name, err));
	}
	memset(&ro, 0, sizeof(ro));
	ro.cwd = cwd;
	ro.flags = CMD_RUN_DETACH;
	if (op == STACK_DOWN && proto_param_bool(r->params, "purge", 0)) {
		ro.exit_cb = purge_after;
		ro.exit_arg = strdup(name);
	} else if (op == STACK_UP && fresh) {
		ro.exit_cb = forget_failed;
		ro.exit_arg = strdup(name);
	}
	rv = cmd__run_cli(r, argv, env, &ro, json_pack("{s:s, s:s}", "name",
	    name, "command", argv[0]));
	if (rv == CMD_ERROR)
		free(ro.exit_arg);
	node_strv_free(argv);
	node_strv_free(env);
	return (rv);
}

/* The op a stack method names. */
static enum stack_op
op_of(const struct cmd_req *r)
{
	const char	*m = r->method->name;

	if (strcmp(m, "stack.pull") == 0)
		return (STACK_PULL);
	if (strcmp(m, "stack.down") == 0)
		return (STACK_DOWN);
	if (strcmp(m, "stack.restart") == 0)
		return (STACK_RESTART);
	return (STACK_UP);
}

/*
 * The containers of a stack the node keeps no files for (started on the
 * host by hand): compose's labels say where its files are, or it is a
 * swarm stack; compose then runs there as for a kept one.
 */
static void
on_hand(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct cmd_req	*r = arg;
	const char	*name = proto_param_str(r->params, "name", "");
	const char	*wd = NULL, *cf = NULL, *v, *end;
	const json_t	*c, *l;
	json_t		*meta, *files;	/* owned */
	size_t		 i;
	int		 swarm = 0;

	if (cmd_docker_failed(r, req, status, list))
		return;
	json_array_foreach(list, i, c) {
		l = json_object_get(c, "Labels");
		v = json_string_value(json_object_get(l, NODE_L_PROJECT));
		if (v != NULL && strcmp(v, name) == 0 && wd == NULL) {
			wd = json_string_value(json_object_get(l,
			    NODE_L_WORKDIR));
			cf = json_string_value(json_object_get(l,
			    NODE_L_CONFIGS));
		}
		v = json_string_value(json_object_get(l, NODE_L_NAMESPACE));
		swarm |= v != NULL && strcmp(v, name) == 0;
	}
	files = json_array();
	for (v = cf; v != NULL && *v != '\0' && files != NULL; v = end +
	    (*end != '\0')) {
		end = strchr(v, ',');
		if (end == NULL)
			end = v + strlen(v);
		(void)json_array_append_new(files, json_stringn(v,
		    (size_t)(end - v)));
	}
	meta = json_pack("{s:o*, s:b}", "compose_files", files, "swarm",
	    wd == NULL && swarm);
	if (meta == NULL || (wd == NULL && !swarm) || (wd != NULL &&
	    json_array_size(files) == 0))
		(void)cmd_fail(r, PROTO_E_NOTFOUND, "no stack %s on this "
		    "node%s", name, wd != NULL ? ": its containers do not say "
		    "where its compose files are" : "");
	else
		(void)stack_spawn(r, op_of(r), meta, wd, 0);
	json_decref(meta);
	json_decref(list);
}

/* Every stack op: store the files if sent, then run compose. */
static enum cmd_retval
stack_run(struct cmd_req *r, enum stack_op op)
{
	const char	*name = proto_param_str(r->params, "name", "");
	const json_t	*files = json_object_get(r->params, "files");
	struct dk_req	*req = NULL;
	json_t		*meta = NULL;	/* owned */
	char		*dir;
	enum cmd_retval	 rv;
	int		 err, fresh;

	cmd_set_target(r, "%s", name);
	if (!node_stack_name_ok(name))
		return (cmd_fail(r, PROTO_E_PARAMS, "params.name: %s is not a "
		    "compose project name (1 to %d of a-z 0-9 - _, starting "
		    "with a letter or digit)", name, NODE_STACK_NAME_MAX));
	dir = node_stack_dir(r->node, name);
	fresh = access(dir, F_OK) != 0;
	if (files != NULL && stack_store(r, name, files) != CMD_DONE) {
		free(dir);
		return (CMD_ERROR);
	}
	err = node_stack_meta(r->node, name, &meta);
	if (err == -ENOENT && op != STACK_UP && r->node->dk != NULL) {
		free(dir);
		err = dk_container_list(r->node->dk, 1, NULL, on_hand, r, &req);
		return (cmd_docker_wait(r, req, err));
	}
	if (err != 0) {
		free(dir);
		return (cmd_fail(r, err == -ENOENT ? PROTO_E_NOTFOUND :
		    PROTO_E_HOST, "no files for stack %s on this node%s", name,
		    err == -ENOENT ? " (pier stack up sends them)" :
		    ": its folder cannot be read"));
	}
	rv = stack_spawn(r, op, meta, dir, fresh && files != NULL);
	json_decref(meta);
	free(dir);
	return (rv);
}

/* stack.up. */
enum cmd_retval
cmd_stack_up(struct cmd_req *r)
{
	return (stack_run(r, STACK_UP));
}

/* stack.pull. */
enum cmd_retval
cmd_stack_pull(struct cmd_req *r)
{
	return (stack_run(r, STACK_PULL));
}

/* stack.down. */
enum cmd_retval
cmd_stack_down(struct cmd_req *r)
{
	return (stack_run(r, STACK_DOWN));
}

/* stack.restart. */
enum cmd_retval
cmd_stack_restart(struct cmd_req *r)
{
	return (stack_run(r, STACK_RESTART));
}
