/*
 * Fuzzes template files: any bytes through cli_tpl_parse(), and every
 * template that loads through search, lookup by its own title and the
 * deploy conversion, since template files come from any URL a user types.
 */
#include <stdint.h>
#include <stdlib.h>

#include "templates.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds one input to the parser and, if it loads, to everything else. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const env[] = { "A=1", "B=", "PASSWORD=x" };
	static const char *const ports[] = { "8080:80/tcp", "53/udp" };
	static const char *const vols[] = { "data:/data:ro", "/x" };
	struct cli_tpl_overrides o = {
		.env = env, .nenv = 3,
		.ports = ports, .nports = 2,
		.volumes = vols, .nvolumes = 2,
	};
	struct cli_tpl_file *f;
	const struct cli_tpl *hit, *found[4];
	json_t *params;
	char *cause = NULL;
	size_t i;

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
