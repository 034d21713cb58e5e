/*
 * The node's log: one line per event on stderr, with a UTC timestamp in
 * milliseconds and a level, so that a supervisor (systemd, docker logs)
 * keeps a readable record and `--log-level` trims it. The log is a value
 * in struct node, not a global, so two nodes in one test keep apart.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "node.h"

static const char *const level_names[] = {
	[NODE_LOG_DEBUG] = "debug",
	[NODE_LOG_INFO] = "info",
	[NODE_LOG_WARN] = "warn",
	[NODE_LOG_ERROR] = "error",
};

/* Sets up a log writing to fp (stderr when NULL) from level min up. */
void
node_log_init(struct node_log *lg, FILE *fp, enum node_log_level min)
{
	lg->fp = fp != NULL ? fp : stderr;
	lg->min = min;
}

/* Parses a level name (debug, info, warn, error); -EINVAL if unknown. */
int
node_log_level_parse(const char *s, enum node_log_level *out)
{
	size_t	i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum node_log_level)i;
			return (0);
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = NODE_LOG_WARN;
		return (0);
	}
	return (-EINVAL);
}

/* Returns the name of a level. */
const char *
node_log_level_name(enum node_log_level lv)
{
	if ((size_t)lv >= sizeof(level_names) / sizeof(level_names[0]))
		return ("?");
	return (level_names[lv]);
}

/* Writes one line: time, level, message; newlines in it become spaces. */
void
node_vlog(const struct node_log *lg, enum node_log_level lv, const char *fmt,
    va_list ap)
{
	char		 msg[1024], stamp[32];
	struct timespec	 ts;
	struct tm	 tm;
	size_t		 i;

	if (lg == NULL || lv < lg->min)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (i = 0; msg[i] != '\0'; i++) {
		if (msg[i] == '\n' || msg[i] == '\r')
			msg[i] = ' ';
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(lg->fp, "%s.%03ldZ %-5s %s\n", stamp, ts.tv_nsec / 1000000L,
	    node_log_level_name(lv), msg);
	fflush(lg->fp);
}

/* printf-style front end of node_vlog. */
void
node_log(const struct node_log *lg, enum node_log_level lv, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	node_vlog(lg, lv, fmt, ap);
	va_end(ap);
}
