/*
 * Fetching template files over https (tools/pier/template-fetch.c)
 * against a real TLS server on 127.0.0.1 (tests/fixtures/https-server.py
 * with a certificate made here by openssl): the cache and its age, the
 * offline fallback, https-only (redirects too), the size bound while the
 * body arrives, the timeout, and an untrusted certificate.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "templates.h"

/* The test server and its folder. */
struct server {
	pid_t		 pid;
	int		 in;		/* its stdin: closing it stops it */
	int		 port;
	char		*dir;
	char		 www[4096];
	char		 ca[4096];
	char		 cache[4096];
};

/* Writes a file under the server's folder. */
static void
put_file(struct server *s, const char *name, const char *data, size_t len)
{
	char path[8192];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", s->www, name);
	f = fopen(path, "w");
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(fwrite(data, 1, len, f), len);
	ASSERT_OK(fclose(f));
}

/* Makes a certificate, starts the server and reads its port. */
static void
server_start(struct server *s)
{
	char cmd[16384], line[32], *fixture;
	int out[2], in[2];
	size_t len, n = 0;
	struct pollfd pfd;
	ssize_t r;

	memset(s, 0, sizeof *s);
	memset(line, 0, sizeof line);
	s->dir = test_tmpdir();
	snprintf(s->www, sizeof s->www, "%s/www", s->dir);
	snprintf(s->ca, sizeof s->ca, "%s/cert.pem", s->dir);
	snprintf(s->cache, sizeof s->cache, "%s/cache", s->dir);
	ASSERT_OK(mkdir(s->www, 0700));
	snprintf(cmd, sizeof cmd, "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -keyout %s/key.pem -out "
	    "%s -days 2 -subj /CN=localhost -addext "
	    "subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1",
	    s->dir, s->ca);
	if (system(cmd) != 0)
		SKIP("openssl cannot make a test certificate here");
	snprintf(cmd, sizeof cmd, "%s/tests/fixtures/templates-v2.json",
	    test_env("PIER_SOURCE_ROOT", "."));
	fixture = test_read_file(cmd, &len);
	ASSERT_NOT_NULL(fixture);
	put_file(s, "v2.json", fixture, len);
	free(fixture);
	put_file(s, "bad.json", "{\"version\": \"2\", \"templates\": [",
	    32);
	ASSERT_OK(pipe(out));
	ASSERT_OK(pipe(in));
	snprintf(cmd, sizeof cmd, "%s/tests/fixtures/https-server.py",
	    test_env("PIER_SOURCE_ROOT", "."));
	s->pid = fork();
	ASSERT_GE(s->pid, 0);
	if (s->pid == 0) {
		char key[8192];

		snprintf(key, sizeof key, "%s/key.pem", s->dir);
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		/* Debian's own python3 starts faster than a PATH shim. */
		if (access("/usr/bin/python3", X_OK) == 0)
			execl("/usr/bin/python3", "python3", cmd, s->www,
			    s->ca, key, (char *)NULL);
		execlp("python3", "python3", cmd, s->www, s->ca, key,
		    (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->in = in[1];
	/* The first line is the port, within ten seconds. */
	pfd.fd = out[0];
	pfd.events = POLLIN;
	while (n < sizeof line - 1 && memchr(line, '\n', n) == NULL) {
		if (poll(&pfd, 1, 10000) != 1)
			break;
		r = read(out[0], line + n, sizeof line - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(out[0]);
	line[n] = '\0';
	s->port = atoi(line);
	if (s->port <= 0)
		FAIL("the https test server did not start (python3 %s)", cmd);
}

/* Stops the server and removes its folder. */
static void
server_stop(struct server *s)
{
	int status;

	close(s->in);
	kill(s->pid, SIGTERM);
	waitpid(s->pid, &status, 0);
	test_rmtree(s->dir);
}

/* Writes the URL of a path on the server into buf. */
static const char *
url(struct server *s, const char *path, char *buf, size_t size)
{
	snprintf(buf, size, "https://127.0.0.1:%d%s", s->port, path);
	return (buf);
}

/* Reads how many requests the server served (it keeps www/count). */
static int
served(struct server *s)
{
	char path[8192], *body;
	size_t len;
	int n;

	snprintf(path, sizeof path, "%s/count", s->www);
	body = test_read_file(path, &len);
	if (body == NULL)
		return (0);
	n = atoi(body);
	free(body);
	return (n);
}

/* Opens a URL expecting success; no warning unless one is wanted. */
static struct cli_tpl_file *
open_ok(const char *u, const struct cli_tpl_fetch_opts *o, char **warning)
{
	struct cli_tpl_file *f = NULL;
	char *cause = NULL, *w = NULL;

	if (cli_tpl_open(u, o, &f, &w, &cause) != 0)
		FAIL("open %s: %s", u, cause);
	ASSERT_NOT_NULL(f);
	if (warning != NULL)
		*warning = w;
	else if (w != NULL)
		FAIL("open %s: unexpected warning: %s", u, w);
	return (f);
}

/* Opens a URL expecting an error; returns the cause (caller frees). */
static char *
open_err(const char *u, const struct cli_tpl_fetch_opts *o, int code)
{
	struct cli_tpl_file *f = NULL;
	char *cause = NULL, *w = NULL;
	int rc;

	rc = cli_tpl_open(u, o, &f, &w, &cause);
	if (rc != code)
		FAIL("open %s: %d, not %d: %s", u, rc, code,
		    cause ? cause : "");
	ASSERT_NULL(f);
	ASSERT_NULL(w);
	ASSERT_NOT_NULL(cause);
	return (cause);
}

/* Counts the .json files in the cache folder. */
static int
cached_files(struct server *s)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir(s->cache);
	if (d == NULL)
		return (0);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".json") != NULL)
			n++;
	closedir(d);
	return (n);
}

/* A fetched file is cached and served from the cache while fresh. */
static void
test_fetch_cache(void)
{
	struct server s;
	struct cli_tpl_fetch_opts o = { 0 };
	struct cli_tpl_file *f;
	struct dirent *de;
	struct stat st;
	char u[256], path[8192];
	DIR *d;

	server_start(&s);
	o.ca_file = s.ca;
	o.cache_dir = s.cache;
	url(&s, "/files/v2.json", u, sizeof u);
	f = open_ok(u, &o, NULL);
	ASSERT_EQ(f->ntemplates, 7);
	ASSERT_STREQ(f->origin, u);
	cli_tpl_file_free(f);
	ASSERT_EQ(served(&s), 1);
	/* The cache file: one, private. */
	d = opendir(s.cache);
	ASSERT_NOT_NULL(d);
	while ((de = readdir(d)) != NULL && de->d_name[0] == '.')
		;
	ASSERT_NOT_NULL(de);
	ASSERT_EQ(strlen(de->d_name), 16 + 5);
	snprintf(path, sizeof path, "%s/%s", s.cache, de->d_name);
	closedir(d);
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_mode & 0777, 0600);
	/* Fresh: no request. */
	f = open_ok(u, &o, NULL);
	ASSERT_STREQ(f->origin, u);
	cli_tpl_file_free(f);
	ASSERT_EQ(served(&s), 1);
	/* --refresh asks again. */
	o.refresh = 1;
	cli_tpl_file_free(open_ok(u, &o, NULL));
	ASSERT_EQ(served(&s), 2);
	/* Older than max_age: fetched again. */
	o.refresh = 0;
	{
		struct timeval tv[2] = { { time(NULL) - 7200, 0 },
		    { time(NULL) - 7200, 0 } };

		ASSERT_OK(utimes(path, tv));
	}
	o.max_age = 3600;
	cli_tpl_file_free(open_ok(u, &o, NULL));
	ASSERT_EQ(served(&s), 3);
	server_stop(&s);
}

/* Without a cache folder given, $XDG_CACHE_HOME/pier/templates. */
static void
test_default_cache_dir(void)
{
	struct server s;
	struct cli_tpl_fetch_opts o = { 0 };
	char u[256], xdg[1024], *old;

	server_start(&s);
	o.ca_file = s.ca;
	snprintf(xdg, sizeof xdg, "%s/xdg", s.dir);
	old = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME")) :
	    NULL;
	setenv("XDG_CACHE_HOME", xdg, 1);
	cli_tpl_file_free(open_ok(url(&s, "/files/v2.json", u, sizeof u), &o,
	    NULL));
	if (old != NULL)
		setenv("XDG_CACHE_HOME", old, 1);
	else
		unsetenv("XDG_CACHE_HOME");
	free(old);
	snprintf(s.cache, sizeof s.cache, "%s/pier/templates", xdg);
	ASSERT_EQ(cached_files(&s), 1);
	server_stop(&s);
}

/* A cache folder that cannot be made: fetched anyway, with a warning;
 * offline, an error. */
static void
test_no_cache_dir(void)
{
	struct server s;
	struct cli_tpl_fetch_opts o = { 0 };
	char u[256], dir[8192], *w, *cause;

	server_start(&s);
	o.ca_file = s.ca;
	/* Under a regular file: mkdir fails with ENOTDIR. */
	snprintf(dir, sizeof dir, "%s/v2.json/cache", s.www);
	o.cache_dir = dir;
	url(&s, "/files/v2.json", u, sizeof u);
	cli_tpl_file_free(open_ok(u, &o, &w));
	ASSERT_CONTAINS(w, "not cached");
	ASSERT_CONTAINS(w, "Not a directory");
	free(w);
	cli_tpl_file_free(open_ok(u, &o, &w));
	free(w);
	ASSERT_EQ(served(&s), 2);
	o.offline = 1;
	cause = open_err(u, &o, -ENOTDIR);
	ASSERT_CONTAINS(cause, "offline, and");
	free(cause);
	server_stop(&s);
}

/* When fetching fails, an old copy stands in, with a warning. */
static void
test_fallback_offline(void)
{
	struct server s;
	struct cli_tpl_fetch_opts o = { 0 };
	char u[256], path[8192], *w, *cause;
	int port;

	server_start(&s);
	o.ca_file = s.ca;
	o.cache_dir = s.cache;
	url(&s, "/files/v2.json", u, sizeof u);
	/* Offline with nothing cached. */
	o.offline = 1;
	cause = open_err(u, &o, -ENOENT);
	ASSERT_CONTAINS(cause, "offline, and no copy of it is cached");
	free(cause);
	ASSERT_EQ(served(&s), 0);
	o.offline = 0;
	cli_tpl_file_free(open_ok(u, &o, NULL));
	/* Offline with a copy: no request. */
	o.offline = 1;
	cli_tpl_file_free(open_ok(u, &o, NULL));
	ASSERT_EQ(served(&s), 1);
	o.offline = 0;
	/* The file went away upstream. */
	snprintf(path, sizeof path, "%s/v2.json", s.www);
	ASSERT_OK(unlink(path));
	o.refresh = 1;
	cli_tpl_file_free(open_ok(u, &o, &w));
	ASSERT_CONTAINS(w, "the server answered HTTP 404; using the copy "
	    "cached 0 minutes ago");
	free(w);
	/* The server is gone. */
	port = s.port;
	close(s.in);
	kill(s.pid, SIGTERM);
	waitpid(s.pid, NULL, 0);
	s.pid = 0;
	cli_tpl_file_free(open_ok(u, &o, &w));
	ASSERT_CONTAINS(w, u);
	ASSERT_CONTAINS(w, "using the copy cached");
	free(w);
	/* And nothing cached for another URL: the error itself. */
	snprintf(u, sizeof u, "https://127.0.0.1:%d/files/other.json", port);
	cause = open_err(u, &o, -EIO);
	ASSERT_CONTAINS(cause, u);
	free(cause);
	s.in = -1;
	test_rmtree(s.dir);
}

/* Only https, redirects included; files still open by path. */
static void
test_https_only(void)
{
	struct server s;
	struct cli_tpl_fetch_opts o = { 0 };
	struct cli_tpl_file *f;
	char u[256], path[8192], *cause;

	server_start(&s);
	o.ca_file = s.ca;
	o.cache_dir = s.cache;
	snprintf(u, sizeof u, "http://127.0.0.1:%d/files/v2.json", s.port);
	cause = open_err(u, &o, -EPROTONOSUPPORT);
	ASSERT_CONTAINS(cause, "only https URLs are fetched");
	free(cause);
	cause = open_err("ftp://example.com/t.json", &o, -EPROTONOSUPPORT);
	free(cause);
	ASSERT_EQ(served(&s), 0);
	cause = open_err(url(&s, "/redirect-http", u, sizeof u), &o, -EIO);
	ASSERT_CONTAINS(cause, "/redirect-http");
	free(cause);
	ASSERT_EQ(served(&s), 1);
	f = open_ok(url(&s, "/redirect-https", u, sizeof u), &o, NULL);
	ASSERT_EQ(f->ntemplates, 7);
	cli_tpl_file_free(f);
	/* A plain path is a file. */
	snprintf(path, sizeof path, "%s/v2.json", s.www);
	f = open_ok(path, NULL, NULL);
	ASSERT_STREQ(f->origin, path);
	cli_tpl_file_free(f);
	snprintf(path, sizeof path, "%s/none.json", s.www);
	cause = open_err(path, NULL, -ENOENT);
	free(cause);
	server_stop(&s);
}

/* Size bound while the body arrives, timeout, bad content, bad
 * certificate; nothing bad is cached. */
static void
test_bounds(void)
{
	struct server s;
	struct cli_tpl_fetch_opts o = { 0 };
	struct timespec t0, t1;
	char u[256], *cause;
	long ms;

	server_start(&s);
	o.ca_file = s.ca;
	o.cache_dir = s.cache;
	o.max_size = 100000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cause = open_err(url(&s, "/huge", u, sizeof u), &o, -EFBIG);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_CONTAINS(cause, "larger than the 100000 bytes");
	free(cause);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
	    1000000;
	ASSERT_LT(ms, 3000);
	/* A 7 KiB file under a 1 KiB bound with a Content-Length. */
	o.max_size = 1024;
	cause = open_err(url(&s, "/files/v2.json", u, sizeof u), &o, -EFBIG);
	free(cause);
	o.max_size = 0;
	cause = open_err(url(&s, "/files/bad.json", u, sizeof u), &o,
	    -EINVAL);
	ASSERT_CONTAINS(cause, u);
	ASSERT_CONTAINS(cause, "line 1");
	free(cause);
	o.timeout_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cause = open_err(url(&s, "/slow", u, sizeof u), &o, -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(cause);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
	    1000000;
	ASSERT_LT(ms, 2500);
	o.timeout_ms = 0;
	o.ca_file = NULL;
	cause = open_err(url(&s, "/files/v2.json", u, sizeof u), &o, -EIO);
	ASSERT_CONTAINS(cause, "certificate");
	free(cause);
	ASSERT_EQ(cached_files(&s), 0);
	server_stop(&s);
}

TEST_MAIN(
	T(test_fetch_cache),
	T(test_default_cache_dir),
	T(test_no_cache_dir),
	T(test_fallback_offline),
	T(test_https_only),
	T(test_bounds))
