// SPDX-License-Identifier: MIT
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double afm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void afm_progress_init(struct afm_progress *p, int quiet, uint64_t total_bytes)
{
	p->enabled = !quiet && isatty(STDERR_FILENO);
	p->shown = 0;
	p->start = p->last = afm_now();
	p->total_bytes = total_bytes;
}

void afm_progress_update(struct afm_progress *p, uint64_t done_bytes, uint64_t packets)
{
	if (!p->enabled)
		return;
	double now = afm_now();

	/* Only jobs that take more than a second get a progress line. */
	if (now - p->start < 1.0 || now - p->last < 0.2)
		return;
	p->last = now;
	p->shown = 1;
	if (p->total_bytes)
		fprintf(stderr, "\r%5.1f%%  %llu packets  %.0f packets/s ",
			100.0 * (double)done_bytes / (double)p->total_bytes, (unsigned long long)packets,
			(double)packets / (now - p->start));
	else
		fprintf(stderr, "\r%llu packets  %.0f packets/s ", (unsigned long long)packets,
			(double)packets / (now - p->start));
}

void afm_progress_end(struct afm_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}
