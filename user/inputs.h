/* SPDX-License-Identifier: MIT */
/* -r arguments to capture files: a file, a directory (its captures, by name), a glob. */
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
void afm_inputs_free(struct afm_inputs *in);

#endif
