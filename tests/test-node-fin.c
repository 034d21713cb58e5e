/*
 * A client's FIN on an output stream stops it, against the real engine:
 * events.subscribe, stats.subscribe and container.logs --follow each
 * end with the node's RST soon after the client's FIN (before, only an
 * RST stopped them and a FIN was ignored); and when the node finished
 * first (logs of a container that exited: END, then the node's FIN),
 * the client's FIN back ends the channel cleanly, not with an RST.
 */
#include <stdlib.h>
#include <string.h>

#include "node-fx.h"
#include "dkt.h"

/* A stream channel of the client and what it saw. */
struct sch {
	struct ovl_chan	*ch;
	size_t		 bytes;
	int		 fin;		/* the node's FIN came */
	int		 closed;
	int		 status;
};

/* Bytes or the node's FIN on a stream channel. */
static void
sch_on_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct sch	*s = arg;

	if (len == 0)
		s->fin = 1;
	s->bytes += len;
}

/* The stream channel ended. */
static void
sch_on_close(struct ovl_chan *ch, int status, void *arg)
{
	struct sch	*s = arg;

	s->closed = 1;
	s->status = status;
	s->ch = NULL;
}

static const struct ovl_chan_cbs sch_cbs = {
	.on_data = sch_on_data,
	.on_close = sch_on_close,
};

/* Opens a channel and starts method on it; the reply must be a result. */
static void
sch_start(struct cl *c, struct sch *s, const char *method, json_t *params)
{
	json_t	*r;	/* owned */

	memset(s, 0, sizeof(*s));
	ASSERT_OK(ovl_conn_chan_open(c->conn, &s->ch));
	ovl_chan_set_cbs(s->ch, &sch_cbs, s);
	(void)json_object_set_new(params, "channel",
	    json_integer(ovl_chan_id(s->ch)));
	r = cl_call(c, method, params);
	if (err_code(r) != 0)
		FAIL("%s: %s", method, err_msg(r));
	json_decref(r);
}

/* The client's FIN stops the stream: the node resets the channel. */
static void
fin_stops(struct cl *c, const char *method, json_t *params)
{
	struct sch	 s;

	sch_start(c, &s, method, params);
	ASSERT(!s.closed);
	ASSERT_OK(ovl_chan_close(s.ch));
	fx_wait(c->fx, &s.closed);
	ASSERT_EQ(s.status, -ECONNRESET);
}

/* A labelled container of the test image running cmd (stolen). */
static char *
make_container(struct cl *c, json_t *cmd)
{
	return (cl_container(c, dkt_image(), dkt_tag("fin"), cmd));
}

/* FIN on events, stats and logs -f; FIN back after the node's END. */
static void
test_fin(void)
{
	struct fx	 fx;
	struct cl	 c;
	struct sch	 s;
	uint8_t		 key[OVL_KEY_LEN];
	json_t		*r;	/* owned */
	char		*id;

	fx_start(&fx, "real", 0);
	admin_secret(&fx, key);
	cl_dial(&fx, &c, key);
	fin_stops(&c, "events.subscribe", json_object());
	fin_stops(&c, "stats.subscribe", json_object());
	id = make_container(&c, json_pack("[s, s]", "sleep", "600"));
	fin_stops(&c, "container.logs", json_pack("{s:s, s:b}", "id", id,
	    "follow", 1));
	cl_remove(&c, id);
	free(id);

	/* The node ends first: END and its FIN; the client's FIN answers. */
	id = make_container(&c, json_pack("[s, s, s]", "sh", "-c",
	    "echo hi"));
	cl_wait_exited(&c, id);
	sch_start(&c, &s, "container.logs", json_pack("{s:s}", "id", id));
	fx_wait(&fx, &s.fin);
	ASSERT_GT(s.bytes, 0);
	ASSERT(!s.closed);
	ASSERT_OK(ovl_chan_close(s.ch));
	fx_wait(&fx, &s.closed);
	ASSERT_EQ(s.status, 0);
	cl_remove(&c, id);
	free(id);

	r = cl_call(&c, "node.info", NULL);
	ASSERT_EQ(err_code(r), 0);
	json_decref(r);
	ASSERT(!c.closed);
	cl_close(&c);
	fx_stop(&fx);
}

TEST_MAIN(
	T(test_fin))
