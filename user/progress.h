/* SPDX-License-Identifier: MIT */
/* The progress line on a terminal: percentage of the input and packets/s. */
#ifndef AFM_PROGRESS_H
#define AFM_PROGRESS_H

#include <stdint.h>

struct afm_progress {
	int enabled;		/* stderr is a terminal and not -q */
	int shown;		/* a line is on screen */
	double start, last;
	uint64_t total_bytes;	/* 0 when unknown (a pipe) */
};

double afm_now(void);	/* monotonic seconds */
void afm_progress_init(struct afm_progress *p, int quiet, uint64_t total_bytes);
/* Cheap enough to call every few thousand packets; prints at most 5 times a second. */
void afm_progress_update(struct afm_progress *p, uint64_t done_bytes, uint64_t packets);
void afm_progress_end(struct afm_progress *p);

#endif
