/*
 * Fuzzes template files: any bytes through cli_tpl_parse(), and every
 * template that loads through search, lookup by its own title and the
 * deploy conversion, since template files come from any URL a user types;
 * the same bytes as one string go through the command, port and volume
 * parsers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "templates.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the hand-written small parsers over the input as one string. */
static void
small_parsers(const uint8_t *data, size_t size)
{
	struct cli_tpl_port port;
	json_t *argv = NULL;
	char *s, *src = NULL, *dst = NULL, *cause = NULL;
	int ro;

	if (size > 4096)
		return;
	s = malloc(size + 1);
	if (s == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (cli_tpl_split_command(s, &argv, &cause) != 0)
		free(cause);
	json_decref(argv);
	cause = NULL;
	if (cli_tpl_parse_port(s, &port, &cause) != 0)
		free(cause);
	cause = NULL;
	if (cli_tpl_parse_volume(s, &src, &dst, &ro, &cause) != 0)
		free(cause);
	free(src);
	free(dst);
	free(s);
}

/* Feeds one input to the parser and, if it loads, to everything else. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const env[] = { "A=1", "B=", "PASSWORD=x" };
	static const char *const ports[] = { "8080:80/tcp", "53/udp",
	    "127.0.0.1:8443:443", "[::1]::80/sctp" };
	static const char *const vols[] = { "data:/data:ro", "/x" };
	struct cli_tpl_overrides o = {
		.env = env, .nenv = 3,
		.ports = ports, .nports = 4,
		.volumes = vols, .nvolumes = 2,
	};
	struct cli_tpl_file *f;
	const struct cli_tpl *hit, *found[4];
	json_t *params;
	char *cause = NULL;
	size_t i;

	small_parsers(data, size);
	if (cli_tpl_parse((const char *)data, size, "fuzz", &f, &cause) != 0) {
		free(cause);
		return (0);
	}
	(void)cli_tpl_search(f, "a", found, 4);
	for (i = 0; i < f->ntemplates; i++) {
		cause = NULL;
		if (cli_tpl_find(f, f->templates[i].title, &hit, &cause) != 0)
			free(cause);
		cause = NULL;
		params = NULL;
		if (cli_tpl_deploy_params(&f->templates[i], &o, &params,
		    &cause) != 0)
			free(cause);
		json_decref(params);
	}
	cli_tpl_file_free(f);
	return (0);
}
