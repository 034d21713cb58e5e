/*
 * A stand-in for libFuzzer's main, so every fuzz target also builds in
 * the normal build and runs as a test over its seed inputs: each argument
 * is a file (or a folder of files) fed once to LLVMFuzzerTestOneInput.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds one file to the target; returns 0 or -1 if unreadable. */
static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *buf;
	long n;

	f = fopen(path, "rb");
	if (f == NULL)
		return (-1);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf == NULL || (n > 0 && fread(buf, 1, (size_t)n, f) !=
	    (size_t)n)) {
		free(buf);
		fclose(f);
		return (-1);
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return (0);
}

/* Runs every file named, descending one level into folders. */
int
main(int argc, char **argv)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char path[4096];
	int i, runs = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "fuzz driver: %s: not found\n",
			    argv[i]);
			return (1);
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) != 0)
				return (1);
			runs++;
			continue;
		}
		d = opendir(argv[i]);
		if (d == NULL)
			return (1);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", argv[i],
			    de->d_name);
			if (run_file(path) != 0) {
				closedir(d);
				return (1);
			}
			runs++;
		}
		closedir(d);
	}
	/* TAP, so the test runner counts it. */
	printf("1..1\nok 1 - %d inputs ran without a fault\n", runs);
	return (0);
}
