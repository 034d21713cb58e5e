/*
 * pier(1), written from the command table: every command's synopsis,
 * summary, help, options, subcommands and notes, as `pier COMMAND
 * --help` prints them, in roff. `pier help --man` prints it and the
 * build installs the page it makes (tools/pier/meson.build), so the
 * manual cannot drift from the commands.
 */
#include <stdio.h>
#include <string.h>

#include "pier-config.h"
#include "cli.h"

/* Writes s escaped for roff; lines starting with . or ' are guarded. */
static void
roff(FILE *fp, const char *s, int at_line_start)
{
	for (; *s != '\0'; s++) {
		if (at_line_start && (*s == '.' || *s == '\''))
			fputs("\\&", fp);
		at_line_start = *s == '\n';
		if (*s == '\\')
			fputs("\\e", fp);
		else if (*s == '-')
			fputs("\\-", fp);
		else
			fputc(*s, fp);
	}
}

/* Writes text kept as it is laid out (help and notes). */
static void
block(FILE *fp, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return;
	while (*s == '\n')
		s++;
	fputs(".PP\n.nf\n", fp);
	roff(fp, s, 1);
	if (s[0] != '\0' && s[strlen(s) - 1] != '\n')
		fputc('\n', fp);
	fputs(".fi\n", fp);
}

/* Writes one command's section. */
static void
man_cmd(FILE *fp, const struct cli_cmd *c)
{
	const struct cli_opt	*o;
	size_t			 i;

	fputs(".SS \"pier ", fp);
	roff(fp, c->name, 0);
	if (c->usage[0] != '\0') {
		fputc(' ', fp);
		roff(fp, c->usage, 0);
	}
	fputs("\"\n", fp);
	roff(fp, c->summary, 1);
	fputs(".\n", fp);
	block(fp, c->help);
	for (i = 0; c->opts != NULL && c->opts[i].name != NULL; i++) {
		o = &c->opts[i];
		fputs(".TP\n", fp);
		if (o->letter != 0)
			fprintf(fp, "\\fB\\-%c\\fR, ", o->letter);
		fputs("\\fB\\-\\-", fp);
		roff(fp, o->name, 0);
		fputs("\\fR", fp);
		if (o->arg != NULL) {
			fputs(" \\fI", fp);
			roff(fp, o->arg, 0);
			fputs("\\fR", fp);
		}
		fputc('\n', fp);
		roff(fp, o->help, 1);
		fputc('\n', fp);
	}
	for (i = 0; c->subs != NULL && c->subs[i].name != NULL; i++)
		man_cmd(fp, c->subs[i].cmd);
	block(fp, c->notes);
}

/* Writes the man page of pier, from the table, to fp. */
void
cli_man_print(FILE *fp)
{
	size_t	i;

	fprintf(fp, ".TH PIER 1 \"\" \"pier %s\" \"User Commands\"\n"
	    ".SH NAME\npier \\- run Docker hosts from one place, over an "
	    "encrypted overlay\n.SH SYNOPSIS\n.B pier\n.I COMMAND\n"
	    "[\\fIARGS\\fR]\n.br\n.B pier \\-\\-version\n"
	    ".SH DESCRIPTION\n\\fBpier\\fR talks to the \\fBpierd\\fR nodes "
	    "it has joined. A command may be given by any unambiguous "
	    "prefix of its name; \\fBpier COMMAND \\-\\-help\\fR prints the "
	    "options below.\n.SH COMMANDS\n", PIER_VERSION);
	for (i = 0; i < cli_ncmds; i++) {
		if (!(cli_cmds[i]->flags & CLI_F_HIDDEN))
			man_cmd(fp, cli_cmds[i]);
	}
	fputs(".SH ENVIRONMENT\n.TP\n.B PIER_CONFIG_DIR\nThe config "
	    "directory (the address book and the client key); else "
	    "\\fI$XDG_CONFIG_HOME/pier\\fR, else \\fI~/.config/pier\\fR.\n"
	    ".SH EXIT STATUS\n0 success, 1 failure (or a node that did not "
	    "answer), 2 bad arguments.\n.SH SEE ALSO\n\\fBpierd\\fR(8), "
	    "\\fBdocker\\fR(1)\n", fp);
}
