/*
 * Output that changes while you watch: an image pull's progress per layer
 * and the live table of `pier stats`.
 *
 * Pull progress follows docker pull. On a terminal each layer owns one
 * line, in the order its id first appeared; an update moves the cursor up
 * to that line, erases it, writes it and moves back down, so only lines
 * whose text changed are written (an update that would write the same
 * text writes nothing) and nothing flickers. The cursor always rests at
 * the start of the line below the last layer. A message that is not a
 * layer's ("latest: Pulling from library/busybox", "Digest: ...",
 * "Status: Downloaded newer image for ...") is printed as a plain line
 * and ends the set of layer lines, as docker does, so a later set starts
 * below it. The bar ("[=====>    ]") is drawn only on terminals wider
 * than 110 columns, as docker does; every line is cut to the width so it
 * never wraps (a wrapped line would break the cursor arithmetic). When
 * the output is not a terminal there are no escape codes: one line per
 * layer each time its status changes.
 *
 * The live table is docker stats' way: cursor home, each line followed by
 * erase-to-end-of-line (a shorter line leaves nothing behind), then erase
 * below (fewer rows leave nothing behind), all in one write. Lines are cut
 * to the terminal so the table never scrolls. Its rows are docker stats'
 * cells, worded from the node's stats objects by cli_stats_cells().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-out.h"

/* Sets up a pull display. */
void
cli_progress_init(struct cli_progress *p, FILE *fp, int is_terminal,
    unsigned width)
{
	memset(p, 0, sizeof(*p));
	p->fp = fp;
	p->is_terminal = is_terminal;
	p->width = width;
}

/* Forgets the layer lines (they stay on screen). */
static void
progress_reset(struct cli_progress *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->layers[i].shown);
	p->n = 0;
}

/* Frees a pull display. */
void
cli_progress_free(struct cli_progress *p)
{
	progress_reset(p);
	free(p->layers);
	p->layers = NULL;
	p->cap = 0;
}

/* Copies src (sanitized, cut to max bytes) into dst[max + 1]. */
static int
copy_field(char *dst, const char *src, size_t max)
{
	char *s;

	s = cli_sanitize(src, max);
	if (s == NULL)
		return (-ENOMEM);
	(void)snprintf(dst, max + 1, "%s", s);
	free(s);
	return (0);
}

/* The bar and numbers after a status, as docker's JSONProgress. */
static void
progress_text(struct cli__buf *b, int64_t current, int64_t total,
    unsigned width)
{
	char cur[CLI_HUMAN_LEN], tot[CLI_HUMAN_LEN];
	int64_t pct;

	if (current <= 0 && total <= 0)
		return;
	if (current < 0)
		current = 0;
	cli__buf_str(b, " ");
	(void)cli_human_size(cur, (double)current, 4);
	if (total <= 0) {
		cli__buf_printf(b, "%8s", cur);
		return;
	}
	pct = (int64_t)((double)current / (double)total * 100) / 2;
	if (pct > 50)
		pct = 50;
	if (pct < 0)
		pct = 0;
	if (width > CLI_PROGRESS_BAR_MIN) {
		cli__buf_str(b, "[");
		cli__buf_rep(b, '=', (size_t)pct);
		cli__buf_str(b, ">");
		cli__buf_rep(b, ' ', (size_t)(50 - pct));
		cli__buf_str(b, "] ");
	}
	(void)cli_human_size(tot, (double)total, 4);
	if (current > total)
		cli__buf_printf(b, "%8s", cur);
	else
		cli__buf_printf(b, "%8s/%s", cur, tot);
}

/* Writes b to the display's file in one go and flushes it. */
static int
progress_write(struct cli_progress *p, struct cli__buf *b)
{
	int rc = 0;

	if (b->err != 0)
		rc = -ENOMEM;
	else if (b->len > 0 && (fwrite(b->p, 1, b->len, p->fp) != b->len ||
	    fflush(p->fp) != 0))
		rc = -EIO;
	free(b->p);
	return (rc);
}

/* Finds a layer line by id, or adds one; NULL when out of memory. */
static struct cli_progress_layer *
progress_layer(struct cli_progress *p, const char *id, int *added)
{
	struct cli_progress_layer *l;
	size_t i, cap;

	*added = 0;
	for (i = 0; i < p->n; i++) {
		if (strcmp(p->layers[i].id, id) == 0)
			return (&p->layers[i]);
	}
	if (p->n == CLI_PROGRESS_MAX_LAYERS)
		progress_reset(p);	/* start a new set below */
	if (p->n == p->cap) {
		cap = p->cap == 0 ? 8 : p->cap * 2;
		l = reallocarray(p->layers, cap, sizeof(*l));
		if (l == NULL)
			return (NULL);
		p->layers = l;
		p->cap = cap;
	}
	l = &p->layers[p->n++];
	memset(l, 0, sizeof(*l));
	(void)snprintf(l->id, sizeof(l->id), "%s", id);
	*added = 1;
	return (l);
}

/* Tells whether a message with an id is a layer's line. */
static int
is_layer(const char *id, const char *status)
{
	return (*id != '\0' && strncmp(status, "Pulling from ", 13) != 0);
}

/* Shows one progress update. */
int
cli_progress_update(struct cli_progress *p, const char *id_in,
    const char *status_in, int64_t current, int64_t total)
{
	char id[CLI_PROGRESS_ID_MAX + 1], status[CLI_PROGRESS_STATUS_MAX + 1];
	struct cli__buf b = { 0 }, line = { 0 };
	struct cli_progress_layer *l;
	unsigned up;
	char *cut;
	int added;

	if (copy_field(id, id_in ? id_in : "", CLI_PROGRESS_ID_MAX) != 0 ||
	    copy_field(status, status_in ? status_in : "",
	    CLI_PROGRESS_STATUS_MAX) != 0)
		return (-ENOMEM);
	if (!is_layer(id, status)) {
		if (p->is_terminal)
			progress_reset(p);
		if (*id != '\0')
			cli__buf_printf(&b, "%s: %s\n", id, status);
		else
			cli__buf_printf(&b, "%s\n", status);
		return (progress_write(p, &b));
	}
	l = progress_layer(p, id, &added);
	if (l == NULL)
		return (-ENOMEM);
	if (!p->is_terminal) {
		if (!added && strcmp(l->status, status) == 0)
			return (0);
		(void)snprintf(l->status, sizeof(l->status), "%s", status);
		cli__buf_printf(&b, "%s: %s\n", id, status);
		return (progress_write(p, &b));
	}
	(void)snprintf(l->status, sizeof(l->status), "%s", status);
	cli__buf_printf(&line, "%s: %s", id, status);
	progress_text(&line, current, total, p->width);
	if (line.err != 0) {
		free(line.p);
		return (-ENOMEM);
	}
	if (p->width > 1 && cli_str_width(line.p) > p->width - 1) {
		cut = cli_ellipsis(line.p, p->width - 1);
		free(line.p);
		if (cut == NULL)
			return (-ENOMEM);
		line.p = cut;
	}
	if (!added && l->shown != NULL && strcmp(l->shown, line.p) == 0) {
		free(line.p);	/* the screen already says this */
		return (0);
	}
	free(l->shown);
	l->shown = line.p;
	if (added)
		cli__buf_str(&b, "\n");
	up = (unsigned)(p->n - (size_t)(l - p->layers));
	cli__buf_printf(&b, "\x1b[%uA\x1b[2K\r%s\r\x1b[%uB", up, l->shown, up);
	return (progress_write(p, &b));
}

/* A byte count from JSON, or -1. */
static int64_t
json_bytes(const json_t *v)
{
	if (json_is_integer(v))
		return ((int64_t)json_integer_value(v));
	if (json_is_real(v))
		return ((int64_t)json_real_value(v));
	return (-1);
}

/* Shows one line of a pull progress stream. */
int
cli_progress_event(struct cli_progress *p, const json_t *ev, char **cause)
{
	const json_t *err, *id, *status, *detail, *cur, *tot;
	const char *msg = NULL;

	if (!json_is_object(ev))
		return (cli__error(cause, -EPROTO, "progress: not an object"));
	err = json_object_get(ev, "error");
	if (err != NULL) {
		if (json_is_string(err))
			msg = json_string_value(err);
		else if (json_is_string(json_object_get(err, "message")))
			msg = json_string_value(json_object_get(err,
			    "message"));
		return (cli__error(cause, -EIO, "%s", msg ? msg :
		    "the pull failed"));
	}
	if (json_object_get(ev, "end") != NULL)
		return (1);
	id = json_object_get(ev, "id");
	status = json_object_get(ev, "status");
	if (!json_is_string(status) || (id != NULL && !json_is_string(id)))
		return (cli__error(cause, -EPROTO,
		    "progress: no status string"));
	detail = json_object_get(ev, "progressDetail");
	cur = json_object_get(json_is_object(detail) ? detail : ev,
	    "current");
	tot = json_object_get(json_is_object(detail) ? detail : ev, "total");
	return (cli_progress_update(p, id ? json_string_value(id) : "",
	    json_string_value(status), json_bytes(cur), json_bytes(tot)));
}

/* The columns of docker stats. */
const char *const cli_stats_headers[CLI_STATS_COLS] = {
	"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %",
	"NET I/O", "BLOCK I/O", "PIDS"
};

/* A number from a stats object, or -1 when absent or not a number. */
static double
stat_num(const json_t *st, const char *key)
{
	const json_t *v = json_object_get(st, key);

	if (json_is_number(v) && json_number_value(v) >= 0)
		return (json_number_value(v));
	return (-1);
}

/* "A / B" of two sizes, each decimal (prec digits) or binary (prec 0). */
static void
stat_pair(char out[static CLI_HUMAN_LEN], double a, double b, int prec)
{
	char x[CLI_HUMAN_LEN], y[CLI_HUMAN_LEN];

	if (a < 0 || b < 0) {
		(void)snprintf(out, CLI_HUMAN_LEN, "-- / --");
		return;
	}
	if (prec == 0) {
		(void)cli_human_bytes(x, a);
		(void)cli_human_bytes(y, b);
	} else {
		(void)cli_human_size(x, a, prec);
		(void)cli_human_size(y, b, prec);
	}
	(void)snprintf(out, CLI_HUMAN_LEN, "%.24s / %.24s", x, y);
}

/* Fills the docker stats cells of one container. */
int
cli_stats_cells(const json_t *st, int no_trunc,
    char cells[CLI_STATS_COLS][CLI_STATS_CELL])
{
	const char *id, *name;
	double pids;

	if (!json_is_object(st))
		return (-EPROTO);
	id = json_string_value(json_object_get(st, "id"));
	name = json_string_value(json_object_get(st, "name"));
	if (id == NULL || *id == '\0')
		(void)snprintf(cells[0], CLI_STATS_CELL, "--");
	else if (no_trunc)
		(void)snprintf(cells[0], CLI_STATS_CELL, "%s", id);
	else
		(void)cli_short_id(cells[0], id);
	if (name != NULL && *name == '/')
		name++;
	(void)snprintf(cells[1], CLI_STATS_CELL, "%s",
	    name != NULL && *name != '\0' ? name : "--");
	(void)cli_human_percent(cells[2], stat_num(st, "cpu_pct"));
	stat_pair(cells[3], stat_num(st, "mem_used"),
	    stat_num(st, "mem_limit"), 0);
	(void)cli_human_percent(cells[4], stat_num(st, "mem_pct"));
	stat_pair(cells[5], stat_num(st, "net_rx"), stat_num(st, "net_tx"), 3);
	stat_pair(cells[6], stat_num(st, "blk_read"),
	    stat_num(st, "blk_write"), 3);
	pids = stat_num(st, "pids");
	if (pids < 0)
		(void)snprintf(cells[7], CLI_STATS_CELL, "--");
	else
		(void)snprintf(cells[7], CLI_STATS_CELL, "%.0f", pids);
	return (0);
}

/* Sets up a live table. */
void
cli_live_init(struct cli_live *lv, FILE *fp, int is_terminal,
    unsigned rows, unsigned cols)
{
	memset(lv, 0, sizeof(*lv));
	lv->fp = fp;
	lv->is_terminal = is_terminal;
	lv->rows = rows;
	lv->cols = cols;
}

/* Changes the live table's terminal size. */
void
cli_live_resize(struct cli_live *lv, unsigned rows, unsigned cols)
{
	lv->rows = rows;
	lv->cols = cols;
}

/* Draws one frame. */
int
cli_live_frame(struct cli_live *lv, const struct cli_table *t,
    unsigned flags)
{
	struct cli__buf b = { 0 };
	char *text, *line, *nl, *cut;
	unsigned lines = 0;
	size_t len;
	int rc = 0;

	text = cli_table_render(t, flags, &len);
	if (text == NULL)
		return (-ENOMEM);
	if (!lv->is_terminal || (flags & CLI_TABLE_JSON)) {
		cli__buf_add(&b, text, len);
		goto write;
	}
	/* Clear once, so what was on the screen before is gone. */
	cli__buf_str(&b, lv->frames == 0 ? "\x1b[2J\x1b[H" : "\x1b[H");
	for (line = text; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			break;
		if (lv->rows > 0 && lines + 1 >= lv->rows)
			break;	/* the last row stays free: no scrolling */
		*nl = '\0';
		if (lv->cols > 1 && cli_str_width(line) > lv->cols - 1) {
			cut = cli_ellipsis(line, lv->cols - 1);
			if (cut == NULL) {
				b.err = ENOMEM;
				break;
			}
			cli__buf_str(&b, cut);
			free(cut);
		} else
			cli__buf_str(&b, line);
		cli__buf_str(&b, "\x1b[K\n");
		lines++;
	}
	cli__buf_str(&b, "\x1b[J");
write:
	free(text);
	lv->frames++;
	if (b.err != 0)
		rc = -ENOMEM;
	else if (b.len > 0 && (fwrite(b.p, 1, b.len, lv->fp) != b.len ||
	    fflush(lv->fp) != 0))
		rc = -EIO;
	free(b.p);
	return (rc);
}
