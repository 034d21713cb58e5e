/*
 * Fuzzes logs.select's line framing (node/logsel-line.c): the splitter
 * of the engine's timestamped log text and the JSON line each piece
 * becomes. Byte 0 picks the read size, byte 1 whether a pattern built
 * from the next bytes filters the lines. Every piece must stay within
 * its bound and encode to one line of valid JSON under PROTO_LINE_MAX
 * that reads back to a string; a pattern that does not compile must say
 * where.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the callback needs. */
struct fz {
	struct node_lsel_grep	*g;
	struct node_lsel_rec	*r;
	char			*out;
};

/* One piece: bounded, matched, encoded and read back. */
static int
on_line(void *arg, int64_t t, const char *line, size_t len)
{
	struct fz	*f = arg;
	json_t		*o;
	size_t		 n;

	if (len > NODE_LSEL_LINE_MAX + NODE_LSEL_TS_MAX ||
	    memchr(line, '\n', len) != NULL)
		abort();
	if (f->g != NULL)
		(void)node_lsel_grep_match(f->g, line, len);
	f->r->t = t;
	f->r->kind = (uint8_t)(len & 1 ? DK_STREAM_STDERR : DK_STREAM_STDOUT);
	f->r->ctx = (uint8_t)(len & 2);
	f->r->len = (uint32_t)len;
	memcpy(f->r->line, line, len);
	n = node_lsel_encode(f->out, f->r, "c\x01\xff", 3);
	if (n > PROTO_LINE_MAX || n > NODE_LSEL_JSON_MAX ||
	    f->out[n - 1] != '\n' || memchr(f->out, '\n', n - 1) != NULL)
		abort();
	o = json_loadb(f->out, n, 0, NULL);
	if (o == NULL || !json_is_string(json_object_get(o, "l")))
		abort();
	json_decref(o);
	return (0);
}

/* One input: read size, pattern flag, then the stream. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct node_lsel_split	 sp;
	struct fz			 f = { 0 };
	char				 pat[17], *cause = NULL;
	size_t				 step, off, n;

	if (size < 2)
		return (0);
	step = (size_t)data[0] * 97 + 1;
	if (data[1] & 1 && size >= 18) {
		memcpy(pat, data + 2, 16);
		pat[16] = '\0';
		if (node_lsel_grep_new(pat, data[1] & 2, data[1] & 4, &f.g,
		    &cause) != 0 && strlen(pat) > 0 && cause == NULL)
			abort();
		free(cause);
		data += 16;
		size -= 16;
	}
	data += 2;
	size -= 2;
	f.r = malloc(sizeof(*f.r) + NODE_LSEL_LINE_MAX + NODE_LSEL_TS_MAX);
	f.out = malloc(NODE_LSEL_JSON_MAX);
	if (f.r == NULL || f.out == NULL)
		abort();
	node_lsel_split_init(&sp, 0);
	for (off = 0; off < size; off += n) {
		n = size - off < step ? size - off : step;
		(void)node_lsel_split_feed(&sp, (const char *)data + off, n,
		    on_line, &f);
	}
	(void)node_lsel_split_finish(&sp, on_line, &f);
	node_lsel_grep_free(f.g);
	free(f.r);
	free(f.out);
	return (0);
}
