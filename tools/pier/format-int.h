/*
 * Internals of --format shared by its parser (format.c), its evaluator
 * (format-exec.c) and its printers (format-out.c); not for commands,
 * which see format.h only.
 */
#ifndef PIER_FORMAT_INT_H
#define PIER_FORMAT_INT_H

#include "format.h"

/* Functions, in the order of format.c's fn_names. */
enum fmt_fn {
	FN_JSON = 0, FN_UPPER, FN_LOWER, FN_TITLE, FN_JOIN, FN_SPLIT,
	FN_TRUNCATE, FN_PAD, FN_LEN, FN_INDEX, FN_PRINT, FN_PRINTF,
	FN_PRINTLN, FN_EQ, FN_NE, FN_LT, FN_LE, FN_GT, FN_GE, FN_NOT,
	FN_AND, FN_OR,
};

/* What an operand is. */
enum fmt_arg_kind {
	A_FIELD = 0,	/* .A.B or $.A.B: path */
	A_DOT,		/* . */
	A_ROOT,		/* $ */
	A_STR,		/* s, slen */
	A_INT,		/* i */
	A_REAL,		/* d */
	A_BOOL,		/* b */
	A_NIL,
	A_FUNC,		/* fn */
	A_PIPE,		/* ( sub ) */
};

struct fmt_pipe;

/* One operand of a command. */
struct fmt_arg {
	enum fmt_arg_kind	 kind;
	int			 root;	/* the chain starts at the row */
	char			**path;
	size_t			 npath;
	char			*s;
	size_t			 slen;
	long long		 i;
	double			 d;
	int			 b;
	int			 fn;
	struct fmt_pipe		*sub;
	size_t			 pos;
};

/* A command: a function and its arguments, or one value. */
struct fmt_cmd {
	struct fmt_arg		*args;
	size_t			 n;
	size_t			 pos;
};

/* Commands joined by '|': each one's value is the next one's last arg. */
struct fmt_pipe {
	struct fmt_cmd		*cmds;
	size_t			 n;
};

/* What a node is. */
enum fmt_kind {
	N_TEXT = 0,
	N_ACTION,
	N_IF,
	N_RANGE,
	N_WITH,
};

/* One node of a template; blocks hold body and other (else) lists. */
struct fmt_node {
	enum fmt_kind		 kind;
	char			*text;
	size_t			 len;
	struct fmt_pipe		*pipe;
	struct fmt_node		*body;
	struct fmt_node		*other;
	struct fmt_node		*next;
	size_t			 pos;
};

/* A parsed template. */
struct cli_fmt {
	const struct cli_fmt_spec	*spec;
	int				 table;
	int				 json_word; /* `json` alone */
	char				*text;	/* after \t, \n */
	struct fmt_node			*nodes;
	struct fmt_pipe			*elif;	/* a stray else if's */
};

/* One run of a template. */
struct fmt_exec {
	const struct cli_fmt	*f;
	const json_t		*root;
	const json_t		*labels;
	const char		*node;		/* .Node, or NULL */
	struct cli__buf		*out;
	int			 header;
	char			*err;
	size_t			 steps;
	json_t			*novalue;	/* a missing map key */
};

/* format-exec.c */

/* Records the first error of a run, at byte pos; returns NULL. */
json_t	*fmt__xerr(struct fmt_exec *e, size_t pos, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A value's type as Go's messages name it. */
const char *fmt__type_name(const json_t *v);
/* Go's truth: false, 0, "", nil and empty collections are false. */
int	fmt__truth(const struct fmt_exec *e, const json_t *v);
/* A new string value of n bytes (any bytes). */
json_t	*fmt__mkstr(const char *s, size_t n);
/* Appends a value as an action prints it. */
void	fmt__print_value(struct fmt_exec *e, struct cli__buf *b, const json_t *v);
/* A string argument, or NULL with the error naming what was given. */
const char *fmt__want_str(struct fmt_exec *e, const json_t *v, size_t pos);

/* format-fn.c */

/* printf: %s %v %d %q %f %e %g %% with - 0, width and precision. */
json_t	*fmt__fn_printf(struct fmt_exec *e, json_t **v, size_t n, size_t pos);
/* print and println: Go's Sprint and Sprintln. */
json_t	*fmt__fn_print(struct fmt_exec *e, json_t **v, size_t n, int ln);
/* join, split, title, upper, lower, truncate, pad. */
json_t	*fmt__fn_string(struct fmt_exec *e, int fn, json_t **v, size_t n,
	    size_t pos);

/* format-tree.c */

/* Frees a pipeline. */
void	fmt__pipe_free(struct fmt_pipe *pp);
/* Frees a list of nodes. */
void	fmt__nodes_free(struct fmt_node *n);
/* Orders two strings through pointers to them, for qsort. */
int	fmt__strpcmp(const char *const *a, const char *const *b);

#endif
