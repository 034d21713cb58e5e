/*
 * Tests of pier's command table (tools/pier/cmds.c) against proto's
 * catalogue: names sorted and unique, every method a command declares
 * exists with the role the command expects, every option's param is a
 * param of that method of a type its kind can fill; and of the one
 * parser, cli_args_parse, on the lifecycle commands' declarations.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "proto.h"
#include "cli.h"

/* Names sorted and unique; every entry complete. */
static void
test_table_sorted(void)
{
	size_t	i;

	ASSERT_GT(cli_ncmds, 30);
	for (i = 0; i < cli_ncmds; i++) {
		ASSERT_NOT_NULL(cli_cmds[i]->main);
		ASSERT_NOT_NULL(cli_cmds[i]->usage);
		ASSERT_NOT_NULL(cli_cmds[i]->summary);
		ASSERT_NOT_NULL(cli_cmds[i]->help);
		if (i > 0 && strcmp(cli_cmds[i - 1]->name,
		    cli_cmds[i]->name) >= 0)
			FAIL("%s before %s", cli_cmds[i - 1]->name,
			    cli_cmds[i]->name);
	}
}

/* The proto type an option kind fills. */
static enum proto_type
kind_type(enum cli_kind k)
{
	switch (k) {
	case CLI_K_FLAG:
		return (PROTO_T_BOOL);
	case CLI_K_INT:
	case CLI_K_SIZE:
	case CLI_K_DURATION:
		return (PROTO_T_INT);
	case CLI_K_LIST:
		return (PROTO_T_STRINGS);
	case CLI_K_CPUS:
		return (PROTO_T_NUMBER);
	case CLI_K_MAP:
	case CLI_K_MAP_EQ:
		return (PROTO_T_MAP);
	case CLI_K_STRING:
	case CLI_K_TEXT:
	case CLI_K_RESTART:
	case CLI_K_ARG:
		break;
	}
	return (PROTO_T_STRING);
}

/* One declaration against the catalogue; 1 if it names a method. */
static int
check_decl(const struct cli_cmd *c)
{
	const struct proto_method	*m;
	const struct proto_field	*f;
	const struct cli_opt		*o;
	size_t				 j, k;

	if (c->method == NULL) {
		ASSERT_NULL(c->opts == NULL ? NULL : c->opts[0].param);
		return (0);
	}
	m = proto_method_find(c->method);
	if (m == NULL)
		FAIL("pier %s: no method %s", c->name, c->method);
	if ((int)m->role != c->role)
		FAIL("pier %s: %s needs role %d, the table says %d", c->name,
		    m->name, (int)m->role, c->role);
	for (j = 0; c->opts != NULL && c->opts[j].name != NULL; j++) {
		o = &c->opts[j];
		ASSERT_LT(j, CLI_OPTS_MAX);
		ASSERT_NOT_NULL(o->help);
		for (k = 0; k < j; k++) {
			ASSERT(strcmp(c->opts[k].name, o->name) != 0);
			ASSERT(o->letter == 0 ||
			    c->opts[k].letter != o->letter);
		}
		if (o->param == NULL)
			continue;
		f = proto_field_find(m->params, o->param);
		if (f == NULL)
			FAIL("pier %s --%s: %s has no param %s", c->name,
			    o->name, m->name, o->param);
		ASSERT_EQ(f->type, kind_type(o->kind));
		/* Choices are the node's to check (TEXT), or RESTART's. */
		ASSERT(o->kind != CLI_K_RESTART || f->choices != NULL);
		ASSERT(f->choices == NULL || o->kind == CLI_K_RESTART ||
		    o->kind == CLI_K_TEXT);
	}
	return (1);
}

/*
 * Each declared method is in the catalogue with the expected role, for
 * the commands and for the subcommands of the families (volume, image,
 * network), whose words are unique and whose entries are whole.
 */
static void
test_methods_in_catalogue(void)
{
	const struct cli_sub	*sub, *other;
	size_t			 i, nmeth = 0, nsub = 0;

	for (i = 0; i < cli_ncmds; i++) {
		nmeth += (size_t)check_decl(cli_cmds[i]);
		for (sub = cli_cmds[i]->subs; sub != NULL && sub->name != NULL;
		    sub++) {
			ASSERT_NOT_NULL(sub->cmd);
			ASSERT_NOT_NULL(sub->cmd->main);
			ASSERT_NOT_NULL(sub->cmd->usage);
			ASSERT_NOT_NULL(sub->cmd->summary);
			for (other = cli_cmds[i]->subs; other < sub; other++) {
				ASSERT(strcmp(other->name, sub->name) != 0);
				ASSERT(other->alias == NULL ||
				    sub->alias == NULL ||
				    strcmp(other->alias, sub->alias) != 0);
			}
			nmeth += (size_t)check_decl(sub->cmd);
			nsub++;
		}
	}
	ASSERT_GE(nmeth, 11);
	ASSERT_GE(nsub, 10);
}

/* Finds a command by its exact name. */
static const struct cli_cmd *
cmd(const char *name)
{
	const struct cli_cmd	*c = cli_cmd_find(name);

	if (c == NULL || strcmp(c->name, name) != 0)
		FAIL("no command %s", name);
	return (c);
}

/* Parses a NULL-ended command line; the parser's return. */
static int
parse(const char *name, struct cli_args *a, ...)
{
	static char	*argv[16];
	va_list		 ap;
	int		 argc = 0;

	va_start(ap, a);
	argv[argc++] = (char *)name;
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	return (cli_args_parse(cmd(name), argc, argv, a));
}

/* stop -t: bounds from the catalogue; options anywhere. */
static void
test_parse_stop(void)
{
	struct cli_args	 a;

	ASSERT_EQ(parse("stop", &a, "n1/web", "-t", "5", NULL), -1);
	ASSERT_EQ(json_integer_value(json_object_get(a.params, "timeout")),
	    5);
	ASSERT_EQ(a.argc, 1);
	ASSERT_STREQ(a.argv[0], "n1/web");
	cli_args_free(&a);
	ASSERT_EQ(parse("stop", &a, "-t", "99999", "n1/web", NULL),
	    CLI_EXIT_USAGE);
	cli_args_free(&a);
	ASSERT_EQ(parse("stop", &a, NULL), CLI_EXIT_USAGE);
	cli_args_free(&a);
	ASSERT_EQ(parse("start", &a, "-t", "5", "n1/web", NULL),
	    CLI_EXIT_USAGE);
	cli_args_free(&a);
	ASSERT_EQ(parse("rm", &a, "-fv", "n1/web", "n1/db", NULL), -1);
	ASSERT(json_is_true(json_object_get(a.params, "force")));
	ASSERT(json_is_true(json_object_get(a.params, "volumes")));
	ASSERT_EQ(a.argc, 2);
	cli_args_free(&a);
	ASSERT_EQ(parse("rename", &a, "n1/web", "x", "y", NULL),
	    CLI_EXIT_USAGE);
	cli_args_free(&a);
}

/* update --restart: choices and retries from the catalogue. */
static void
test_parse_restart(void)
{
	struct cli_args	 a;

	ASSERT_EQ(parse("update", &a, "--restart", "on-failure:3", "c",
	    NULL), -1);
	ASSERT_STREQ(json_string_value(json_object_get(a.params, "restart")),
	    "on-failure");
	ASSERT_EQ(json_integer_value(json_object_get(a.params,
	    "restart_retries")), 3);
	cli_args_free(&a);
	ASSERT_EQ(parse("update", &a, "--restart", "unless-stopped", "c",
	    NULL), -1);
	ASSERT_NULL(json_object_get(a.params, "restart_retries"));
	cli_args_free(&a);
	ASSERT_EQ(parse("update", &a, "--restart", "always:3", "c", NULL),
	    CLI_EXIT_USAGE);
	cli_args_free(&a);
	ASSERT_EQ(parse("update", &a, "--restart", "on-failure:1001", "c",
	    NULL), CLI_EXIT_USAGE);
	cli_args_free(&a);
	ASSERT_EQ(parse("update", &a, "--restart", "sometimes", "c", NULL),
	    CLI_EXIT_USAGE);
	cli_args_free(&a);
	ASSERT_EQ(parse("update", &a, "--memory", "64m", "--cpus", "0.5",
	    "c", NULL), -1);
	ASSERT_EQ(json_integer_value(json_object_get(a.params, "memory")),
	    64 << 20);
	ASSERT(json_real_value(json_object_get(a.params, "cpus")) == 0.5);
	cli_args_free(&a);
}

/* top: options end at the target; PS_OPTIONS are its arguments. */
static void
test_parse_order(void)
{
	struct cli_args	 a;

	ASSERT_EQ(parse("top", &a, "n1/web", "-o", "pid", NULL), -1);
	ASSERT_EQ(a.argc, 3);
	ASSERT_STREQ(a.argv[1], "-o");
	cli_args_free(&a);
	ASSERT_EQ(parse("top", &a, "-ef", NULL), CLI_EXIT_USAGE);
	cli_args_free(&a);
}

/* events --filter: repeated options in order, through cli_args_next. */
static void
test_parse_repeated(void)
{
	struct cli_args	 a;
	size_t		 pos = 0;

	ASSERT_EQ(parse("events", &a, "-f", "type=container", "n1", "--json",
	    "--filter", "event=start", NULL), -1);
	ASSERT_STREQ(cli_args_next(cmd("events"), &a, "filter", &pos),
	    "type=container");
	ASSERT_STREQ(cli_args_next(cmd("events"), &a, "filter", &pos),
	    "event=start");
	ASSERT_NULL(cli_args_next(cmd("events"), &a, "filter", &pos));
	ASSERT_STREQ(cli_args_get(cmd("events"), &a, "json"), "");
	ASSERT_NULL(cli_args_get(cmd("events"), &a, "since"));
	ASSERT_EQ(a.argc, 1);
	cli_args_free(&a);
	/* exec: options end at the target; the command's own stay. */
	ASSERT_EQ(parse("exec", &a, "-i", "-u", "me", "n1/c", "ls", "-l",
	    NULL), -1);
	ASSERT_STREQ(json_string_value(json_object_get(a.params, "user")),
	    "me");
	ASSERT_EQ(a.argc, 3);
	ASSERT_STREQ(a.argv[2], "-l");
	cli_args_free(&a);
}

/* run: options before and after NODE, ending at IMAGE; -h is --hostname. */
static void
test_parse_run(void)
{
	struct cli_args	 a;

	ASSERT_EQ(parse("run", &a, "-d", "n1", "--name", "x", "-h", "hh",
	    "img", "ls", "-l", NULL), -1);
	ASSERT_EQ(a.argc, 4);
	ASSERT_STREQ(a.argv[0], "n1");
	ASSERT_STREQ(a.argv[1], "img");
	ASSERT_STREQ(a.argv[3], "-l");
	ASSERT_STREQ(json_string_value(json_object_get(a.params, "name")),
	    "x");
	ASSERT_STREQ(json_string_value(json_object_get(a.params,
	    "hostname")), "hh");
	ASSERT_NOT_NULL(cli_args_get(cmd("run"), &a, "detach"));
	cli_args_free(&a);
	ASSERT_EQ(parse("run", &a, "n1", NULL), CLI_EXIT_USAGE);
	cli_args_free(&a);
	/* --help: the help on stdout (kept off the TAP stream), exit 0. */
	{
		char	*dir, path[4096], *text;
		size_t	 len;
		int	 fd, saved, rc;

		dir = test_tmpdir();
		snprintf(path, sizeof path, "%s/help", dir);
		fflush(stdout);
		saved = dup(STDOUT_FILENO);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ASSERT(saved >= 0 && fd >= 0);
		ASSERT(dup2(fd, STDOUT_FILENO) == STDOUT_FILENO);
		close(fd);
		rc = parse("run", &a, "--help", NULL);
		fflush(stdout);
		ASSERT(dup2(saved, STDOUT_FILENO) == STDOUT_FILENO);
		close(saved);
		ASSERT_EQ(rc, CLI_EXIT_OK);
		cli_args_free(&a);
		text = test_read_file(path, &len);
		ASSERT_NOT_NULL(text);
		ASSERT_CONTAINS(text, "usage: pier run NODE|any");
		ASSERT_CONTAINS(text, "-h, --hostname H");
		free(text);
		test_rmtree(dir);
	}
}

/* A family refuses a missing or unknown subcommand as a usage error. */
static void
test_family_words(void)
{
	const struct cli_cmd	*net = cmd("network");
	char			 w0[] = "pier network", w1[] = "bogus";
	char			*argv[] = { w0, w1, NULL };

	ASSERT_NOT_NULL(net->subs);
	ASSERT_EQ(net->main(net, 1, argv), CLI_EXIT_USAGE);
	ASSERT_EQ(net->main(net, 2, argv), CLI_EXIT_USAGE);
	ASSERT_STREQ(argv[1], "pier network");	/* getopt names the family */
}

TEST_MAIN(
	T(test_table_sorted),
	T(test_family_words),
	T(test_methods_in_catalogue),
	T(test_parse_stop),
	T(test_parse_restart),
	T(test_parse_order),
	T(test_parse_repeated),
	T(test_parse_run)
)
