/*
 * Fuzzes what the Docker client does with names and text that come from
 * peers or from the engine: request paths (an object name must never
 * leave its path segment, reach a dot segment or start a query, whatever
 * its bytes), query values, the engine's error bodies and Docker host
 * addresses. The input is split at its first NUL: a name, then a value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dk-http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless every byte of s is printable ASCII other than space. */
static void
check_wire(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			abort();
}

/* Aborts if the segment between prefix and suffix is not contained. */
static void
check_segment(const struct dk_path *p, const char *prefix,
    const char *suffix, int image)
{
	const char *seg;
	size_t plen = strlen(prefix), slen = strlen(suffix), n;
	char *copy, *save = NULL, *part;

	if (p->error != 0)
		return;
	check_wire(p->buf);
	if (strncmp(p->buf, prefix, plen) != 0 || p->buf[plen] != '/' ||
	    p->len < plen + 1 + slen ||
	    strcmp(p->buf + p->len - slen, suffix) != 0)
		abort();
	seg = p->buf + plen + 1;
	n = p->len - plen - 1 - slen;
	if (memchr(seg, '?', n) != NULL || memchr(seg, '#', n) != NULL)
		abort();
	if (!image && memchr(seg, '/', n) != NULL)
		abort();
	copy = strndup(seg, n);
	if (copy == NULL)
		return;
	for (part = strtok_r(copy, "/", &save); part != NULL;
	    part = strtok_r(NULL, "/", &save))
		if (strcmp(part, ".") == 0 || strcmp(part, "..") == 0)
			abort();
	free(copy);
}

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_endpoint ep;
	struct dk_path p;
	char *buf, *name, *value, *msg, *cause = NULL;
	size_t nlen;

	buf = malloc(size + 2);
	if (buf == NULL)
		return (0);
	memcpy(buf, data, size);
	buf[size] = '\0';
	buf[size + 1] = '\0';
	name = buf;
	nlen = strlen(name);
	value = buf + nlen + (nlen < size ? 1 : 0);

	dk_path_init(&p, "/containers", name, "/json");
	if (nlen == 0 && p.error != -EINVAL)
		abort();
	check_segment(&p, "/containers", "/json", 0);
	dk_path_add(&p, "name", value);
	if (p.error == 0) {
		check_wire(p.buf);
		if (strchr(strchr(p.buf, '?') + 1, '&') != NULL ||
		    strchr(p.buf, '#') != NULL)
			abort();
	}
	dk_path_free(&p);
	dk_path_init_image(&p, "/images", name, "/json");
	check_segment(&p, "/images", "/json", 1);
	dk_path_free(&p);

	msg = dk__engine_message(value, strlen(value), 404, "GET", "/x");
	free(msg);
	if (dk_endpoint_parse(&ep, name, nlen & 1, 0, NULL, &cause) == 0) {
		if (ep.host == NULL || ep.base_url == NULL ||
		    (ep.unix_path == NULL && strncmp(ep.base_url, "http", 4)))
			abort();
		check_wire(ep.base_url);
		dk_endpoint_clear(&ep);
	}
	free(cause);
	free(buf);
	return (0);
}
