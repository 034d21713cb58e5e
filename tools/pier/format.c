/*
 * The --format parser: a template (format.h) becomes a list of nodes
 * (text, actions, if/range/with blocks) whose actions are pipelines of
 * commands over operands, as in Go's text/template/parse. Fields read
 * from the row itself are checked here against the listing's fields, so
 * a typo fails before any node is asked, naming the fields there are;
 * every error names its position. Execution is in format-exec.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format-int.h"

/* A parser's state over the template text. */
struct parser {
	const char			*s;
	size_t				 len;
	size_t				 i;
	int				 depth;
	int				 dot_root;	/* . is the row */
	int				 trim_next;	/* after -}} */
	const struct cli_fmt_spec	*spec;
	char				*err;
};

/* How a list of nodes ended. */
enum term {
	T_EOF = 0,
	T_END,
	T_ELSE,
	T_ELSE_IF,
};

static struct fmt_node	*parse_list(struct parser *, enum term *,
			    struct fmt_pipe **);
static struct fmt_pipe	*parse_pipe(struct parser *, int);

/* The functions a template may call, by name (format-int.h's order). */
static const char *const fn_names[] = {
	"json", "upper", "lower", "title", "join", "split", "truncate",
	"pad", "len", "index", "print", "printf", "println", "eq", "ne",
	"lt", "le", "gt", "ge", "not", "and", "or", NULL
};

/* Records the first error, at byte pos of the template. */
static void __attribute__((format(printf, 3, 4)))
perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 n;

	if (p->err != NULL)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (asprintf(&p->err, "template: at position %zu: %s", pos + 1,
	    msg) < 0)
		p->err = NULL;
	free(msg);
}

/* Tells whether c may be in an identifier. */
static int
is_ident(int c)
{
	return (isalnum((unsigned char)c) || c == '_');
}

/* Skips spaces inside an action. */
static void
skip_space(struct parser *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
	    p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

/* Tells whether the action closes here ("}}" or " -}}" before it). */
static int
at_close(struct parser *p)
{
	if (p->i + 1 < p->len && p->s[p->i] == '}' && p->s[p->i + 1] == '}')
		return (1);
	return (p->i + 2 < p->len && p->s[p->i] == '-' &&
	    p->s[p->i + 1] == '}' && p->s[p->i + 2] == '}' && p->i > 0 &&
	    isspace((unsigned char)p->s[p->i - 1]));
}

/* Consumes the closing "}}" or "-}}"; an error if it is not there. */
static int
close_action(struct parser *p)
{
	skip_space(p);
	if (!at_close(p)) {
		perr(p, p->i, "%s", p->i < p->len ? "unexpected text in "
		    "action" : "unclosed action");
		return (-1);
	}
	if (p->s[p->i] == '-') {
		p->trim_next = 1;
		p->i++;
	}
	p->i += 2;
	return (0);
}

/* Reads an identifier at p->i (may be empty); caller frees. */
static char *
read_ident(struct parser *p)
{
	size_t	start = p->i;

	while (p->i < p->len && is_ident(p->s[p->i]))
		p->i++;
	return (strndup(p->s + start, p->i - start));
}

/* Checks a field read from the row itself against the spec's fields. */
static void
check_field(struct parser *p, const char *name, size_t pos, int has_args)
{
	const struct cli_fmt_spec	*sp = p->spec;
	char				*list = NULL, *tmp;
	size_t				 i;

	if (sp == NULL || sp->fields == NULL)
		return;
	if (sp->labels && strcmp(name, "Label") == 0) {
		if (!has_args)
			perr(p, pos, "%s", ".Label needs a label's name: "
			    "{{.Label \"KEY\"}}");
		return;
	}
	for (i = 0; sp->fields[i] != NULL; i += 2) {
		if (strcmp(sp->fields[i], name) == 0)
			return;
	}
	for (i = 0; sp->fields[i] != NULL; i += 2) {
		if (asprintf(&tmp, "%s%s.%s", list != NULL ? list : "",
		    list != NULL ? ", " : "", sp->fields[i]) < 0)
			break;
		free(list);
		list = tmp;
	}
	if (sp->labels && list != NULL &&
	    asprintf(&tmp, "%s, .Label \"KEY\"", list) >= 0) {
		free(list);
		list = tmp;
	}
	if (asprintf(&tmp, "unknown field .%s; the fields are %s", name,
	    list != NULL ? list : "") >= 0) {
		perr(p, pos, "%s", tmp);
		free(tmp);
	}
	free(list);
}

/* Reads a ".A.B" chain after its first '.', into a. */
static int
parse_chain(struct parser *p, struct fmt_arg *a)
{
	char	*name, **v;

	while (p->i < p->len && p->s[p->i] == '.') {
		p->i++;
		if (p->i >= p->len || !is_ident(p->s[p->i]) ||
		    isdigit((unsigned char)p->s[p->i])) {
			perr(p, p->i, "%s", "bad field name");
			return (-1);
		}
		name = read_ident(p);
		v = realloc(a->path, (a->npath + 1) * sizeof(*v));
		if (name == NULL || v == NULL) {
			free(name);
			if (v != NULL)
				a->path = v;
			return (-1);
		}
		a->path = v;
		a->path[a->npath++] = name;
	}
	return (0);
}

/* Appends one byte of a decoded string literal. */
static int
lit_add(char **s, size_t *n, size_t *cap, const char *add, size_t len)
{
	char	*v;

	if (*n + len + 1 > *cap) {
		*cap = (*n + len + 1) * 2;
		v = realloc(*s, *cap);
		if (v == NULL)
			return (-1);
		*s = v;
	}
	memcpy(*s + *n, add, len);
	*n += len;
	(*s)[*n] = '\0';
	return (0);
}

/* Encodes code point cp as UTF-8 into buf; its length. */
static size_t
utf8_put(char *buf, unsigned long cp)
{
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return (1);
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xc0 | (cp >> 6));
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return (2);
	}
	if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | (cp >> 12));
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		return (3);
	}
	buf[0] = (char)(0xf0 | ((cp >> 18) & 0x07));
	buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	buf[3] = (char)(0x80 | (cp & 0x3f));
	return (4);
}

/* Reads a "..." (Go escapes) or `...` literal into a. */
static int
parse_string(struct parser *p, struct fmt_arg *a)
{
	static const char	 esc_in[] = "abfnrtv\\\"'";
	static const char	 esc_out[] = "\a\b\f\n\r\t\v\\\"'";
	char			 q = p->s[p->i], buf[4], *e;
	size_t			 start = p->i, cap = 0, digits;
	unsigned long		 cp;

	a->kind = A_STR;
	if (lit_add(&a->s, &a->slen, &cap, "", 0) != 0)
		return (-1);
	for (p->i++; p->i < p->len && p->s[p->i] != q; p->i++) {
		if (q == '`' || p->s[p->i] != '\\') {
			if (q == '"' && p->s[p->i] == '\n')
				break;
			if (lit_add(&a->s, &a->slen, &cap, p->s + p->i, 1))
				return (-1);
			continue;
		}
		if (++p->i >= p->len)
			break;
		e = strchr(esc_in, p->s[p->i]);
		if (e != NULL && p->s[p->i] != '\0') {
			if (lit_add(&a->s, &a->slen, &cap,
			    &esc_out[e - esc_in], 1) != 0)
				return (-1);
			continue;
		}
		digits = p->s[p->i] == 'x' ? 2 : p->s[p->i] == 'u' ? 4 :
		    p->s[p->i] == 'U' ? 8 : 0;
		if (digits == 0 || p->i + digits >= p->len) {
			perr(p, p->i, "%s", "bad escape in string");
			return (-1);
		}
		cp = 0;
		for (size_t k = 1; k <= digits; k++) {
			if (!isxdigit((unsigned char)p->s[p->i + k])) {
				perr(p, p->i, "%s", "bad escape in string");
				return (-1);
			}
			cp = cp * 16 + (unsigned long)(isdigit((unsigned char)
			    p->s[p->i + k]) ? p->s[p->i + k] - '0' :
			    (tolower((unsigned char)p->s[p->i + k]) - 'a' +
			    10));
		}
		p->i += digits;
		if (digits == 2)
			buf[0] = (char)cp;
		if (digits > 2 && (cp > 0x10ffff || (cp >= 0xd800 &&
		    cp < 0xe000))) {
			perr(p, p->i, "%s", "bad escape in string");
			return (-1);
		}
		if (lit_add(&a->s, &a->slen, &cap, buf, digits == 2 ? 1 :
		    utf8_put(buf, cp)) != 0)
			return (-1);
	}
	if (p->i >= p->len || p->s[p->i] != q) {
		perr(p, start, "%s", "unterminated string");
		return (-1);
	}
	p->i++;
	return (0);
}

/* Reads a number literal into a. */
static int
parse_number(struct parser *p, struct fmt_arg *a)
{
	size_t		 start = p->i;
	char		*num, *end;
	int		 real = 0;

	if (p->s[p->i] == '-' || p->s[p->i] == '+')
		p->i++;
	while (p->i < p->len && (isalnum((unsigned char)p->s[p->i]) ||
	    p->s[p->i] == '.' || p->s[p->i] == '_')) {
		if (p->s[p->i] == '.' || p->s[p->i] == 'e' ||
		    p->s[p->i] == 'E')
			real = 1;
		p->i++;
	}
	num = strndup(p->s + start, p->i - start);
	if (num == NULL)
		return (-1);
	errno = 0;
	if (real) {
		a->kind = A_REAL;
		a->d = strtod(num, &end);
	} else {
		a->kind = A_INT;
		a->i = strtoll(num, &end, 0);
	}
	if (*end != '\0' || end == num || errno != 0) {
		perr(p, start, "bad number %s", num);
		free(num);
		return (-1);
	}
	free(num);
	return (0);
}

/* Reads an identifier operand: a function, true, false or nil. */
static int
parse_word(struct parser *p, struct fmt_arg *a)
{
	size_t	 start = p->i, k;
	char	*w = read_ident(p);

	if (w == NULL)
		return (-1);
	if (strcmp(w, "true") == 0 || strcmp(w, "false") == 0) {
		a->kind = A_BOOL;
		a->b = w[0] == 't';
	} else if (strcmp(w, "nil") == 0)
		a->kind = A_NIL;
	else {
		for (k = 0; fn_names[k] != NULL; k++) {
			if (strcmp(fn_names[k], w) == 0)
				break;
		}
		if (fn_names[k] == NULL) {
			perr(p, start, "function \"%s\" not defined", w);
			free(w);
			return (-1);
		}
		a->kind = A_FUNC;
		a->fn = (int)k;
	}
	free(w);
	return (0);
}

/* Reads one operand at p->i into a. */
static int
parse_operand(struct parser *p, struct fmt_arg *a)
{
	char	c = p->s[p->i];

	a->pos = p->i;
	if (c == '.' && (p->i + 1 >= p->len || !is_ident(p->s[p->i + 1]))) {
		p->i++;
		a->kind = A_DOT;
		return (0);
	}
	if (c == '.') {
		a->kind = A_FIELD;
		a->root = p->dot_root;
		return (parse_chain(p, a));
	}
	if (c == '$') {
		p->i++;
		if (p->i < p->len && is_ident(p->s[p->i])) {
			perr(p, a->pos, "%s", "variables are not supported");
			return (-1);
		}
		a->root = 1;
		a->kind = A_ROOT;
		if (p->i < p->len && p->s[p->i] == '.' && p->i + 1 < p->len &&
		    is_ident(p->s[p->i + 1])) {
			a->kind = A_FIELD;
			return (parse_chain(p, a));
		}
		return (0);
	}
	if (c == '"' || c == '`')
		return (parse_string(p, a));
	if (isdigit((unsigned char)c) || ((c == '-' || c == '+') &&
	    p->i + 1 < p->len && isdigit((unsigned char)p->s[p->i + 1])))
		return (parse_number(p, a));
	if (c == '(') {
		if (++p->depth > CLI_FMT_DEPTH_MAX) {
			perr(p, p->i, "%s", "too deeply nested");
			return (-1);
		}
		p->i++;
		a->kind = A_PIPE;
		a->sub = parse_pipe(p, 1);
		p->depth--;
		if (a->sub == NULL)
			return (-1);
		if (p->i >= p->len || p->s[p->i] != ')') {
			perr(p, a->pos, "%s", "unclosed (");
			return (-1);
		}
		p->i++;
		return (0);
	}
	if (isalpha((unsigned char)c) || c == '_')
		return (parse_word(p, a));
	perr(p, p->i, "unexpected \"%.1s\" in action", p->s + p->i);
	return (-1);
}

/* Reads one command: operands up to '|', ')' or the action's end. */
static int
parse_cmd(struct parser *p, struct fmt_cmd *c, int in_paren)
{
	struct fmt_arg	*v;
	size_t		 k;

	c->pos = p->i;
	for (;;) {
		skip_space(p);
		if (p->i >= p->len || at_close(p) || p->s[p->i] == '|' ||
		    (in_paren && p->s[p->i] == ')'))
			break;
		v = realloc(c->args, (c->n + 1) * sizeof(*v));
		if (v == NULL)
			return (-1);
		c->args = v;
		memset(&c->args[c->n], 0, sizeof(c->args[0]));
		if (parse_operand(p, &c->args[c->n++]) != 0)
			return (-1);
		if (p->i < p->len && !isspace((unsigned char)p->s[p->i]) &&
		    p->s[p->i] != '|' && p->s[p->i] != ')' && !at_close(p)) {
			perr(p, p->i, "%s", "missing space between operands");
			return (-1);
		}
	}
	if (c->n == 0) {
		perr(p, p->i, "%s", "missing value for command");
		return (-1);
	}
	for (k = 0; k < c->n; k++) {
		if (c->args[k].kind == A_FIELD && c->args[k].root &&
		    c->args[k].npath > 0)
			check_field(p, c->args[k].path[0], c->args[k].pos,
			    k == 0 && c->n > 1);
	}
	return (p->err != NULL ? -1 : 0);
}

/* Reads a pipeline: commands separated by '|'. */
static struct fmt_pipe *
parse_pipe(struct parser *p, int in_paren)
{
	struct fmt_pipe	*pp;
	struct fmt_cmd	*v;

	pp = calloc(1, sizeof(*pp));
	if (pp == NULL)
		return (NULL);
	for (;;) {
		v = realloc(pp->cmds, (pp->n + 1) * sizeof(*v));
		if (v == NULL)
			goto fail;
		pp->cmds = v;
		memset(&pp->cmds[pp->n], 0, sizeof(pp->cmds[0]));
		if (parse_cmd(p, &pp->cmds[pp->n++], in_paren) != 0)
			goto fail;
		skip_space(p);
		if (p->i >= p->len || p->s[p->i] != '|')
			break;
		p->i++;
	}
	return (pp);
fail:
	fmt__pipe_free(pp);
	return (NULL);
}

/* Appends a node to a list. */
static void
append(struct fmt_node **head, struct fmt_node **tail, struct fmt_node *n)
{
	if (*tail == NULL)
		*head = n;
	else
		(*tail)->next = n;
	*tail = n;
}

/* Reads a block's body, its else or else if, up to its {{end}}. */
static int
block_rest(struct parser *p, struct fmt_node *n)
{
	struct fmt_pipe	*elif = NULL;
	enum term	 t;
	int		 saved = p->dot_root, rc;

	if (n->kind != N_IF)
		p->dot_root = 0;
	n->body = parse_list(p, &t, &elif);
	p->dot_root = saved;
	if (p->err != NULL)
		goto fail;
	if (t == T_ELSE_IF) {
		if (++p->depth > CLI_FMT_DEPTH_MAX) {
			perr(p, n->pos, "%s", "too deeply nested");
			goto fail;
		}
		n->other = calloc(1, sizeof(*n));
		if (n->other == NULL)
			goto fail;
		n->other->kind = N_IF;
		n->other->pos = n->pos;
		n->other->pipe = elif;
		rc = block_rest(p, n->other);
		p->depth--;
		return (rc);
	}
	if (t == T_ELSE) {
		n->other = parse_list(p, &t, &elif);
		if (p->err == NULL && t != T_END && t != T_EOF)
			perr(p, p->i > 0 ? p->i - 1 : 0, "%s",
			    "unexpected {{else}}");
	}
	if (p->err == NULL && t != T_END)
		perr(p, n->pos, "%s", "missing {{end}}");
	if (p->err == NULL)
		return (0);
fail:
	fmt__pipe_free(elif);
	return (-1);
}

/* Reads the rest of an if/range/with after its keyword. */
static struct fmt_node *
parse_block(struct parser *p, enum fmt_kind kind, size_t pos)
{
	struct fmt_node	*n;

	if (++p->depth > CLI_FMT_DEPTH_MAX) {
		perr(p, pos, "%s", "too deeply nested");
		return (NULL);
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return (NULL);
	n->kind = kind;
	n->pos = pos;
	n->pipe = parse_pipe(p, 0);
	if (n->pipe == NULL || close_action(p) != 0 ||
	    block_rest(p, n) != 0) {
		if (p->err == NULL)
			perr(p, pos, "%s", "out of memory");
		fmt__nodes_free(n);
		return (NULL);
	}
	p->depth--;
	return (n);
}

/* Reads a text node up to the next "{{", trimming as asked. */
static struct fmt_node *
parse_text(struct parser *p)
{
	struct fmt_node	*n;
	const char	*open;
	size_t		 start = p->i, end;

	open = memmem(p->s + p->i, p->len - p->i, "{{", 2);
	end = open != NULL ? (size_t)(open - p->s) : p->len;
	p->i = end;
	if (p->trim_next) {
		while (start < end && isspace((unsigned char)p->s[start]))
			start++;
		p->trim_next = 0;
	}
	if (open != NULL && end + 3 < p->len && p->s[end + 2] == '-' &&
	    isspace((unsigned char)p->s[end + 3])) {
		while (end > start && isspace((unsigned char)p->s[end - 1]))
			end--;
	}
	if (end == start)
		return (NULL);
	n = calloc(1, sizeof(*n));
	if (n == NULL || (n->text = strndup(p->s + start,
	    end - start)) == NULL) {
		free(n);
		return (NULL);
	}
	n->kind = N_TEXT;
	n->len = end - start;
	return (n);
}

/* Reads one action after "{{" into a node, or reports a terminator. */
static struct fmt_node *
parse_action(struct parser *p, enum term *t, struct fmt_pipe **elif)
{
	struct fmt_node	*n;
	size_t		 pos = p->i, save;
	char		*w;

	p->i += 2;
	if (p->i + 1 < p->len && p->s[p->i] == '-' &&
	    isspace((unsigned char)p->s[p->i + 1]))
		p->i++;
	skip_space(p);
	if (p->i + 1 < p->len && p->s[p->i] == '/' && p->s[p->i + 1] == '*') {
		const char *e = memmem(p->s + p->i, p->len - p->i, "*/", 2);

		if (e == NULL) {
			perr(p, pos, "%s", "unclosed comment");
			return (NULL);
		}
		p->i = (size_t)(e - p->s) + 2;
		(void)close_action(p);
		return (NULL);
	}
	save = p->i;
	w = read_ident(p);
	if (w == NULL)
		return (NULL);
	if (strcmp(w, "end") == 0 || strcmp(w, "else") == 0) {
		*t = w[1] == 'n' ? T_END : T_ELSE;
		free(w);
		skip_space(p);
		if (*t == T_ELSE && p->i + 2 < p->len &&
		    strncmp(p->s + p->i, "if", 2) == 0 &&
		    !is_ident(p->s[p->i + 2])) {
			p->i += 2;
			*t = T_ELSE_IF;
			*elif = parse_pipe(p, 0);
			if (*elif == NULL)
				return (NULL);
		}
		(void)close_action(p);
		return (NULL);
	}
	if (strcmp(w, "if") == 0 || strcmp(w, "range") == 0 ||
	    strcmp(w, "with") == 0) {
		n = parse_block(p, w[0] == 'i' ? N_IF : w[0] == 'r' ?
		    N_RANGE : N_WITH, pos);
		free(w);
		return (n);
	}
	if (strcmp(w, "define") == 0 || strcmp(w, "template") == 0 ||
	    strcmp(w, "block") == 0 || strcmp(w, "break") == 0 ||
	    strcmp(w, "continue") == 0) {
		perr(p, pos, "{{%s}} is not supported", w);
		free(w);
		return (NULL);
	}
	free(w);
	p->i = save;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return (NULL);
	n->kind = N_ACTION;
	n->pos = pos;
	n->pipe = parse_pipe(p, 0);
	if (n->pipe == NULL || close_action(p) != 0) {
		fmt__nodes_free(n);
		return (NULL);
	}
	return (n);
}

/* Reads nodes until the end, {{end}} or {{else}} (*t says which). */
static struct fmt_node *
parse_list(struct parser *p, enum term *t, struct fmt_pipe **elif)
{
	struct fmt_node	*head = NULL, *tail = NULL, *n;

	*t = T_EOF;
	while (p->i < p->len && p->err == NULL) {
		if (p->s[p->i] != '{' || p->i + 1 >= p->len ||
		    p->s[p->i + 1] != '{') {
			n = parse_text(p);
			if (n != NULL)
				append(&head, &tail, n);
			continue;
		}
		n = parse_action(p, t, elif);
		if (n != NULL)
			append(&head, &tail, n);
		else if (*t != T_EOF || p->err != NULL)
			break;
	}
	return (head);
}

/* Replaces the two-character sequences \t and \n as docker does. */
static char *
unescape_tabs(const char *s, size_t len)
{
	char	*out = malloc(len + 1);
	size_t	 i, n = 0;

	if (out == NULL)
		return (NULL);
	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && (s[i + 1] == 't' ||
		    s[i + 1] == 'n')) {
			out[n++] = s[i + 1] == 't' ? '\t' : '\n';
			i++;
		} else
			out[n++] = s[i];
	}
	out[n] = '\0';
	return (out);
}

/* Parses a --format value for spec's rows. */
int
cli_fmt_parse(const char *text, const struct cli_fmt_spec *spec,
    struct cli_fmt **out, char **cause)
{
	struct parser	 p;
	struct cli_fmt	*f;
	enum term	 t;
	size_t		 len = strlen(text), off = 0;
	int		 table = 0, json_word;

	*out = NULL;
	if (len > CLI_FMT_MAX)
		return (cli__error(cause, -EINVAL, "template: longer than "
		    "%d bytes", CLI_FMT_MAX));
	while (off < len && text[off] == ' ')
		off++;
	while (len > off && text[len - 1] == ' ')
		len--;
	if (len - off >= 5 && strncmp(text + off, "table", 5) == 0) {
		table = 1;
		off += 5;
		while (off < len && text[off] == ' ')
			off++;
	}
	json_word = len - off == 4 && strncmp(text + off, "json", 4) == 0 &&
	    !table;
	if (json_word) {
		text = "{{json .}}";
		off = 0;
		len = strlen(text);
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return (-ENOMEM);
	f->spec = spec;
	f->table = table;
	f->json_word = json_word;
	f->text = unescape_tabs(text + off, len - off);
	if (f->text == NULL) {
		free(f);
		return (-ENOMEM);
	}
	memset(&p, 0, sizeof(p));
	p.s = f->text;
	p.len = strlen(f->text);
	p.dot_root = 1;
	p.spec = spec;
	f->nodes = parse_list(&p, &t, &f->elif);
	if (p.err == NULL && t != T_EOF)
		perr(&p, p.i > 0 ? p.i - 1 : 0, "unexpected {{%s}}",
		    t == T_END ? "end" : "else");
	if (p.err != NULL) {
		if (cause != NULL)
			*cause = p.err;
		else
			free(p.err);
		cli_fmt_free(f);
		return (-EINVAL);
	}
	*out = f;
	return (0);
}
