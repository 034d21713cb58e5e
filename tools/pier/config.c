/*
 * The client's configuration directory: its own identity key and the
 * address book of joined nodes. The book is one JSON file, nodes.json,
 * holding each node's join key (and so its access secret): it is written
 * atomically with mode 0600 in a 0700 directory, and a book that does not
 * parse is reported and left as it is, never overwritten.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

#define BOOK_FILE	"nodes.json"
#define BOOK_VERSION	1
#define BOOK_MAX	4096	/* nodes in one book */

static int	 node_from_json(json_t *o, struct cli_node *n);
static void	 node_clear(struct cli_node *n);

/* Returns the config directory (caller frees) or NULL. */
char *
cli_config_dir(void)
{
	const char	*s;
	char		*out;

	s = getenv("PIER_CONFIG_DIR");
	if (s != NULL && s[0] != '\0')
		return (strdup(s));
	s = getenv("XDG_CONFIG_HOME");
	if (s != NULL && s[0] == '/') {
		if (asprintf(&out, "%s/pier", s) < 0)
			return (NULL);
		return (out);
	}
	s = getenv("HOME");
	if (s == NULL || s[0] != '/')
		return (NULL);
	if (asprintf(&out, "%s/.config/pier", s) < 0)
		return (NULL);
	return (out);
}

/* Creates the config directory (0700) and its parents if missing. */
int
cli_config_dir_make(const char *dir, char **cause)
{
	char	*p, *s;
	int	 err = 0;

	p = strdup(dir);
	if (p == NULL)
		return (-ENOMEM);
	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			err = -errno;
		*s = '/';
		if (err != 0)
			break;
	}
	if (err == 0 && mkdir(p, 0700) != 0 && errno != EEXIST)
		err = -errno;
	if (err != 0 && asprintf(cause, "cannot create %s: %s", p,
	    strerror(-err)) < 0)
		*cause = NULL;
	free(p);
	return (err);
}

/* Loads the client identity from the config dir, creating it once. */
int
cli_identity_load(const char *dir, struct ovl_identity *id, char **cause)
{
	return (ovl_identity_load_or_create(dir, CLI_IDENTITY_FILE, id, NULL,
	    cause));
}

/* Tells whether s is a valid node name; 0 if so, else -EINVAL. */
int
cli_name_check(const char *s)
{
	size_t	i, len = strlen(s);

	if (len == 0 || len > CLI_NAME_MAX || s[0] == '-' || s[0] == '.')
		return (-EINVAL);
	for (i = 0; i < len; i++) {
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", s[i]) == NULL)
			return (-EINVAL);
	}
	return (0);
}

/* Formats unix seconds as UTC "YYYY-MM-DDTHH:MM:SSZ" into buf. */
void
cli_time_format(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "-");
}

/* Frees the strings of one node. */
static void
node_clear(struct cli_node *n)
{
	free(n->name);
	if (n->key != NULL) {
		sodium_memzero(n->key, strlen(n->key));
		free(n->key);
	}
	free(n->addr);
	free(n->fingerprint);
	free(n->role);
	memset(n, 0, sizeof(*n));
}

/* Fills n from one book entry; -EINVAL if a field is missing. */
static int
node_from_json(json_t *o, struct cli_node *n)
{
	const char	*name, *key, *addr = NULL, *fp = NULL, *role = NULL;
	json_int_t	 joined = 0;

	memset(n, 0, sizeof(*n));
	if (json_unpack(o, "{s:s, s:s, s?s, s?s, s?s, s?I}", "name", &name,
	    "key", &key, "addr", &addr, "fingerprint", &fp, "role", &role,
	    "joined", &joined) != 0 || cli_name_check(name) != 0)
		return (-EINVAL);
	n->name = strdup(name);
	n->key = strdup(key);
	n->addr = addr != NULL ? strdup(addr) : NULL;
	n->fingerprint = fp != NULL ? strdup(fp) : NULL;
	n->role = role != NULL ? strdup(role) : NULL;
	n->joined = joined;
	if (n->name == NULL || n->key == NULL ||
	    (addr != NULL && n->addr == NULL) ||
	    (fp != NULL && n->fingerprint == NULL) ||
	    (role != NULL && n->role == NULL)) {
		node_clear(n);
		return (-ENOMEM);
	}
	return (0);
}

/* Loads the address book (empty if none yet); never changes the file. */
int
cli_book_load(struct cli_book *b, const char *dir, char **cause)
{
	json_error_t	 jerr;
	json_t		*root = NULL, *nodes, *o; /* owned, borrowed x2 */
	size_t		 i;
	int		 err = 0;

	memset(b, 0, sizeof(*b));
	if (asprintf(&b->path, "%s/%s", dir, BOOK_FILE) < 0) {
		b->path = NULL;
		return (-ENOMEM);
	}
	if (access(b->path, F_OK) != 0 && errno == ENOENT)
		return (0);
	root = json_load_file(b->path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		if (asprintf(cause, "cannot read the address book %s: %s "
		    "(line %d)", b->path, jerr.text, jerr.line) < 0)
			*cause = NULL;
		err = -EINVAL;
		goto out;
	}
	nodes = json_object_get(root, "nodes");
	if (!json_is_array(nodes) || json_array_size(nodes) > BOOK_MAX) {
		err = -EINVAL;
		goto bad;
	}
	b->nodes = calloc(json_array_size(nodes) + 1, sizeof(*b->nodes));
	if (b->nodes == NULL) {
		err = -ENOMEM;
		goto out;
	}
	json_array_foreach(nodes, i, o) {
		err = node_from_json(o, &b->nodes[b->n]);
		if (err == -ENOMEM)
			goto out;
		if (err != 0)
			goto bad;
		b->n++;
	}
	goto out;
bad:
	if (asprintf(cause, "the address book %s is damaged (entry %zu); "
	    "fix or move it away", b->path, b->n + 1) < 0)
		*cause = NULL;
out:
	json_decref(root);
	if (err != 0)
		cli_book_free(b);
	return (err);
}

/* Writes the address book atomically with mode 0600. */
int
cli_book_save(const struct cli_book *b, char **cause)
{
	json_t	*root, *nodes, *o;	/* owned, borrowed, borrowed */
	char	*text, *file;
	size_t	 i, len;
	int	 err;

	root = json_pack("{s:i, s:[]}", "version", BOOK_VERSION, "nodes");
	if (root == NULL)
		return (-ENOMEM);
	nodes = json_object_get(root, "nodes");
	for (i = 0; i < b->n; i++) {
		o = json_pack("{s:s, s:s, s:s*, s:s*, s:s*, s:I}",
		    "name", b->nodes[i].name, "key", b->nodes[i].key,
		    "addr", b->nodes[i].addr,
		    "fingerprint", b->nodes[i].fingerprint,
		    "role", b->nodes[i].role,
		    "joined", (json_int_t)b->nodes[i].joined);
		if (o == NULL || json_array_append_new(nodes, o) != 0) {
			json_decref(root);
			return (-ENOMEM);
		}
	}
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (text == NULL)
		return (-ENOMEM);
	err = asprintf(&file, "%s\n", text) < 0 ? -ENOMEM : 0;
	sodium_memzero(text, strlen(text));
	free(text);
	if (err != 0)
		return (err);
	len = strlen(file);
	err = ovl_file_write_atomic(b->path, file, len, 0600, cause);
	sodium_memzero(file, len);
	free(file);
	return (err);
}

/* Frees what the book holds. */
void
cli_book_free(struct cli_book *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++)
		node_clear(&b->nodes[i]);
	free(b->nodes);
	free(b->path);
	memset(b, 0, sizeof(*b));
}

/* Returns the node with this name, or NULL. */
struct cli_node *
cli_book_find(struct cli_book *b, const char *name)
{
	size_t	i;

	for (i = 0; i < b->n; i++) {
		if (strcmp(b->nodes[i].name, name) == 0)
			return (&b->nodes[i]);
	}
	return (NULL);
}

/*
 * The node a command names, or with name NULL the only node joined;
 * NULL with the reason in *cause when there is none or several.
 */
struct cli_node *
cli_book_pick(struct cli_book *b, const char *name, char **cause)
{
	struct cli_node	*n;
	int		 r;

	if (name != NULL) {
		n = cli_book_find(b, name);
		if (n == NULL && asprintf(cause, "no node named %s (see 'pier "
		    "nodes')", name) < 0)
			*cause = NULL;
		return (n);
	}
	if (b->n == 1)
		return (&b->nodes[0]);
	if (b->n == 0)
		r = asprintf(cause, "no node joined yet (pier join KEY)");
	else
		r = asprintf(cause, "which node? %zu are joined (see 'pier "
		    "nodes')", b->n);
	if (r < 0)
		*cause = NULL;
	return (NULL);
}

/* Adds n (copied) or replaces the node of the same name. */
int
cli_book_put(struct cli_book *b, const struct cli_node *n)
{
	struct cli_node	 copy, *slot, *nv;
	json_t		*o;

	o = json_pack("{s:s, s:s, s:s*, s:s*, s:s*, s:I}", "name", n->name,
	    "key", n->key, "addr", n->addr, "fingerprint", n->fingerprint,
	    "role", n->role, "joined", (json_int_t)n->joined);
	if (o == NULL)
		return (-EINVAL);
	if (node_from_json(o, &copy) != 0) {
		json_decref(o);
		return (-EINVAL);
	}
	json_decref(o);
	slot = cli_book_find(b, n->name);
	if (slot != NULL) {
		node_clear(slot);
		*slot = copy;
		return (0);
	}
	if (b->n >= BOOK_MAX) {
		node_clear(&copy);
		return (-ENOSPC);
	}
	nv = realloc(b->nodes, (b->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		node_clear(&copy);
		return (-ENOMEM);
	}
	b->nodes = nv;
	b->nodes[b->n++] = copy;
	return (0);
}

/* Removes a node by name; -ENOENT if there is none. */
int
cli_book_remove(struct cli_book *b, const char *name)
{
	struct cli_node	*n;
	size_t		 i;

	n = cli_book_find(b, name);
	if (n == NULL)
		return (-ENOENT);
	i = (size_t)(n - b->nodes);
	node_clear(n);
	memmove(&b->nodes[i], &b->nodes[i + 1],
	    (b->n - i - 1) * sizeof(*b->nodes));
	b->n--;
	return (0);
}

/* Loads the settings, config.json from dir into *out (an empty object if missing). */
int
cli_settings_load(const char *dir, json_t **out, char **cause)
{
	json_error_t	 je;
	char		*path;
	json_t		*o;	/* owned */

	*out = NULL;
	if (asprintf(&path, "%s/%s", dir, CLI_SETTINGS_FILE) < 0)
		return (-ENOMEM);
	if (access(path, F_OK) != 0) {
		free(path);
		*out = json_object();
		return (*out != NULL ? 0 : -ENOMEM);
	}
	o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		if (cause != NULL && asprintf(cause, "%s: %s", path,
		    o == NULL ? je.text : "not a JSON object") < 0)
			*cause = NULL;
		json_decref(o);
		free(path);
		return (-EINVAL);
	}
	free(path);
	*out = o;
	return (0);
}

/* A setting from config.json in dir: 0 with *value (malloc'd, or NULL). */
int
cli_setting_get(const char *dir, const char *key, char **value,
    char **cause)
{
	json_t		*o;	/* owned */
	const char	*s;
	int		 err;

	*value = NULL;
	err = cli_settings_load(dir, &o, cause);
	if (err != 0)
		return (err);
	s = json_string_value(json_object_get(o, key));
	if (s != NULL) {
		*value = strdup(s);
		if (*value == NULL)
			err = -ENOMEM;
	}
	json_decref(o);
	return (err);
}

/* A true/false setting: on unless it says "false". */
int
cli_setting_on(const char *dir, const char *key)
{
	char	*v = NULL;
	int	 on = 1;

	if (dir != NULL && cli_setting_get(dir, key, &v, NULL) == 0 &&
	    v != NULL)
		on = strcmp(v, "false") != 0;
	free(v);
	return (on);
}
