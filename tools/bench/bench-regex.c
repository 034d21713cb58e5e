/*
 * glibc's regex.h against PCRE2 (JIT and interpreter) on log lines, for
 * logs.select's --grep: MB/s per pattern and line length, each engine
 * matching the same lines (about 20 MB per case; one line in ten
 * matches), then a catastrophic pattern on a short line. Results in
 * docs/PERFORMANCE.md ("logs.select").
 *
 *	bench-regex [MB]
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Fills n lines of len bytes: words and numbers, one in ten an error. */
static char *
mklines(size_t n, size_t len)
{
	static const char	*w[] = { "GET", "/api/users", "200", "took",
	    "12ms", "user=bob", "id=4711", "cache", "miss", "ok" };
	char			*b, *p;
	size_t			 i, o;

	b = malloc(n * len);
	if (b == NULL)
		exit(1);
	for (i = 0; i < n; i++) {
		p = b + i * len;
		o = 0;
		if (i % 10 == 0) {
			memcpy(p, "ERROR 500 ", 10);
			o = 10;
		}
		while (o < len) {
			size_t l = strlen(w[(i + o) % 10]);

			if (o + l + 1 > len)
				l = len - o;
			memcpy(p + o, w[(i + o) % 10], l);
			o += l;
			if (o < len)
				p[o++] = ' ';
		}
		if (i % 10 == 0)
			memcpy(p + len - 4, " 5xx", 4);
	}
	return (b);
}

/* One case: the same lines through each engine. */
static void
run(const char *pat, int icase, size_t len, size_t mb)
{
	pcre2_code		*re;
	pcre2_match_data	*md;
	pcre2_match_context	*mc;
	regex_t			 rx;
	regmatch_t		 m;
	size_t			 n = mb * 1000000 / len, i, hits[3] = { 0 };
	double			 t0, t[3];
	char			*b, *line;
	int			 ec, k;
	PCRE2_SIZE		 off;

	b = mklines(n, len);
	line = malloc(len + 1);
	if (regcomp(&rx, pat, REG_EXTENDED | REG_NOSUB |
	    (icase ? REG_ICASE : 0)) != 0)
		exit(1);
	t0 = now();
	for (i = 0; i < n; i++) {
		/* regexec wants a string: REG_STARTEND spares the copy. */
		m.rm_so = 0;
		m.rm_eo = (regoff_t)len;
		hits[0] += regexec(&rx, b + i * len, 1, &m, REG_STARTEND) == 0;
	}
	t[0] = now() - t0;
	regfree(&rx);
	for (k = 1; k < 3; k++) {
		re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
		    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
		    (icase ? PCRE2_CASELESS : 0), &ec, &off, NULL);
		if (re == NULL)
			exit(1);
		if (k == 1)
			(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
		md = pcre2_match_data_create(1, NULL);
		mc = pcre2_match_context_create(NULL);
		pcre2_set_match_limit(mc, 200000);
		t0 = now();
		for (i = 0; i < n; i++)
			hits[k] += pcre2_match(re, (PCRE2_SPTR)(b + i * len),
			    len, 0, k == 1 ? 0 : PCRE2_NO_JIT, md, mc) >= 0;
		t[k] = now() - t0;
		pcre2_match_data_free(md);
		pcre2_match_context_free(mc);
		pcre2_code_free(re);
	}
	printf("| `%s`%s | %zu | %.0f | %.0f | %.0f | %zu/%zu/%zu |\n", pat,
	    icase ? " -i" : "", len, mb / t[0], mb / t[1], mb / t[2],
	    hits[0], hits[1], hits[2]);
	free(line);
	free(b);
}

/* The catastrophic pattern: time for one line per engine. */
static void
catastrophic(const char *pat, size_t len)
{
	pcre2_code		*re;
	pcre2_match_data	*md;
	pcre2_match_context	*mc;
	regex_t			 rx;
	char			*s;
	double			 t0, tg, tp;
	int			 ec, rc;
	PCRE2_SIZE		 off;

	s = malloc(len + 1);
	memset(s, 'a', len);
	s[len - 1] = '!';
	s[len] = '\0';
	regcomp(&rx, pat, REG_EXTENDED | REG_NOSUB);
	t0 = now();
	(void)regexec(&rx, s, 0, NULL, 0);
	tg = now() - t0;
	regfree(&rx);
	re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &off, NULL);
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	md = pcre2_match_data_create(1, NULL);
	mc = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(mc, 200000);
	t0 = now();
	rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, mc);
	tp = now() - t0;
	printf("| `%s` on %zu bytes | %.3f ms | %.3f ms (%s) |\n", pat, len,
	    tg * 1e3, tp * 1e3, rc == PCRE2_ERROR_MATCHLIMIT ?
	    "match limit" : rc == PCRE2_ERROR_NOMATCH ? "no match" : "other");
	pcre2_match_data_free(md);
	pcre2_match_context_free(mc);
	pcre2_code_free(re);
	free(s);
}

int
main(int argc, char **argv)
{
	static const size_t	 lens[] = { 100, 1000, 10000 };
	size_t			 mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 20;
	size_t			 i;

	printf("| pattern | line bytes | glibc MB/s | PCRE2 JIT MB/s | "
	    "PCRE2 interp MB/s | matches |\n|---|--:|--:|--:|--:|---|\n");
	for (i = 0; i < 3; i++) {
		run("ERROR", 0, lens[i], mb);
		run("ERROR [0-9]+ .* 5xx$", 0, lens[i], mb);
		run("(GET|POST) /api/[a-z]+ (4|5)[0-9]{2}", 0, lens[i], mb);
		run("error", 1, lens[i], mb);
	}
	printf("\n| case | glibc | PCRE2 JIT, limit 200000 |\n|---|--:|--:|\n");
	catastrophic("^(a+)+$", 28);
	catastrophic("^(a+)+$", 4096);
	catastrophic("^(a*)*(b|\\1)$", 24);
	catastrophic("^(a*)*(b|\\1)$", 28);
	catastrophic("^(a|aa)+\\1x$", 26);
	catastrophic("^(a|aa)+\\1x$", 32);
	return (0);
}
