/*
 * The files of the stacks the node deploys: one folder per stack under
 * STATE/stacks/NAME, readable by root only (folders 0700, files 0600),
 * holding what the client sent (compose files, .env, env_file targets,
 * --include'd files) and .pier-stack.json, which records how compose is
 * run for the stack (its -f files, --env-file, swarm or not, extra
 * environment) so that ps, down, restart and pull later need only the
 * name.
 *
 * A new set of files replaces the old one whole: it is written into
 * .NAME.new beside the folder, the old folder is moved to .NAME.old, the
 * new one renamed into place and the old one removed, so compose never
 * sees half of one set and half of another. Paths from the client are
 * relative, with no "." or ".." part, no empty part, nothing starting
 * with ".pier", at most NODE_STACK_DEPTH_MAX deep; files are opened
 * with O_NOFOLLOW|O_EXCL in a folder the node just made, so nothing
 * lands outside the stack's folder.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "node.h"

#define STACKS_DIR	"stacks"
#define META_FILE	".pier-stack.json"

/* Tells whether name is a compose project name pier accepts. */
int
node_stack_name_ok(const char *name)
{
	size_t	i, len = strlen(name);

	if (len == 0 || len > NODE_STACK_NAME_MAX)
		return (0);
	for (i = 0; i < len; i++) {
		if ((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9'))
			continue;
		if (i > 0 && (name[i] == '-' || name[i] == '_'))
			continue;
		return (0);
	}
	return (1);
}

/* Tells whether rel is a path that stays inside a stack's folder. */
int
node_stack_path_ok(const char *rel)
{
	const char	*p = rel, *end;
	size_t		 depth = 0, i;

	if (rel[0] == '\0' || rel[0] == '/' || strlen(rel) > 255)
		return (0);
	for (i = 0; rel[i] != '\0'; i++)
		if ((unsigned char)rel[i] < 0x20 || rel[i] == 0x7f ||
		    rel[i] == '\\')
			return (0);
	for (;;) {
		end = strchr(p, '/');
		if (end == NULL)
			end = p + strlen(p);
		if (end == p || (end - p == 1 && p[0] == '.') ||
		    (end - p == 2 && p[0] == '.' && p[1] == '.') ||
		    (depth == 0 && strncmp(p, ".pier", 5) == 0))
			return (0);
		if (++depth > NODE_STACK_DEPTH_MAX)
			return (0);
		if (*end == '\0')
			return (1);
		p = end + 1;
	}
}

/* STATE/stacks/PREFIX NAME: a new string (aborts without memory). */
static char *
stack_path(const struct node *n, const char *prefix, const char *name,
    const char *suffix)
{
	return (proto_xasprintf("%s/%s/%s%s%s", n->state_dir, STACKS_DIR,
	    prefix, name, suffix));
}

/* The folder of a stack: a new string. */
char *
node_stack_dir(const struct node *n, const char *name)
{
	return (stack_path(n, "", name, ""));
}

/* Removes one entry of a tree being removed. */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return (rmdir(path) != 0 ? -1 : 0);
	return (unlink(path) != 0 ? -1 : 0);
}

/* Removes a tree, symlinks as links; 0 or -errno (missing is 0). */
static int
rm_tree(const char *path)
{
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return (0);
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return (-errno);
	return (0);
}

/* Makes the folders of rel below top (0700), none of them a symlink. */
static int
mk_parents(const char *top, const char *rel)
{
	char	*path, *slash;
	size_t	 off = strlen(top) + 1;
	int	 err = 0;

	path = proto_xasprintf("%s/%s", top, rel);
	for (slash = strchr(path + off, '/'); slash != NULL && err == 0;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			err = -errno;
		*slash = '/';
	}
	free(path);
	return (err);
}

/* Writes one file of a stack below top; 0 or -errno. */
static int
put_file(const char *top, const char *rel, const unsigned char *buf,
    size_t len)
{
	char	*path;
	ssize_t	 w;
	size_t	 off = 0;
	int	 fd, err;

	err = mk_parents(top, rel);
	if (err != 0)
		return (err);
	path = proto_xasprintf("%s/%s", top, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	free(path);
	if (fd < 0)
		return (-errno);
	while (off < len) {
		w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			err = -errno;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 && err == 0)
		err = -errno;
	return (err);
}

/* Decodes and writes every file of the map into top. */
static int
put_files(const char *top, const json_t *files, char **cause)
{
	const char	*rel;
	const json_t	*v;
	unsigned char	*buf;
	size_t		 cap, len;
	int		 err;

	json_object_foreach((json_t *)files, rel, v) {
		if (!node_stack_path_ok(rel)) {
			node_set_cause(cause, "%s: not a path inside the "
			    "stack's folder", rel);
			return (-EINVAL);
		}
		cap = json_string_length(v) / 4 * 3 + 3;
		buf = malloc(cap + 1);
		if (buf == NULL)
			return (-ENOMEM);
		if (sodium_base642bin(buf, cap, json_string_value(v),
		    json_string_length(v), NULL, &len, NULL,
		    sodium_base64_VARIANT_ORIGINAL) != 0) {
			free(buf);
			node_set_cause(cause, "%s: not base64", rel);
			return (-EINVAL);
		}
		if (len > NODE_STACK_FILE_MAX) {
			free(buf);
			node_set_cause(cause, "%s: %zu bytes, over the limit "
			    "of %d", rel, len, NODE_STACK_FILE_MAX);
			return (-EFBIG);
		}
		err = put_file(top, rel, buf, len);
		free(buf);
		if (err != 0) {
			node_set_cause(cause, "%s: %s", rel, strerror(-err));
			return (err);
		}
	}
	return (0);
}

/* Writes a stack's files and meta (borrowed), replacing the old set. */
int
node_stack_write(struct node *n, const char *name, const json_t *files,
    const json_t *meta, char **cause)
{
	char	*top, *fresh, *old, *dir, *mpath, *mtext = NULL;
	int	 err;

	top = proto_xasprintf("%s/%s", n->state_dir, STACKS_DIR);
	fresh = stack_path(n, ".", name, ".new");
	old = stack_path(n, ".", name, ".old");
	dir = node_stack_dir(n, name);
	mpath = proto_xasprintf("%s/%s", fresh, META_FILE);
	err = (mkdir(top, 0700) != 0 && errno != EEXIST) ? -errno : 0;
	if (err == 0)
		(void)chmod(top, 0700);
	if (err == 0)
		err = rm_tree(fresh);
	if (err == 0)
		err = rm_tree(old);
	if (err == 0 && mkdir(fresh, 0700) != 0)
		err = -errno;
	if (err != 0)
		node_set_cause(cause, "%s: %s", top, strerror(-err));
	if (err == 0)
		err = put_files(fresh, files, cause);
	if (err == 0) {
		mtext = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
		err = mtext == NULL ? -ENOMEM : put_file(fresh, META_FILE,
		    (const unsigned char *)mtext, strlen(mtext));
		if (err != 0)
			node_set_cause(cause, "%s: %s", mpath, strerror(-err));
	}
	if (err == 0 && rename(dir, old) != 0 && errno != ENOENT)
		err = -errno;
	if (err == 0 && rename(fresh, dir) != 0)
		err = -errno;
	if (err != 0 && cause != NULL && *cause == NULL)
		node_set_cause(cause, "%s: %s", dir, strerror(-err));
	if (err != 0)
		(void)rm_tree(fresh);
	(void)rm_tree(old);
	free(mtext);
	free(mpath);
	free(dir);
	free(old);
	free(fresh);
	free(top);
	return (err);
}

/* Reads a stack's meta: 0 with *meta (new), -ENOENT, or -errno. */
int
node_stack_meta(struct node *n, const char *name, json_t **meta)
{
	char		*path;
	json_t		*m;

	path = stack_path(n, "", name, "/" META_FILE);
	if (access(path, F_OK) != 0) {
		free(path);
		*meta = NULL;
		return (-ENOENT);
	}
	m = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	free(path);
	*meta = json_is_object(m) ? m : NULL;
	if (*meta == NULL) {
		json_decref(m);
		return (-EIO);
	}
	return (0);
}

/* Removes a stack's folder; 0 when it is gone. */
int
node_stack_purge(struct node *n, const char *name)
{
	char	*dir = node_stack_dir(n, name);
	int	 err = rm_tree(dir);

	free(dir);
	return (err);
}

/* The names of the stacks with a folder, a new array of strings. */
json_t *
node_stack_stored(struct node *n)
{
	char		*top = proto_xasprintf("%s/%s", n->state_dir,
			    STACKS_DIR);
	json_t		*names = json_array();	/* returned */
	uv_fs_t		 req;
	uv_dirent_t	 ent;

	if (names != NULL && uv_fs_scandir(NULL, &req, top, 0, NULL) >= 0) {
		while (uv_fs_scandir_next(&req, &ent) != UV_EOF)
			if (ent.type == UV_DIRENT_DIR &&
			    node_stack_name_ok(ent.name))
				(void)json_array_append_new(names,
				    json_string(ent.name));
		uv_fs_req_cleanup(&req);
	}
	free(top);
	return (names);
}
