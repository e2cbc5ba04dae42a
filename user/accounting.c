// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* sigabbrev_np */
#include "accounting.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "exit_status.h"
#include "log.h"

static const char *const verdict_names[AFM_VERDICT_COUNT] = {
	[AFM_OK] = "metered",
	[AFM_SKIP_NOT_IP] = "not_ip",
	[AFM_SKIP_TRUNCATED] = "truncated",
	[AFM_SKIP_MALFORMED] = "malformed",
	[AFM_SKIP_IPV6_EXT_CHAIN] = "ipv6_ext_chain",
	[AFM_SKIP_VLAN_DEPTH] = "vlan_depth",
	[AFM_SKIP_OVERSIZED] = "oversized",
	[AFM_SKIP_TUNNEL] = "tunnel",
};

static const char *const loss_names[AFM_LOSS_COUNT] = {
	[AFM_LOST_NO_MEMORY] = "no_memory",
	[AFM_LOST_RINGBUF] = "ringbuf_full",
};

const char *afm_verdict_name(int v)
{
	return v >= 0 && v < AFM_VERDICT_COUNT ? verdict_names[v] : "unknown";
}

const char *afm_loss_name(int l)
{
	return l >= 0 && l < AFM_LOSS_COUNT ? loss_names[l] : "unknown";
}

uint64_t afm_counters_skipped(const struct afm_counters *c)
{
	uint64_t n = 0;

	for (int v = 1; v < AFM_VERDICT_COUNT; v++)
		n += c->skipped[v];
	return n;
}

uint64_t afm_counters_ended(const struct afm_counters *c)
{
	uint64_t n = 0;

	for (int r = 0; r < AFM_END_COUNT; r++)
		n += c->flows_ended[r];
	return n;
}

uint64_t afm_counters_lost(const struct afm_counters *c)
{
	uint64_t n = 0;

	for (int l = 0; l < AFM_LOSS_COUNT; l++)
		n += c->lost[l];
	return n;
}

static void print_breakdown(FILE *f, const uint64_t *v, int count, int first,
			    const char *(*name)(int))
{
	const char *sep = " (";
	int any = 0;

	for (int i = first; i < count; i++) {
		if (!v[i])
			continue;
		fprintf(f, "%s%s %llu", sep, name(i), (unsigned long long)v[i]);
		sep = ", ";
		any = 1;
	}
	if (any)
		fputc(')', f);
}

void afm_counters_print_rows(const struct afm_counters *c, FILE *f, const char *lead)
{
	if (c->has_file)
		fprintf(f, "%s%llu rows written, %llu lost", lead, (unsigned long long)c->rows_written,
			(unsigned long long)c->rows_lost);
	if (c->collector)
		fprintf(f, "%s%llu exported to %s, %llu export lost", c->has_file ? ", " : lead,
			(unsigned long long)c->export_sent, c->collector, (unsigned long long)c->export_lost);
}

void afm_counters_print(const struct afm_counters *c, FILE *f)
{
	double rate = c->seconds > 0 ? (double)c->packets / c->seconds : 0;

	fprintf(f, "app-flow-meter: packets %llu read, %llu metered, %llu skipped",
		(unsigned long long)c->packets, (unsigned long long)c->metered,
		(unsigned long long)afm_counters_skipped(c));
	print_breakdown(f, c->skipped, AFM_VERDICT_COUNT, 1, afm_verdict_name);
	fprintf(f, ", %llu lost", (unsigned long long)afm_counters_lost(c));
	print_breakdown(f, c->lost, AFM_LOSS_COUNT, 0, afm_loss_name);
	fprintf(f, "\napp-flow-meter: flows %llu ended", (unsigned long long)afm_counters_ended(c));
	print_breakdown(f, c->flows_ended, AFM_END_COUNT, 0, afm_end_reason_name);
	afm_counters_print_rows(c, f, ": ");
	fprintf(f, "; %.3f s, %.0f packets/s\n", c->seconds, rate);
	if (c->segments_on)
		fprintf(f, "app-flow-meter: --segments: %llu super-frames metered as the %llu segments the wire "
			"carries (%llu with another count in gso_segs)\n", (unsigned long long)c->superframes,
			(unsigned long long)c->segments, (unsigned long long)c->gso_segs_mismatch);
}

static void json_group(FILE *f, const char *name, const uint64_t *v, int count, int first,
		       const char *(*label)(int))
{
	fprintf(f, ",\"%s\":{", name);
	for (int i = first; i < count; i++)
		fprintf(f, "%s\"%s\":%llu", i > first ? "," : "", label(i), (unsigned long long)v[i]);
	fputc('}', f);
}

static void write_json(const struct afm_counters *c, FILE *f)
{
	fprintf(f, "{\"packets\":%llu,\"bytes\":%llu,\"metered\":%llu,\"skipped_total\":%llu",
		(unsigned long long)c->packets, (unsigned long long)c->bytes,
		(unsigned long long)c->metered, (unsigned long long)afm_counters_skipped(c));
	json_group(f, "skipped", c->skipped, AFM_VERDICT_COUNT, 1, afm_verdict_name);
	fprintf(f, ",\"lost_total\":%llu", (unsigned long long)afm_counters_lost(c));
	json_group(f, "lost", c->lost, AFM_LOSS_COUNT, 0, afm_loss_name);
	fprintf(f, ",\"flows_ended_total\":%llu", (unsigned long long)afm_counters_ended(c));
	json_group(f, "flows_ended", c->flows_ended, AFM_END_COUNT, 0, afm_end_reason_name);
	fprintf(f, ",\"rows_written\":%llu,\"rows_lost\":%llu", (unsigned long long)c->rows_written,
		(unsigned long long)c->rows_lost);
	fprintf(f, ",\"export_sent\":%llu,\"export_lost\":%llu", (unsigned long long)c->export_sent,
		(unsigned long long)c->export_lost);
	fprintf(f, ",\"flows_open\":%llu,\"flows_open_max\":%llu,\"sample_bytes_per_packet\":%.2f",
		(unsigned long long)c->flows_open, (unsigned long long)c->flows_open_max,
		c->samples ? (double)c->sample_bytes / (double)c->samples : 0.0);
	if (c->segments_on)
		fprintf(f, ",\"superframes\":%llu,\"segments\":%llu,\"gso_segs_mismatch\":%llu",
			(unsigned long long)c->superframes, (unsigned long long)c->segments,
			(unsigned long long)c->gso_segs_mismatch);
	fprintf(f, ",\"stopped_by\":\"%s%s\",\"seconds\":%.6f}\n", c->stopped_by ? "SIG" : "",
		c->stopped_by ? sigabbrev_np(c->stopped_by) : "", c->seconds);
}

int afm_counters_write_json(const struct afm_counters *c, const char *path)
{
	/* Written beside and renamed: a reader never sees half of it. */
	char tmp[4200];
	FILE *f;
	int err = 0;

	if (strcmp(path, "-") == 0) {	/* standard output: one line each time */
		write_json(c, stdout);
		return fflush(stdout) == 0 ? 0 : -errno;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	write_json(c, f);
	if (ferror(f))
		err = errno ? -errno : -EIO;
	if (fclose(f) != 0 && !err)
		err = errno ? -errno : -EIO;
	if (!err && rename(tmp, path) != 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int afm_counters_report(const struct afm_counters *c, int quiet, const char *stats_json, int status)
{
	if (!quiet)
		afm_counters_print(c, stderr);
	if (stats_json) {
		int e = afm_counters_write_json(c, stats_json);

		if (e) {
			afm_error("cannot write statistics %s: %s", stats_json, strerror(-e));
			if (status == AFM_EXIT_OK)
				status = AFM_EXIT_OUTPUT;
		}
	}
	return status;
}
