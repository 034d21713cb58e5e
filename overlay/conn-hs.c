/*
 * The handshake driver of a connection (conn.c): the client writes
 * message 1 and reads message 2; the node reads message 1 within the
 * handshake timeout, asks its owner (server.c) to answer it and writes
 * message 2. Either side then switches to records (ovl__conn_go_open).
 * A refused or malformed message 1 closes the connection without a
 * single byte written. The Noise messages themselves are handshake.c's;
 * this file only frames them and moves them to and from the stream.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net-int.h"

/* Switches to records with the handshake's keys, which it wipes. */
static void
go_open(struct ovl_conn *c, struct ovl_hs_keys *s)
{
	int rc;

	rc = ovl__conn_go_open(c, s);
	ovl_hs_keys_clear(s);
	if (rc != 0)
		ovl__conn_abort(c, rc, "out of memory");
}

/* Reads the other side's message under the handshake timeout. */
static int
hs_wait(struct ovl_conn *c)
{
	int rc;

	c->hs_deadline = uv_now(c->loop) + c->lim.hs_timeout_ms;
	rc = ovl__conn_read_start(c);
	if (rc != 0)
		return (rc);
	ovl__conn_arm_timer(c);
	return (0);
}

/* The node answers message 1, or closes without a word. */
void
ovl__conn_node_msg1(struct ovl_conn *c, const uint8_t *msg, size_t len)
{
	struct ovl_hs_keys s;
	struct wreq *w;
	uint8_t reply[OVL_HS_MAX];
	size_t rlen = 0, n;
	const char *why = "refused";
	int rc;

	memset(&s, 0, sizeof s);
	rc = c->ops->respond(c, msg, len, reply, &rlen, &s, &why);
	if (rc != 0) {
		ovl__conn_abort(c, rc, why);
		return;
	}
	w = ovl__wreq_new(OVL_REC_HDR + OVL_HS_MAX);
	if (w != NULL && ovl_rec_put_hs(reply, rlen, w->data, &n) != 0) {
		free(w);
		w = NULL;
	}
	if (w == NULL || ovl__conn_write(c, w, n) != 0) {	/* frees w */
		ovl_hs_keys_clear(&s);
		ovl__conn_abort(c, -ENOMEM, "cannot send message 2");
		return;
	}
	go_open(c, &s);
}

/* The client reads message 2. */
void
ovl__conn_client_msg2(struct ovl_conn *c, const uint8_t *msg, size_t len)
{
	struct ovl_hs_keys s;
	int rc;

	memset(&s, 0, sizeof s);
	rc = ovl_hs_client_finish(c->hs, msg, len, &s);
	ovl_hs_client_free(c->hs);
	c->hs = NULL;
	if (rc != 0) {
		ovl_hs_keys_clear(&s);
		ovl__conn_abort(c, rc, rc == -EPROTONOSUPPORT ?
		    "the node speaks another protocol version" :
		    "the node's answer did not authenticate");
		return;
	}
	go_open(c, &s);
}

/* Node side: read message 1 under the handshake timeout. */
int
ovl__conn_start_node(struct ovl_conn *c)
{
	ovl__conn_set_peer(c);
	return (hs_wait(c));
}

/* Client side: send message 1 and wait for message 2. */
int
ovl__conn_start_client(struct ovl_conn *c, const struct ovl_identity *id,
    const uint8_t node_pub[static 32], const uint8_t psk[static 32],
    const char *name)
{
	uint8_t msg1[OVL_HS_MSG_MAX];
	struct wreq *w;
	size_t len, n;
	int rc;

	rc = ovl_hs_client_begin(&c->hs, id, node_pub, psk, name,
	    ovl__client_clock_ms(), msg1, &len);
	if (rc != 0)
		return (rc);
	w = ovl__wreq_new(OVL_REC_HDR + OVL_HS_MSG_MAX);
	if (w == NULL)
		return (-ENOMEM);
	rc = ovl_rec_put_hs(msg1, len, w->data, &n);
	if (rc != 0) {
		free(w);
		return (rc);
	}
	rc = ovl__conn_write(c, w, n);
	if (rc != 0)
		return (rc);
	return (hs_wait(c));
}
