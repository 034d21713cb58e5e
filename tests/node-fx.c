/*
 * The node fixture of the node's loop tests (node-fx.h): a node on a
 * private loop over real TCP on 127.0.0.1, and clients that write
 * channel 0 by hand, so malformed and oversized messages can be sent.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "node-fx.h"

/* The node closed everything. */
static void
on_node_closed(struct node *n)
{
	struct fx	*fx = n->closed_arg;

	fx->node_closed = 1;
}

/* The guard fired: the waiting loop gives up. */
void
fx_on_guard(uv_timer_t *t)
{
	struct fx	*fx = container_of(t, struct fx, guard);

	fx->timed_out = 1;
}

/* A connection to the hanging Docker: accept it and say nothing. */
static void
on_docker_conn(uv_stream_t *s, int status)
{
	struct fx	*fx = s->data;
	uv_pipe_t	*p;

	if (status != 0 || fx->npeers >= 128)
		return;
	p = &fx->peers[fx->npeers];
	if (uv_pipe_init(&fx->loop, p, 0) != 0)
		return;
	fx->npeers++;
	if (uv_accept(s, (uv_stream_t *)p) != 0)
		return;
}

/*
 * Starts a node; docker: "down" (nothing listens), "hang" (accepts and
 * never answers) or "real" (the engine DOCKER_HOST names, else the
 * default socket).
 */
void
fx_start(struct fx *fx, const char *docker, size_t audit_max)
{
	struct node_config	 cfg;
	char			*cause = NULL, host[512];

	memset(fx, 0, sizeof(*fx));
	fx->dir = test_tmpdir();
	ASSERT_OK(uv_loop_init(&fx->loop));
	memset(&cfg, 0, sizeof(cfg));
	cfg.state_dir = fx->dir;
	cfg.log_level = NODE_LOG_ERROR;
	cfg.audit_max_bytes = audit_max;
	cfg.audit_keep = 2;
	if (strcmp(docker, "hang") == 0) {
		ASSERT(asprintf(&fx->sock, "%s/docker.sock", fx->dir) > 0);
		ASSERT_OK(uv_pipe_init(&fx->loop, &fx->srv, 0));
		fx->srv.data = fx;
		ASSERT_OK(uv_pipe_bind(&fx->srv, fx->sock));
		ASSERT_OK(uv_listen((uv_stream_t *)&fx->srv, 128,
		    on_docker_conn));
		snprintf(host, sizeof(host), "unix://%s", fx->sock);
	} else if (strcmp(docker, "real") == 0)
		snprintf(host, sizeof(host), "%s", getenv("DOCKER_HOST") !=
		    NULL ? getenv("DOCKER_HOST") : "unix:///var/run/docker.sock");
	else
		snprintf(host, sizeof(host), "unix://%s/nothing.sock",
		    fx->dir);
	cfg.docker_host = host;
	ASSERT_OK(node_strv_push(&cfg.listen, "127.0.0.1:0"));
	if (node_new(&fx->loop, &cfg, &fx->node, &cause) != 0)
		FAIL("node_new: %s", cause);
	node_strv_free(cfg.listen);
	fx->node->closed_arg = fx;
	node_set_closed_cb(fx->node, on_node_closed);
	ASSERT_OK(uv_timer_init(&fx->loop, &fx->guard));
}

/* Stops the node and checks that the loop closes clean. */
void
fx_stop(struct fx *fx)
{
	size_t	i;

	node_close(fx->node);
	uv_close((uv_handle_t *)&fx->guard, NULL);
	if (fx->sock != NULL) {
		uv_close((uv_handle_t *)&fx->srv, NULL);
		for (i = 0; i < fx->npeers; i++)
			uv_close((uv_handle_t *)&fx->peers[i], NULL);
	}
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	ASSERT_EQ(fx->node_closed, 1);
	ASSERT_EQ(fx->node->nreqs, 0);
	node_free(fx->node);
	test_loop_close(&fx->loop);
	free(fx->sock);
	test_rmtree(fx->dir);
}

/* Runs the loop until *flag is set or the guard fires. */
void
fx_wait(struct fx *fx, const int *flag)
{
	fx->timed_out = 0;
	ASSERT_OK(uv_timer_start(&fx->guard, fx_on_guard, WAIT_MS, 0));
	while (!*flag && !fx->timed_out)
		uv_run(&fx->loop, UV_RUN_ONCE);
	uv_timer_stop(&fx->guard);
	if (!*flag)
		FAIL("timed out waiting");
}

/* Makes an access key with a role; its secret goes to secret. */
void
fx_key(struct fx *fx, const char *name, enum proto_role role,
    uint8_t secret[static OVL_KEY_LEN])
{
	const struct ovl_access_key	*k;
	struct ovl_keystore		*ks;

	ASSERT_OK(ovl_keystore_open(&ks, fx->dir, NULL));
	ASSERT_OK(ovl_keystore_create(ks, name, role, 1, &k, NULL));
	memcpy(secret, k->secret, OVL_KEY_LEN);
	ovl_keystore_free(ks);
	ASSERT_OK(node_keys_reload(fx->node));
}

/* One message from the node on channel 0. */
static int
cl_on_msg(void *arg, const char *body, size_t len)
{
	struct cl	*c = arg;
	json_t		*m;	/* owned */

	m = json_loadb(body, len, 0, NULL);
	if (m == NULL)
		FAIL("the node sent something that is not JSON");
	(void)json_array_append_new(c->msgs, m);
	return (0);
}

/* Channel 0 bytes. */
static void
cl_on_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct cl	*c = arg;

	if (len > 0 && proto_dec_feed(&c->dec, buf, len, cl_on_msg, c) != 0)
		FAIL("bad framing from the node");
}

/* The connection ended. */
static void
cl_on_close(struct ovl_conn *conn, int status, const char *reason,
    void *arg)
{
	struct cl	*c = arg;

	c->closed = 1;
	c->close_status = status;
}

/* The dial finished. */
static void
cl_on_dialed(struct ovl_dial *d, struct ovl_conn *conn, int status,
    const char *cause, void *arg)
{
	static const struct ovl_conn_cbs cbs = { .on_close = cl_on_close };
	static const struct ovl_chan_cbs ccbs = { .on_data = cl_on_data };
	struct cl	*c = arg;

	c->dialed = 1;
	c->dial_status = status;
	if (status != 0)
		return;
	c->conn = conn;
	ovl_conn_ref(conn, "test");
	ovl_conn_set_cbs(conn, &cbs, c);
	ovl_chan_set_cbs(ovl_conn_control(conn), &ccbs, c);
}

/* Dials the node with a secret as the client key id. */
void
cl_dial_as(struct fx *fx, struct cl *c, const uint8_t secret[static 32],
    const struct ovl_identity *id)
{
	struct ovl_dial_cfg	 dcfg;
	const char		*addr = fx->node->bound[0];

	memset(c, 0, sizeof(*c));
	c->fx = fx;
	c->msgs = json_array();
	c->next_id = 1;
	proto_dec_init(&c->dec, 0);
	memset(&dcfg, 0, sizeof(dcfg));
	dcfg.timeout_ms = 3000;
	ASSERT_OK(ovl_dial(&fx->loop, id, fx->node->id.pub, secret, &addr, 1,
	    "tester", &dcfg, cl_on_dialed, c, NULL));
	fx_wait(fx, &c->dialed);
	ASSERT_OK(c->dial_status);
}

/* Dials the node with a secret as a new client key. */
void
cl_dial(struct fx *fx, struct cl *c, const uint8_t secret[static 32])
{
	struct ovl_identity	 id;

	ovl_identity_generate(&id);
	cl_dial_as(fx, c, secret, &id);
	ovl_identity_clear(&id);
}

/* Closes a client and frees what it holds. */
void
cl_close(struct cl *c)
{
	if (c->conn != NULL) {
		if (!c->closed)
			ovl_conn_close(c->conn, OVL_GA_NORMAL, "bye");
		ovl_conn_unref(c->conn, "test");
		c->conn = NULL;
	}
	proto_dec_free(&c->dec);
	json_decref(c->msgs);
	c->msgs = NULL;
}

/* Writes raw bytes on channel 0. */
void
cl_raw(struct cl *c, const void *buf, size_t len)
{
	ASSERT_OK(ovl_chan_write(ovl_conn_control(c->conn), buf, len));
}

/* Sends a request; returns its id. params is stolen. */
json_int_t
cl_send(struct cl *c, const char *method, json_t *params)
{
	json_t		*m;	/* owned */
	char		*buf;
	size_t		 len;
	json_int_t	 id = c->next_id++;

	m = proto_request_new(id, method, params);
	ASSERT_OK(proto_encode(m, 0, &buf, &len));
	json_decref(m);
	cl_raw(c, buf, len);
	free(buf);
	return (id);
}

/* Takes the reply to id if it came (a new reference), else NULL. */
json_t *
cl_take(struct cl *c, json_int_t id)
{
	json_t	*m;	/* borrowed */
	size_t	 i;

	json_array_foreach(c->msgs, i, m) {
		if (json_integer_value(json_object_get(m, "id")) == id) {
			json_incref(m);
			(void)json_array_remove(c->msgs, i);
			return (m);
		}
	}
	return (NULL);
}

/* Runs the loop until the reply to id came; a new reference. */
json_t *
cl_wait(struct cl *c, json_int_t id)
{
	struct fx	*fx = c->fx;
	json_t		*m = NULL;	/* owned */

	fx->timed_out = 0;
	ASSERT_OK(uv_timer_start(&fx->guard, fx_on_guard, WAIT_MS, 0));
	while ((m = cl_take(c, id)) == NULL && !fx->timed_out && !c->closed)
		uv_run(&fx->loop, UV_RUN_ONCE);
	uv_timer_stop(&fx->guard);
	if (m == NULL)
		FAIL("no reply to request %lld", (long long)id);
	return (m);
}

/* Calls a method and waits for its reply (a new reference). */
json_t *
cl_call(struct cl *c, const char *method, json_t *params)
{
	return (cl_wait(c, cl_send(c, method, params)));
}

/* The error code of a reply, 0 for a result. */
int
err_code(const json_t *reply)
{
	return ((int)json_integer_value(json_object_get(json_object_get(reply,
	    "error"), "code")));
}

/* The error message of a reply, "" if none. */
const char *
err_msg(const json_t *reply)
{
	const char	*s = json_string_value(json_object_get(
	    json_object_get(reply, "error"), "message"));

	return (s != NULL ? s : "");
}

/* The admin key the node made on its first start. */
void
admin_secret(struct fx *fx, uint8_t secret[static OVL_KEY_LEN])
{
	const struct ovl_access_key	*k;

	k = ovl_keystore_find(fx->node->ks, "admin");
	ASSERT_NOT_NULL(k);
	memcpy(secret, k->secret, OVL_KEY_LEN);
}

/* Creates and starts a labelled container; returns its id (owned). */
char *
cl_container(struct cl *c, const char *image, const char *label,
    json_t *cmd)
{
	json_t	*r;	/* owned */
	char	*id;

	r = cl_call(c, "container.create", json_pack("{s:s, s:o, s:{s:s}}",
	    "image", image, "cmd", cmd, "labels", "pier.test.case", label));
	if (err_code(r) != 0)
		FAIL("container.create: %s", err_msg(r));
	id = strdup(json_string_value(json_object_get(json_object_get(r,
	    "result"), "id")));
	json_decref(r);
	ASSERT_NOT_NULL(id);
	return (id);
}

/* Waits until a container is no longer running. */
void
cl_wait_exited(struct cl *c, const char *id)
{
	json_t	*r;	/* owned */
	int	 i, running = 1;

	for (i = 0; i < 100 && running; i++) {
		r = cl_call(c, "container.inspect", json_pack("{s:s}", "id",
		    id));
		running = json_is_true(json_object_get(json_object_get(
		    json_object_get(r, "result"), "State"), "Running"));
		json_decref(r);
		if (running)
			usleep(50000);	/* the engine's state, polled */
	}
	ASSERT(!running);
}

/* Removes a container by force. */
void
cl_remove(struct cl *c, const char *id)
{
	json_decref(cl_call(c, "container.remove", json_pack("{s:s, s:b}",
	    "id", id, "force", 1)));
}
