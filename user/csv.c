// SPDX-License-Identifier: MIT
#include "csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE_MAX_BYTES 8192	/* 111 columns x at most 40 bytes, and a label, with room */

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* OUT.csv -> OUT.000042.csv (the number before the last extension, if any). */
static void rotated_name(char *buf, size_t len, const char *path, uint64_t seq)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');

	if (!dot || (slash && dot < slash) || dot == (slash ? slash + 1 : path))
		snprintf(buf, len, "%s.%06llu", path, (unsigned long long)seq);
	else
		snprintf(buf, len, "%.*s.%06llu%s", (int)(dot - path), path, (unsigned long long)seq, dot);
}

static void fail(struct afm_csv *w, int e)
{
	if (!w->error)
		w->error = e ? e : EIO;
}

static void write_header(struct afm_csv *w)
{
	if (!w->opt.header)
		return;
	for (size_t i = 0; i < w->opt.schema->count; i++) {
		fputs(w->opt.schema->columns[i].name, w->out);
		fputc(i + 1 < w->opt.schema->count ? ',' : '\n', w->out);
	}
	if (ferror(w->out))
		fail(w, errno);
}

/*
 * Open the next file (the only one, or the next part). append: a reopen of a single
 * file (SIGHUP), which must not truncate it if nobody moved it away.
 */
static int open_file(struct afm_csv *w, int append)
{
	const char *name = w->path;

	if (strcmp(w->path, "-") == 0) {
		w->out = stdout;
	} else {
		if (w->rotating) {
			char final[sizeof(w->part) - 8];

			rotated_name(final, sizeof(final), w->path, ++w->seq);
			snprintf(w->part, sizeof(w->part), "%s.part", final);
			name = w->part;
		}
		w->out = fopen(name, append ? "a" : "w");
		if (!w->out)
			return -errno;
	}
	int empty = !append || ftell(w->out) == 0;

	if (w->opt.line_buffered)
		setvbuf(w->out, NULL, _IOLBF, 1 << 16);
	else
		setvbuf(w->out, NULL, _IOFBF, 1 << 20);
	w->file_rows = 0;
	w->opened_ns = wall_ns();
	if (empty)
		write_header(w);
	return 0;
}

/* End the current file: flush, close, and give a part its final name. */
static void close_file(struct afm_csv *w)
{
	if (!w->out)
		return;
	if (fflush(w->out) != 0)
		fail(w, errno);
	if (w->out != stdout) {
		if (fclose(w->out) != 0)
			fail(w, errno);
		if (w->rotating) {
			size_t n = strlen(w->part);
			char final[sizeof(w->part)];

			memcpy(final, w->part, n - 5);	/* without ".part" */
			final[n - 5] = '\0';
			if (rename(w->part, final) != 0)
				fail(w, errno);
			w->files++;
		}
	}
	w->out = NULL;
}

int afm_csv_open(struct afm_csv *w, const char *path, const struct afm_csv_options *opt, char *err,
		 size_t errlen)
{
	int e;

	memset(w, 0, sizeof(*w));
	w->opt = *opt;
	w->rotating = (opt->rotate_rows || opt->rotate_ns) && strcmp(path, "-") != 0;
	w->path = strdup(path);
	if (!w->path) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (strlen(path) > sizeof(w->part) - 32) {
		snprintf(err, errlen, "cannot write output %.64s...: the name is too long", path);
		free(w->path);
		return -ENAMETOOLONG;
	}
	e = open_file(w, 0);
	if (e) {
		snprintf(err, errlen, "cannot write output %s: %s", w->rotating ? w->part : path, strerror(-e));
		free(w->path);
		w->path = NULL;
		return e;
	}
	pthread_mutex_init(&w->lock, NULL);
	return 0;
}

static size_t put_text(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return n;
}

static size_t put_flow_id(char *p, const struct afm_row *row)
{
	size_t n = put_text(p, row->timestamp);

	memcpy(p + n, "--", 2);
	n += 2 + put_text(p + n + 2, row->src_ip);
	memcpy(p + n, "--", 2);
	n += 2 + afm_fmt_u64(p + n + 2, row->src_port);
	memcpy(p + n, "--", 2);
	n += 2 + put_text(p + n + 2, row->dst_ip);
	memcpy(p + n, "--", 2);
	n += 2 + afm_fmt_u64(p + n + 2, row->dst_port);
	return n;
}

static size_t format_row(const struct afm_csv *w, const struct afm_row *row, char *line)
{
	const char *base = (const char *)row;
	size_t n = 0;

	for (size_t i = 0; i < w->opt.schema->count; i++) {
		const struct afm_column *c = &w->opt.schema->columns[i];
		const void *field = base + c->offset;

		if (i)
			line[n++] = ',';
		switch (c->kind) {
		case AFM_COL_FLOW_ID:
			n += put_flow_id(line + n, row);
			break;
		case AFM_COL_TEXT:
			n += put_text(line + n, field);
			break;
		case AFM_COL_TEXT_PTR:
			n += put_text(line + n, *(const char *const *)field);
			break;
		case AFM_COL_U64:
			n += afm_fmt_u64(line + n, *(const uint64_t *)field);
			break;
		default:
			n += afm_fmt_double(line + n, *(const double *)field, w->opt.precision);
			break;
		}
	}
	line[n++] = '\n';
	return n;
}

/* Rotate or reopen when due. Called with the lock held. */
static void maybe_next_file(struct afm_csv *w, int row_coming)
{
	int due = __atomic_exchange_n(&w->reopen, 0, __ATOMIC_ACQ_REL);

	if (w->rotating && w->out) {
		if (w->opt.rotate_rows && w->file_rows >= w->opt.rotate_rows)
			due = 1;
		if (w->opt.rotate_ns && w->file_rows && wall_ns() - w->opened_ns >= w->opt.rotate_ns)
			due = 1;
	}
	if (due && w->out && w->out != stdout) {
		close_file(w);
		if (!w->rotating) {	/* one file: reopened at once, in append mode */
			int e = open_file(w, 1);

			if (e)
				fail(w, -e);
		}
	}
	/* a part is opened with its first row: rotation makes no empty files */
	if (!w->out && row_coming && !w->error) {
		int e = open_file(w, 0);

		if (e)
			fail(w, -e);
	}
}

int afm_csv_write(struct afm_csv *w, const struct afm_row *row)
{
	char line[LINE_MAX_BYTES];
	size_t n = format_row(w, row, line);
	int ret = 0;

	pthread_mutex_lock(&w->lock);
	maybe_next_file(w, 1);
	if (w->error) {
		ret = -w->error;
	} else if (fwrite(line, 1, n, w->out) != n) {
		fail(w, errno);
		ret = -w->error;
	} else {
		w->rows++;
		w->file_rows++;
	}
	pthread_mutex_unlock(&w->lock);
	return ret;
}

void afm_csv_request_reopen(struct afm_csv *w)
{
	__atomic_store_n(&w->reopen, 1, __ATOMIC_RELEASE);
}

int afm_csv_tick(struct afm_csv *w)
{
	int e;

	pthread_mutex_lock(&w->lock);
	maybe_next_file(w, 0);
	if (w->out && fflush(w->out) != 0)
		fail(w, errno);
	e = w->error;
	pthread_mutex_unlock(&w->lock);
	return -e;
}

const char *afm_csv_error(const struct afm_csv *w, char *buf, size_t len)
{
	if (!w->error)
		return "";
	snprintf(buf, len, "cannot write output %s: %s",
		 w->rotating ? w->part : (strcmp(w->path, "-") ? w->path : "(stdout)"), strerror(w->error));
	return buf;
}

int afm_csv_close(struct afm_csv *w, char *err, size_t errlen)
{
	int e;

	if (!w->path)
		return 0;
	pthread_mutex_lock(&w->lock);
	close_file(w);
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_destroy(&w->lock);
	e = w->error;
	if (e)
		afm_csv_error(w, err, errlen);
	free(w->path);
	w->path = NULL;
	return -e;
}
