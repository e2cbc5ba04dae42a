// SPDX-License-Identifier: MIT
#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int add(struct afm_inputs *in, const char *path)
{
	char **p = realloc(in->paths, (in->count + 1) * sizeof(*p));

	if (!p)
		return -1;
	in->paths = p;
	p[in->count] = strdup(path);
	if (!p[in->count])
		return -1;
	in->count++;
	return 0;
}

static int is_capture_name(const char *name)
{
	static const char *const ext[] = { ".pcap", ".pcapng", ".cap", ".dmp" };
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t e = strlen(ext[i]);

		if (n > e && strcmp(name + n - e, ext[i]) == 0)
			return 1;
	}
	return 0;
}

static int not_hidden_capture(const struct dirent *d)
{
	return d->d_name[0] != '.' && is_capture_name(d->d_name);
}

/* The captures of a directory (.pcap, .pcapng, .cap, .dmp), in name order. */
static int add_directory(struct afm_inputs *in, const char *dir, char *err, size_t errlen)
{
	struct dirent **list;
	int n = scandir(dir, &list, not_hidden_capture, alphasort), ret = 0;

	if (n < 0) {
		snprintf(err, errlen, "cannot read directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: no capture in this directory (*.pcap, *.pcapng, *.cap, *.dmp)", dir);
		ret = -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (!ret && stat(path, &st) == 0 && S_ISREG(st.st_mode) && add(in, path) != 0) {
			snprintf(err, errlen, "out of memory");
			ret = -1;
		}
		free(list[i]);
	}
	free(list);
	return ret;
}

int afm_inputs_expand(struct afm_inputs *in, const char *const *args, int n, char *err, size_t errlen)
{
	memset(in, 0, sizeof(*in));
	for (int i = 0; i < n; i++) {
		struct stat st;
		glob_t g;

		if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (add_directory(in, args[i], err, errlen) != 0)
				return -1;
			continue;
		}
		/* A quoted pattern the shell left alone: expand it here, in name order. */
		if (stat(args[i], &st) != 0 && strpbrk(args[i], "*?[")) {
			int r = glob(args[i], 0, NULL, &g);

			if (r == GLOB_NOMATCH) {
				snprintf(err, errlen, "no capture matches %s", args[i]);
				return -1;
			}
			for (size_t k = 0; r == 0 && k < g.gl_pathc; k++)
				if (add(in, g.gl_pathv[k]) != 0)
					r = -1;
			globfree(&g);
			if (r != 0) {
				snprintf(err, errlen, "cannot expand %s", args[i]);
				return -1;
			}
			continue;
		}
		if (add(in, args[i]) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

void afm_inputs_free(struct afm_inputs *in)
{
	for (size_t i = 0; i < in->count; i++)
		free(in->paths[i]);
	free(in->paths);
	memset(in, 0, sizeof(*in));
}
