/*
 * Fuzzes what the keys file holds after an access key's secret (expiry,
 * disabled time, uses, bound clients, labels) and what `key create`
 * reads from a user (--expires, --label). A line the parser accepts must
 * format back to a line that parses to the same limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Traps unless a and b carry the same limits. */
static void
same(const struct ovl_access_key *a, const struct ovl_access_key *b)
{
	size_t i;

	if (a->expires != b->expires || a->disabled != b->disabled ||
	    a->uses != b->uses || a->nbound != b->nbound ||
	    a->nlabels != b->nlabels)
		__builtin_trap();
	for (i = 0; i < a->nbound; i++)
		if (strcmp(a->bound[i], b->bound[i]) != 0)
			__builtin_trap();
	for (i = 0; i < a->nlabels; i++)
		if (strcmp(a->labels[i].k, b->labels[i].k) != 0 ||
		    strcmp(a->labels[i].v, b->labels[i].v) != 0)
			__builtin_trap();
}

/* One input: the text after a secret (cut at the first NUL). */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ovl_access_key k, back;
	struct ovl_key_label l;
	char *text, *cause = NULL, line[8192];
	int64_t t;

	text = malloc(size + 1);
	if (text == NULL)
		return (0);
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&k, 0, sizeof k);
	if (ovl__key_attr_parse(&k, text) == 0) {
		if (ovl__key_attr_format(&k, line, sizeof line) >= sizeof line)
			__builtin_trap();
		memset(&back, 0, sizeof back);
		if (ovl__key_attr_parse(&back, line) != 0)
			__builtin_trap();
		same(&k, &back);
	}
	/* a refusal must say why */
	if (ovl_key_expiry_parse(text, 1796544000, &t, &cause) != 0 &&
	    cause == NULL)
		__builtin_trap();
	free(cause);
	cause = NULL;
	if (ovl_key_label_parse(text, &l, &cause) != 0 && cause == NULL)
		__builtin_trap();
	free(cause);
	free(text);
	return (0);
}
