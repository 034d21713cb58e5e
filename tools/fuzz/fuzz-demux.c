/*
 * Fuzzes the multiplexed stream decoder and the line-delimited JSON
 * splitter with the pull and event readers behind it: the first byte
 * picks how the input is cut into reads, so frames and lines split at
 * every kind of place. Both must refuse bad input without a fault, never
 * hand out more bytes than they were given, and say they took every byte
 * of a feed that no callback stopped.
 */
#include <stdint.h>
#include <stdlib.h>

#include "docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Counts payload bytes and checks the kind. */
static int
on_payload(void *arg, int kind, const char *buf, size_t len)
{
	size_t *total = arg;

	if (kind < DK_STREAM_STDIN || kind > DK_STREAM_SYSTEM)
		abort();
	if (len == 0 || buf == NULL)
		abort();
	*total += len;
	return (0);
}

/* Reads each object as pull progress and as an event. */
static int
on_object(void *arg, json_t *obj)
{
	struct dk_pull_event pe;
	struct dk_event ev;
	char *cause = NULL;

	(void)arg;
	if (dk_pull_from_json(obj, &pe, &cause) != 0 && cause == NULL)
		abort();
	free(cause);
	if (dk_event_from_json(obj, &ev) != 0)
		abort();
	return (0);
}

/* One input: byte 0 is the read size, the rest is the stream. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_demux d;
	struct dk_jsonl j;
	size_t step, off, n, total = 0;
	int rc = 0, jrc = 0;

	if (size < 1)
		return (0);
	step = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	dk_demux_init(&d, 4096);
	dk_jsonl_init(&j, 4096);
	for (off = 0; off < size; off += n) {
		n = size - off < step ? size - off : step;
		if (rc == 0) {
			rc = dk_demux_feed(&d, (const char *)data + off, n,
			    on_payload, &total);
			if (rc == 0 && d.consumed != n)
				abort();
		}
		if (jrc == 0) {
			jrc = dk_jsonl_feed(&j, (const char *)data + off, n,
			    on_object, NULL);
			if (jrc == 0 && j.consumed != n)
				abort();
		}
	}
	if (jrc == 0)
		jrc = dk_jsonl_finish(&j, on_object, NULL);
	if (rc == 0)
		rc = dk_demux_finish(&d);
	if (total > size)
		abort();
	dk_jsonl_free(&j);
	return (0);
}
