/* SPDX-License-Identifier: MIT */
/*
 * Capture files (pcap, pcapng; plain or compressed), with errors a user can act on:
 * classic pcap through libpcap (and pcap_records.c for a mapped file), pcapng through
 * pcapng.c, which gives every interface its own link type and a run-wide id.
 */
#ifndef AFM_CAPTURE_H
#define AFM_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct afm_capture;
struct afm_ifaces;

struct afm_packet {
	const uint8_t *data;
	uint32_t caplen;	/* bytes captured */
	uint32_t wire_len;	/* original length on the wire */
	uint64_t ts_ns;
	int link;		/* enum afm_link of its interface, or -1: a link type not read */
	uint32_t iface;		/* its interface's run-wide id (capture/ifaces.h): the key's ifindex */
};

enum afm_capture_status {
	AFM_CAPTURE_PACKET = 0,
	AFM_CAPTURE_EOF,
	AFM_CAPTURE_DAMAGED,	/* the rest of the file cannot be read: see afm_capture_error() */
};

/*
 * Open a capture; a pcapng's interfaces get their ids from ifaces (the run's). On
 * failure returns NULL and writes a one-line reason naming the file into err.
 */
struct afm_capture *afm_capture_open(const char *path, struct afm_ifaces *ifaces, char *err, size_t errlen);
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
const char *afm_capture_path(const struct afm_capture *c);
uint64_t afm_capture_size(const struct afm_capture *c);
uint64_t afm_capture_offset(const struct afm_capture *c);
void afm_capture_close(struct afm_capture *c);
/* A test hook (the capture fuzzer's second backend): files read as streams, as pipes are. */
extern int afm_capture_stream_files;

#endif
