/*
 * App templates for `pier templates` and `pier deploy`: Portainer's JSON
 * template files (format versions "2" and "3") read into a model, searched,
 * looked up by title, name or id, and a container template turned into the
 * params of a container.create request.
 *
 * Why a model and not raw JSON: template files come from third parties
 * (a URL the user typed), so every field is type-checked once, at load,
 * with an error naming the template and the field; the rest of the client
 * then reads plain C fields. Strings in the model are borrowed from the
 * parsed document, which the cli_tpl_file owns: they live until
 * cli_tpl_file_free().
 *
 * One bad template never hides the others: a template with a bad field
 * is kept with its error (cli_tpl.error) and the file still loads; such
 * a template matches no search and cli_tpl_deploy_params refuses it
 * with that error, while the lookup still finds it, so deploying it by
 * name says what is wrong rather than "no template matches". Only a
 * file that is not a template file at all (not JSON, no version, too
 * big) fails as a whole.
 *
 * How a container template becomes container.create params:
 *	image (registry/ prefixed)	-> image
 *	name (if Docker takes it)	-> name, unless --name
 *	command (split as sh does)	-> cmd
 *	env (preset, -e, default,	-> env ["K=V"], then other -e
 *	    select default, asked)
 *	labels + pier.template=TITLE	-> labels
 *	ports "[IP:][HOST:]CTR/P"	-> ports, -p replacing per CTR/P
 *	volumes {container, bind,	-> mounts, -v replacing per target
 *	    readonly}
 *	restart_policy (default always)	-> restart (+ restart_retries)
 *	interactive			-> tty
 *	privileged, hostname, network	-> the same names
 * Stack templates of types 2 (swarm) and 3 (compose) deploy as stacks:
 * template-stack.c fetches the stack file from the template's
 * repository, cli_tpl_stack_params resolves the variables the same way;
 * edge stacks (type 4) are listed but not deployed.
 *
 * Files: templates.c (reading and checking), template-values.c (ports,
 * volumes, names, restart policies and commands as docker run writes
 * them), template-find.c (search and lookup), template-deploy.c
 * (container.create params) and
 * template-fetch.c (cli_tpl_load and cli_tpl_open: a file, or an https
 * URL fetched by https.c with a size bound and a timeout and cached with
 * an offline fallback).
 */
#ifndef PIER_CLI_TEMPLATES_H
#define PIER_CLI_TEMPLATES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifndef WARN_UNUSED_RESULT
/* Makes ignoring a returned error code a warning. */
#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#endif

/* Largest template file read, in bytes (the real ones are ~50 KiB). */
#define CLI_TPL_MAX_SIZE	(8u * 1024 * 1024)
/* Most templates one file may hold. */
#define CLI_TPL_MAX_COUNT	10000
/* Most entries in one list of a template (env, ports, volumes, ...). */
#define CLI_TPL_MAX_LIST	1000
/* Most retries of an on-failure:N restart policy. */
#define CLI_TPL_MAX_RETRIES	1000
/* Longest container name accepted. */
#define CLI_TPL_NAME_MAX	128

/*
 * The container.create params written by cli_tpl_deploy_params(), in one
 * place, as proto/methods.c's catalogue names them (a test checks the
 * params against that schema).
 */
#define CLI_TPL_K_IMAGE		"image"		/* string */
#define CLI_TPL_K_NAME		"name"		/* string, optional */
#define CLI_TPL_K_CMD		"cmd"		/* array of strings */
#define CLI_TPL_K_ENV		"env"		/* array of "K=V" */
#define CLI_TPL_K_LABELS	"labels"	/* object of strings */
#define CLI_TPL_K_PORTS		"ports"		/* array of objects: */
#define CLI_TPL_K_PORT_CTR	"container_port" /*  integer */
#define CLI_TPL_K_PORT_HOST	"host_port"	/*   integer, absent: any */
#define CLI_TPL_K_PORT_IP	"host_ip"	/*   string, absent: all */
#define CLI_TPL_K_PORT_PROTO	"protocol"	/*   "tcp" "udp" "sctp" */
#define CLI_TPL_K_MOUNTS	"mounts"	/* array of objects: */
#define CLI_TPL_K_MNT_SOURCE	"source"	/*   absent: anonymous */
#define CLI_TPL_K_MNT_TARGET	"target"	/*   path in container */
#define CLI_TPL_K_MNT_RO	"read_only"	/*   boolean */
#define CLI_TPL_K_RESTART	"restart"	/* "no" "always" ... */
#define CLI_TPL_K_RETRIES	"restart_retries" /* on-failure:N */
#define CLI_TPL_K_PRIVILEGED	"privileged"	/* boolean */
#define CLI_TPL_K_TTY		"tty"		/* boolean (interactive) */
#define CLI_TPL_K_HOSTNAME	"hostname"	/* string */
#define CLI_TPL_K_NETWORK	"network"	/* string */
/* The label every deployed container carries, valued with the title. */
#define CLI_TPL_LABEL		"pier.template"

/* What a template deploys. */
enum cli_tpl_type {
	CLI_TPL_CONTAINER = 1,	/* one container: deployable */
	CLI_TPL_SWARM = 2,	/* swarm stack (docker stack deploy) */
	CLI_TPL_COMPOSE = 3,	/* compose stack */
	CLI_TPL_EDGE = 4,	/* edge stack (v2 files) */
};

/* One choice of a select variable. */
struct cli_tpl_option {
	const char	*text;		/* shown to people (else value) */
	const char	*value;		/* what the variable is set to */
	int		 is_default;
};

/* One environment variable a template declares. */
struct cli_tpl_env {
	const char	*name;
	const char	*label;		/* NULL if absent */
	const char	*description;	/* NULL if absent */
	const char	*def;		/* default value, NULL if none */
	int		 preset;	/* fixed to def; not overridable */
	struct cli_tpl_option *options;	/* select choices, or NULL */
	size_t		 noptions;
	const char	*select_default; /* value of the default choice */
};

/* A published port: host 0 means an ephemeral host port. */
struct cli_tpl_port {
	uint16_t	 host;
	uint16_t	 container;
	char		 proto[5];	/* "tcp", "udp" or "sctp" */
	char		 host_ip[46];	/* "" for every address */
};

/* A volume: bind path or volume name (NULL: anonymous) on a target. */
struct cli_tpl_volume {
	const char	*source;
	const char	*target;
	int		 readonly;
};

/* A label the template sets on its container. */
struct cli_tpl_label {
	const char	*name;
	const char	*value;
};

/* One template; strings borrowed from the file's document. */
struct cli_tpl {
	long long	 id;		/* "id" (v3), else 1-based position */
	size_t		 index;		/* 0-based position in the file */
	enum cli_tpl_type type;
	const char	*title;
	const char	*name;		/* NULL if absent */
	const char	*description;	/* "" if absent */
	const char	*note;
	const char	*platform;	/* "linux", "windows" or NULL */
	const char	*logo;
	const char	**categories;
	size_t		 ncategories;
	/* Container templates. */
	const char	*image;
	const char	*registry;	/* prefix of image, or NULL */
	const char	*command;	/* shell-like string, or NULL */
	const char	*hostname;
	const char	*network;
	const char	*restart;	/* restart_policy, NULL: "always" */
	int		 interactive;
	int		 privileged;
	struct cli_tpl_label *labels;
	size_t		 nlabels;
	struct cli_tpl_port *ports;
	size_t		 nports;
	struct cli_tpl_volume *volumes;
	size_t		 nvolumes;
	struct cli_tpl_env *env;
	size_t		 nenv;
	/* Stack templates. */
	const char	*repo_url;	/* NULL for edge templates */
	const char	*stackfile;
	json_t		*json;		/* the template's object (borrowed) */
	/* Why the template cannot be used (owned), or NULL: the first bad
	 * field, "FILE: template N \"TITLE\": field \"F\": WHY". */
	char		*error;
};

/* A loaded template file. */
struct cli_tpl_file {
	int		 version;	/* 2 or 3 */
	char		*origin;	/* path or URL, for messages */
	struct cli_tpl	*templates;	/* every one, bad ones too */
	size_t		 ntemplates;
	size_t		 nbad;		/* how many have an error */
	json_t		*root;		/* owned; the strings above live here */
};

/* Where templates come from when neither --source nor the config says:
 * the list Portainer itself offers (format version 3). */
#define CLI_TPL_DEFAULT_SOURCE						\
	"https://raw.githubusercontent.com/portainer/templates/v3/"	\
	"templates.json"

/* Seconds a cached copy of a fetched template file stays fresh. */
#define CLI_TPL_CACHE_AGE	(24 * 60 * 60)

/* How cli_tpl_open() fetches and caches an https source (0s: defaults). */
struct cli_tpl_fetch_opts {
	const char	*cache_dir;	/* NULL: $XDG_CACHE_HOME/pier/
					 * templates, or ~/.cache/... */
	long		 max_age;	/* seconds; 0: CLI_TPL_CACHE_AGE */
	long		 timeout_ms;	/* whole transfer; 0: 30 s */
	size_t		 max_size;	/* 0: CLI_TPL_MAX_SIZE */
	int		 offline;	/* the cache only, of any age */
	int		 refresh;	/* fetch even when the cache is fresh */
	const char	*ca_file;	/* CA bundle; NULL: the system's */
};

/* Asks the user for a required variable; *value is malloc'd. */
typedef int (*cli_tpl_ask_fn)(const struct cli_tpl *t,
    const struct cli_tpl_env *e, char **value, void *arg);

/* What the user gave on the deploy command line (all optional). */
struct cli_tpl_overrides {
	const char	*name;		/* --name */
	const char	*restart;	/* --restart */
	const char *const *ports;	/* -p [[IP:]HOST:]CTR[/PROTO] */
	size_t		 nports;
	const char *const *volumes;	/* -v SRC:DST[:ro] or DST */
	size_t		 nvolumes;
	const char *const *env;		/* -e NAME=VALUE */
	size_t		 nenv;
	cli_tpl_ask_fn	 ask;		/* NULL: missing values are an error */
	void		*ask_arg;
};

/* Parses a template file's bytes; origin names it in messages. A bad
 * template does not fail the file: see cli_tpl.error. */
int cli_tpl_parse(const char *buf, size_t len, const char *origin,
    struct cli_tpl_file **out, char **cause) WARN_UNUSED_RESULT;
/* Reads and parses a template file (at most CLI_TPL_MAX_SIZE bytes). */
int cli_tpl_load(const char *path, struct cli_tpl_file **out,
    char **cause) WARN_UNUSED_RESULT;
/* Opens a file or an https URL (cached); *warning (caller frees) says
 * when an old cached copy stood in for a failed fetch. */
int cli_tpl_open(const char *source, const struct cli_tpl_fetch_opts *o,
    struct cli_tpl_file **out, char **warning,
    char **cause) WARN_UNUSED_RESULT;
/* Frees a loaded file and every template borrowed from it. */
void cli_tpl_file_free(struct cli_tpl_file *f);

/* Names a template type for people ("container", "compose stack"...). */
const char *cli_tpl_type_name(enum cli_tpl_type type);
/* Tells whether a template matches a search (substring, any case); a
 * bad template matches none. */
int cli_tpl_matches(const struct cli_tpl *t, const char *query);
/* Stores up to max matches in out; returns how many matched in all. */
size_t cli_tpl_search(const struct cli_tpl_file *f, const char *query,
    const struct cli_tpl **out, size_t max);
/* Finds one template by id, title or name, exact then unique prefix;
 * a bad one too (deploy refuses it with its error). */
int cli_tpl_find(const struct cli_tpl_file *f, const char *query,
    const struct cli_tpl **out, char **cause) WARN_UNUSED_RESULT;

/* Parses "[[IP:]HOST:]CTR[/PROTO]" (ports 1-65535, tcp by default; an
 * IPv6 address in brackets; an empty HOST, as in ":80/tcp", leaves the
 * host port to the engine, as Portainer and docker run -p do). */
int cli_tpl_parse_port(const char *s, struct cli_tpl_port *p,
    char **cause) WARN_UNUSED_RESULT;
/* Parses "SRC:DST[:ro|:rw]" or "DST"; *source (maybe NULL), *target
 * malloc'd. */
int cli_tpl_parse_volume(const char *s, char **source, char **target,
    int *readonly, char **cause) WARN_UNUSED_RESULT;
/* Splits a command shell-like (quotes, backslashes) into a new array. */
int cli_tpl_split_command(const char *s, json_t **argv,
    char **cause) WARN_UNUSED_RESULT;
/* Checks the overrides alone (name, restart, ports, volumes, -e), as
 * deploy would, before any template is read. */
int cli_tpl_overrides_check(const struct cli_tpl_overrides *o,
    char **cause) WARN_UNUSED_RESULT;
/* Builds container.create params from a container template; a bad
 * template is refused with its error. */
int cli_tpl_deploy_params(const struct cli_tpl *t,
    const struct cli_tpl_overrides *o, json_t **params,
    char **cause) WARN_UNUSED_RESULT;

/* Builds stack.up params ({env, swarm}) from a stack template of type 2
 * or 3, its variables resolved as for a container; others refused. */
int cli_tpl_stack_params(const struct cli_tpl *t,
    const struct cli_tpl_overrides *o, json_t **params,
    char **cause) WARN_UNUSED_RESULT;
/* Largest stack file fetched, in bytes. */
#define CLI_TPL_STACKFILE_MAX	(512u * 1024)
/*
 * Fetches a stack template's compose file: repository.url a local
 * folder (an absolute path or file://) read directly, or a GitHub
 * repository read from raw.githubusercontent.com at its default branch
 * (HEAD); others are refused. *text is NUL-terminated (caller frees).
 */
int cli_tpl_stack_fetch(const struct cli_tpl *t,
    const struct cli_tpl_fetch_opts *o, char **text, size_t *len,
    char **cause) WARN_UNUSED_RESULT;

/* Sets *cause (if cause is not NULL) from a format; returns code. */
int cli_tpl__error(char **cause, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Tells whether a restart policy is no, always, unless-stopped or
 * on-failure[:N]. */
int cli_tpl__restart_ok(const char *policy);
/* Tells whether s is a Docker container or volume name of at least min
 * and at most CLI_TPL_NAME_MAX characters. */
int cli_tpl__name_ok(const char *s, size_t min);

#endif
