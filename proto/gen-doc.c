/*
 * proto-gen-doc: rewrites the generated blocks of docs/PROTOCOL.md (the
 * method reference and the error table) from the catalogue, so the doc
 * cannot drift from the code. With --check it changes nothing and fails
 * if a block is stale, which is what the unit test does too.
 *
 *	proto-gen-doc [--check] docs/PROTOCOL.md
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

/* Reads a whole file into a NUL-terminated string, or NULL. */
static char *
read_all(const char *path)
{
	FILE *f;
	char *buf = NULL, *p;
	size_t len = 0, n;

	f = fopen(path, "r");
	if (f == NULL)
		return (NULL);
	for (;;) {
		p = realloc(buf, len + 65536 + 1);
		if (p == NULL) {
			free(buf);
			fclose(f);
			return (NULL);
		}
		buf = p;
		n = fread(buf + len, 1, 65536, f);
		len += n;
		if (n < 65536)
			break;
	}
	if (buf != NULL)
		buf[len] = '\0';
	if (ferror(f) || buf == NULL) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return (buf);
}

/* Replaces block tag of *doc by text; 1 if it changed, 0, or -1. */
static int
splice(char **doc, const char *tag, const char *text)
{
	size_t start, len, tlen;
	char *out;

	if (text == NULL)
		return (-1);
	if (proto_doc_block(*doc, tag, &start, &len) != 0) {
		fprintf(stderr, "proto-gen-doc: no block \"%s\"\n", tag);
		return (-1);
	}
	tlen = strlen(text);
	if (tlen == len && memcmp(*doc + start, text, len) == 0)
		return (0);
	out = malloc(strlen(*doc) - len + tlen + 1);
	if (out == NULL)
		return (-1);
	memcpy(out, *doc, start);
	memcpy(out + start, text, tlen);
	strcpy(out + start + tlen, *doc + start + len);
	free(*doc);
	*doc = out;
	return (1);
}

/* Writes text to path through a temporary file and a rename. */
static int
write_all(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;
	int bad;

	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (f == NULL)
		return (-1);
	fputs(text, f);
	bad = ferror(f);
	if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
		unlink(tmp);
		return (-1);
	}
	return (0);
}

/* Rewrites or checks the generated blocks of the file named. */
int
main(int argc, char **argv)
{
	char *doc, *methods, *errors;
	int check = 0, a, b, rc = 1;

	if (argc == 3 && strcmp(argv[1], "--check") == 0)
		check = 1;
	else if (argc != 2) {
		fprintf(stderr, "usage: proto-gen-doc [--check] FILE\n");
		return (2);
	}
	doc = read_all(argv[argc - 1]);
	if (doc == NULL) {
		fprintf(stderr, "proto-gen-doc: %s: %s\n", argv[argc - 1],
		    strerror(errno));
		return (1);
	}
	methods = proto_doc_methods();
	errors = proto_doc_errors();
	a = splice(&doc, "methods", methods);
	b = splice(&doc, "errors", errors);
	if (a < 0 || b < 0)
		goto out;
	if (check) {
		if (a > 0 || b > 0)
			fprintf(stderr, "proto-gen-doc: %s is stale; run "
			    "proto-gen-doc %s\n", argv[2], argv[2]);
		else
			rc = 0;
		goto out;
	}
	if ((a > 0 || b > 0) && write_all(argv[1], doc) != 0) {
		fprintf(stderr, "proto-gen-doc: cannot write %s\n", argv[1]);
		goto out;
	}
	rc = 0;
out:
	free(errors);
	free(methods);
	free(doc);
	return (rc);
}
