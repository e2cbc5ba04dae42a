// SPDX-License-Identifier: MIT
#include "output/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/features.h"

#define COL(n, k, field) { n, k, offsetof(struct afm_row, field), NULL }
#define STAT(n, sample, stat) COL(n, _Generic(((struct afm_row *)0)->sample.stat, struct afm_dec: AFM_COL_DEC, default: AFM_COL_F64), sample.stat)

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

/* In docs/COLUMNS.md's order (SYN first), from the bits of byte 13 (FIN is bit 0). */
#define FLAGS(dir, i)                                                                        \
	COL(dir "_syn_flags", AFM_COL_U64, flags[i][1]), COL(dir "_fin_flags", AFM_COL_U64, flags[i][0]), \
	COL(dir "_rst_flags", AFM_COL_U64, flags[i][2]), COL(dir "_psh_flags", AFM_COL_U64, flags[i][3]), \
	COL(dir "_ack_flags", AFM_COL_U64, flags[i][4]), COL(dir "_urg_flags", AFM_COL_U64, flags[i][5]), \
	COL(dir "_ece_flags", AFM_COL_U64, flags[i][6]), COL(dir "_cwr_flags", AFM_COL_U64, flags[i][7])

static const struct afm_column all[] = {
	{ "flow_id", AFM_COL_FLOW_ID, 0, NULL },
	COL("timestamp", AFM_COL_TEXT, timestamp),
	COL("src_ip", AFM_COL_TEXT, src_ip),
	COL("src_port", AFM_COL_U64, src_port),
	COL("dst_ip", AFM_COL_TEXT, dst_ip),
	COL("dst_port", AFM_COL_U64, dst_port),
	COL("protocol", AFM_COL_TEXT_PTR, protocol),
	COL("duration", AFM_COL_DEC, duration),
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
	/* docs/COLUMNS.md */
	STAT("min_receiving_packets_delta_time", rx_delta_time, min),
	COL("total_bytes", AFM_COL_U64, total_bytes),
	COL("receiving_bytes", AFM_COL_U64, rx_bytes),
	COL("sending_bytes", AFM_COL_U64, tx_bytes),
	COL("receiving_ip_bytes", AFM_COL_U64, rx_ip_bytes),
	COL("sending_ip_bytes", AFM_COL_U64, tx_ip_bytes),
	COL("packets_len_rate", AFM_COL_F64, len_rate),
	COL("receiving_packets_len_rate", AFM_COL_F64, rx_len_rate),
	COL("sending_packets_len_rate", AFM_COL_F64, tx_len_rate),
	COL("handshake_duration", AFM_COL_DEC, handshake_duration),
	COL("delta_start", AFM_COL_DEC, delta_start),
	COL("ip_version", AFM_COL_U64, ip_version),
	COL("ip_protocol", AFM_COL_U64, ip_protocol),
	COL("vlan_ids", AFM_COL_TEXT, vlan_ids),
	FLAGS("receiving", 0),
	FLAGS("sending", 1),
	COL("first_packet_time", AFM_COL_TEXT, first_time),
	COL("last_packet_time", AFM_COL_TEXT, last_time),
	COL("end_reason", AFM_COL_TEXT_PTR, end_reason),
	COL("interface", AFM_COL_TEXT_PTR, interface),
	COL("label", AFM_COL_TEXT_PTR, label),
	COL("tunnel", AFM_COL_TEXT, tunnel),
	COL("tunnel_src_ip", AFM_COL_TEXT, tunnel_src),
	COL("tunnel_dst_ip", AFM_COL_TEXT, tunnel_dst),
	COL("receiving_tunnel_id", AFM_COL_TEXT, rx_tunnel_id),
	COL("sending_tunnel_id", AFM_COL_TEXT, tx_tunnel_id),
};

#define N_ALL (sizeof(all) / sizeof(all[0]))
_Static_assert(N_ALL == 78 + 40, "78 original columns and 40 extended ones");

const struct afm_schema afm_schema_appflowmeter = { all, 78, NULL, 0, NULL, 0, -9 };
const struct afm_schema afm_schema_extended = { all, N_ALL, NULL, 0, NULL, 0, -9 };

static const struct afm_column *find(const char *name, size_t len)
{
	for (size_t i = 0; i < N_ALL; i++)
		if (strlen(all[i].name) == len && strncmp(all[i].name, name, len) == 0)
			return &all[i];
	return NULL;
}

const struct afm_column *afm_column_find(const char *name)
{
	return find(name, strlen(name));
}

int afm_column_number(const char *name)
{
	const struct afm_column *c = find(name, strlen(name));

	return c ? (int)(c - all) + 1 : 0;
}

static void list_names(char *err, size_t errlen, size_t used)
{
	for (size_t i = 0; i < N_ALL && used + strlen(all[i].name) + 2 < errlen; i++)
		used += (size_t)snprintf(err + used, errlen - used, "%s%s", i ? " " : "", all[i].name);
}

/* A CIC schema (docs/CIC.md): whole, with its Label; its time unit is the microsecond. */
static int cic_build(struct afm_schema *out, const char *base, const char *list, char *err, size_t errlen)
{
	int n;

	if (list) {
		snprintf(err, errlen, "--columns picks columns of the appflowmeter and extended schemas; it does not "
			 "apply to --schema %s (docs/CIC.md)", base);
		return -1;
	}
	out->owned = calloc(AFM_CIC_COLUMNS_MAX, sizeof(*out->owned));
	if (!out->owned) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = afm_schema_cic(out->owned, base);
	if (n < 0) {
		snprintf(err, errlen, "--schema: '%s' is not appflowmeter, extended, cic, cic-ids2017 or cic-ids2018",
			 base);
		afm_schema_free(out);
		return -1;
	}
	out->columns = out->owned;
	out->count = (size_t)n;
	out->detail = 1;
	out->time_exp = -3;
	return 0;
}

int afm_schema_build(struct afm_schema *out, const char *base, const char *list, int with_label, char *err,
		     size_t errlen)
{
	const struct afm_schema *b;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	out->time_exp = -9;
	if (strcmp(base, "appflowmeter") == 0)
		b = &afm_schema_appflowmeter;
	else if (strcmp(base, "extended") == 0)
		b = &afm_schema_extended;
	else if (strncmp(base, "cic", 3) == 0)
		return cic_build(out, base, list, err, errlen);
	else {
		snprintf(err, errlen, "--schema: '%s' is not appflowmeter, extended, cic, cic-ids2017 or cic-ids2018",
			 base);
		return -1;
	}
	out->owned = calloc(N_ALL + 1 + (list ? strlen(list) : 0), sizeof(*out->owned));
	if (!out->owned) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!list) {
		memcpy(out->owned, b->columns, b->count * sizeof(*out->owned));
		n = b->count;
	} else {
		for (const char *p = list;;) {
			size_t len = strcspn(p, ",");
			const struct afm_column *c = find(p, len);

			if (!c) {
				int used = snprintf(err, errlen, "--columns: unknown column '%.*s'; the columns are: ",
						    (int)len, p);

				list_names(err, errlen, used > 0 ? (size_t)used : 0);
				afm_schema_free(out);
				return -1;
			}
			out->owned[n++] = *c;
			if (!p[len])
				break;
			p += len + 1;
		}
	}
	if (with_label) {
		int has = 0;

		for (size_t i = 0; i < n; i++)
			has |= strcmp(out->owned[i].name, "label") == 0;
		if (!has)
			out->owned[n++] = *find("label", 5);
	}
	out->columns = out->owned;
	out->count = n;
	return 0;
}

int afm_schema_first_packets(struct afm_schema *s, unsigned n, int layout, char *err, size_t errlen)
{
	static const char *const base[3] = { "splt_direction", "splt_ps", "splt_piat" };
	static const uint8_t kinds[3] = { AFM_COL_FIRST_DIR, AFM_COL_FIRST_LEN, AFM_COL_FIRST_PIAT };
	const size_t add = layout == AFM_FIRST_COLUMNS ? 3 * (size_t)n : 3, name_max = sizeof("splt_direction_255");
	struct afm_column *cols = realloc(s->owned, (s->count + add) * sizeof(*cols));

	if (!cols || !(s->names = malloc(add * name_max))) {
		if (cols)
			s->owned = cols;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->owned = cols;
	for (size_t k = 0, j = 0; k < 3; k++)
		for (unsigned i = 0; i < (layout == AFM_FIRST_COLUMNS ? n : 1); i++, j++) {
			char *name = s->names + j * name_max;

			if (layout == AFM_FIRST_COLUMNS)
				snprintf(name, name_max, "%s_%u", base[k], i + 1);
			else
				snprintf(name, name_max, "%s", base[k]);
			cols[s->count++] = (struct afm_column){ name, kinds[k],
								layout == AFM_FIRST_COLUMNS ? (uint16_t)i : AFM_COL_ALL, NULL };
		}
	s->columns = s->owned;
	s->first_packets = n;
	return 0;
}

void afm_schema_free(struct afm_schema *s)
{
	free(s->owned);
	free(s->names);
	memset(s, 0, sizeof(*s));
}
