/*
 * The value syntaxes template files share with `docker run` and with
 * pier's own run and deploy options: ports "[[IP:]HOST:]CTR[/PROTO]",
 * volumes "SRC:DST[:ro]", container and volume names, restart policies
 * and commands split as sh would. Reading a template (templates.c),
 * deploying one (template-deploy.c) and `pier run` (cmd-run.c) all
 * parse these the same way, here; and cli_tpl__error, the error helper
 * every template file uses.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "proto.h"
#include "templates.h"

/* Formats an error for the caller; returns code so callers can return it. */
int
cli_tpl__error(char **cause, int code, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (cause == NULL)
		return (code);
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	*cause = s;
	return (code);
}

/* Parses a decimal port 1-65535 from [s, e). */
static int
port_number(const char *s, const char *e, uint16_t *out)
{
	unsigned long v = 0;

	if (s == e || e - s > 5)
		return (-1);
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return (-1);
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v == 0 || v > 65535)
		return (-1);
	*out = (uint16_t)v;
	return (0);
}

/* Copies a host address out of [s, e) if inet_pton takes it. */
static int
host_ip(const char *s, const char *e, char out[46])
{
	unsigned char addr[16];
	size_t n = (size_t)(e - s);

	if (n == 0 || n >= 46)
		return (-1);
	memcpy(out, s, n);
	out[n] = '\0';
	if (inet_pton(AF_INET, out, addr) == 1 ||
	    inet_pton(AF_INET6, out, addr) == 1)
		return (0);
	out[0] = '\0';
	return (-1);
}

/*
 * Parses "[[IP:]HOST:]CTR[/PROTO]" as Portainer and `docker run -p` write
 * it; an IPv6 address goes in brackets, and an empty HOST ("IP::CTR",
 * ":CTR") leaves the host port to the engine, as both of them do.
 */
int
cli_tpl_parse_port(const char *s, struct cli_tpl_port *p, char **cause)
{
	const char *rest = s, *colon, *slash, *end;

	memset(p, 0, sizeof *p);
	colon = strchr(s, ':');
	if (*s == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != ':' ||
		    host_ip(s + 1, end, p->host_ip) != 0)
			goto bad_ip;
		rest = end + 2;
	} else if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		if (host_ip(s, colon, p->host_ip) != 0)
			goto bad_ip;
		rest = colon + 1;
	}
	colon = strchr(rest, ':');
	slash = strchr(rest, '/');
	if (rest != s && colon == NULL)
		goto bad;
	if (colon != NULL && slash != NULL && slash < colon)
		goto bad;
	end = slash != NULL ? slash : rest + strlen(rest);
	/* "IP::CTR" and ":CTR": a host port the engine picks. */
	if (colon != NULL && colon != rest &&
	    port_number(rest, colon, &p->host) != 0)
		goto bad;
	if (port_number(colon != NULL ? colon + 1 : rest, end,
	    &p->container) != 0)
		goto bad;
	if (slash == NULL || strcmp(slash, "/tcp") == 0)
		strcpy(p->proto, "tcp");
	else if (strcmp(slash, "/udp") == 0)
		strcpy(p->proto, "udp");
	else if (strcmp(slash, "/sctp") == 0)
		strcpy(p->proto, "sctp");
	else
		return (cli_tpl__error(cause, -EINVAL, "port \"%s\": protocol "
		    "must be tcp, udp or sctp", s));
	return (0);
bad_ip:
	return (cli_tpl__error(cause, -EINVAL, "port \"%s\": the host "
	    "address must be IPv4 or [IPv6]", s));
bad:
	return (cli_tpl__error(cause, -EINVAL, "port \"%s\": expected "
	    "[[IP:]HOST:]CTR[/PROTO] with ports 1-65535", s));
}

/*
 * Tells whether a restart policy is one Docker knows: a choice of
 * container.create's restart in proto's catalogue, on-failure with :N.
 */
int
cli_tpl__restart_ok(const char *r)
{
	const struct proto_method	*m;
	const struct proto_field	*f;
	const char			*n;
	size_t				 i, len;

	m = proto_method_find("container.create");
	f = m != NULL ? proto_field_find(m->params, "restart") : NULL;
	len = strcspn(r, ":");
	for (i = 0; f != NULL && f->choices != NULL &&
	    f->choices[i] != NULL; i++) {
		if (strlen(f->choices[i]) == len &&
		    strncmp(f->choices[i], r, len) == 0)
			break;
	}
	if (f == NULL || f->choices == NULL || f->choices[i] == NULL)
		return (0);
	if (r[len] == '\0')
		return (1);
	if (strcmp(f->choices[i], "on-failure") != 0 || r[len + 1] == '\0')
		return (0);
	for (n = r + len + 1; *n != '\0'; n++)
		if (!isdigit((unsigned char)*n) || n - r > 16)
			return (0);
	return (1);
}

/* Appends one argument to argv, from a buffer of n bytes. */
static int
push_word(json_t *argv, const char *w, size_t n, char **cause)
{
	if (json_array_append_new(argv, json_stringn(w, n)) != 0)
		return (cli_tpl__error(cause, -EINVAL, "command: an argument "
		    "is not valid UTF-8"));
	return (0);
}

/* Splits a command string as sh would, without expansions. */
int
cli_tpl_split_command(const char *s, json_t **argv, char **cause)
{
	json_t *a;	/* owned until returned */
	const char *p;
	char *buf, *w, quote = 0;
	int inword = 0, rc = 0;

	*argv = NULL;
	a = json_array();
	buf = malloc(strlen(s) + 1);
	if (a == NULL || buf == NULL) {
		rc = cli_tpl__error(cause, -ENOMEM, "out of memory");
		goto out;
	}
	w = buf;
	for (p = s; *p != '\0'; p++) {
		if (quote == '\'') {
			if (*p == '\'')
				quote = 0;
			else
				*w++ = *p;
		} else if (quote == '"') {
			if (*p == '"')
				quote = 0;
			else if (*p == '\\' && p[1] != '\0' &&
			    strchr("\"\\$`\n", p[1]) != NULL) {
				if (*++p != '\n')
					*w++ = *p;
			} else
				*w++ = *p;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			inword = 1;
		} else if (*p == '\\') {
			if (p[1] == '\0') {
				rc = cli_tpl__error(cause, -EINVAL, "command "
				    "ends with a lone backslash");
				goto out;
			}
			if (*++p != '\n') {
				*w++ = *p;
				inword = 1;
			}
		} else if (strchr(" \t\n\r", *p) != NULL) {
			if (inword)
				rc = push_word(a, buf, (size_t)(w - buf),
				    cause);
			if (rc != 0)
				goto out;
			w = buf;
			inword = 0;
		} else {
			*w++ = *p;
			inword = 1;
		}
	}
	if (quote != 0) {
		rc = cli_tpl__error(cause, -EINVAL, "command has an "
		    "unterminated %c quote", quote);
		goto out;
	}
	if (inword)
		rc = push_word(a, buf, (size_t)(w - buf), cause);
	if (rc != 0)
		goto out;
	*argv = a;
	a = NULL;
out:
	free(buf);
	json_decref(a);
	return (rc);
}

/* Tells whether s is a Docker volume name (or container name). */
int
cli_tpl__name_ok(const char *s, size_t min)
{
	size_t n;

	if (!isalnum((unsigned char)s[0]))
		return (0);
	for (n = 1; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) &&
		    strchr("_.-", s[n]) == NULL)
			return (0);
	return (n >= min && n <= CLI_TPL_NAME_MAX);
}

/* Parses -v SRC:DST[:ro|:rw] or DST (an anonymous volume). */
int
cli_tpl_parse_volume(const char *s, char **source, char **target,
    int *readonly, char **cause)
{
	char *copy, *parts[4], *save, *tok;
	size_t n = 0;
	int rc = 0;

	*source = *target = NULL;
	*readonly = 0;
	copy = strdup(s);
	if (copy == NULL)
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	for (tok = strtok_r(copy, ":", &save); tok != NULL && n < 4;
	    tok = strtok_r(NULL, ":", &save))
		parts[n++] = tok;
	if (n == 0 || n == 4 || strstr(s, "::") != NULL || *s == ':' ||
	    s[strlen(s) - 1] == ':')
		goto bad;
	if (n == 3 || (n == 2 && (strcmp(parts[1], "ro") == 0 ||
	    strcmp(parts[1], "rw") == 0))) {
		if (strcmp(parts[n - 1], "ro") == 0)
			*readonly = 1;
		else if (strcmp(parts[n - 1], "rw") != 0) {
			rc = cli_tpl__error(cause, -EINVAL, "volume \"%s\": "
			    "mode must be ro or rw", s);
			goto out;
		}
		n--;
	}
	if (parts[n - 1][0] != '/') {
		rc = cli_tpl__error(cause, -EINVAL, "volume \"%s\": the "
		    "container path must be absolute", s);
		goto out;
	}
	if (n == 2 && parts[0][0] != '/' && !cli_tpl__name_ok(parts[0], 2)) {
		rc = cli_tpl__error(cause, -EINVAL, "volume \"%s\": the "
		    "source must be an absolute path on the node or a volume "
		    "name", s);
		goto out;
	}
	*target = strdup(parts[n - 1]);
	if (n == 2)
		*source = strdup(parts[0]);
	if (*target == NULL || (n == 2 && *source == NULL)) {
		rc = cli_tpl__error(cause, -ENOMEM, "out of memory");
		goto out;
	}
	free(copy);
	return (0);
bad:
	rc = cli_tpl__error(cause, -EINVAL, "volume \"%s\": expected "
	    "SRC:DST[:ro] or DST", s);
out:
	free(*source);
	free(*target);
	*source = *target = NULL;
	free(copy);
	return (rc);
}
