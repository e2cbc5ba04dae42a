/* SPDX-License-Identifier: MIT */
/*
 * SIGINT and SIGTERM ask the run to stop: reading stops, every open flow is written
 * (end reason shutdown) and the summary printed, offline as live. The handler is
 * installed without SA_RESTART, so that a blocking read (a pipe, the ring buffer)
 * returns at once.
 */
#ifndef AFM_STOP_H
#define AFM_STOP_H

void afm_stop_catch(void);
/* The signal that asked to stop, or 0. */
int afm_stop_requested(void);

#endif
