/* SPDX-License-Identifier: MIT */
/*
 * -r arguments to capture files: a file (it must be a capture), a directory (every
 * regular file in it that is a capture by its content, whatever its name), a glob
 * (its matches, the same way). What a directory or a glob passes over is named in a
 * notice.
 */
#ifndef AFM_INPUTS_H
#define AFM_INPUTS_H

#include <stddef.h>

struct afm_inputs {
	char **paths;
	size_t count;
};

/* 0, or -1 with a one-line reason in err (a directory without captures, a glob that
 * matches nothing). Files that do not exist are kept: opening them says why. */
int afm_inputs_expand(struct afm_inputs *in, const char *const *args, int n, char *err, size_t errlen);
/* 0, or -1 with the reason when one capture file is given twice (same file). */
int afm_inputs_distinct(const struct afm_inputs *in, char *err, size_t errlen);
void afm_inputs_free(struct afm_inputs *in);

#endif
