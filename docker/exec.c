/*
 * Exec and attach: the requests around a hijacked connection. An exec is
 * created (POST /containers/{id}/exec), started as a hijack (POST
 * /exec/{id}/start), resized while it runs, and inspected for its exit
 * code once the stream ends. Attach joins a running container's own
 * stdio the same way. With a TTY the bytes are raw; without, stdout and
 * stderr come demultiplexed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

/* Adds a NULL-terminated string list as a JSON array under key. */
static int
set_list(json_t *obj, const char *key, const char *const *list)
{
	json_t *a;	/* owned until set */
	size_t i;

	if (list == NULL)
		return (0);
	a = json_array();
	if (a == NULL)
		return (-ENOMEM);
	for (i = 0; list[i] != NULL; i++) {
		if (json_array_append_new(a, json_string(list[i])) != 0) {
			json_decref(a);
			return (-EINVAL);
		}
	}
	return (json_object_set_new(obj, key, a) != 0 ? -ENOMEM : 0);
}

/* Adds a string under key when it is not NULL. */
static int
set_str(json_t *obj, const char *key, const char *s)
{
	if (s == NULL)
		return (0);
	return (json_object_set_new(obj, key, json_string(s)) != 0 ?
	    -EINVAL : 0);
}

/* Creates an exec; see docker-streams.h. */
int
dk_exec_create(struct dk_client *c, const char *id,
    const struct dk_exec_opts *o, dk_req_cb *cb, void *arg,
    struct dk_req **reqp)
{
	struct dk_path p;
	json_t *b;	/* owned */
	int rc;

	if (reqp != NULL)
		*reqp = NULL;
	if (o == NULL || o->cmd == NULL || o->cmd[0] == NULL)
		return (-EINVAL);
	b = json_pack("{s:b, s:b, s:b, s:b}",
	    "AttachStdin", o->stdin_on != 0,
	    "AttachStdout", 1,
	    "AttachStderr", 1,
	    "Tty", o->tty != 0);
	if (b == NULL)
		return (-ENOMEM);
	rc = set_list(b, "Cmd", o->cmd);
	if (rc == 0)
		rc = set_list(b, "Env", o->env);
	if (rc == 0)
		rc = set_str(b, "User", o->user);
	if (rc == 0)
		rc = set_str(b, "WorkingDir", o->working_dir);
	if (rc == 0 && o->privileged)
		rc = json_object_set_new(b, "Privileged", json_true());
	if (rc != 0) {
		json_decref(b);
		return (rc);
	}
	dk_path_init(&p, "/containers", id, "/exec");
	rc = dk_path_request(c, &p, "POST", b, 0, cb, arg, reqp);
	dk_path_free(&p);
	json_decref(b);
	return (rc);
}

/* Starts an exec as a hijacked stream; see docker-streams.h. */
int
dk_exec_start(struct dk_client *c, const char *exec_id, int tty,
    const struct dk_hijack_cbs *cbs, struct dk_hijack **hp)
{
	struct dk_path p;
	json_t *b;	/* owned */
	int rc;

	if (hp != NULL)
		*hp = NULL;
	b = json_pack("{s:b, s:b}", "Detach", 0, "Tty", tty != 0);
	if (b == NULL)
		return (-ENOMEM);
	dk_path_init(&p, "/exec", exec_id, "/start");
	rc = p.error;
	if (rc == 0)
		rc = dk_hijack_start(c, "POST", p.buf, b, tty, cbs, hp);
	dk_path_free(&p);
	json_decref(b);
	return (rc);
}

/* Sends a resize to PREFIX/{id}/resize. */
static int
resize(struct dk_client *c, const char *prefix, const char *id,
    unsigned rows, unsigned cols, dk_req_cb *cb, void *arg,
    struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	if (reqp != NULL)
		*reqp = NULL;
	if (rows == 0 || cols == 0 || rows > 10000 || cols > 10000)
		return (-EINVAL);
	dk_path_init(&p, prefix, id, "/resize");
	dk_path_add_int(&p, "h", rows);
	dk_path_add_int(&p, "w", cols);
	rc = dk_path_request(c, &p, "POST", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Resizes an exec's TTY; see docker-streams.h. */
int
dk_exec_resize(struct dk_client *c, const char *exec_id, unsigned rows,
    unsigned cols, dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	return (resize(c, "/exec", exec_id, rows, cols, cb, arg, reqp));
}

/* Resizes a container's TTY; see docker-streams.h. */
int
dk_container_resize(struct dk_client *c, const char *id, unsigned rows,
    unsigned cols, dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	return (resize(c, "/containers", id, rows, cols, cb, arg, reqp));
}

/* Inspects an exec; see docker-streams.h. */
int
dk_exec_inspect(struct dk_client *c, const char *exec_id, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/exec", exec_id, "/json");
	rc = dk_path_request(c, &p, "GET", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Attaches to a container's stdio; see docker-streams.h. */
int
dk_container_attach(struct dk_client *c, const char *id, int tty,
    int stdin_on, int logs, const struct dk_hijack_cbs *cbs,
    struct dk_hijack **hp)
{
	struct dk_path p;
	int rc;

	if (hp != NULL)
		*hp = NULL;
	dk_path_init(&p, "/containers", id, "/attach");
	dk_path_add_bool(&p, "stream", 1);
	dk_path_add_bool(&p, "stdin", stdin_on);
	dk_path_add_bool(&p, "stdout", 1);
	dk_path_add_bool(&p, "stderr", 1);
	dk_path_add_bool(&p, "logs", logs);
	rc = p.error;
	if (rc == 0)
		rc = dk_hijack_start(c, "POST", p.buf, NULL, tty, cbs, hp);
	dk_path_free(&p);
	return (rc);
}
