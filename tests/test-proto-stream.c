/*
 * Tests of proto/stream.c: framed streams split at every byte (payload
 * pieces add up, control frames arrive whole), unknown types and oversize
 * frames, the RESIZE and EXIT payloads, and the JSON-lines decoder and
 * encoder with their limits.
 */
#include <errno.h>
#include <string.h>

#include "proto.h"
#include "test.h"

/* What a frame decoder delivered: payload per type, controls in order. */
struct frames {
	char		 out[256];	/* STDOUT bytes */
	size_t		 nout;
	char		 err[256];	/* STDERR bytes */
	size_t		 nerr;
	unsigned	 ctl[8];	/* control types in order */
	size_t		 ctllen[8];
	uint8_t		 ctldata[8][8];
	int		 nctl;
	int		 empty;		/* payload pieces of length 0 */
};

/* Collects frames. */
static int
frames_cb(void *arg, enum proto_frame type, const uint8_t *data, size_t len)
{
	struct frames *f = arg;

	if (type < 16) {
		if (len == 0)
			f->empty++;
		if (type == PROTO_FRAME_STDOUT) {
			memcpy(f->out + f->nout, data, len);
			f->nout += len;
		} else {
			memcpy(f->err + f->nerr, data, len);
			f->nerr += len;
		}
		return (0);
	}
	if (f->nctl >= 8)
		return (-1);
	f->ctl[f->nctl] = type;
	f->ctllen[f->nctl] = len;
	memcpy(f->ctldata[f->nctl], data, len < 8 ? len : 8);
	f->nctl++;
	return (0);
}

/* Appends a frame to buf at *off. */
static void
put(uint8_t *buf, size_t *off, enum proto_frame type, const void *p,
    size_t len)
{
	proto_frame_hdr(buf + *off, type, (uint32_t)len);
	*off += PROTO_FRAME_HDR;
	memcpy(buf + *off, p, len);
	*off += len;
}

/* Payload pieces add up and controls arrive whole at every split. */
static void
test_frames_split_everywhere(void)
{
	struct proto_fdec d;
	struct frames f;
	uint8_t buf[256], rs[4], ex[4];
	size_t n = 0, i, k;
	unsigned rows, cols;
	int32_t code;

	put(buf, &n, PROTO_FRAME_STDOUT, "hello ", 6);
	put(buf, &n, PROTO_FRAME_STDERR, "oops", 4);
	put(buf, &n, PROTO_FRAME_STDOUT, "", 0);
	proto_frame_resize(rs, 50, 300);
	put(buf, &n, PROTO_FRAME_RESIZE, rs, 4);
	put(buf, &n, PROTO_FRAME_STDOUT, "world", 5);
	proto_frame_exit(ex, -2);
	put(buf, &n, PROTO_FRAME_EXIT, ex, 4);
	put(buf, &n, PROTO_FRAME_END, "", 0);
	for (i = 0; i <= n; i++) {
		memset(&f, 0, sizeof f);
		proto_fdec_init(&d);
		ASSERT_OK(proto_fdec_feed(&d, buf, i, frames_cb, &f));
		ASSERT_OK(proto_fdec_feed(&d, buf + i, n - i, frames_cb, &f));
		ASSERT_EQ(f.nout, 11);
		ASSERT_MEMEQ(f.out, "hello world", 11);
		ASSERT_EQ(f.nerr, 4);
		ASSERT_EQ(f.empty, 0);
		ASSERT_EQ(f.nctl, 3);
		ASSERT_EQ(f.ctl[0], PROTO_FRAME_RESIZE);
		ASSERT_OK(proto_frame_resize_parse(f.ctldata[0], f.ctllen[0],
		    &rows, &cols));
		ASSERT_EQ(rows, 50);
		ASSERT_EQ(cols, 300);
		ASSERT_EQ(f.ctl[1], PROTO_FRAME_EXIT);
		ASSERT_OK(proto_frame_exit_parse(f.ctldata[1], f.ctllen[1],
		    &code));
		ASSERT_EQ(code, -2);
		ASSERT_EQ(f.ctl[2], PROTO_FRAME_END);
		ASSERT_EQ(f.ctllen[2], 0);
	}
	memset(&f, 0, sizeof f);
	proto_fdec_init(&d);
	for (k = 0; k < n; k++)
		ASSERT_OK(proto_fdec_feed(&d, buf + k, 1, frames_cb, &f));
	ASSERT_EQ(f.nout, 11);
	ASSERT_EQ(f.nctl, 3);
}

/* Unknown types and oversize frames break the stream. */
static void
test_frames_refused(void)
{
	struct proto_fdec d;
	struct frames f;
	uint8_t hdr[PROTO_FRAME_HDR], rs[4];
	unsigned rows, cols;
	int32_t code;

	memset(&f, 0, sizeof f);
	proto_fdec_init(&d);
	hdr[0] = 4;
	memset(hdr + 1, 0, 4);
	ASSERT_EQ(proto_fdec_feed(&d, hdr, 5, frames_cb, &f), -EPROTO);
	proto_fdec_init(&d);
	hdr[0] = 0;
	ASSERT_EQ(proto_fdec_feed(&d, hdr, 5, frames_cb, &f), -EPROTO);
	proto_fdec_init(&d);
	proto_frame_hdr(hdr, PROTO_FRAME_STDOUT, PROTO_FRAME_MAX + 1);
	ASSERT_EQ(proto_fdec_feed(&d, hdr, 5, frames_cb, &f), -EMSGSIZE);
	proto_fdec_init(&d);
	proto_frame_hdr(hdr, PROTO_FRAME_STDOUT, PROTO_FRAME_MAX);
	ASSERT_OK(proto_fdec_feed(&d, hdr, 5, frames_cb, &f));
	proto_fdec_init(&d);
	proto_frame_hdr(hdr, PROTO_FRAME_ERROR, PROTO_FRAME_CTL_MAX + 1);
	ASSERT_EQ(proto_fdec_feed(&d, hdr, 5, frames_cb, &f), -EMSGSIZE);
	ASSERT_EQ(f.nctl, 0);
	/* Payloads of the wrong size or zero sizes are refused. */
	proto_frame_resize(rs, 0, 80);
	ASSERT_EQ(proto_frame_resize_parse(rs, 4, &rows, &cols), -EPROTO);
	ASSERT_EQ(proto_frame_resize_parse(rs, 3, &rows, &cols), -EPROTO);
	ASSERT_EQ(proto_frame_exit_parse(rs, 5, &code), -EPROTO);
}

/* Lines a line decoder delivered. */
struct lines {
	char	 text[8][64];
	int	 n;
};

/* Collects one line. */
static int
lines_cb(void *arg, const char *line, size_t len)
{
	struct lines *l = arg;

	if (l->n >= 8 || len >= 64)
		return (-1);
	memcpy(l->text[l->n], line, len);
	l->text[l->n][len] = '\0';
	l->n++;
	return (0);
}

/* Lines come out whole at every split; the limit holds. */
static void
test_lines(void)
{
	static const char s[] = "{\"a\":1}\n\n{\"b\":\"x\\ny\"}\n{\"c\":";
	struct proto_ldec d;
	struct lines l;
	size_t i, n = sizeof s - 1;
	json_t *v;
	char *out, big[100];
	size_t len;

	for (i = 0; i <= n; i++) {
		memset(&l, 0, sizeof l);
		proto_ldec_init(&d, 0);
		ASSERT_OK(proto_ldec_feed(&d, s, i, lines_cb, &l));
		ASSERT_OK(proto_ldec_feed(&d, s + i, n - i, lines_cb, &l));
		ASSERT_EQ(l.n, 3);
		ASSERT_STREQ(l.text[0], "{\"a\":1}");
		ASSERT_STREQ(l.text[1], "");
		ASSERT_STREQ(l.text[2], "{\"b\":\"x\\ny\"}");
		ASSERT_OK(proto_ldec_feed(&d, "2}\n", 3, lines_cb, &l));
		ASSERT_STREQ(l.text[3], "{\"c\":2}");
		proto_ldec_free(&d);
	}
	/* A line of max bytes with its newline passes; one more does not. */
	memset(big, 'x', sizeof big);
	big[9] = '\n';
	memset(&l, 0, sizeof l);
	proto_ldec_init(&d, 10);
	ASSERT_OK(proto_ldec_feed(&d, big, 10, lines_cb, &l));
	ASSERT_OK(proto_ldec_feed(&d, big, 5, lines_cb, &l));
	ASSERT_OK(proto_ldec_feed(&d, big + 5, 5, lines_cb, &l));
	ASSERT_EQ(l.n, 2);
	big[9] = 'x';
	big[10] = '\n';
	ASSERT_EQ(proto_ldec_feed(&d, big, 11, lines_cb, &l), -EMSGSIZE);
	ASSERT_EQ(l.n, 2);
	proto_ldec_free(&d);
	proto_ldec_init(&d, 10);
	ASSERT_EQ(proto_ldec_feed(&d, big, 6, lines_cb, &l), 0);
	ASSERT_EQ(proto_ldec_feed(&d, big, 4, lines_cb, &l), -EMSGSIZE);
	proto_ldec_free(&d);
	/* The encoder writes one line; JSON strings escape newlines. */
	v = json_pack("{s:s}", "s", "a\nb");
	ASSERT_OK(proto_line_encode(v, &out, &len));
	ASSERT_EQ(len, strlen("{\"s\":\"a\\nb\"}\n"));
	ASSERT_MEMEQ(out, "{\"s\":\"a\\nb\"}\n", len);
	free(out);
	json_decref(v);
}

TEST_MAIN(
	T(test_frames_split_everywhere),
	T(test_frames_refused),
	T(test_lines)
)
