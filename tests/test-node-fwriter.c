/*
 * The framed-stream writer (node/fwriter.c) under a client that reads
 * nothing for a while, against the real engine: exec.run of a command
 * printing 3 MB, and container.logs of one that did, far over the
 * channel's window, while the client's channel is paused. The node
 * holds what the channel refuses and pauses the engine; once the client
 * reads again, every byte comes, on STDOUT, and the last frame (EXIT 0,
 * END) comes after all of them, then the node's FIN.
 */
#include <stdlib.h>
#include <string.h>

#include "node-fx.h"
#include "dkt.h"

#define FW_BYTES	3000000		/* printed by the command */
#define FW_STALL_MS	300		/* the client reads nothing */

/* A paused stream channel of the client and what its frames said. */
struct fch {
	struct ovl_chan		*ch;
	struct proto_fdec	 dec;
	size_t			 out;	/* STDOUT payload bytes */
	size_t			 other;	/* payload of any other type */
	int			 last;	/* the EXIT or END type, or 0 */
	int32_t			 code;	/* EXIT's */
	size_t			 after;	/* frames after the last one */
	int			 fin;
	int			 bad;	/* the stream did not decode */
};

/* One frame (or a piece of a payload) from the node. */
static int
fch_frame(void *arg, enum proto_frame type, const uint8_t *data,
    size_t len)
{
	struct fch	*f = arg;

	if (f->last != 0)
		f->after++;
	if (type == PROTO_FRAME_STDOUT)
		f->out += len;
	else if (type == PROTO_FRAME_END)
		f->last = type;
	else if (type == PROTO_FRAME_EXIT) {
		f->last = type;
		if (proto_frame_exit_parse(data, len, &f->code) != 0)
			f->bad = 1;
	} else
		f->other += len;
	return (0);
}

/* Bytes or the node's FIN. */
static void
fch_on_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct fch	*f = arg;

	if (len == 0)
		f->fin = 1;
	else if (proto_fdec_feed(&f->dec, buf, len, fch_frame, f) != 0)
		f->bad = 1;
}

static const struct ovl_chan_cbs fch_cbs = {
	.on_data = fch_on_data,
};

/* The stall is over. */
static void
on_stall(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* The stall's timer closed. */
static void
on_stall_closed(uv_handle_t *h)
{
	*(int *)h->data = 2;
}

/*
 * Starts method on a paused channel, reads nothing for FW_STALL_MS (the
 * node's writes are refused meanwhile), then reads to the node's FIN.
 */
static void
fch_run(struct fx *fx, struct cl *c, struct fch *f, const char *method,
    json_t *params)
{
	uv_timer_t	 t;
	json_t		*r;	/* owned */
	int		 over = 0, closed;

	memset(f, 0, sizeof(*f));
	proto_fdec_init(&f->dec);
	ASSERT_OK(ovl_conn_chan_open(c->conn, &f->ch));
	ovl_chan_set_cbs(f->ch, &fch_cbs, f);
	ovl_chan_pause(f->ch);
	(void)json_object_set_new(params, "channel",
	    json_integer(ovl_chan_id(f->ch)));
	r = cl_call(c, method, params);
	if (err_code(r) != 0)
		FAIL("%s: %s", method, err_msg(r));
	json_decref(r);
	ASSERT_OK(uv_timer_init(&fx->loop, &t));
	t.data = &over;
	ASSERT_OK(uv_timer_start(&t, on_stall, FW_STALL_MS, 0));
	fx_wait(fx, &over);
	ASSERT_EQ(f->out, 0);
	ovl_chan_resume(f->ch);
	fx_wait(fx, &f->fin);
	closed = 0;
	t.data = &closed;
	uv_close((uv_handle_t *)&t, on_stall_closed);
	fx_wait(fx, &closed);
	ASSERT(!f->bad);
	if (f->out != FW_BYTES)
		FAIL("%s: %zu of %d bytes came", method, f->out, FW_BYTES);
	ASSERT_EQ(f->other, 0);
	ASSERT_EQ(f->after, 0);
	ASSERT_OK(ovl_chan_close(f->ch));
}

/* exec.run and container.logs held by a client that stalls. */
static void
test_stall(void)
{
	struct fx	 fx;
	struct cl	 c;
	struct fch	 f;
	uint8_t		 key[OVL_KEY_LEN];
	char		*id, cmd[64];

	fx_start(&fx, "real", 0);
	admin_secret(&fx, key);
	cl_dial(&fx, &c, key);
	snprintf(cmd, sizeof(cmd), "head -c %d /dev/zero", FW_BYTES);

	id = cl_container(&c, dkt_image(), dkt_tag("fwriter"),
	    json_pack("[s, s]", "sleep", "600"));
	fch_run(&fx, &c, &f, "exec.run", json_pack("{s:s, s:[s, s, s]}",
	    "id", id, "cmd", "sh", "-c", cmd));
	ASSERT_EQ(f.last, PROTO_FRAME_EXIT);
	ASSERT_EQ(f.code, 0);
	cl_remove(&c, id);
	free(id);

	/*
	 * Logs of a container that has exited: with follow, an engine that
	 * is still behind when the container stops may end the stream
	 * early, which is not the node's doing.
	 */
	id = cl_container(&c, dkt_image(), dkt_tag("fwriter"),
	    json_pack("[s, s, s]", "sh", "-c", cmd));
	cl_wait_exited(&c, id);
	fch_run(&fx, &c, &f, "container.logs", json_pack("{s:s}", "id",
	    id));
	ASSERT_EQ(f.last, PROTO_FRAME_END);
	cl_remove(&c, id);
	free(id);

	ASSERT(!c.closed);
	cl_close(&c);
	fx_stop(&fx);
}

TEST_MAIN(
	T(test_stall))
