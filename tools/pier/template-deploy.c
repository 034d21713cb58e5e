/*
 * Deploying a container template: the template plus what the user gave
 * on the command line (--name, -p, -v, -e, --restart) becomes the params
 * of a container.create request, with the field names of templates.h.
 *
 * The rules are Portainer's: preset variables are fixed, defaults fill
 * what the user left out, a select takes its default choice or one of its
 * choices, and a variable with none of these must be given (or asked for
 * through the caller's callback, which the CLI uses on a terminal). A -p
 * or -v replaces the template's mapping for the same container port or
 * path, or adds one. A stack template (types 2 and 3) becomes the
 * params of stack.up instead (cli_tpl_stack_params): its variables as the
 * same rules resolve them, for compose's interpolation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "templates.h"

/* A variable given with -e NAME=VALUE, pointing into the argument. */
struct given {
	const char	*arg;
	size_t		 namelen;
	const char	*value;
	int		 used;
};

/* A volume being built: the template's, or an override (owned). */
struct vol {
	const char	*source;
	const char	*target;
	int		 readonly;
};

/* Refuses a stack template, saying where its stack file lives. */
static int
refuse_stack(const struct cli_tpl *t, char **cause)
{
	if (t->type == CLI_TPL_EDGE)
		return (cli_tpl__error(cause, -ENOTSUP, "edge stack templates "
		    "are not supported: %s needs an edge stack (%s)",
		    t->title, t->stackfile ? t->stackfile : "no stack file"));
	return (cli_tpl__error(cause, -ENOTSUP, "stack templates are not "
	    "supported yet: %s needs docker %s; see its repository %s (%s)",
	    t->title, t->type == CLI_TPL_SWARM ? "swarm" : "compose",
	    t->repo_url, t->stackfile));
}

/* Sets a key of the params, reporting a failed allocation. */
static int
put(json_t *o, const char *key, json_t *v, char **cause)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		return (cli_tpl__error(cause, -EINVAL, "%s: not valid UTF-8 "
		    "or out of memory", key));
	return (0);
}

/* Splits the -e arguments into names and values. */
static int
read_given(const struct cli_tpl_overrides *o, struct given *g, char **cause)
{
	const char *eq;
	size_t i;

	for (i = 0; i < o->nenv; i++) {
		eq = strchr(o->env[i], '=');
		if (eq == NULL || eq == o->env[i])
			return (cli_tpl__error(cause, -EINVAL, "-e \"%s\": "
			    "expected NAME=value", o->env[i]));
		g[i].arg = o->env[i];
		g[i].namelen = (size_t)(eq - o->env[i]);
		g[i].value = eq + 1;
	}
	return (0);
}

/* Finds the last -e for a name (later ones win), marking all used. */
static struct given *
find_given(struct given *g, size_t n, const char *name)
{
	struct given *hit = NULL;
	size_t i, len = strlen(name);

	for (i = 0; i < n; i++)
		if (g[i].namelen == len && memcmp(g[i].arg, name, len) == 0) {
			g[i].used = 1;
			hit = &g[i];
		}
	return (hit);
}

/* Checks a select variable's value against its choices. */
static int
check_choice(const struct cli_tpl *t, const struct cli_tpl_env *e,
    const char *v, char **cause)
{
	char *s = NULL;
	size_t i, len = 0;
	FILE *m;

	for (i = 0; i < e->noptions; i++)
		if (strcmp(e->options[i].value, v) == 0)
			return (0);
	if (cause == NULL)
		return (-EINVAL);
	m = open_memstream(&s, &len);
	if (m == NULL)
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	fprintf(m, "%s=%s: \"%s\" is not a choice of template \"%s\"; "
	    "choose one of:", e->name, v, v, t->title);
	for (i = 0; i < e->noptions; i++)
		fprintf(m, "%s %s (%s)", i ? "," : "", e->options[i].value,
		    e->options[i].text);
	if (fclose(m) != 0) {
		free(s);
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	}
	*cause = s;
	return (-EINVAL);
}

/* Appends "NAME=value" to the env array. */
static int
push_env(json_t *env, const char *name, size_t namelen, const char *value,
    char **cause)
{
	char *s;
	int rc = 0;

	if (asprintf(&s, "%.*s=%s", (int)namelen, name, value) < 0)
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	if (json_array_append_new(env, json_string(s)) != 0)
		rc = cli_tpl__error(cause, -EINVAL, "env %.*s: not valid "
		    "UTF-8", (int)namelen, name);
	free(s);
	return (rc);
}

/* Works out one declared variable's value; *asked is set if malloc'd. */
static int
env_value(const struct cli_tpl *t, const struct cli_tpl_env *e,
    const struct cli_tpl_overrides *o, struct given *g,
    const char **value, char **asked, char **cause)
{
	struct given *hit;
	int rc;

	*value = NULL;
	*asked = NULL;
	hit = find_given(g, o->nenv, e->name);
	if (e->preset) {
		if (hit != NULL && strcmp(hit->value, e->def) != 0)
			return (cli_tpl__error(cause, -EPERM, "%s is preset "
			    "by template \"%s\" to \"%s\" and cannot be "
			    "changed", e->name, t->title, e->def));
		*value = e->def;
		return (0);
	}
	if (hit != NULL)
		*value = hit->value;
	else if (e->noptions > 0)
		*value = e->select_default;
	else
		*value = e->def;
	if (*value == NULL && o->ask != NULL) {
		rc = o->ask(t, e, asked, o->ask_arg);
		if (rc != 0 || *asked == NULL)
			return (cli_tpl__error(cause, rc != 0 ? rc : -EINVAL,
			    "no value given for %s", e->name));
		*value = *asked;
	}
	if (*value != NULL && e->noptions > 0)
		return (check_choice(t, e, *value, cause));
	return (0);
}

/* Says which required variables are missing and how to give them. */
static int
missing_error(const struct cli_tpl *t, const char **names, size_t n,
    char **cause)
{
	char *s = NULL;
	size_t i, len = 0;
	FILE *m;

	if (cause == NULL)
		return (-EINVAL);
	m = open_memstream(&s, &len);
	if (m == NULL)
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	fprintf(m, "template \"%s\" needs a value for", t->title);
	for (i = 0; i < n; i++)
		fprintf(m, "%s %s", i ? "," : "", names[i]);
	fprintf(m, "; give %s with -e NAME=value", n > 1 ? "each" : "it");
	if (fclose(m) != 0) {
		free(s);
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	}
	*cause = s;
	return (-EINVAL);
}

/* Builds the env array: declared variables, then other -e ones. */
static int
build_env(const struct cli_tpl *t, const struct cli_tpl_overrides *o,
    json_t *p, char **cause)
{
	struct given *g = NULL;
	json_t *env;	/* owned until put */
	const char *value;
	const char **missing = NULL;
	char *asked;
	size_t i, j, nmissing = 0;
	int rc;

	env = json_array();
	g = calloc(o->nenv + 1, sizeof *g);
	missing = calloc(t->nenv + 1, sizeof *missing);
	if (env == NULL || g == NULL || missing == NULL) {
		rc = cli_tpl__error(cause, -ENOMEM, "out of memory");
		goto out;
	}
	rc = read_given(o, g, cause);
	if (rc != 0)
		goto out;
	for (i = 0; i < t->nenv; i++) {
		rc = env_value(t, &t->env[i], o, g, &value, &asked, cause);
		if (rc == 0 && value == NULL)
			missing[nmissing++] = t->env[i].name;
		else if (rc == 0)
			rc = push_env(env, t->env[i].name,
			    strlen(t->env[i].name), value, cause);
		free(asked);
		if (rc != 0)
			goto out;
	}
	if (nmissing > 0) {
		rc = missing_error(t, missing, nmissing, cause);
		goto out;
	}
	/* Variables the template does not declare, the last -e winning. */
	for (i = 0; i < o->nenv; i++) {
		if (g[i].used)
			continue;
		for (j = i + 1; j < o->nenv; j++)
			if (g[j].namelen == g[i].namelen && memcmp(g[j].arg,
			    g[i].arg, g[i].namelen) == 0)
				break;
		if (j < o->nenv)
			continue;
		rc = push_env(env, g[i].arg, g[i].namelen, g[i].value, cause);
		if (rc != 0)
			goto out;
	}
	if (json_array_size(env) > 0) {
		rc = put(p, CLI_TPL_K_ENV, env, cause);
		env = NULL;
	}
out:
	json_decref(env);
	free(missing);
	free(g);
	return (rc);
}

/* Makes one element of ports (a new reference, NULL if out of memory). */
static json_t *
port_json(const struct cli_tpl_port *port)
{
	json_t *e;	/* owned until returned */
	int rc;

	e = json_pack("{s:i, s:s}", CLI_TPL_K_PORT_CTR, (int)port->container,
	    CLI_TPL_K_PORT_PROTO, port->proto);
	if (e == NULL)
		return (NULL);
	rc = 0;
	if (port->host != 0)
		rc = json_object_set_new(e, CLI_TPL_K_PORT_HOST,
		    json_integer(port->host));
	if (rc == 0 && port->host_ip[0] != '\0')
		rc = json_object_set_new(e, CLI_TPL_K_PORT_IP,
		    json_string(port->host_ip));
	if (rc != 0) {
		json_decref(e);
		return (NULL);
	}
	return (e);
}

/* Builds the ports array: the template's with -p replacing or adding. */
static int
build_ports(const struct cli_tpl *t, const struct cli_tpl_overrides *o,
    json_t *p, char **cause)
{
	struct cli_tpl_port *ports, np;
	json_t *a, *e;	/* owned until put */
	size_t i, j, n;
	int rc = 0;

	if (t->nports + o->nports == 0)
		return (0);
	ports = calloc(t->nports + o->nports, sizeof *ports);
	if (ports == NULL)
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	if (t->nports > 0)
		memcpy(ports, t->ports, t->nports * sizeof *ports);
	n = t->nports;
	for (i = 0; i < o->nports; i++) {
		rc = cli_tpl_parse_port(o->ports[i], &np, cause);
		if (rc != 0)
			goto out;
		for (j = 0; j < n; j++)
			if (ports[j].container == np.container &&
			    strcmp(ports[j].proto, np.proto) == 0)
				break;
		ports[j] = np;
		if (j == n)
			n++;
	}
	a = json_array();
	for (i = 0; a != NULL && i < n; i++) {
		e = port_json(&ports[i]);
		if (e == NULL || json_array_append_new(a, e) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	rc = put(p, CLI_TPL_K_PORTS, a, cause);
out:
	free(ports);
	return (rc);
}

/* Makes one element of mounts (a new reference, NULL if out of memory). */
static json_t *
mount_json(const struct vol *v)
{
	json_t *e;	/* owned until returned */

	e = json_pack("{s:s, s:b}", CLI_TPL_K_MNT_TARGET, v->target,
	    CLI_TPL_K_MNT_RO, v->readonly);
	if (e != NULL && v->source != NULL && json_object_set_new(e,
	    CLI_TPL_K_MNT_SOURCE, json_string(v->source)) != 0) {
		json_decref(e);
		return (NULL);
	}
	return (e);
}

/* Builds the mounts array: the template's with -v replacing or adding. */
static int
build_volumes(const struct cli_tpl *t, const struct cli_tpl_overrides *o,
    json_t *p, char **cause)
{
	struct vol *v;
	char **owned;
	json_t *a, *e;	/* owned until put */
	char *src, *dst;
	size_t i, j, n, nowned = 0;
	int rc = 0, ro;

	if (t->nvolumes + o->nvolumes == 0)
		return (0);
	v = calloc(t->nvolumes + o->nvolumes, sizeof *v);
	owned = calloc(2 * o->nvolumes + 1, sizeof *owned);
	if (v == NULL || owned == NULL) {
		rc = cli_tpl__error(cause, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < t->nvolumes; i++) {
		v[i].source = t->volumes[i].source;
		v[i].target = t->volumes[i].target;
		v[i].readonly = t->volumes[i].readonly;
	}
	n = t->nvolumes;
	for (i = 0; i < o->nvolumes; i++) {
		rc = cli_tpl_parse_volume(o->volumes[i], &src, &dst, &ro,
		    cause);
		if (rc != 0)
			goto out;
		owned[nowned++] = src;
		owned[nowned++] = dst;
		for (j = 0; j < n; j++)
			if (strcmp(v[j].target, dst) == 0)
				break;
		v[j].source = src;
		v[j].target = dst;
		v[j].readonly = ro;
		if (j == n)
			n++;
	}
	a = json_array();
	for (i = 0; a != NULL && i < n; i++) {
		e = mount_json(&v[i]);
		if (e == NULL || json_array_append_new(a, e) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	rc = put(p, CLI_TPL_K_MOUNTS, a, cause);
out:
	for (i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(v);
	return (rc);
}

/* Builds the labels: the template's, then pier.template=TITLE. */
static int
build_labels(const struct cli_tpl *t, json_t *p, char **cause)
{
	json_t *l;	/* owned until put */
	size_t i;

	l = json_object();
	for (i = 0; l != NULL && i < t->nlabels; i++)
		if (json_object_set_new(l, t->labels[i].name,
		    json_string(t->labels[i].value)) != 0) {
			json_decref(l);
			l = NULL;
		}
	if (l != NULL && json_object_set_new(l, CLI_TPL_LABEL,
	    json_string(t->title)) != 0) {
		json_decref(l);
		l = NULL;
	}
	return (put(p, CLI_TPL_K_LABELS, l, cause));
}

/* Refuses a --name Docker would refuse, or a --restart it does not know. */
static int
check_name_restart(const struct cli_tpl_overrides *o, char **cause)
{
	if (o->name != NULL && !cli_tpl__name_ok(o->name, 2))
		return (cli_tpl__error(cause, -EINVAL, "--name \"%s\": a "
		    "container name is 2-%d letters, digits, '_', '.' or '-', "
		    "starting with a letter or digit", o->name,
		    CLI_TPL_NAME_MAX));
	if (o->restart != NULL && !cli_tpl__restart_ok(o->restart))
		return (cli_tpl__error(cause, -EINVAL, "--restart \"%s\": "
		    "expected no, always, unless-stopped or on-failure[:N]",
		    o->restart));
	return (0);
}

/* Sets the container name: --name, else the template's if Docker takes
 * it (the template's is only a suggestion). */
static int
build_name(const struct cli_tpl *t, const struct cli_tpl_overrides *o,
    json_t *p, char **cause)
{
	if (o->name != NULL)
		return (put(p, CLI_TPL_K_NAME, json_string(o->name), cause));
	if (t->name != NULL && cli_tpl__name_ok(t->name, 2))
		return (put(p, CLI_TPL_K_NAME, json_string(t->name), cause));
	return (0);
}

/* Sets cmd from the template's command string, split as sh would. */
static int
build_cmd(const struct cli_tpl *t, json_t *p, char **cause)
{
	json_t *argv;	/* owned until put */
	char *why = NULL;
	int rc;

	if (t->command == NULL)
		return (0);
	if (cli_tpl_split_command(t->command, &argv, &why) != 0) {
		rc = cli_tpl__error(cause, -EINVAL, "template %lld \"%s\": "
		    "field \"command\": %s", t->id, t->title,
		    why ? why : "invalid");
		free(why);
		return (rc);
	}
	if (json_array_size(argv) == 0) {
		json_decref(argv);
		return (0);
	}
	return (put(p, CLI_TPL_K_CMD, argv, cause));
}

/* Sets restart, with on-failure:N as on-failure and N retries. */
static int
build_restart(const char *policy, json_t *p, char **cause)
{
	long n;
	int rc;

	if (strncmp(policy, "on-failure:", 11) != 0)
		return (put(p, CLI_TPL_K_RESTART, json_string(policy), cause));
	n = strtol(policy + 11, NULL, 10);
	if (n > CLI_TPL_MAX_RETRIES)
		return (cli_tpl__error(cause, -EINVAL, "restart policy \"%s\": "
		    "at most %d retries", policy, CLI_TPL_MAX_RETRIES));
	rc = put(p, CLI_TPL_K_RESTART, json_string("on-failure"), cause);
	if (rc == 0)
		rc = put(p, CLI_TPL_K_RETRIES, json_integer(n), cause);
	return (rc);
}

/* Sets image, name, cmd, restart and the simple fields. */
static int
build_simple(const struct cli_tpl *t, const struct cli_tpl_overrides *o,
    json_t *p, char **cause)
{
	char *image;
	int rc;

	rc = check_name_restart(o, cause);
	if (rc != 0)
		return (rc);
	if (t->registry != NULL) {
		if (asprintf(&image, "%s/%s", t->registry, t->image) < 0)
			return (cli_tpl__error(cause, -ENOMEM, "out of "
			    "memory"));
		rc = put(p, CLI_TPL_K_IMAGE, json_string(image), cause);
		free(image);
	} else
		rc = put(p, CLI_TPL_K_IMAGE, json_string(t->image), cause);
	if (rc == 0)
		rc = build_name(t, o, p, cause);
	if (rc == 0)
		rc = build_cmd(t, p, cause);
	/* Portainer's default for templates is "always". */
	if (rc == 0)
		rc = build_restart(o->restart ? o->restart : t->restart ?
		    t->restart : "always", p, cause);
	if (rc == 0 && t->privileged)
		rc = put(p, CLI_TPL_K_PRIVILEGED, json_true(), cause);
	/* A TTY keeps an interactive shell waiting, as Portainer's does. */
	if (rc == 0 && t->interactive)
		rc = put(p, CLI_TPL_K_TTY, json_true(), cause);
	if (rc == 0 && t->hostname != NULL && *t->hostname != '\0')
		rc = put(p, CLI_TPL_K_HOSTNAME, json_string(t->hostname),
		    cause);
	if (rc == 0 && t->network != NULL && *t->network != '\0')
		rc = put(p, CLI_TPL_K_NETWORK, json_string(t->network),
		    cause);
	return (rc);
}

/*
 * Checks what the user gave on the command line by itself, before any
 * template is read, so that a typo is a usage error; deploy says the
 * same words.
 */
int
cli_tpl_overrides_check(const struct cli_tpl_overrides *o, char **cause)
{
	struct cli_tpl_port port;
	char *src, *dst;
	size_t i;
	int ro, rc;

	rc = check_name_restart(o, cause);
	if (rc != 0)
		return (rc);
	for (i = 0; i < o->nports; i++) {
		rc = cli_tpl_parse_port(o->ports[i], &port, cause);
		if (rc != 0)
			return (rc);
	}
	for (i = 0; i < o->nvolumes; i++) {
		rc = cli_tpl_parse_volume(o->volumes[i], &src, &dst, &ro,
		    cause);
		if (rc != 0)
			return (rc);
		free(src);
		free(dst);
	}
	for (i = 0; i < o->nenv; i++)
		if (o->env[i][0] == '=' || strchr(o->env[i], '=') == NULL)
			return (cli_tpl__error(cause, -EINVAL, "-e \"%s\": "
			    "expected NAME=value", o->env[i]));
	return (0);
}

/* Turns a container template and overrides into container.create
 * params. */
int
cli_tpl_deploy_params(const struct cli_tpl *t,
    const struct cli_tpl_overrides *o, json_t **params, char **cause)
{
	static const struct cli_tpl_overrides none;
	json_t *p;	/* owned until returned */
	int rc;

	*params = NULL;
	if (o == NULL)
		o = &none;
	if (t->error != NULL)
		return (cli_tpl__error(cause, -EINVAL, "%s", t->error));
	if (t->type != CLI_TPL_CONTAINER)
		return (refuse_stack(t, cause));
	p = json_object();
	if (p == NULL)
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	rc = build_simple(t, o, p, cause);
	if (rc == 0)
		rc = build_env(t, o, p, cause);
	if (rc == 0)
		rc = build_labels(t, p, cause);
	if (rc == 0)
		rc = build_ports(t, o, p, cause);
	if (rc == 0)
		rc = build_volumes(t, o, p, cause);
	if (rc != 0) {
		json_decref(p);
		return (rc);
	}
	*params = p;
	return (0);
}

/* Turns a stack template and overrides into stack.up params (env, swarm). */
int
cli_tpl_stack_params(const struct cli_tpl *t,
    const struct cli_tpl_overrides *o, json_t **params, char **cause)
{
	static const struct cli_tpl_overrides none;
	json_t *p;	/* owned until returned */
	int rc;

	*params = NULL;
	if (o == NULL)
		o = &none;
	if (t->error != NULL)
		return (cli_tpl__error(cause, -EINVAL, "%s", t->error));
	if (t->type != CLI_TPL_SWARM && t->type != CLI_TPL_COMPOSE)
		return (refuse_stack(t, cause));
	p = json_pack("{s:b}", "swarm", t->type == CLI_TPL_SWARM);
	if (p == NULL)
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	rc = build_env(t, o, p, cause);
	if (rc != 0) {
		json_decref(p);
		return (rc);
	}
	*params = p;
	return (0);
}
