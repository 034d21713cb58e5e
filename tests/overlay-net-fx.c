/*
 * The overlay loop tests' fixture: a node with an echo service on every
 * channel, a dial that records its outcome, and loop helpers with
 * deadlines so that no test waits on sleep().
 */
#include <errno.h>
#include <signal.h>

#include <sodium.h>

#include "overlay-net-fx.h"

/* A sink appends what a channel receives. */
static void
sink_data(struct ovl_chan *c, const uint8_t *buf, size_t len, void *arg)
{
	struct fx_sink *s = arg;

	(void)c;
	if (len == 0) {
		s->eof = 1;
		return;
	}
	s->buf = realloc(s->buf, s->len + len);
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	s->any = 1;
}

/* A sink's channel ended. */
static void
sink_close(struct ovl_chan *c, int status, void *arg)
{
	struct fx_sink *s = arg;

	(void)c;
	s->closed = 1;
	s->close_status = status;
}

const struct ovl_chan_cbs fx_sink_cbs = { sink_data, NULL, sink_close };

/* Echo service: send back what arrives, finish after the peer. */
static void
echo_data(struct ovl_chan *c, const uint8_t *buf, size_t len, void *arg)
{
	(void)arg;
	if (len == 0) {
		(void)ovl_chan_close(c);
		return;
	}
	if (ovl_chan_write(c, buf, len) != 0)
		ovl_chan_reset(c);
}

/* An echo channel ended. */
static void
echo_close(struct ovl_chan *c, int status, void *arg)
{
	struct fx *f = arg;

	(void)c;
	(void)status;
	f->echo_closes++;
}

static const struct ovl_chan_cbs echo_cbs = { echo_data, NULL, echo_close };

/* The client opened a channel on the node: echo it. */
static void
echo_open(struct ovl_conn *c, struct ovl_chan *ch, void *arg)
{
	struct fx *f = arg;

	(void)c;
	ovl_chan_set_cbs(ch, &echo_cbs, arg);
	f->last_chan = ch;
	if (f->pause_chans)
		ovl_chan_pause(ch);
}

static const struct ovl_conn_cbs echo_conn_cbs = { echo_open, NULL };

/* A client authenticated. */
static int
fx_on_auth(struct ovl_server *s, struct ovl_conn *c,
    const struct ovl_auth *a, void *arg)
{
	struct fx *f = arg;

	(void)s;
	ASSERT_NOT_NULL(a->client_key);
	ASSERT_NOT_NULL(a->key_name);
	f->auths++;
	f->last_auth = c;
	ovl_conn_set_cbs(c, &echo_conn_cbs, f);
	ovl_chan_set_cbs(ovl_conn_control(c), &echo_cbs, f);
	if (f->on_auth_extra != NULL)
		f->on_auth_extra(f, c);
	return (f->refuse_code);
}

/* A server log line. */
static void
fx_on_log(struct ovl_server *s, const char *line, void *arg)
{
	struct fx *f = arg;

	(void)s;
	if (f->nlogs < FX_MAX_LOGS)
		snprintf(f->logs[f->nlogs], sizeof f->logs[0], "%s", line);
	f->nlogs++;
	if (test_env("PIER_TEST_VERBOSE", NULL) != NULL)
		printf("# server: %s\n", line);
}

static const struct ovl_server_cbs fx_server_cbs = {
	.on_auth = fx_on_auth,
	.on_log = fx_on_log,
};

/* Sets up a loop, keystore, identities. */
void
fx_init(struct fx *f)
{
	const struct ovl_access_key *key;
	char *cause = NULL;

	memset(f, 0, sizeof *f);
	/* as pierd and pier do: a write to a closed peer is an error */
	signal(SIGPIPE, SIG_IGN);
	ASSERT(sodium_init() >= 0);
	ASSERT_OK(uv_loop_init(&f->loop));
	f->dir = test_tmpdir();
	ASSERT_NOT_NULL(f->dir);
	ASSERT_OK(ovl_keystore_open(&f->ks, f->dir, &cause));
	ASSERT_OK(ovl_keystore_ensure_admin(f->ks, 1, &key, &cause));
	ASSERT_NOT_NULL(key);
	memcpy(f->psk, key->secret, OVL_KEY_LEN);
	ovl_identity_generate(&f->node_id);
	ovl_identity_generate(&f->client_id);
	ovl_limits_default(&f->lim);
}

/* Starts the server on loopback. */
void
fx_listen(struct fx *f)
{
	char *cause = NULL;
	int rc;

	f->server_closed = 0;
	ASSERT_OK(ovl_server_new(&f->loop, &f->node_id, f->ks, &f->lim,
	    &fx_server_cbs, f, &f->srv));
	snprintf(f->addr, sizeof f->addr, "127.0.0.1:%d", f->port);
	rc = ovl_server_listen(f->srv, f->addr, &cause);	/* port 0 first */
	if (rc != 0)
		FAIL("listen: %s", cause);
	f->port = ovl_server_port(f->srv, 0);
	ASSERT_GT(f->port, 0);
	snprintf(f->addr, sizeof f->addr, "127.0.0.1:%d", f->port);
	snprintf(f->addr6, sizeof f->addr6, "[::1]:%d", f->port);
	if (ovl_server_listen(f->srv, f->addr6, &cause) == 0) {
		f->port6 = ovl_server_port(f->srv, 1);
		snprintf(f->addr6, sizeof f->addr6, "[::1]:%d", f->port6);
	} else {
		free(cause);
		f->port6 = 0;
	}
}

/* The server finished closing. */
static void
fx_server_done(struct ovl_server *s, void *arg)
{
	struct fx *f = arg;

	(void)s;
	f->server_closed = 1;
}

/* Closes the server and waits until it is released. */
void
fx_stop_server(struct fx *f)
{
	if (f->srv == NULL)
		return;
	ovl_server_close(f->srv, fx_server_done, f);
	f->srv = NULL;
	ASSERT(fx_run_until(f, &f->server_closed, 5000));
}

/* Closes everything and checks nothing is left on the loop. */
void
fx_done(struct fx *f)
{
	fx_stop_server(f);
	fx_run_for(f, 10);
	while (f->nheld > 0)
		ovl_conn_unref(f->held[--f->nheld], "fx");
	ovl_keystore_free(f->ks);
	test_rmtree(f->dir);
	ovl_identity_clear(&f->node_id);
	ovl_identity_clear(&f->client_id);
	test_loop_close(&f->loop);
}

/* Counts log lines containing needle. */
int
fx_log_count(const struct fx *f, const char *needle)
{
	int i, n = 0;

	for (i = 0; i < f->nlogs && i < FX_MAX_LOGS; i++)
		if (strstr(f->logs[i], needle) != NULL)
			n++;
	return (n);
}

/* A dial ended. */
static void
fx_dial_cb(struct ovl_dial *d, struct ovl_conn *conn, int status,
    const char *cause, void *arg)
{
	struct fx_dial *r = arg;

	(void)d;
	r->done = 1;
	r->status = status;
	r->conn = conn;
	if (conn != NULL && r->f->nheld < 64) {
		ovl_conn_ref(conn, "fx");
		r->f->held[r->f->nheld++] = conn;
		fx_watch_close(conn, &r->cl);
	}
	snprintf(r->cause, sizeof r->cause, "%s", cause ? cause : "");
}

/* Starts a dial into r. */
void
fx_dial_start(struct fx *f, const char *const *addrs, size_t n,
    const uint8_t psk[static 32], uint32_t timeout_ms, struct fx_dial *r)
{
	struct ovl_dial_cfg cfg;

	memset(r, 0, sizeof *r);
	r->f = f;
	memset(&cfg, 0, sizeof cfg);
	cfg.timeout_ms = timeout_ms;
	cfg.lim = f->lim;
	uv_update_time(&f->loop);
	r->start = uv_now(&f->loop);
	ASSERT_OK(ovl_dial(&f->loop, &f->client_id, f->node_id.pub, psk,
	    addrs, n, "test-client", &cfg, fx_dial_cb, r, NULL));
	ASSERT_EQ(r->done, 0);		/* never from inside ovl_dial */
}

/* Dials and waits for the outcome. */
void
fx_dial(struct fx *f, const char *const *addrs, size_t n,
    const uint8_t psk[static 32], uint32_t timeout_ms, struct fx_dial *r)
{
	fx_dial_start(f, addrs, n, psk, timeout_ms, r);
	ASSERT(fx_run_until(f, &r->done, timeout_ms + 2000));
	r->ms = uv_now(&f->loop) - r->start;
}

/* Does nothing: it only wakes the loop. */
static void
noop_timer(uv_timer_t *t)
{
	(void)t;
}

/* Runs the loop until *flag or the time is up. */
int
fx_run_until(struct fx *f, const int *flag, uint64_t ms)
{
	uv_timer_t t;
	uint64_t end;
	int zero = 0;

	if (flag == NULL)
		flag = &zero;
	uv_update_time(&f->loop);
	end = uv_now(&f->loop) + ms;
	ASSERT_OK(uv_timer_init(&f->loop, &t));
	ASSERT_OK(uv_timer_start(&t, noop_timer, ms, 0));
	while (!*flag && uv_now(&f->loop) < end)
		(void)uv_run(&f->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	(void)uv_run(&f->loop, UV_RUN_NOWAIT);
	return (*flag);
}

/* Runs the loop for ms. */
void
fx_run_for(struct fx *f, uint64_t ms)
{
	(void)fx_run_until(f, NULL, ms);
}

/* Records how a connection ended. */
static void
watch_close(struct ovl_conn *c, int status, const char *reason, void *arg)
{
	struct fx_closed *r = arg;

	(void)c;
	r->closed++;
	r->status = status;
	snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
}

/* Sets conn callbacks that record the close. */
void
fx_watch_close(struct ovl_conn *c, struct fx_closed *r)
{
	static const struct ovl_conn_cbs cbs = { NULL, watch_close };

	memset(r, 0, sizeof *r);
	ovl_conn_set_cbs(c, &cbs, r);
}
