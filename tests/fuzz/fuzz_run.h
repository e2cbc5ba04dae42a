/* SPDX-License-Identifier: MIT */
/* What both fuzzers drive: frames -> parser -> the program's pipeline (user/pipeline.h). */
#ifndef AFM_FUZZ_RUN_H
#define AFM_FUZZ_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "afm_parse.h"
#include "pipeline.h"

struct fuzz_run {
	struct afm_options opt;
	struct afm_pipeline pipe;
};

/* Short timeouts, so that inputs spanning seconds reach every ending rule, and few
 * flows, so that eviction is exercised too; the schema given (extended, or cic for the
 * samples' details); rows written at once (the fuzzer wants determinism), to /dev/null. */
static inline int pipeline_start(struct fuzz_run *r, const char *schema)
{
	static const struct afm_pipeline_io io = { .stream = 0, .threaded = 0 };

	memset(r, 0, sizeof(*r));
	r->opt.output = "/dev/null";
	r->opt.schema = schema;
	r->opt.cic_activity_ns = 1000000000ULL;
	r->opt.precision = 17;
	r->opt.quiet = 1;
	r->opt.idle_ns = 2000000000ULL;
	r->opt.dns_idle_ns = 1000000000ULL;
	r->opt.active_ns = 5000000000ULL;
	r->opt.linger_ns = 500000000ULL;
	r->opt.max_flows = 64;
	r->opt.first_packets = 5;	/* and the first packets, as arrays */
	if (afm_pipeline_check(&r->pipe, &r->opt, NULL, 0) != 0 || afm_pipeline_start(&r->pipe, &io) != 0) {
		afm_pipeline_close(&r->pipe, AFM_END_EOF, 0);
		return -1;
	}
	return 0;
}

static inline void pipeline_frame(struct fuzz_run *r, const uint8_t *frame, uint32_t caplen, uint32_t wire_len,
				  uint64_t ts, int link, uint32_t iface)
{
	struct afm_counters *c = &r->pipe.counters;
	struct afm_record rec;
	int v = afm_parse(frame, frame + caplen, link, &rec, r->pipe.schema.detail, 1, NULL);

	c->packets++;
	if (v != AFM_OK) {
		if (v <= 0 || v >= AFM_VERDICT_COUNT)
			__builtin_trap();	/* the parser invented a verdict */
		c->skipped[v]++;
		return;
	}
	rec.ts_ns = ts;
	afm_record_wire(&rec, wire_len);
	rec.key.ifindex = iface;
	if (afm_engine_packet(&r->pipe.engine, &rec) == 0)
		c->metered++;
}

static inline void pipeline_end(struct fuzz_run *r)
{
	struct afm_counters *c = &r->pipe.counters;

	afm_pipeline_close(&r->pipe, AFM_END_EOF, 0);
	/* Every packet is metered or skipped; every flow ended is a row written. */
	if (c->packets != c->metered + afm_counters_skipped(c))
		__builtin_trap();
	if (afm_counters_ended(c) != c->rows_written || c->rows_lost)
		__builtin_trap();
}

#endif
