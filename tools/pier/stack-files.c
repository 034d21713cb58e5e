/*
 * The files of a stack, read on the laptop for `pier stack up`. The
 * first -f file's folder is the stack's folder (as compose takes the
 * first file's folder for the project's), and everything sent must be
 * inside it, by real path, so that relative paths in the compose files
 * mean on the node what they meant here: the other -f files, the .env
 * beside the first one, --env-file, every env_file: the compose files
 * name (found by a line scan, not a YAML parser: `env_file: PATH` and
 * the `- PATH` items under a bare `env_file:`), and --include'd files
 * and folders (for bind-mount sources). A path that leaves the folder is
 * refused, as is a file over CLI_STACK_FILE_MAX or a stack over
 * CLI_STACK_BYTES_MAX; a missing env_file is left to compose to report.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli-stack.h"

/* A gathering in progress. */
struct gather {
	char		*base;		/* real path of the stack's folder */
	json_t		*params;	/* borrowed */
	size_t		 bytes;		/* sent so far */
	char		**cause;
};

/* Sets *cause (the first failure's) and returns err. */
static int __attribute__((format(printf, 3, 4)))
g_fail(struct gather *g, int err, const char *fmt, ...)
{
	va_list	ap;

	if (g->cause == NULL || *g->cause != NULL)
		return (err);
	va_start(ap, fmt);
	if (vasprintf(g->cause, fmt, ap) < 0)
		*g->cause = NULL;
	va_end(ap);
	return (err);
}

/* Tells whether s is a compose project name the node takes. */
int
cli_stack_name_ok(const char *s)
{
	size_t	i, len = strlen(s);

	if (len == 0 || len > 63)
		return (0);
	for (i = 0; i < len; i++)
		if (!(islower((unsigned char)s[i]) ||
		    isdigit((unsigned char)s[i]) ||
		    (i > 0 && (s[i] == '-' || s[i] == '_'))))
			return (0);
	return (1);
}

/* Adds one file to params.files as path (base64). */
int
cli_stack_put(json_t *params, const char *path, const void *buf, size_t len)
{
	json_t	*files = json_object_get(params, "files");
	size_t	 blen = sodium_base64_encoded_len(len,
		    sodium_base64_VARIANT_ORIGINAL);
	char	*b64;
	int	 rc;

	if (files == NULL) {
		files = json_object();
		if (files == NULL || json_object_set_new(params, "files",
		    files) != 0)
			return (-ENOMEM);
	}
	b64 = malloc(blen);
	if (b64 == NULL)
		return (-ENOMEM);
	sodium_bin2base64(b64, blen, buf, len,
	    sodium_base64_VARIANT_ORIGINAL);
	rc = json_object_set_new(files, path, json_string(b64));
	free(b64);
	return (rc != 0 ? -ENOMEM : 0);
}

/* The path of real below g->base ("" for base itself), or NULL. */
static const char *
g_rel(const struct gather *g, const char *real)
{
	size_t	n = strlen(g->base);

	if (strncmp(real, g->base, n) != 0)
		return (NULL);
	if (real[n] == '\0')
		return ("");
	if (real[n] != '/' && strcmp(g->base, "/") != 0)
		return (NULL);
	return (real + n + (real[n] == '/'));
}

/* Reads a whole regular file of at most CLI_STACK_FILE_MAX bytes. */
static int
slurp(const char *path, char **buf, size_t *len)
{
	FILE	*fp;
	long	 n;

	*buf = NULL;
	fp = fopen(path, "rb");
	if (fp == NULL)
		return (-errno);
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return (-EIO);
	}
	if (n > CLI_STACK_FILE_MAX) {
		fclose(fp);
		return (-EFBIG);
	}
	*buf = malloc((size_t)n + 1);
	if (*buf == NULL) {
		fclose(fp);
		return (-ENOMEM);
	}
	*len = fread(*buf, 1, (size_t)n, fp);
	(*buf)[*len] = '\0';
	fclose(fp);
	return (0);
}

/* Adds the file at path (real path inside base); *rel its name there. */
static int
g_add(struct gather *g, const char *path, const char **relp)
{
	char		 real[PATH_MAX], *buf;
	const char	*rel;
	size_t		 len;
	int		 err;

	if (realpath(path, real) == NULL)
		return (g_fail(g, -errno, "%s: %s", path, strerror(errno)));
	rel = g_rel(g, real);
	if (rel == NULL || rel[0] == '\0' || strncmp(rel, ".pier", 5) == 0)
		return (g_fail(g, -EINVAL, "%s: outside the stack's folder "
		    "%s (everything a stack sends must be in the first -f "
		    "file's folder)", path, g->base));
	if (json_object_get(json_object_get(g->params, "files"), rel) !=
	    NULL) {
		if (relp != NULL)
			*relp = json_object_iter_key(json_object_iter_at(
			    json_object_get(g->params, "files"), rel));
		return (0);
	}
	if (json_object_size(json_object_get(g->params, "files")) >=
	    CLI_STACK_FILES_MAX)
		return (g_fail(g, -E2BIG, "%s: more than %d files in the "
		    "stack", path, CLI_STACK_FILES_MAX));
	err = slurp(real, &buf, &len);
	if (err == -EFBIG)
		return (g_fail(g, err, "%s: over the limit of %d KiB per "
		    "file", path, CLI_STACK_FILE_MAX / 1024));
	if (err != 0)
		return (g_fail(g, err, "%s: %s", path, strerror(-err)));
	g->bytes += len;
	if (g->bytes > CLI_STACK_BYTES_MAX) {
		free(buf);
		return (g_fail(g, -EFBIG, "%s: the stack's files pass the "
		    "limit of %d KiB together", path,
		    CLI_STACK_BYTES_MAX / 1024));
	}
	err = cli_stack_put(g->params, rel, buf, len);
	free(buf);
	if (err == 0 && relp != NULL)
		*relp = json_object_iter_key(json_object_iter_at(
		    json_object_get(g->params, "files"), rel));
	return (err);
}

/* Adds a file or, recursively, a folder named by --include. */
static int
g_include(struct gather *g, const char *path, int depth)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		*sub;
	int		 err = 0;

	if (stat(path, &st) != 0)
		return (g_fail(g, -errno, "--include %s: %s", path,
		    strerror(errno)));
	if (!S_ISDIR(st.st_mode))
		return (S_ISREG(st.st_mode) ? g_add(g, path, NULL) : 0);
	if (depth > 16)
		return (g_fail(g, -ELOOP, "--include %s: folders too deep",
		    path));
	d = opendir(path);
	if (d == NULL)
		return (g_fail(g, -errno, "--include %s: %s", path,
		    strerror(errno)));
	while (err == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&sub, "%s/%s", path, de->d_name) < 0) {
			err = -ENOMEM;
			break;
		}
		err = g_include(g, sub, depth + 1);
		free(sub);
	}
	closedir(d);
	return (err);
}

/* A path of the stack's folder: base/rel, or rel when absolute. */
static char *
g_path(const struct gather *g, const char *rel)
{
	char	*p;

	if (rel[0] == '/')
		return (strdup(rel));
	if (asprintf(&p, "%s/%s", g->base, rel) < 0)
		return (NULL);
	return (p);
}

/* One path an env_file: line names (quotes stripped). */
static int
g_env_ref(struct gather *g, char *v)
{
	struct stat	 st;
	size_t		 n;
	char		*p;
	int		 err;

	n = strlen(v);
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		v[--n] = '\0';
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		v++;
	}
	if (v[0] == '\0' || v[0] == '$' || v[0] == '[' || v[0] == '{')
		return (0);	/* a variable or flow syntax: compose's */
	p = g_path(g, v);
	if (p == NULL)
		return (-ENOMEM);
	err = stat(p, &st) == 0 && S_ISREG(st.st_mode) ? g_add(g, p, NULL) :
	    0;
	free(p);
	return (err);
}

/* Scans a compose file's text for env_file: entries. */
static int
g_scan(struct gather *g, char *text)
{
	char	*line, *save = NULL, *p;
	int	 in_list = 0, err = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL && err == 0;
	    line = strtok_r(NULL, "\n", &save)) {
		p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (in_list && p[0] == '-' && (p[1] == ' ' || p[1] == '\t')) {
			p += 2;
			while (*p == ' ')
				p++;
			err = g_env_ref(g, p);
			continue;
		}
		in_list = 0;
		if (strncmp(p, "env_file:", 9) != 0)
			continue;
		p += 9;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			in_list = 1;
		else
			err = g_env_ref(g, p);
	}
	return (err);
}

/* A name as compose makes a project name of it: lower case, a-z 0-9 - _. */
char *
cli_stack_name_from(const char *s)
{
	char	*out = malloc(strlen(s) + 1), c;
	size_t	 i, n = 0;

	for (i = 0; out != NULL && s[i] != '\0'; i++) {
		c = (char)tolower((unsigned char)s[i]);
		if (islower((unsigned char)c) || isdigit((unsigned char)c) ||
		    (n > 0 && (c == '-' || c == '_')))
			out[n++] = c;
	}
	if (out != NULL)
		out[n] = '\0';
	return (out);
}

/* The folder's name as compose makes a project name of it. */
static char *
project_name(const char *base)
{
	char	*copy = strdup(base), *out;

	if (copy == NULL)
		return (NULL);
	out = cli_stack_name_from(basename(copy));
	free(copy);
	return (out);
}

/* Reads the files of a stack into params (see cli-stack.h). */
int
cli_stack_gather(const struct cli_stack_src *src, json_t *params,
    char **name, char **cause)
{
	struct gather	 g;
	json_t		*cf;
	const char	*rel;
	char		 real[PATH_MAX], *dir, *envp, *text;
	size_t		 i, len;
	int		 err = 0;

	memset(&g, 0, sizeof(g));
	g.params = params;
	g.cause = cause;
	*name = NULL;
	if (realpath(src->compose[0], real) == NULL)
		return (g_fail(&g, -errno, "%s: %s", src->compose[0],
		    strerror(errno)));
	dir = strdup(real);
	g.base = dir != NULL ? strdup(dirname(dir)) : NULL;
	free(dir);
	cf = json_array();
	if (g.base == NULL || cf == NULL ||
	    json_object_set_new(params, "compose_files", cf) != 0) {
		free(g.base);
		return (-ENOMEM);
	}
	for (i = 0; err == 0 && i < src->ncompose; i++) {
		err = g_add(&g, src->compose[i], &rel);
		if (err == 0)
			err = json_array_append_new(cf, json_string(rel));
	}
	envp = err == 0 ? g_path(&g, ".env") : NULL;
	if (envp != NULL && access(envp, R_OK) == 0)
		err = g_add(&g, envp, NULL);
	free(envp);
	if (err == 0 && src->env_file != NULL) {
		err = g_add(&g, src->env_file, &rel);
		if (err == 0)
			err = json_object_set_new(params, "env_file",
			    json_string(rel));
	}
	for (i = 0; err == 0 && i < src->ncompose; i++) {
		err = slurp(src->compose[i], &text, &len);
		if (err == 0)
			err = g_scan(&g, text);
		free(text);
	}
	for (i = 0; err == 0 && i < src->ninclude; i++) {
		envp = g_path(&g, src->include[i]);
		err = envp != NULL ? g_include(&g, envp, 0) : -ENOMEM;
		free(envp);
	}
	if (err == 0) {
		*name = project_name(g.base);
		if (*name == NULL)
			err = -ENOMEM;
	}
	free(g.base);
	return (err);
}
