/* SPDX-License-Identifier: MIT */
/* What both fuzzers drive: frames -> parser -> engine -> rows -> CSV, all in-process. */
#ifndef AFM_FUZZ_PIPELINE_H
#define AFM_FUZZ_PIPELINE_H

#include <stdint.h>
#include <stdio.h>

#include "afm_parse.h"
#include "columns.h"
#include "counters.h"
#include "engine.h"
#include "sink.h"

struct pipeline {
	struct afm_engine engine;
	struct afm_sink sink;
	struct afm_counters counters;
	struct afm_schema schema;
};

/* Short timeouts, so that inputs spanning seconds reach every ending rule. */
static inline int pipeline_start(struct pipeline *p)
{
	/* and few flows, so that eviction is exercised too */
	struct afm_engine_config cfg = { 2000000000ULL, 1000000000ULL, 5000000000ULL, 500000000ULL, 64 };
	struct afm_csv_options opt = { .schema = &afm_schema_extended, .precision = 17, .header = 1 };
	char err[256];

	memset(p, 0, sizeof(*p));
	p->sink.counters = &p->counters;
	if (afm_csv_open(&p->sink.csv, "/dev/null", &opt, err, sizeof(err)) != 0)
		return -1;
	afm_sink_start(&p->sink, 0);	/* inline: the fuzzer wants determinism */
	return afm_engine_init(&p->engine, &cfg, afm_sink_flow, &p->sink);
}

static inline void pipeline_frame(struct pipeline *p, const uint8_t *frame, uint32_t caplen, uint32_t wire_len,
				  uint64_t ts, int link)
{
	struct afm_record rec;
	int v = afm_parse(frame, frame + caplen, link, &rec);

	p->counters.packets++;
	if (v != AFM_OK) {
		if (v <= 0 || v >= AFM_VERDICT_COUNT)
			__builtin_trap();	/* the parser invented a verdict */
		p->counters.skipped[v]++;
		return;
	}
	rec.ts_ns = ts;
	rec.wire_len = wire_len;
	if (afm_engine_packet(&p->engine, &rec) == 0)
		p->counters.metered++;
}

static inline void pipeline_end(struct pipeline *p)
{
	char err[256];

	afm_engine_flush(&p->engine, AFM_END_EOF);
	afm_engine_free(&p->engine);
	afm_sink_stop(&p->sink);
	afm_csv_close(&p->sink.csv, err, sizeof(err));
	afm_sink_rows(&p->sink, &p->counters);
	afm_scratch_free(&p->sink.scratch);
	/* Every packet is metered or skipped; every flow ended is written. */
	if (p->counters.packets != p->counters.metered + afm_counters_skipped(&p->counters))
		__builtin_trap();
	if (afm_counters_ended(&p->counters) != p->counters.rows_written || p->counters.rows_lost)
		__builtin_trap();
}

#endif
