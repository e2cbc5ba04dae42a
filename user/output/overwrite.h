/* SPDX-License-Identifier: MIT */
/* Outputs never overwrite an input or each other: the same file (device and inode,
 * through any symbolic or hard link), or the same path once resolved. */
#ifndef AFM_OVERWRITE_H
#define AFM_OVERWRITE_H

#include <stddef.h>

struct afm_output_name {
	const char *option;	/* "-o", "--stats-json" */
	const char *path;	/* "-": standard output */
};

/* 0, or -1 with a one-line reason in err. */
int afm_check_outputs(char *const *inputs, size_t n_inputs, const struct afm_output_name *outputs,
		      size_t n_outputs, char *err, size_t errlen);

#endif
