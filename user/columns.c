// SPDX-License-Identifier: MIT
#include "columns.h"

#include "row.h"

#define COL(n, k, field) { n, k, offsetof(struct afm_row, field) }
#define STAT(n, sample, stat) COL(n, AFM_COL_F64, sample.stat)

/* Length samples: min, max, mean, median, mode, std, variance, cv, skewness. */
#define LEN_STATS(name, sample)                                                             \
	STAT("min_" name, sample, min), STAT("max_" name, sample, max),                     \
	STAT("mean_" name, sample, mean), STAT("median_" name, sample, median),             \
	STAT("mode_" name, sample, mode), STAT("standard_deviation_" name, sample, std),    \
	STAT("variance_" name, sample, var), STAT("coefficient_of_variation_" name, sample, cv), \
	STAT("skewness_" name, sample, skew)

/* Delta samples: min, max, mean, median, std, variance, mode, cv, skewness. */
#define DELTA_STATS_FROM_MAX(name, skew_name, sample)                                       \
	STAT("max_" name, sample, max), STAT("mean_" name, sample, mean),                   \
	STAT("median_" name, sample, median), STAT("standard_deviation_" name, sample, std),\
	STAT("variance_" name, sample, var), STAT("mode_" name, sample, mode),              \
	STAT("coefficient_of_variation_" name, sample, cv), STAT(skew_name, sample, skew)
#define DELTA_STATS(name, sample) \
	STAT("min_" name, sample, min), DELTA_STATS_FROM_MAX(name, "skewness_" name, sample)

static const struct afm_column appflowmeter[] = {
	{ "flow_id", AFM_COL_FLOW_ID, 0 },
	COL("timestamp", AFM_COL_TEXT, timestamp),
	COL("src_ip", AFM_COL_TEXT, src_ip),
	COL("src_port", AFM_COL_U64, src_port),
	COL("dst_ip", AFM_COL_TEXT, dst_ip),
	COL("dst_port", AFM_COL_U64, dst_port),
	COL("protocol", AFM_COL_TEXT_PTR, protocol),
	COL("duration", AFM_COL_F64, duration),
	COL("packets_numbers", AFM_COL_U64, packets),
	COL("receiving_packets_numbers", AFM_COL_U64, rx_packets),
	COL("sending_packets_numbers", AFM_COL_U64, tx_packets),
	COL("success_packets_numbers", AFM_COL_U64, success_packets),
	COL("success_packets_rate", AFM_COL_F64, success_rate),
	COL("packets_rate", AFM_COL_F64, packets_rate),
	COL("receiving_packets_rate", AFM_COL_F64, rx_rate),
	COL("sending_packets_rate", AFM_COL_F64, tx_rate),
	LEN_STATS("packets_len", len),
	LEN_STATS("receiving_packets_len", rx_len),
	LEN_STATS("sending_packets_len", tx_len),
	DELTA_STATS("receiving_packets_delta_len", rx_delta_len),
	DELTA_STATS("sending_packets_delta_len", tx_delta_len),
	/* The original has no min_receiving_packets_delta_time, and this typo. */
	DELTA_STATS_FROM_MAX("receiving_packets_delta_time", "skewness_sreceiving_packets_delta_time",
			     rx_delta_time),
	DELTA_STATS("sending_packets_delta_time", tx_delta_time),
};

_Static_assert(sizeof(appflowmeter) / sizeof(appflowmeter[0]) == 78, "78 original columns");

const struct afm_schema afm_schema_appflowmeter = { appflowmeter, 78 };
