/* SPDX-License-Identifier: MIT */
/* Capture files (pcap, pcapng; plain or compressed) through libpcap, with errors a user can act on. */
#ifndef AFM_CAPTURE_H
#define AFM_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct afm_capture;

struct afm_packet {
	const uint8_t *data;
	uint32_t caplen;	/* bytes captured */
	uint32_t wire_len;	/* original length on the wire */
	uint64_t ts_ns;
};

enum afm_capture_status {
	AFM_CAPTURE_PACKET = 0,
	AFM_CAPTURE_EOF,
	AFM_CAPTURE_DAMAGED,	/* the rest of the file cannot be read: see afm_capture_error() */
};

/*
 * Open a capture. On failure returns NULL and writes a one-line reason naming the
 * file into err.
 */
struct afm_capture *afm_capture_open(const char *path, char *err, size_t errlen);
int afm_capture_next(struct afm_capture *c, struct afm_packet *pkt);
const char *afm_capture_error(const struct afm_capture *c);
/* Records read so far (the number of the last one returned). */
uint64_t afm_capture_records(const struct afm_capture *c);
/*
 * Records whose time is more than a day away from the capture's records before them
 * (a damaged timestamp), and where the first one is.
 */
uint64_t afm_capture_time_jumps(const struct afm_capture *c, const char **first);
/*
 * Does the file start like a capture (a pcap or pcapng magic number)? 1 yes, 0 no,
 * -errno when it cannot be read.
 */
int afm_capture_sniff(const char *path);
int afm_capture_link(const struct afm_capture *c);	/* enum afm_link */
const char *afm_capture_path(const struct afm_capture *c);
uint64_t afm_capture_size(const struct afm_capture *c);
uint64_t afm_capture_offset(const struct afm_capture *c);
void afm_capture_close(struct afm_capture *c);

#endif
