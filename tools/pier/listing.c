/*
 * --format for the listings (ps, images, volumes, networks): each node
 * row becomes docker's context for it, the fields under docker's names
 * worded as docker's formatter words them (format.h runs the template
 * over that), and cli_listing_format asks every named node (or every
 * joined one) in parallel and prints the template's lines, through the
 * tabwriter for `table`. .Node is the node a row came from; it is not in
 * {{json .}}, so one node's output is docker's byte for byte, and a
 * template over several nodes names them with {{.Node}}.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli-out.h"
#include "format.h"

#define LS_TIMEOUT_MS	3000	/* per node */

static int	listing_run(const struct cli_cmd *, const struct cli_listing *,
		    const struct cli_fmt *, const char *const *, size_t,
		    const json_t *, int, int);

/* Orders two strings through pointers to them, for qsort. */
static int
strcmp_p(const char *const *a, const char *const *b)
{
	return (strcmp(*a, *b));
}

/* A string member or "". */
static const char *
str(const json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return (s != NULL ? s : "");
}

/* Sets a string field of a context from a buffer (freed). */
static void
put(json_t *ctx, const char *k, struct cli__buf *b)
{
	(void)json_object_set_new(ctx, k, json_stringn_nocheck(
	    b->p != NULL ? b->p : "", b->len));
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Labels as docker joins them: "k=v" sorted, commas between. */
static void
labels_str(struct cli__buf *b, const json_t *labels)
{
	const char	**v, *k;
	json_t		 *x;
	size_t		  n = 0, i;

	v = calloc(json_object_size(labels) + 1, sizeof(*v));
	if (v == NULL)
		return;
	json_object_foreach((json_t *)labels, k, x) {
		char *s;

		if (asprintf(&s, "%s=%s", k, json_string_value(x) != NULL ?
		    json_string_value(x) : "") >= 0)
			v[n++] = s;
	}
	qsort(v, n, sizeof(*v), (int (*)(const void *, const void *))strcmp_p);
	for (i = 0; i < n; i++) {
		cli__buf_printf(b, "%s%s", i > 0 ? "," : "", v[i]);
		free((char *)v[i]);
	}
	free(v);
}

/* The time an engine string holds ("2026-12-06T12:56:55.3424Z"). */
static void
time_str(struct cli__buf *b, const char *s)
{
	struct tm	 tm;
	const char	*p;
	long		 ns = 0, scale = 100000000L;
	int64_t		 t;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL) {
		cli__buf_str(b, s);
		return;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			ns += (*p - '0') * scale;
			scale /= 10;
		}
	}
	t = (int64_t)timegm(&tm);
	if (*p == '+' || *p == '-') {
		int h = 0, m = 0;

		if (sscanf(p + 1, "%2d:%2d", &h, &m) == 2)
			t -= (*p == '+' ? 1 : -1) * (h * 3600 + m * 60);
	}
	cli_fmt_time(b, t, ns);
}

/* docker ps's context of a container.list row. */
static json_t *
ps_ctx(const json_t *row, int trunc, int64_t now)
{
	json_t		*c = json_object(), *names, *mounts, *nets, *m;
	struct cli__buf	 b;
	char		 id[CLI_SHORT_ID + 1], h[CLI_HUMAN_LEN];
	char		 h2[CLI_HUMAN_LEN], *s;
	const char	*img, *at, *n;
	size_t		 i, local = 0, chosen;
	int64_t		 srw, sroot;

	if (c == NULL)
		return (NULL);
	memset(&b, 0, sizeof(b));
	cli__buf_add(&b, "", 0);
	s = trunc ? cli_ellipsis(str(row, "command"), 20) :
	    strdup(str(row, "command"));
	cli_fmt_quote(&b, s != NULL ? s : "");
	free(s);
	put(c, "Command", &b);
	cli_fmt_time(&b, json_integer_value(json_object_get(row, "created")),
	    0);
	put(c, "CreatedAt", &b);
	(void)json_object_set_new(c, "ID", json_string(trunc ?
	    cli_short_id(id, str(row, "id")) : str(row, "id")));
	img = str(row, "image");
	if (trunc && strncmp(img, "sha256:", 7) == 0)
		cli__buf_str(&b, cli_short_id(id, img));
	else if (trunc && (at = strchr(img, '@')) != NULL)
		cli__buf_add(&b, img, (size_t)(at - img));
	else
		cli__buf_str(&b, img[0] != '\0' ? img : "<no image>");
	put(c, "Image", &b);
	labels_str(&b, json_object_get(row, "labels"));
	put(c, "Labels", &b);
	mounts = json_object_get(row, "mounts");
	for (i = 0; i < json_array_size(mounts); i++) {
		m = json_array_get(mounts, i);
		n = str(m, "name")[0] != '\0' ? str(m, "name") :
		    str(m, "source");
		s = trunc ? cli_ellipsis(n, 15) : strdup(n);
		cli__buf_printf(&b, "%s%s", i > 0 ? "," : "", s != NULL ? s :
		    "");
		free(s);
		local += strcmp(str(m, "driver"), "local") == 0;
	}
	put(c, "Mounts", &b);
	cli__buf_printf(&b, "%zu", local);
	put(c, "LocalVolumes", &b);
	names = json_object_get(row, "names");
	chosen = json_array_size(names);
	for (i = 0; trunc && i < json_array_size(names); i++) {
		if (strchr(json_string_value(json_array_get(names, i)) ?
		    json_string_value(json_array_get(names, i)) : "/",
		    '/') == NULL) {
			chosen = i;
			break;
		}
	}
	for (i = 0; i < json_array_size(names); i++) {
		if (chosen < json_array_size(names) && i != chosen)
			continue;
		cli__buf_printf(&b, "%s%s", b.len > 0 ? "," : "",
		    json_string_value(json_array_get(names, i)) ?
		    json_string_value(json_array_get(names, i)) : "");
	}
	put(c, "Names", &b);
	nets = json_object_get(row, "networks");
	{
		const char	*v[64];
		size_t		 nn = 0;

		for (i = 0; i < json_array_size(nets) && nn < 64; i++)
			if (json_is_string(json_array_get(nets, i)))
				v[nn++] = json_string_value(json_array_get(
				    nets, i));
		qsort(v, nn, sizeof(*v), (int (*)(const void *,
		    const void *))strcmp_p);
		for (i = 0; i < nn; i++)
			cli__buf_printf(&b, "%s%s", i > 0 ? "," : "", v[i]);
	}
	put(c, "Networks", &b);
	(void)json_object_set_new(c, "Platform", json_null());
	s = cli_human_ports_json(json_object_get(row, "ports"));
	(void)json_object_set_new(c, "Ports", json_string(s != NULL ? s :
	    ""));
	free(s);
	(void)json_object_set_new(c, "RunningFor", json_string(cli_human_ago(
	    h, json_integer_value(json_object_get(row, "created")), now)));
	srw = json_integer_value(json_object_get(row, "size_rw"));
	sroot = json_integer_value(json_object_get(row, "size_root_fs"));
	cli__buf_str(&b, cli_human_size(h, (double)srw, 3));
	if (sroot > 0)
		cli__buf_printf(&b, " (virtual %s)", cli_human_size(h2,
		    (double)sroot, 3));
	put(c, "Size", &b);
	(void)json_object_set_new(c, "State", json_string(str(row, "state")));
	(void)json_object_set_new(c, "Status", json_string(str(row,
	    "status")));
	return (c);
}

/* docker images' context of one row (repo and tag already split). */
static json_t *
image_ctx(const json_t *img, const char *repo, const char *tag, int trunc,
    int64_t now)
{
	json_t		*c = json_object();
	struct cli__buf	 b;
	char		 id[CLI_SHORT_ID + 1], h[CLI_HUMAN_LEN];
	const char	*d, *at, *digest = "<none>";
	json_int_t	 size = json_integer_value(json_object_get(img,
			    "size"));
	json_int_t	 nc = json_integer_value(json_object_get(img,
			    "containers"));
	size_t		 i;

	if (c == NULL)
		return (NULL);
	memset(&b, 0, sizeof(b));
	for (i = 0; i < json_array_size(json_object_get(img, "digests"));
	    i++) {
		d = json_string_value(json_array_get(json_object_get(img,
		    "digests"), i));
		at = d != NULL ? strchr(d, '@') : NULL;
		if (at != NULL && strlen(repo) == (size_t)(at - d) &&
		    strncmp(d, repo, (size_t)(at - d)) == 0) {
			digest = at + 1;
			break;
		}
	}
	if (nc < 0)
		(void)json_object_set_new(c, "Containers", json_string("N/A"));
	else {
		cli__buf_printf(&b, "%lld", (long long)nc);
		put(c, "Containers", &b);
	}
	cli_fmt_time(&b, json_integer_value(json_object_get(img, "created")),
	    0);
	put(c, "CreatedAt", &b);
	(void)json_object_set_new(c, "CreatedSince", json_string(
	    cli_human_ago(h, json_integer_value(json_object_get(img,
	    "created")), now)));
	(void)json_object_set_new(c, "Digest", json_string(digest));
	(void)json_object_set_new(c, "ID", json_string(trunc ?
	    cli_short_id(id, str(img, "id")) : str(img, "id")));
	(void)json_object_set_new(c, "Repository", json_string(repo));
	(void)json_object_set_new(c, "SharedSize", json_string("N/A"));
	(void)json_object_set_new(c, "Size", json_string(cli_human_size(h,
	    (double)size, 3)));
	(void)json_object_set_new(c, "Tag", json_string(tag));
	(void)json_object_set_new(c, "UniqueSize", json_string("N/A"));
	(void)json_object_set_new(c, "VirtualSize", json_string(
	    cli_human_size(h, (double)size, 4)));
	return (c);
}

/* docker volume ls's context of a volume.list row. */
static json_t *
volume_ctx(const json_t *v)
{
	json_t		*c = json_object();
	struct cli__buf	 b;

	if (c == NULL)
		return (NULL);
	memset(&b, 0, sizeof(b));
	(void)json_object_set_new(c, "Availability", json_string("N/A"));
	(void)json_object_set_new(c, "Driver", json_string(str(v, "driver")));
	(void)json_object_set_new(c, "Group", json_string("N/A"));
	labels_str(&b, json_object_get(v, "labels"));
	put(c, "Labels", &b);
	(void)json_object_set_new(c, "Links", json_string("N/A"));
	(void)json_object_set_new(c, "Mountpoint", json_string(str(v,
	    "mountpoint")));
	(void)json_object_set_new(c, "Name", json_string(str(v, "name")));
	(void)json_object_set_new(c, "Scope", json_string(str(v, "scope")));
	(void)json_object_set_new(c, "Size", json_string("N/A"));
	(void)json_object_set_new(c, "Status", json_string("N/A"));
	return (c);
}

/* docker network ls's context of a network.list row. */
static json_t *
network_ctx(const json_t *nw, int trunc)
{
	json_t		*c = json_object();
	struct cli__buf	 b;
	char		 id[CLI_SHORT_ID + 1];

	if (c == NULL)
		return (NULL);
	memset(&b, 0, sizeof(b));
	time_str(&b, str(nw, "created"));
	put(c, "CreatedAt", &b);
	(void)json_object_set_new(c, "Driver", json_string(str(nw,
	    "driver")));
	(void)json_object_set_new(c, "ID", json_string(trunc ?
	    cli_short_id(id, str(nw, "id")) : str(nw, "id")));
	(void)json_object_set_new(c, "IPv4", json_string("false"));
	(void)json_object_set_new(c, "IPv6", json_string(json_is_true(
	    json_object_get(nw, "ipv6")) ? "true" : "false"));
	(void)json_object_set_new(c, "Internal", json_string(json_is_true(
	    json_object_get(nw, "internal")) ? "true" : "false"));
	labels_str(&b, json_object_get(nw, "labels"));
	put(c, "Labels", &b);
	(void)json_object_set_new(c, "Name", json_string(str(nw, "name")));
	(void)json_object_set_new(c, "Scope", json_string(str(nw, "scope")));
	return (c);
}

/* docker's fields and headers per listing. */
static const char *const ps_fields[] = {
	"ID", "CONTAINER ID", "Image", "IMAGE", "Command", "COMMAND",
	"CreatedAt", "CREATED AT", "RunningFor", "CREATED", "Ports", "PORTS",
	"State", "STATE", "Status", "STATUS", "Size", "SIZE",
	"Names", "NAMES", "Labels", "LABELS", "Mounts", "MOUNTS",
	"Networks", "NETWORKS", "LocalVolumes", "LOCAL VOLUMES",
	"Platform", "PLATFORM", "Node", "NODE", NULL
};
static const char *const image_fields[] = {
	"ID", "IMAGE ID", "Repository", "REPOSITORY", "Tag", "TAG",
	"Digest", "DIGEST", "CreatedSince", "CREATED", "CreatedAt",
	"CREATED AT", "Size", "SIZE", "SharedSize", "SHARED SIZE",
	"UniqueSize", "UNIQUE SIZE", "VirtualSize", "SIZE", "Containers",
	"CONTAINERS", "Node", "NODE", NULL
};
static const char *const volume_fields[] = {
	"Name", "VOLUME NAME", "Driver", "DRIVER", "Scope", "SCOPE",
	"Mountpoint", "MOUNTPOINT", "Labels", "LABELS", "Size", "SIZE",
	"Links", "LINKS", "Availability", "AVAILABILITY", "Group", "GROUP",
	"Status", "STATUS", "Node", "NODE", NULL
};
static const char *const network_fields[] = {
	"ID", "NETWORK ID", "Name", "NAME", "Driver", "DRIVER", "Scope",
	"SCOPE", "IPv6", "IPV6", "IPv4", "IPV4", "Internal", "INTERNAL",
	"Labels", "LABELS", "CreatedAt", "CREATED AT", "Node", "NODE", NULL
};

/* The listings --format knows, by the answer's array. */
const struct cli_listing cli_listing_ps = {
	"containers", { ps_fields, 1, 1 }, NULL, NULL };
const struct cli_listing cli_listing_images = {
	"images", { image_fields, 0, 1 },
	"table {{.Node}}\t{{.Repository}}\t{{.Tag}}\t{{.ID}}\t"
	"{{.CreatedSince}}\t{{.Size}}", "{{.Node}}/{{.ID}}" };
const struct cli_listing cli_listing_volumes = {
	"volumes", { volume_fields, 1, 1 },
	"table {{.Node}}\t{{.Driver}}\t{{.Name}}", "{{.Node}}/{{.Name}}" };
const struct cli_listing cli_listing_networks = {
	"networks", { network_fields, 1, 1 },
	"table {{.Node}}\t{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
	"{{.Node}}/{{.ID}}" };

/* Runs the template over one context; 0 or -1 (reported). */
static int
emit(const struct cli_cmd *self, const struct cli_fmt *f, json_t *ctx,
    const json_t *labels, const char *node, struct cli__buf *out,
    int json_node)
{
	char	*cause = NULL;
	int	 rc;

	if (ctx == NULL) {
		cli_error(self, "out of memory");
		return (-1);
	}
	if (json_node)
		(void)json_object_set_new(ctx, "Node", json_string(node));
	rc = cli_fmt_row(f, ctx, labels, node, out, &cause);
	json_decref(ctx);
	if (rc != 0) {
		cli_error(self, "%s", cause != NULL ? cause : "out of memory");
		free(cause);
		return (-1);
	}
	return (0);
}

/* Adds the lines of one image: one per tag, or one <none> line. */
static int
image_lines(const struct cli_cmd *self, const struct cli_fmt *f,
    const json_t *img, int trunc, int64_t now, const char *node,
    struct cli__buf *out, int jn)
{
	const json_t	*tags = json_object_get(img, "tags");
	const char	*ref, *colon, *at;
	char		*repo;
	size_t		 i;
	int		 rows = 0, err;

	for (i = 0; i < json_array_size(tags); i++) {
		ref = json_string_value(json_array_get(tags, i));
		if (ref == NULL || strcmp(ref, "<none>:<none>") == 0)
			continue;
		colon = strrchr(ref, ':');
		if (colon == NULL || strchr(colon, '/') != NULL)
			colon = ref + strlen(ref);
		repo = strndup(ref, (size_t)(colon - ref));
		if (repo == NULL)
			return (-1);
		err = emit(self, f, image_ctx(img, repo, *colon == ':' ?
		    colon + 1 : "latest", trunc, now), NULL, node, out, jn);
		free(repo);
		if (err != 0)
			return (err);
		rows++;
	}
	if (rows > 0)
		return (0);
	ref = json_string_value(json_array_get(json_object_get(img,
	    "digests"), 0));
	at = ref != NULL ? strchr(ref, '@') : NULL;
	if (at == NULL || strncmp(ref, "<none>@", 7) == 0)
		return (emit(self, f, image_ctx(img, "<none>", "<none>", trunc,
		    now), NULL, node, out, jn));
	repo = strndup(ref, (size_t)(at - ref));
	if (repo == NULL)
		return (-1);
	err = emit(self, f, image_ctx(img, repo, "<none>", trunc, now), NULL,
	    node, out, jn);
	free(repo);
	return (err);
}

/* The contexts of one node's answer, through the template. */
static int
node_lines(const struct cli_cmd *self, const struct cli_listing *ls,
    const struct cli_fmt *f, const json_t *result, int trunc,
    const char *node, struct cli__buf *out, int jn)
{
	const json_t	*rows = json_object_get(result, ls->key), *row;
	json_t		*sorted = NULL;
	int64_t		 now = (int64_t)time(NULL);
	size_t		 i;
	int		 err = 0;

	if (ls != &cli_listing_ps && ls != &cli_listing_images) {
		sorted = cli_rows_by_name(rows);
		if (sorted == NULL)
			return (-1);
		rows = sorted;
	}
	json_array_foreach(rows, i, row) {
		if (ls == &cli_listing_ps)
			err = emit(self, f, ps_ctx(row, trunc, now),
			    json_object_get(row, "labels"), node, out, jn);
		else if (ls == &cli_listing_images)
			err = image_lines(self, f, row, trunc, now, node, out,
			    jn);
		else if (ls == &cli_listing_volumes)
			err = emit(self, f, volume_ctx(row),
			    json_object_get(row, "labels"), node, out, jn);
		else
			err = emit(self, f, network_ctx(row, trunc),
			    json_object_get(row, "labels"), node, out, jn);
		if (err != 0)
			break;
	}
	json_decref(sorted);
	return (err);
}

/* Parses a --format value for a listing; an exit code, -1 to go on. */
static int
listing_parse(const struct cli_cmd *self, const struct cli_listing *ls,
    const char *text, struct cli_fmt **f)
{
	char	*cause = NULL;

	if (cli_fmt_parse(text, &ls->spec, f, &cause) == 0)
		return (-1);
	cli_usage_error(self, "--format: %s", cause != NULL ? cause :
	    "out of memory");
	free(cause);
	return (CLI_EXIT_USAGE);
}

/* Asks the nodes and prints every row through the template. */
int
cli_listing_format(const struct cli_cmd *self, const struct cli_listing *ls,
    const struct cli_fmt *f, const char *const *nodes, size_t nnodes,
    const json_t *params, int trunc)
{
	return (listing_run(self, ls, f, nodes, nnodes, params, trunc, 0));
}

/* cli_listing_format; json_node: contexts carry "Node" (--json). */
static int
listing_run(const struct cli_cmd *self, const struct cli_listing *ls,
    const struct cli_fmt *f, const char *const *nodes, size_t nnodes,
    const json_t *params, int trunc, int json_node)
{
	struct cli_ctx		 x;
	struct cli_multi	*m = NULL;
	struct cli__buf		 out;
	char			*cause = NULL, *t;
	size_t			 nm = 0, i, len;
	int			 rc = CLI_EXIT_FAIL, missing = 0;

	memset(&out, 0, sizeof(out));
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		return (CLI_EXIT_FAIL);
	}
	if (cli_rpc_multi(&x, nodes, nnodes, self->method, params,
	    LS_TIMEOUT_MS, &m, &nm, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		goto out;
	}
	cli__buf_add(&out, "", 0);
	if (cli_fmt_is_table(f) && cli_fmt_header(f, &out, &cause) != 0) {
		cli_error(self, "%s", cause != NULL ? cause : "failed");
		goto out;
	}
	for (i = 0; i < nm; i++) {
		if (m[i].status != 0) {
			missing++;
			cli_error(self, "%s: %s%s", m[i].node,
			    m[i].status == -EREMOTEIO ? "" : "unreachable: ",
			    m[i].err.message != NULL ? m[i].err.message :
			    "no answer");
			continue;
		}
		if (node_lines(self, ls, f, m[i].result, trunc, m[i].node,
		    &out, json_node) != 0)
			goto out;
	}
	if (out.err != 0)
		goto out;
	if (cli_fmt_is_table(f)) {
		t = cli_tabwrite(out.p, out.len, &len);
		if (t == NULL)
			goto out;
		cli_write_all(STDOUT_FILENO, t, len);
		free(t);
	} else
		cli_write_all(STDOUT_FILENO, out.p, out.len);
	rc = missing > 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
out:
	free(out.p);
	free(cause);
	cli_multi_free(m, nm);
	cli_ctx_close(&x);
	return (rc);
}

/*
 * The filters of every -f/--filter ("filter") as params.filters, and
 * --format ("format") parsed into *f (NULL when absent). -1 to go on,
 * else an exit code.
 */
int
cli_listing_opts(const struct cli_cmd *self, const struct cli_args *a,
    const struct cli_listing *ls, json_t *params, struct cli_fmt **f)
{
	const char	*v;
	json_t		*arr = NULL;
	size_t		 pos = 0;

	*f = NULL;
	while ((v = cli_args_next(self, a, "filter", &pos)) != NULL) {
		if (strchr(v, '=') == NULL || v[0] == '=')
			return (cli_usage_error(self, "--filter: expected "
			    "KEY=VALUE, not %s", v));
		if (arr == NULL) {
			arr = json_array();
			(void)json_object_set_new(params, "filters", arr);
		}
		(void)json_array_append_new(arr, json_string(v));
	}
	v = cli_args_get(self, a, "format");
	if (v == NULL || strcmp(v, "table") == 0)
		return (-1);
	return (listing_parse(self, ls, v, f));
}

/* The number of joined nodes (0 when the book cannot be read). */
static size_t
book_count(void)
{
	struct cli_book	 b;
	char		*dir, *cause = NULL;
	size_t		 n = 0;

	dir = cli_config_dir();
	if (dir != NULL && cli_book_load(&b, dir, &cause) == 0) {
		n = b.n;
		cli_book_free(&b);
	}
	free(cause);
	free(dir);
	return (n);
}

/*
 * A listing over several nodes without --format: docker's table with a
 * NODE column first, NODE/X lines for -q, JSON lines of docker's fields
 * and "Node" for --json. -1 when one node is addressed (the caller
 * prints docker's own look), else an exit code.
 */
int
cli_listing_multi(const struct cli_cmd *self, const struct cli_listing *ls,
    const struct cli_args *a, const json_t *params, int quiet, int json,
    int no_trunc)
{
	struct cli_fmt	*f = NULL;
	const char	*text;
	int		 rc;

	if (a->argc == 1 || (a->argc == 0 && book_count() <= 1))
		return (-1);
	if (quiet)
		text = ls->quiet;
	else if (json)
		text = "{{json .}}";
	else
		text = ls->table;
	if (cli_fmt_parse(text, &ls->spec, &f, NULL) != 0)
		return (cli_error(self, "out of memory"));
	rc = listing_run(self, ls, f, (const char *const *)a->argv,
	    (size_t)a->argc, params, !no_trunc, json && !quiet);
	cli_fmt_free(f);
	return (rc);
}
