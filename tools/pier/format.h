/*
 * --format: the subset of Go's text/template that docker users type,
 * evaluated over JSON rows, and the Go tabwriter docker's `table` output
 * goes through. A listing (ps, images, ...) describes its fields with a
 * struct cli_fmt_spec; each row is a JSON object with those fields under
 * docker's names ("ID", "Names", ...), already worded as docker words
 * them, so the evaluator only walks, calls functions and prints.
 *
 * Forms: text; {{.Field}} and {{.A.B}} chains; {{.}}, {{$}}, {{$.X}};
 * string, number and boolean literals; functions json, upper, lower,
 * title, join, split, truncate, pad, len, index, print, printf,
 * println, eq, ne, lt, le, gt, ge, not, and, or; pipes (a | f); ( )
 * groups; if / else if / else / end, range / else / end, with / else /
 * end; {{- and -}} trimming; comments ({{/ * ... * /}} without the
 * spaces); the method
 * {{.Label "k"}} on rows that have labels. `table` in front makes a
 * table with docker's headers; `json` alone is {{json .}}; the two-
 * character sequences \t and \n become a tab and a newline, as in
 * docker.
 */
#ifndef PIER_FORMAT_H
#define PIER_FORMAT_H

#include <stddef.h>

#include <jansson.h>

#include "cli-out.h"

/* Longest template accepted, in bytes. */
#define CLI_FMT_MAX		65536
/* Deepest nesting of blocks and ( ) groups. */
#define CLI_FMT_DEPTH_MAX	32
/* Most output one row may produce, in bytes. */
#define CLI_FMT_OUT_MAX		(1024 * 1024)

/* What a listing's rows hold, for checks, headers and {{json .}}. */
struct cli_fmt_spec {
	/* Field names then their table headers, NULL-ended pairs. */
	const char *const	*fields;
	int			 labels;	/* rows have .Label "k" */
	/*
	 * 1: {{json .}} of a row is a Go map (keys sorted, <>& escaped),
	 * as docker's listing contexts marshal; 0: the row's own order
	 * (an inspect object, an event). fields NULL: any field; a
	 * missing one is then an error naming those there are.
	 */
	int			 go_map;
};

/* A parsed template. */
struct cli_fmt;

/*
 * Parses a --format value for spec's rows. A field the spec does not
 * have, or a syntax error, gives -EINVAL and *cause naming the position
 * (1-based byte in the template) and, for a field, the fields there are.
 */
int	cli_fmt_parse(const char *text, const struct cli_fmt_spec *spec,
	    struct cli_fmt **out, char **cause) WARN_UNUSED_RESULT;
/* Frees a template. */
void	cli_fmt_free(struct cli_fmt *f);
/*
 * Tells whether the template reads the row's field name, or the whole
 * row ({{json .}}), as docker ps asks for sizes when .Size is used.
 */
int	cli_fmt_uses(const struct cli_fmt *f, const char *name);
/* Tells whether the template began with `table`. */
int	cli_fmt_is_table(const struct cli_fmt *f);
/*
 * Appends the template's output for one row, then a newline, to out
 * (labels: the row's label object for .Label, or NULL; node: what .Node
 * gives when the row has no "Node", kept out of {{json .}}, or NULL).
 * 0 or -EINVAL with *cause (what failed, where).
 */
int	cli_fmt_row(const struct cli_fmt *f, const json_t *row,
	    const json_t *labels, const char *node, struct cli__buf *out,
	    char **cause) WARN_UNUSED_RESULT;
/* Appends a table's header line, as docker derives it from the fields. */
int	cli_fmt_header(const struct cli_fmt *f, struct cli__buf *out,
	    char **cause) WARN_UNUSED_RESULT;
/*
 * Lays out text as Go's tabwriter.NewWriter(w, 10, 1, 3, ' ', 0), which
 * docker's tables use: tab-ended cells aligned per column block, widths
 * in runes. Returns a new string (*outlen its length) or NULL.
 */
char	*cli_tabwrite(const char *text, size_t len, size_t *outlen);
/* Appends s quoted as Go's strconv.Quote does. */
void	cli_fmt_quote(struct cli__buf *b, const char *s);
/*
 * Appends v as Go's encoding/json writes it: compact; go_map sorts keys
 * and escapes <, > and & as json.Marshal does.
 */
void	cli_fmt_json(struct cli__buf *b, const json_t *v, int go_map);
/* Appends v as Go's fmt prints it with %v ({{.X}}). */
void	cli_fmt_value(struct cli__buf *b, const json_t *v);
/* "2006-01-02 15:04:05 -0700 MST", Go's time.String in local time. */
void	cli_fmt_time(struct cli__buf *b, int64_t unix_secs, long nsec);

#endif
