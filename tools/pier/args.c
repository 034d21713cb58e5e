/*
 * The one reader of a declared command line. A command's struct cli_cmd
 * names its method, options and argument bounds; cli_args_parse turns
 * the options into getopt_long's tables (so permutation and getopt's own
 * complaints stay what they were), checks each argument by its kind and
 * by the bounds and choices proto's catalogue gives the param it sets,
 * and counts the positional arguments. cli_help writes the options of
 * --help from the same declaration.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

#define ARGS_LONG_BASE	256	/* getopt values of letterless options */
#define ARGS_HELP	255	/* getopt's value of --help */

/* The catalogue's field for an option's param, or NULL. */
static const struct proto_field *
args_field(const struct cli_cmd *cmd, const char *param)
{
	const struct proto_method	*m;

	if (cmd->method == NULL || param == NULL)
		return (NULL);
	m = proto_method_find(cmd->method);
	return (m != NULL ? proto_field_find(m->params, param) : NULL);
}

/* How an error names an option: "-t" or "--timeout". */
static void
args_label(const struct cli_opt *o, char *buf, size_t len)
{
	if (o->letter != 0)
		snprintf(buf, len, "-%c", o->letter);
	else
		snprintf(buf, len, "--%s", o->name);
}

/*
 * Sets params.restart from a policy, "on-failure:N" as on-failure and
 * restart_retries N, checked against method's catalogue entry.
 */
int
cli_restart_put(json_t *params, const char *method, const char *s,
    char **cause)
{
	const struct proto_method	*m = proto_method_find(method);
	const struct proto_field	*f, *rf;
	const char			*colon = strchr(s, ':');
	struct cli__buf			 b;
	size_t				 i, len;
	char				*end;
	long				 n = 0;

	f = m != NULL ? proto_field_find(m->params, "restart") : NULL;
	rf = m != NULL ? proto_field_find(m->params, "restart_retries") : NULL;
	if (f == NULL || f->choices == NULL)
		return (cli__error(cause, -EINVAL, "no restart policy here"));
	len = colon != NULL ? (size_t)(colon - s) : strlen(s);
	for (i = 0; f->choices[i] != NULL; i++) {
		if (strlen(f->choices[i]) == len &&
		    strncmp(f->choices[i], s, len) == 0)
			break;
	}
	if (colon != NULL && rf != NULL) {
		n = strtol(colon + 1, &end, 10);
		if (*end != '\0' || end == colon + 1 || n < rf->min ||
		    n > rf->max)
			colon = "";	/* refused below */
	}
	if (f->choices[i] != NULL && (colon == NULL || (rf != NULL &&
	    *colon == ':' && strcmp(f->choices[i], "on-failure") == 0))) {
		if (colon != NULL)
			(void)json_object_set_new(params, "restart_retries",
			    json_integer(n));
		return (json_object_set_new(params, "restart",
		    json_string(f->choices[i])));
	}
	memset(&b, 0, sizeof(b));
	for (i = 0; f->choices[i] != NULL; i++) {
		cli__buf_str(&b, i == 0 ? "" : f->choices[i + 1] == NULL ?
		    " or " : ", ");
		cli__buf_str(&b, f->choices[i]);
		if (rf != NULL && strcmp(f->choices[i], "on-failure") == 0)
			cli__buf_str(&b, "[:N]");
	}
	cli__buf_add(&b, "", 1);
	(void)cli__error(cause, -EINVAL, "--restart: expected %s, not %s",
	    b.p != NULL ? b.p : "a policy", s);
	free(b.p);
	return (-EINVAL);
}

/* Adds K=V (or K alone, as K= for CLI_K_MAP) to the object param. */
static int
args_map(const struct cli_cmd *cmd, const struct cli_opt *o,
    const char *arg, json_t *p)
{
	const char	*eq = strchr(arg, '=');
	json_t		*m;	/* borrowed */
	char		*k;

	k = strndup(arg, eq != NULL ? (size_t)(eq - arg) : strlen(arg));
	if (k == NULL || k[0] == '\0' || (o->kind == CLI_K_MAP_EQ &&
	    eq == NULL)) {
		free(k);
		cli_error(cmd, "bad --%s: %s (KEY=VALUE)", o->name, arg);
		return (CLI_EXIT_USAGE);
	}
	m = json_object_get(p, o->param);
	if (m == NULL) {
		m = json_object();
		(void)json_object_set_new(p, o->param, m);
	}
	(void)json_object_set_new(m, k, json_string(eq != NULL ? eq + 1 :
	    ""));
	free(k);
	return (-1);
}

/* Checks and sets the param of one option; an exit code or -1. */
static int
args_put(const struct cli_cmd *cmd, const struct cli_opt *o,
    const char *arg, json_t *p)
{
	const struct proto_field	*f = args_field(cmd, o->param);
	char				 lab[40], *cause = NULL, *end;
	long long			 v, lo = 0, hi = 0;
	int64_t				 n;

	if (f != NULL) {
		lo = f->min;
		hi = f->max;
	}
	args_label(o, lab, sizeof(lab));
	switch (o->kind) {
	case CLI_K_FLAG:
		return (json_object_set_new(p, o->param, json_true()), -1);
	case CLI_K_INT:
		v = strtoll(arg, &end, 10);
		if (*end != '\0' || end == arg || v < lo || v > hi)
			return (cli_usage_error(cmd, "%s: expected %s from "
			    "%lld to %lld, not %s", lab, o->unit, lo, hi, arg));
		return (json_object_set_new(p, o->param, json_integer(v)), -1);
	case CLI_K_STRING:
		if (strlen(arg) < (size_t)(lo > 1 ? lo : 1) ||
		    strlen(arg) > (size_t)hi)
			return (cli_usage_error(cmd, "%s: expected %s, not "
			    "\"%s\"", lab, o->unit, arg));
		return (json_object_set_new(p, o->param, json_string(arg)), -1);
	case CLI_K_TEXT:
		return (json_object_set_new(p, o->param, json_string(arg)), -1);
	case CLI_K_CPUS:
	case CLI_K_SIZE:
		if ((o->kind == CLI_K_CPUS ? cli_parse_cpus(arg, &n, &cause) :
		    cli_parse_size(arg, &n, &cause)) != 0) {
			cli_usage_error(cmd, "%s", cause);
			free(cause);
			return (CLI_EXIT_USAGE);
		}
		return (json_object_set_new(p, o->param, o->kind == CLI_K_CPUS ?
		    json_real((double)n / 1e9) : json_integer(n)), -1);
	case CLI_K_RESTART:
		if (cli_restart_put(p, cmd->method, arg, &cause) != 0) {
			cli_usage_error(cmd, "%s", cause);
			free(cause);
			return (CLI_EXIT_USAGE);
		}
		return (-1);
	case CLI_K_MAP:
	case CLI_K_MAP_EQ:
		return (args_map(cmd, o, arg, p));
	case CLI_K_LIST:
		if (json_object_get(p, o->param) == NULL)
			(void)json_object_set_new(p, o->param, json_array());
		return (json_array_append_new(json_object_get(p, o->param),
		    json_string(arg)), -1);
	case CLI_K_DURATION:
		if (cli_parse_duration(arg, &n, &cause) != 0 || n < 0) {
			cli_usage_error(cmd, "%s: %s", lab, cause != NULL ?
			    cause : "not a duration");
			free(cause);
			return (CLI_EXIT_USAGE);
		}
		return (json_object_set_new(p, o->param,
		    json_integer(n / 1000000)), -1);
	case CLI_K_ARG:
		break;
	}
	return (-1);
}

/* Tells whether an option of cmd is -h (run's --hostname): no -h help. */
static int
args_h_taken(const struct cli_cmd *cmd)
{
	size_t	i;

	for (i = 0; cmd->opts != NULL && cmd->opts[i].name != NULL; i++) {
		if (cmd->opts[i].letter == 'h')
			return (1);
	}
	return (0);
}

/* Builds getopt_long's short and long tables from the declaration. */
static size_t
args_tables(const struct cli_cmd *cmd, char *shorts, struct option *lo)
{
	const struct cli_opt	*o;
	size_t			 i, s = 0;

	if (cmd->flags & CLI_F_ORDER)
		shorts[s++] = '+';
	for (i = 0; cmd->opts != NULL && cmd->opts[i].name != NULL; i++) {
		o = &cmd->opts[i];
		if (o->letter != 0) {
			shorts[s++] = (char)o->letter;
			if (o->kind != CLI_K_FLAG)
				shorts[s++] = ':';
		}
		lo[i].name = o->name;
		lo[i].has_arg = o->kind == CLI_K_FLAG ? no_argument :
		    required_argument;
		lo[i].flag = NULL;
		lo[i].val = o->letter != 0 ? o->letter :
		    ARGS_LONG_BASE + (int)i;
	}
	if (!args_h_taken(cmd))
		shorts[s++] = 'h';
	shorts[s] = '\0';
	lo[i].name = "help";
	lo[i].has_arg = no_argument;
	lo[i].flag = NULL;
	lo[i].val = ARGS_HELP;
	memset(&lo[i + 1], 0, sizeof(lo[i + 1]));
	return (i);
}

/* Reads a command line against cmd's declaration (see cli.h). */
int
cli_args_parse(const struct cli_cmd *cmd, int argc, char **argv,
    struct cli_args *a)
{
	struct option	 lo[CLI_OPTS_MAX + 2];
	char		 shorts[CLI_OPTS_MAX * 2 + 4], *pre;
	size_t		 i, n;
	int		 ch, rc, h_help, npre = 0;

	memset(a, 0, sizeof(*a));
	a->params = json_object();
	if (a->params == NULL)
		return (cli_error(cmd, "out of memory"));
	n = args_tables(cmd, shorts, lo);
	h_help = !args_h_taken(cmd);
	optind = 0;
	for (;;) {
		ch = getopt_long(argc, argv, shorts, lo, NULL);
		/* Options go before and after the first args_before. */
		if (ch == -1 && npre < cmd->args_before && optind < argc) {
			pre = argv[optind];
			memmove(&argv[optind], &argv[optind + 1],
			    (size_t)(argc - optind - 1) * sizeof(*argv));
			argv[--argc] = pre;	/* kept past the end */
			npre++;
			continue;
		}
		if (ch == -1)
			break;
		if (ch == ARGS_HELP || (ch == 'h' && h_help))
			return (cli_help(cmd));
		for (i = 0; i < n; i++) {
			if (ch == (cmd->opts[i].letter != 0 ?
			    cmd->opts[i].letter : ARGS_LONG_BASE + (int)i))
				break;
		}
		if (i == n)
			return (cli_usage(cmd));
		a->val[i] = optarg != NULL ? optarg : "";
		if (a->nseq == CLI_SEQ_MAX)
			return (cli_usage_error(cmd, "too many options"));
		a->seq[a->nseq].opt = i;
		a->seq[a->nseq++].arg = a->val[i];
		if (cmd->opts[i].param == NULL)
			continue;
		rc = args_put(cmd, &cmd->opts[i], a->val[i], a->params);
		if (rc >= 0)
			return (rc);
	}
	/* The arguments taken out go back before the rest, in order. */
	for (; npre > 0; npre--) {
		pre = argv[argc];
		memmove(&argv[optind + 1], &argv[optind],
		    (size_t)(argc - optind) * sizeof(*argv));
		argv[optind] = pre;
		argc++;
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	if (a->argc < cmd->args_min ||
	    (cmd->args_max >= 0 && a->argc > cmd->args_max))
		return (cli_usage(cmd));
	return (-1);
}

/* The last argument of the option called name ("" for a flag), or NULL. */
const char *
cli_args_get(const struct cli_cmd *cmd, const struct cli_args *a,
    const char *name)
{
	size_t	i;

	for (i = 0; cmd->opts != NULL && cmd->opts[i].name != NULL; i++) {
		if (strcmp(cmd->opts[i].name, name) == 0)
			return (a->val[i]);
	}
	return (NULL);
}

/* The next argument of a repeated option (see cli.h). */
const char *
cli_args_next(const struct cli_cmd *cmd, const struct cli_args *a,
    const char *name, size_t *pos)
{
	for (; *pos < a->nseq; (*pos)++) {
		if (strcmp(cmd->opts[a->seq[*pos].opt].name, name) == 0)
			return (a->seq[(*pos)++].arg);
	}
	return (NULL);
}

/* Reads a terminal command's line, --env and --escape (see cli.h). */
int
cli_args_term(const struct cli_cmd *cmd, int argc, char **argv,
    struct cli_args *a, json_t **params, int *esc_set, int *esc)
{
	const char	*arg;
	size_t		 pos = 0;
	int		 rc;

	rc = cli_args_parse(cmd, argc, argv, a);
	*params = a->params;
	a->params = NULL;
	while (rc < 0 && (arg = cli_args_next(cmd, a, "env", &pos)) != NULL) {
		if (strchr(arg, '=') == NULL)
			rc = cli_usage_error(cmd, "--env %s: expected K=V",
			    arg);
		else if (cli_params_push(*params, "env", arg) != 0)
			rc = cli_usage(cmd);
	}
	arg = cli_args_get(cmd, a, "escape");
	if (rc < 0 && arg != NULL) {
		if (cli_esc_option(cmd->name, arg, esc) != 0)
			rc = CLI_EXIT_USAGE;
		*esc_set = 1;
	}
	if (rc >= 0) {
		json_decref(*params);
		*params = NULL;
	}
	return (rc);
}

/* Frees what cli_args_parse left in a. */
void
cli_args_free(struct cli_args *a)
{
	json_decref(a->params);
	a->params = NULL;
}

/* Prints the command's full help on stdout; returns CLI_EXIT_OK. */
int
cli_help(const struct cli_cmd *cmd)
{
	const struct cli_opt	*o;
	const char		*p;
	char			 lab[64];
	size_t			 i;

	printf("usage: pier %s%s%s\n\n%s.\n", cmd->name,
	    cmd->usage[0] != '\0' ? " " : "", cmd->usage, cmd->summary);
	if (cmd->help[0] == '\0' && cmd->opts == NULL && cmd->notes == NULL &&
	    cmd->subs == NULL)
		return (CLI_EXIT_OK);
	printf("\n%s", cmd->help);
	for (i = 0; cmd->opts != NULL && cmd->opts[i].name != NULL; i++) {
		o = &cmd->opts[i];
		if (o->letter != 0)
			snprintf(lab, sizeof(lab), "-%c, --%s%s%s", o->letter,
			    o->name, o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		else
			snprintf(lab, sizeof(lab), "--%s%s%s", o->name,
			    o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		printf("  %-15s ", lab);
		for (p = o->help; *p != '\0'; p++) {	/* lines under lines */
			if (*p == '\n')
				printf("\n%18s", "");
			else
				putchar(*p);
		}
		putchar('\n');
	}
	for (i = 0; cmd->subs != NULL && cmd->subs[i].name != NULL; i++) {
		snprintf(lab, sizeof(lab), "%s%s%s", cmd->subs[i].name,
		    cmd->subs[i].alias != NULL ? "|" : "",
		    cmd->subs[i].alias != NULL ? cmd->subs[i].alias : "");
		printf("  %-15s %s\n%18s%s\n", lab, cmd->subs[i].cmd->usage,
		    "", cmd->subs[i].cmd->summary);
	}
	if (cmd->notes != NULL)
		printf("%s", cmd->notes);
	return (CLI_EXIT_OK);
}

/* A family's main: runs the subcommand argv[1] names (cmd->subs). */
int
cli_family_main(const struct cli_cmd *cmd, int argc, char **argv)
{
	const struct cli_sub	*sub;
	const char		*word;

	if (argc < 2)
		return (cli_usage(cmd));
	word = argv[1];
	argv[1] = argv[0];	/* getopt's complaints name the family */
	if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0)
		return (cli_help(cmd));
	for (sub = cmd->subs; sub != NULL && sub->name != NULL; sub++) {
		if (strcmp(word, sub->name) == 0 || (sub->alias != NULL &&
		    strcmp(word, sub->alias) == 0))
			return (sub->cmd->main(sub->cmd, argc - 1, argv + 1));
	}
	cli_error(cmd, "unknown subcommand: %s", word);
	return (cli_usage(cmd));
}
