/*
 * Fuzzes the channel multiplexer as a listener reading records from a
 * dialer. The input is a series of records, each a 2-byte length and
 * that many plaintext bytes (whole frames, or not). The channels echo
 * what they get, pause or reset depending on their id, and after every
 * record the output is pulled and walked, so both directions run. It
 * must never fault, leak, or emit a frame that does not parse.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Channel data: echo, or finish after the peer. */
static void
on_data(struct ovl_chan *c, const uint8_t *buf, size_t len, void *arg)
{
	(void)arg;
	if (len == 0) {
		(void)ovl_chan_close(c);
		return;
	}
	if (ovl_chan_write(c, buf, len) == -ENOBUFS)
		ovl_chan_reset(c);
}

static const struct ovl_chan_cbs cbs = { on_data, NULL, NULL };

/* A channel opened: behave by id. */
static void
on_open(struct ovl_mux *m, struct ovl_chan *c, void *arg)
{
	(void)m;
	(void)arg;
	ovl_chan_set_cbs(c, &cbs, NULL);
	switch (ovl_chan_id(c) % 8) {
	case 1:
		ovl_chan_pause(c);
		break;
	case 3:
		ovl_chan_reset(c);
		break;
	default:
		break;
	}
}

static const struct ovl_mux_cbs mcbs = { on_open, NULL, NULL, NULL };

/* Pulls everything and checks that the frames parse. */
static void
drain(struct ovl_mux *m, uint8_t *buf)
{
	size_t n, off, len;
	int rounds;

	for (rounds = 0; rounds < 64; rounds++) {
		n = ovl_mux_pull(m, buf, OVL_REC_PT_MAX);
		ovl_mux_pulled(m);
		if (n == 0)
			return;
		if (n > OVL_REC_PT_MAX)
			abort();
		for (off = 0; off < n; off += OVL_MUX_HDR + len) {
			if (n - off < OVL_MUX_HDR || buf[off] != 0)
				abort();
			len = (size_t)buf[off + 8] << 24 |
			    (size_t)buf[off + 9] << 16 |
			    (size_t)buf[off + 10] << 8 | buf[off + 11];
			if (buf[off + 1] != OVL_FT_DATA &&
			    buf[off + 1] != OVL_FT_GOAWAY)
				len = 0;
			if (len > n - off - OVL_MUX_HDR)
				abort();
		}
	}
}

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ovl_mux_cfg cfg = { .max_chans = 16, .window = 4096,
	    .max_buffered = 1 << 16, .chan_queue = 8192 };
	struct ovl_mux *m;
	const char *cause;
	uint8_t *buf;
	size_t off = 0, n;

	buf = malloc(OVL_REC_PT_MAX);
	if (buf == NULL || ovl_mux_new(&m, 0, &cfg, &mcbs, NULL) != 0)
		abort();
	while (off + 2 <= size) {
		n = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (n > size - off)
			n = size - off;
		if (n > OVL_REC_PT_MAX)
			n = OVL_REC_PT_MAX;
		if (ovl_mux_input(m, data + off, n, &cause) != 0) {
			if (cause == NULL)
				abort();
			drain(m, buf);
			break;
		}
		off += n;
		drain(m, buf);
		if (off % 3 == 0)
			ovl_chan_resume(ovl_mux_control(m));
	}
	ovl_mux_free(m, -ECONNABORTED);
	free(buf);
	return (0);
}
