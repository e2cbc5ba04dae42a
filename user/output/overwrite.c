// SPDX-License-Identifier: MIT
#include "output/overwrite.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a path names: a regular file (dev, ino), a path not there yet, or neither. */
struct identity {
	int kind;		/* 0: neither (a device, a pipe: sharing is harmless), 1: file, 2: new */
	dev_t dev;
	ino_t ino;
	char resolved[PATH_MAX + NAME_MAX + 2];
};

/* "-" is standard output for an output, standard input for an input. */
static void identify(const char *path, int is_output, struct identity *id)
{
	struct stat st;
	int ok = strcmp(path, "-") == 0 ? fstat(is_output ? STDOUT_FILENO : STDIN_FILENO, &st) : stat(path, &st);

	memset(id, 0, sizeof(*id));
	if (ok == 0) {
		if (S_ISREG(st.st_mode)) {
			id->kind = 1;
			id->dev = st.st_dev;
			id->ino = st.st_ino;
		}
		return;
	}
	/* Not there yet: its directory resolved, and its name. */
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
	if (realpath(dir, real)) {
		id->kind = 2;
		snprintf(id->resolved, sizeof(id->resolved), "%s/%s", real, name);
	}
}

static int same(const struct identity *a, const struct identity *b)
{
	if (a->kind != b->kind || !a->kind)
		return 0;
	return a->kind == 1 ? a->dev == b->dev && a->ino == b->ino : strcmp(a->resolved, b->resolved) == 0;
}

int afm_check_outputs(char *const *inputs, size_t n_inputs, const struct afm_output_name *outputs,
		      size_t n_outputs, char *err, size_t errlen)
{
	struct identity out[4], in;

	if (n_outputs > sizeof(out) / sizeof(out[0]))
		n_outputs = sizeof(out) / sizeof(out[0]);
	for (size_t i = 0; i < n_outputs; i++) {
		identify(outputs[i].path, 1, &out[i]);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(outputs[i].path, "-") == 0 && strcmp(outputs[j].path, "-") == 0) {
				snprintf(err, errlen, "%s - and %s - would both write to standard output: give one of "
					 "them a file", outputs[j].option, outputs[i].option);
				return -1;
			}
			if (same(&out[i], &out[j])) {
				snprintf(err, errlen, "%s %s and %s %s are the same file: give each output its own",
					 outputs[j].option, outputs[j].path, outputs[i].option, outputs[i].path);
				return -1;
			}
		}
	}
	for (size_t k = 0; k < n_inputs; k++) {
		identify(inputs[k], 0, &in);
		for (size_t i = 0; i < n_outputs; i++)
			if (same(&in, &out[i])) {
				snprintf(err, errlen, "%s %s would overwrite the input %s (the same file)",
					 outputs[i].option, outputs[i].path, inputs[k]);
				return -1;
			}
	}
	return 0;
}
