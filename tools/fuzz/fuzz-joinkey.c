/*
 * Fuzzes the join-key parser with arbitrary pasted text. Whatever it
 * accepts must format back to a key that parses to the same content
 * (a key the parser takes but cannot round-trip would be a bug), and
 * every refusal must come with a cause.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Traps unless a and b carry the same key and hints. */
static void
same(const struct ovl_joinkey *a, const struct ovl_joinkey *b)
{
	size_t i;

	if (memcmp(a->node_pub, b->node_pub, OVL_KEY_LEN) != 0 ||
	    memcmp(a->secret, b->secret, OVL_KEY_LEN) != 0 ||
	    a->naddrs != b->naddrs)
		__builtin_trap();
	for (i = 0; i < a->naddrs; i++)
		if (strcmp(a->addrs[i], b->addrs[i]) != 0)
			__builtin_trap();
}

/* One input: the bytes as text (cut at the first NUL). */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ovl_joinkey jk, back;
	char *text, *again, *cause = NULL;
	int error;

	text = malloc(size + 1);
	if (text == NULL)
		return (0);
	memcpy(text, data, size);
	text[size] = '\0';
	error = ovl_joinkey_parse(text, &jk, &cause);
	if (error != 0) {
		if (error != OVL_JK_ENOTKEY && error != OVL_JK_ECHECKSUM &&
		    error != OVL_JK_EVERSION && error != OVL_JK_EADDR &&
		    error != -ENOMEM)
			__builtin_trap();
		if (error != -ENOMEM && cause == NULL)
			__builtin_trap();
		free(cause);
		free(text);
		return (0);
	}
	again = ovl_joinkey_format(&jk);
	if (again == NULL)
		__builtin_trap();
	if (ovl_joinkey_parse(again, &back, &cause) != 0)
		__builtin_trap();
	same(&jk, &back);
	free(again);
	free(text);
	return (0);
}
