/*
 * `pier cp [-aLq] SRC DST`: files between a container and here, as
 * `docker cp`. One side is NODE/CONTAINER:PATH, the other a local path
 * or `-` (a tar on stdin or stdout, passed as it is). The node moves the
 * engine's tar (container.download, container.upload); here it is
 * packed and unpacked with libarchive (cp-tar.c) on a thread, through a
 * pipe, so a copy of any size holds a pipe's worth of memory.
 *
 * Naming follows docker cp: a directory copied onto an existing
 * directory goes inside it (SRC/. copies its contents instead), onto a
 * path that does not exist it becomes that path; a file onto a directory
 * goes inside it, onto another path it becomes that file. A symbolic
 * link is copied as a link unless -L follows the source.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-cp.h"
#include "cli-out.h"

static int	cp_main(const struct cli_cmd *, int, char **);

static const struct cli_opt cp_opts[] = {
	{ .name = "archive", .letter = 'a',
	  .help = "keep owners (uid/gid) as they are at the source" },
	{ .name = "follow-link", .letter = 'L',
	  .help = "follow a symbolic link given as SRC" },
	{ .name = "quiet", .letter = 'q',
	  .help = "print nothing on success" },
	{ .name = "max-size", .arg = "SIZE", .kind = CLI_K_ARG,
	  .help = "refuse a tar claiming more than SIZE (default:\n"
	  "the free space of the destination)" },
	{ .name = "max-entries", .arg = "N", .kind = CLI_K_ARG,
	  .help = "refuse a tar of more than N entries\n"
	  "(default 1000000)" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_cp = {
	.name = "cp",
	.main = cp_main,
	.method = "container.download",
	.role = PROTO_ROLE_OPERATOR,
	.opts = cp_opts,
	.args_min = 2,
	.args_max = 2,
	.usage = "[-aLq] NODE/CONTAINER:SRC DEST|-  or  SRC|- "
	    "NODE/CONTAINER:DEST",
	.summary = "copy files between a container and here",
	.help = "",
	.notes = "\n"
	    "As docker cp: a directory goes inside an existing directory, or\n"
	    "becomes DEST if there is none; SRC/. copies a directory's\n"
	    "contents. '-' is a tar on stdout (from a container) or stdin (to\n"
	    "a container, DEST a directory). Unpacking here refuses names\n"
	    "that leave DEST, never writes through a symbolic link, and stops\n"
	    "a tar past --max-size or --max-entries.\n",
};

/* One side of a copy. */
struct cp_side {
	char		*node;		/* NULL: local */
	char		*container;
	const char	*path;		/* in the container, or local */
};

/* Reads an argument: NODE/CONTAINER:PATH, or a local path or "-". */
static int
cp_side_parse(struct cli_ctx *x, const char *arg, struct cp_side *s,
    char **cause)
{
	struct cli_target	 tg;
	const char		*colon;
	char			*spec;
	int			 err;

	memset(s, 0, sizeof(*s));
	s->path = arg;
	colon = strchr(arg, ':');
	if (arg[0] == '/' || arg[0] == '.' || colon == NULL || colon == arg)
		return (0);
	spec = strndup(arg, (size_t)(colon - arg));
	if (spec == NULL)
		return (-ENOMEM);
	err = cli_target_parse(&x->book, spec, &tg, cause);
	free(spec);
	if (err != 0)
		return (err);
	if (colon[1] != '/') {
		cli_target_free(&tg);
		return (asprintf(cause, "%s: the path in the container must "
		    "be absolute", arg) < 0 ? -ENOMEM : -EINVAL);
	}
	s->node = tg.node;
	s->container = tg.container;
	s->path = colon + 1;
	return (0);
}

/* The last name of a path ("." for "dir/."); a new string. */
static char *
cp_base(const char *path)
{
	size_t	 n = strlen(path);
	const char *b;

	while (n > 1 && path[n - 1] == '/')
		n--;
	b = path + n;
	while (b > path && b[-1] != '/')
		b--;
	return (strndup(b, (size_t)(path + n - b)));
}

/* The directory of a path (new): "/" or "." when there is none. */
static char *
cp_dir(const char *path)
{
	size_t	 n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	while (n > 0 && path[n - 1] != '/')
		n--;
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return (strdup("."));
	return (strndup(path, n));
}

/* Tells whether a path ends in "/." (a directory's contents). */
static int
cp_contents(const char *path)
{
	size_t	n = strlen(path);

	return (n >= 2 && path[n - 1] == '.' && path[n - 2] == '/');
}

/* Asks the node what a path is: 0 with *st, -ENOENT, or -1 printed. */
static int
cp_stat(const struct cli_cmd *self, struct cli_ctx *x,
    const struct cp_side *c, json_t **st)
{
	struct cli_rpc_error	 e;
	struct cli_rpc		*r;
	char			*cause = NULL;
	int			 err;

	*st = NULL;
	if (cli_rpc_open(x, c->node, &r, &cause) != 0) {
		cli_fail(self, NULL, cause, "cannot connect");
		free(cause);
		return (-1);
	}
	memset(&e, 0, sizeof(e));
	err = cli_rpc_call(r, "container.statpath", json_pack("{s:s, s:s}",
	    "id", c->container, "path", c->path), 0, st, &e);
	cli_rpc_close(r);
	if (err == 0)
		return (0);
	if (e.code == PROTO_E_NOTFOUND && e.message != NULL &&
	    strstr(e.message, "no such file") != NULL) {
		cli_rpc_error_clear(&e);
		return (-ENOENT);
	}
	(void)cli_rpc_fail(self, c->node, &e);
	cli_rpc_error_clear(&e);
	return (-1);
}

/* The bounds of an unpack from the options; CLI_EXIT_OK or printed. */
static int
cp_bounds(const struct cli_cmd *self, const struct cli_args *a,
    const char *dir, struct cli_tar_in *in)
{
	const char	*v;
	struct statvfs	 vfs;
	int64_t		 n;
	char		*cause = NULL, *end;

	in->max_entries = CLI_TAR_MAX_ENTRIES;
	v = cli_args_get(self, a, "max-entries");
	if (v != NULL) {
		errno = 0;
		in->max_entries = strtoull(v, &end, 10);
		if (errno != 0 || *end != '\0' || in->max_entries == 0)
			return (cli_usage_error(self, "--max-entries: not a "
			    "positive number: %s", v));
	}
	v = cli_args_get(self, a, "max-size");
	if (v != NULL) {
		if (cli_parse_size(v, &n, &cause) != 0 || n <= 0) {
			cli_usage_error(self, "--max-size: %s", cause != NULL ?
			    cause : v);
			free(cause);
			return (CLI_EXIT_USAGE);
		}
		in->max_bytes = (uint64_t)n;
	} else if (statvfs(dir, &vfs) == 0)
		in->max_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	else
		in->max_bytes = UINT64_MAX;
	return (CLI_EXIT_OK);
}

/* Runs the tar job and the transfer together; an exit code. */
static int
cp_run(const struct cli_cmd *self, struct cli_ctx *x,
    struct cli_tar_xfer *t, struct cli_tar_job *j, const char *dst)
{
	char	 b[CLI_HUMAN_LEN], *cause = NULL;
	int	 err, jerr = 0;

	if (j != NULL && cli_tar_job_start(j, &t->fd) != 0)
		return (cli_error(self, "cannot start: %s", strerror(errno)));
	err = cli_tar_xfer(x, t, &cause);
	if (j != NULL) {
		close(t->fd);	/* the unpacker sees the end */
		jerr = cli_tar_job_join(j);
	}
	if (jerr != 0) {
		cli_error(self, "%s", j->cause != NULL ? j->cause :
		    strerror(-jerr));
		free(j->cause);
		free(cause);
		return (CLI_EXIT_FAIL);
	}
	if (err != 0) {
		cli_fail(self, t->node, cause, "failed");
		free(cause);
		return (CLI_EXIT_FAIL);
	}
	if (dst != NULL)
		fprintf(stderr, "Successfully copied %s to %s\n",
		    cli_human_size(b, (double)t->bytes, 3), dst);
	return (CLI_EXIT_OK);
}

/* From a container to here. */
static int
cp_down(const struct cli_cmd *self, struct cli_ctx *x,
    const struct cli_args *a, const struct cp_side *c, const char *dst)
{
	struct cli_tar_xfer	 t;
	struct cli_tar_job	 j;
	struct stat		 sb;
	json_t			*st = NULL, *params;	/* owned */
	const char		*type, *src = c->path;
	char			*dir = NULL, *name = NULL, *top = NULL;
	char			 label[PATH_MAX + 64];
	int			 rc = CLI_EXIT_FAIL, isdir, exists;

	switch (cp_stat(self, x, c, &st)) {
	case 0:
		break;
	case -ENOENT:
		return (cli_error(self, "%s:%s: no such file or directory in "
		    "the container", c->container, c->path));
	default:
		return (CLI_EXIT_FAIL);
	}
	type = json_string_value(json_object_get(st, "type"));
	if (type != NULL && strcmp(type, "symlink") == 0 &&
	    cli_args_get(self, a, "follow-link") != NULL) {
		src = json_string_value(json_object_get(st, "link_target"));
		if (src == NULL || src[0] != '/')
			src = c->path;	/* relative: the engine follows */
	}
	params = json_pack("{s:s, s:s}", "id", c->container, "path", src);
	memset(&t, 0, sizeof(t));
	t.node = c->node;
	t.method = "container.download";
	t.params = params;
	if (strcmp(dst, "-") == 0) {
		t.fd = 1;
		rc = cp_run(self, x, &t, NULL, NULL);
		goto out;
	}
	isdir = type != NULL && strcmp(type, "dir") == 0;
	exists = stat(dst, &sb) == 0;
	top = cp_base(json_string_value(json_object_get(st, "name")) != NULL ?
	    json_string_value(json_object_get(st, "name")) : c->path);
	if (exists && S_ISDIR(sb.st_mode)) {
		dir = strdup(dst);
		name = cp_contents(c->path) ? strdup(".") : cp_base(src);
	} else if (exists && isdir) {
		rc = cli_error(self, "cannot copy a directory to a file: %s",
		    dst);
		goto out;
	} else if (!exists && dst[strlen(dst) - 1] == '/') {
		rc = cli_error(self, "%s: no such directory", dst);
		goto out;
	} else {
		dir = cp_dir(dst);
		name = cp_base(dst);
	}
	if (dir == NULL || name == NULL || top == NULL)
		goto out;
	if (strcmp(name, "..") == 0 || strchr(name, '/') != NULL) {
		rc = cli_error(self, "%s: not a name to copy to", dst);
		goto out;
	}
	memset(&j, 0, sizeof(j));
	j.unpack = 1;
	j.in.top = top;
	j.in.to = name;
	j.in.owners = cli_args_get(self, a, "archive") != NULL;
	rc = cp_bounds(self, a, dir, &j.in);
	if (rc != CLI_EXIT_OK)
		goto out;
	if (chdir(dir) != 0) {
		rc = cli_error(self, "%s: %s", dir, strerror(errno));
		goto out;
	}
	snprintf(label, sizeof(label), "Copying to %s", dst);
	t.label = label;
	rc = cp_run(self, x, &t, &j, cli_args_get(self, a, "quiet") == NULL ?
	    dst : NULL);
out:
	json_decref(t.reply);
	json_decref(params);
	json_decref(st);
	free(dir);
	free(name);
	free(top);
	return (rc);
}

/* From here to a container. */
static int
cp_up(const struct cli_cmd *self, struct cli_ctx *x,
    const struct cli_args *a, const char *src, const struct cp_side *c)
{
	struct cli_tar_xfer	 t;
	struct cli_tar_job	 j;
	struct stat		 sb;
	json_t			*st = NULL, *params = NULL;	/* owned */
	const char		*type;
	char			*dir = NULL, *name = NULL;
	char			 label[PATH_MAX + 64];
	int			 rc = CLI_EXIT_FAIL, err, follow;

	err = cp_stat(self, x, c, &st);
	if (err == -1)
		return (CLI_EXIT_FAIL);
	type = json_string_value(json_object_get(st, "type"));
	memset(&t, 0, sizeof(t));
	t.node = c->node;
	t.method = "container.upload";
	t.upload = 1;
	if (strcmp(src, "-") == 0) {
		if (err != 0 || type == NULL || strcmp(type, "dir") != 0) {
			rc = cli_error(self, "%s: a tar from stdin needs an "
			    "existing directory", c->path);
			goto out;
		}
		params = json_pack("{s:s, s:s}", "id", c->container, "path",
		    c->path);
		t.params = params;
		t.fd = 0;
		rc = cp_run(self, x, &t, NULL, NULL);
		goto out;
	}
	follow = cli_args_get(self, a, "follow-link") != NULL;
	if ((follow ? stat(src, &sb) : lstat(src, &sb)) != 0) {
		rc = cli_error(self, "%s: %s", src, strerror(errno));
		goto out;
	}
	if (err == 0 && type != NULL && strcmp(type, "dir") == 0) {
		dir = strdup(c->path);
		name = cp_contents(src) ? strdup(".") : cp_base(src);
	} else if (err == 0 && S_ISDIR(sb.st_mode)) {
		rc = cli_error(self, "cannot copy a directory to a file: %s",
		    c->path);
		goto out;
	} else if (err != 0 && c->path[strlen(c->path) - 1] == '/') {
		rc = cli_error(self, "%s: no such directory in the container",
		    c->path);
		goto out;
	} else {
		dir = cp_dir(c->path);
		name = cp_base(c->path);
	}
	if (dir == NULL || name == NULL)
		goto out;
	params = json_pack("{s:s, s:s, s:b}", "id", c->container, "path", dir,
	    "copy_uid_gid", cli_args_get(self, a, "archive") != NULL);
	t.params = params;
	memset(&j, 0, sizeof(j));
	j.out.src = src;
	j.out.name = name;
	j.out.follow = follow;
	snprintf(label, sizeof(label), "Copying to %s:%s", c->container,
	    c->path);
	t.label = label;
	snprintf(label + sizeof(label) / 2, sizeof(label) / 2, "%s:%s",
	    c->container, c->path);
	rc = cp_run(self, x, &t, &j, cli_args_get(self, a, "quiet") == NULL ?
	    label + sizeof(label) / 2 : NULL);
out:
	json_decref(t.reply);
	json_decref(params);
	json_decref(st);
	free(dir);
	free(name);
	return (rc);
}

/* `pier cp`. */
static int
cp_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args		 a;
	struct cli_ctx		 x;
	struct cp_side		 s, d;
	char			*cause = NULL;
	int			 rc;

	rc = cli_args_parse(self, argc, argv, &a);
	if (rc >= 0) {
		cli_args_free(&a);
		return (rc);
	}
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		cli_args_free(&a);
		return (CLI_EXIT_FAIL);
	}
	memset(&d, 0, sizeof(d));
	if (cp_side_parse(&x, a.argv[0], &s, &cause) != 0 ||
	    cp_side_parse(&x, a.argv[1], &d, &cause) != 0) {
		rc = cli_fail(self, NULL, cause, "bad argument");
		goto out;
	}
	if ((s.container == NULL) == (d.container == NULL))
		rc = cli_usage_error(self, "one of SRC and DEST must be "
		    "NODE/CONTAINER:PATH, the other a local path or -");
	else if (s.container != NULL)
		rc = cp_down(self, &x, &a, &s, d.path);
	else
		rc = cp_up(self, &x, &a, s.path, &d);
out:
	free(s.node);
	free(s.container);
	free(d.node);
	free(d.container);
	free(cause);
	cli_ctx_close(&x);
	cli_args_free(&a);
	return (rc);
}
