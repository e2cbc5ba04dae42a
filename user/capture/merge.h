/* SPDX-License-Identifier: MIT */
/*
 * Several captures as one stream of packets in time order, as mergecap makes it: each
 * step takes the earliest of the captures' next packets (a k-way merge; a capture's
 * own packets keep their order). On equal times the capture whose first packet is
 * earlier goes first, then the one whose path sorts first: neither the names nor the
 * order of -r change the stream, and a time-ordered capture cut into pieces (tcpdump
 * -C, editcap -c) is the whole again. A file is opened when its first packet is due,
 * so that thousands of pieces cost a few open at a time; a pipe is read from the start.
 */
#ifndef AFM_MERGE_H
#define AFM_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"

struct afm_merge;

/*
 * Open every capture (each is read up to its first packet, so that a capture that
 * cannot be read is refused before anything is written). 0, or -1 with a one-line
 * reason in err.
 */
int afm_merge_open(struct afm_merge **out, char *const *paths, size_t n, char *err, size_t errlen);
/*
 * The next packet in time order, valid until the next call, and the capture it is
 * from. AFM_CAPTURE_EOF when every capture is done; AFM_CAPTURE_DAMAGED when the rest
 * of one capture cannot be read (afm_merge_error() says why; the others go on).
 */
int afm_merge_next(struct afm_merge *m, struct afm_packet *pkt, const struct afm_capture **from);
const char *afm_merge_error(const struct afm_merge *m);
/* The captures' interfaces: their names by id (afm_ifaces_name()), valid until the close. */
struct afm_ifaces *afm_merge_ifaces(const struct afm_merge *m);
/* An input is a pipe (or another stream): packets come as they come. */
int afm_merge_streaming(const struct afm_merge *m);
/* Time jumps in the captures read to their end (afm_capture_time_jumps()). */
uint64_t afm_merge_time_jumps(const struct afm_merge *m, const char **first);
/* Bytes of the captures that are files, and of those read so far (for progress). */
uint64_t afm_merge_size(const struct afm_merge *m);
uint64_t afm_merge_done(const struct afm_merge *m);
void afm_merge_close(struct afm_merge *m);

#endif
