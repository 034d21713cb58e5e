/*
 * Getting a template file from where `pier templates --source` points: a
 * local file (read with a size bound), or an https URL fetched by
 * cli_https_get (https.c).
 *
 * A fetched file that parses is cached as <cache>/<hash of URL>.json and
 * served from there while younger than max_age; when the network fails
 * (or offline is asked for) an older copy is used with a warning, so the
 * list still works on a train. Only https is fetched, redirects too; the
 * body is bounded while it arrives, not after.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "https.h"
#include "templates.h"

/* Reads a file of at most CLI_TPL_MAX_SIZE bytes and parses it. */
int
cli_tpl_load(const char *path, struct cli_tpl_file **out, char **cause)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t r;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (cli_tpl__error(cause, -errno, "%s: %s", path,
		    strerror(errno)));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return (cli_tpl__error(cause, -EINVAL, "%s: not a regular "
		    "file", path));
	}
	buf = malloc(CLI_TPL_MAX_SIZE + 1);
	if (buf == NULL) {
		close(fd);
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	}
	/* Read one byte past the limit, so a file that grew is caught. */
	while (len <= CLI_TPL_MAX_SIZE) {
		r = read(fd, buf + len, CLI_TPL_MAX_SIZE + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = cli_tpl__error(cause, -errno, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > CLI_TPL_MAX_SIZE) {
		rc = cli_tpl__error(cause, -EFBIG, "%s: larger than the %u "
		    "bytes a template file may have", path, CLI_TPL_MAX_SIZE);
		goto out;
	}
	rc = cli_tpl_parse(buf, len, path, out, cause);
out:
	free(buf);
	close(fd);
	return (rc);
}

/* Hashes a URL into the cache file's name (FNV-1a, 64 bits). */
static void
url_hash(const char *url, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *url != '\0'; url++) {
		h ^= (unsigned char)*url;
		h *= 0x100000001b3ULL;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* Makes a folder and its parents, private to the user. */
static int
mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			*p = '/';
			return (-errno);
		}
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return (-errno);
	return (0);
}

/* Works out the cache file of a URL and makes its folder. */
static int
cache_path(const char *url, const struct cli_tpl_fetch_opts *o,
    char **path, char **cause)
{
	const char *xdg, *home;
	char *dir, hash[17];
	int rc;

	*path = NULL;
	xdg = getenv("XDG_CACHE_HOME");
	home = getenv("HOME");
	if (o->cache_dir != NULL)
		rc = asprintf(&dir, "%s", o->cache_dir);
	else if (xdg != NULL && *xdg == '/')
		rc = asprintf(&dir, "%s/pier/templates", xdg);
	else if (home != NULL && *home == '/')
		rc = asprintf(&dir, "%s/.cache/pier/templates", home);
	else
		return (cli_tpl__error(cause, -ENOENT, "no cache folder: set "
		    "XDG_CACHE_HOME or HOME"));
	if (rc < 0)
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	rc = mkdirs(dir);
	if (rc != 0) {
		rc = cli_tpl__error(cause, rc, "%s: %s", dir, strerror(-rc));
		free(dir);
		return (rc);
	}
	url_hash(url, hash);
	rc = asprintf(path, "%s/%s.json", dir, hash);
	free(dir);
	if (rc < 0) {
		*path = NULL;
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	}
	return (0);
}

/* Writes the cache file whole or not at all (temporary, then rename). */
static void
cache_store(const char *path, const char *buf, size_t len)
{
	char *tmp;
	ssize_t w;
	size_t off = 0;
	int fd;

	if (asprintf(&tmp, "%s.%ld.tmp", path, (long)getpid()) < 0)
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(tmp);
		return;
	}
	while (off < len) {
		w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (close(fd) != 0 || off != len || rename(tmp, path) != 0)
		unlink(tmp);
	free(tmp);
}

/* Fetches an https URL's template file into *buf (caller frees). */
static int
fetch(const char *url, const struct cli_tpl_fetch_opts *o, char **buf,
    size_t *len, char **cause)
{
	struct cli_https_opts ho = {
		.timeout_ms = o->timeout_ms,
		.max_size = o->max_size > 0 && o->max_size < CLI_TPL_MAX_SIZE ?
		    o->max_size : CLI_TPL_MAX_SIZE,
		.ca_file = o->ca_file,
	};
	int rc;

	rc = cli_https_get(url, &ho, buf, len, cause);
	if (rc == -EFBIG)
		rc = cli_tpl__error(cause, -EFBIG, "%s: larger than the %zu "
		    "bytes a template file may have", url, ho.max_size);
	return (rc);
}

/* Parses a cached copy; its age in seconds goes to *age. */
static int
load_cache(const char *path, const char *url, struct cli_tpl_file **out,
    long *age, char **cause)
{
	struct stat st;
	int rc;

	if (stat(path, &st) != 0)
		return (-ENOENT);
	*age = (long)(time(NULL) - st.st_mtime);
	rc = cli_tpl_load(path, out, cause);
	if (rc != 0)
		return (rc);
	/* Messages name the URL, not the cache file. */
	free((*out)->origin);
	(*out)->origin = strdup(url);
	if ((*out)->origin == NULL) {
		cli_tpl_file_free(*out);
		*out = NULL;
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	}
	return (0);
}

/* Gets an https URL's template file, from the cache when fresh. */
static int
open_url(const char *url, const struct cli_tpl_fetch_opts *o,
    struct cli_tpl_file **out, char **warning, char **cause)
{
	struct stat st;
	char *path = NULL, *why = NULL, *nocache = NULL, *buf = NULL;
	size_t len = 0;
	long age = 0, max_age;
	int rc;

	max_age = o->max_age > 0 ? o->max_age : CLI_TPL_CACHE_AGE;
	/* Without a cache folder, fetching still works, uncached. */
	rc = cache_path(url, o, &path, &nocache);
	if (rc != 0 && o->offline) {
		rc = cli_tpl__error(cause, rc, "%s: offline, and %s", url,
		    nocache ? nocache : "no cache folder");
		goto out;
	}
	if (o->offline) {
		rc = load_cache(path, url, out, &age, cause);
		if (rc == -ENOENT)
			rc = cli_tpl__error(cause, -ENOENT, "%s: offline, and "
			    "no copy of it is cached", url);
		goto out;
	}
	if (path != NULL && !o->refresh && stat(path, &st) == 0 &&
	    time(NULL) - st.st_mtime < max_age &&
	    load_cache(path, url, out, &age, NULL) == 0)
		goto out;
	rc = fetch(url, o, &buf, &len, &why);
	if (rc == 0)
		rc = cli_tpl_parse(buf, len, url, out, &why);
	if (rc == 0 && path != NULL)
		cache_store(path, buf, len);
	else if (rc == 0)
		cli_tpl__error(warning, 0, "%s: not cached: %s", url,
		    nocache ? nocache : "no cache folder");
	if (rc == 0)
		goto out;
	/* The network failed us: an old copy beats nothing. */
	if (path != NULL && load_cache(path, url, out, &age, NULL) == 0) {
		cli_tpl__error(warning, 0, "%s; using the copy cached %ld "
		    "minutes ago", why ? why : "fetch failed", age / 60);
		rc = 0;
		goto out;
	}
	if (cause != NULL) {
		*cause = why;
		why = NULL;
	}
out:
	free(nocache);
	free(why);
	free(buf);
	free(path);
	return (rc);
}

/* Opens a template source: an https URL (cached) or a file. */
int
cli_tpl_open(const char *source, const struct cli_tpl_fetch_opts *o,
    struct cli_tpl_file **out, char **warning, char **cause)
{
	static const struct cli_tpl_fetch_opts defaults;

	*out = NULL;
	if (warning != NULL)
		*warning = NULL;
	if (o == NULL)
		o = &defaults;
	if (strncasecmp(source, "https://", 8) == 0)
		return (open_url(source, o, out, warning, cause));
	if (strstr(source, "://") != NULL)
		return (cli_tpl__error(cause, -EPROTONOSUPPORT, "%s: only "
		    "https URLs are fetched; download it and give the file",
		    source));
	return (cli_tpl_load(source, out, cause));
}
