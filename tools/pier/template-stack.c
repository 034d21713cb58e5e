/*
 * The compose file of a stack template (Portainer's types 2 and 3): the
 * template names a git repository and a stackfile path in it. Portainer
 * clones the repository; pier reads the one file it needs: from GitHub
 * through raw.githubusercontent.com at the repository's default branch
 * (HEAD), or from a folder on this machine when repository.url is an
 * absolute path or a file:// URL (a local checkout, and the tests'
 * fixtures). Other hosts are refused with the URL named, rather than
 * guessed at. The stackfile path must stay inside the repository.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "https.h"
#include "templates.h"

#define GH_PREFIX	"https://github.com/"
#define RAW_PREFIX	"https://raw.githubusercontent.com/"

/* Tells whether a stackfile path stays inside its repository. */
static int
stackfile_ok(const char *p)
{
	const char	*s;

	if (p == NULL || p[0] == '\0' || p[0] == '/')
		return (0);
	for (s = p; s != NULL; s = strchr(s, '/')) {
		if (*s == '/')
			s++;
		if (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0'))
			return (0);
	}
	return (1);
}

/* Reads a stack file from a local folder. */
static int
read_local(const char *dir, const char *file, char **text, size_t *len,
    char **cause)
{
	char	*path = NULL, real[PATH_MAX], base[PATH_MAX];
	FILE	*fp;
	size_t	 n;

	if (realpath(dir, base) == NULL)
		return (cli_tpl__error(cause, -errno, "%s: %s", dir,
		    strerror(errno)));
	if (asprintf(&path, "%s/%s", base, file) < 0)
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	if (realpath(path, real) == NULL || strncmp(real, base,
	    strlen(base)) != 0 || real[strlen(base)] != '/') {
		free(path);
		return (cli_tpl__error(cause, -ENOENT, "%s: no stack file %s "
		    "in it", dir, file));
	}
	free(path);
	fp = fopen(real, "rb");
	*text = malloc(CLI_TPL_STACKFILE_MAX + 1);
	if (fp == NULL || *text == NULL) {
		if (fp != NULL)
			fclose(fp);
		free(*text);
		*text = NULL;
		return (cli_tpl__error(cause, -EIO, "%s: cannot be read",
		    real));
	}
	n = fread(*text, 1, CLI_TPL_STACKFILE_MAX + 1, fp);
	fclose(fp);
	if (n > CLI_TPL_STACKFILE_MAX) {
		free(*text);
		*text = NULL;
		return (cli_tpl__error(cause, -EFBIG, "%s: larger than %u "
		    "bytes", real, CLI_TPL_STACKFILE_MAX));
	}
	(*text)[n] = '\0';
	*len = n;
	return (0);
}

/* Fetches a stack template's compose file (see templates.h). */
int
cli_tpl_stack_fetch(const struct cli_tpl *t,
    const struct cli_tpl_fetch_opts *o, char **text, size_t *len,
    char **cause)
{
	struct cli_https_opts	 ho;
	const char		*url = t->repo_url;
	char			*repo, *url2 = NULL;
	size_t			 n;
	int			 rc;

	*text = NULL;
	*len = 0;
	if (url == NULL || !stackfile_ok(t->stackfile))
		return (cli_tpl__error(cause, -EINVAL, "%s: no repository and "
		    "stack file inside it to deploy", t->title));
	if (strncmp(url, "file://", 7) == 0)
		return (read_local(url + 7, t->stackfile, text, len, cause));
	if (url[0] == '/')
		return (read_local(url, t->stackfile, text, len, cause));
	if (strncmp(url, GH_PREFIX, strlen(GH_PREFIX)) != 0)
		return (cli_tpl__error(cause, -ENOTSUP, "%s: its repository "
		    "%s is not on GitHub; pier fetches stack files from GitHub "
		    "or a local folder (clone it and use pier stack up -f "
		    "%s)", t->title, url, t->stackfile));
	repo = strdup(url + strlen(GH_PREFIX));
	if (repo == NULL)
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	n = strlen(repo);
	while (n > 0 && repo[n - 1] == '/')
		repo[--n] = '\0';
	if (n > 4 && strcmp(repo + n - 4, ".git") == 0)
		repo[n - 4] = '\0';
	if (asprintf(&url2, RAW_PREFIX "%s/HEAD/%s", repo, t->stackfile) < 0)
		url2 = NULL;
	free(repo);
	if (url2 == NULL)
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	memset(&ho, 0, sizeof(ho));
	ho.timeout_ms = o != NULL ? o->timeout_ms : 0;
	ho.max_size = CLI_TPL_STACKFILE_MAX;
	ho.ca_file = o != NULL ? o->ca_file : NULL;
	rc = cli_https_get(url2, &ho, text, len, cause);
	if (rc == -EFBIG)
		rc = cli_tpl__error(cause, -EFBIG, "%s: larger than %u bytes",
		    url2, CLI_TPL_STACKFILE_MAX);
	free(url2);
	if (rc != 0) {
		free(*text);
		*text = NULL;
	}
	return (rc);
}
