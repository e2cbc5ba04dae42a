/* SPDX-License-Identifier: MIT */
/* One-line messages on stderr, prefixed with the program name. */
#ifndef AFM_LOG_H
#define AFM_LOG_H

#define AFM_PROG "app-flow-meter"

void afm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void afm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void afm_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* -q: silence notices, progress and the summary (errors and warnings stay). */
extern int afm_quiet;

#endif
