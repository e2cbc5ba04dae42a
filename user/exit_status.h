/* SPDX-License-Identifier: MIT */
/* The program's exit statuses (README, "Exit status"; the man page). */
#ifndef AFM_EXIT_STATUS_H
#define AFM_EXIT_STATUS_H

enum afm_exit {
	AFM_EXIT_OK = 0,
	AFM_EXIT_FAILURE = 1,		/* out of memory, internal error */
	AFM_EXIT_USAGE = 2,		/* bad command line */
	AFM_EXIT_INPUT = 3,		/* a capture cannot be read at all */
	AFM_EXIT_OUTPUT = 4,		/* the CSV cannot be written */
	AFM_EXIT_DAMAGED = 5,		/* a capture is damaged; rows for what was read are written */
	AFM_EXIT_KERNEL = 6,		/* the kernel meter cannot start: privileges, BPF, attach */
};

#endif
