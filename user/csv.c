// SPDX-License-Identifier: MIT
#include "csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 8192	/* 78 columns x at most 40 bytes, with room to spare */

int afm_csv_open(struct afm_csv *w, const char *path, const struct afm_csv_options *opt, char *err,
		 size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->schema = opt->schema;
	w->precision = opt->precision;
	w->path = strdup(path);
	if (!w->path) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (strcmp(path, "-") == 0) {
		w->out = stdout;
	} else {
		w->out = fopen(path, "w");
		if (!w->out) {
			int e = errno;

			snprintf(err, errlen, "cannot write output %s: %s", path, strerror(e));
			free(w->path);
			w->path = NULL;
			return -e;
		}
	}
	if (opt->line_buffered)
		setvbuf(w->out, NULL, _IOLBF, 1 << 16);
	else
		setvbuf(w->out, NULL, _IOFBF, 1 << 20);
	if (opt->header) {
		for (size_t i = 0; i < w->schema->count; i++) {
			fputs(w->schema->columns[i].name, w->out);
			fputc(i + 1 < w->schema->count ? ',' : '\n', w->out);
		}
		if (ferror(w->out))
			w->error = errno ? errno : EIO;
	}
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

int afm_csv_write(struct afm_csv *w, const struct afm_row *row)
{
	char line[LINE_MAX_BYTES];
	const char *base = (const char *)row;
	size_t n = 0;

	if (w->error)
		return -w->error;
	for (size_t i = 0; i < w->schema->count; i++) {
		const struct afm_column *c = &w->schema->columns[i];
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
			n += afm_fmt_double(line + n, *(const double *)field, w->precision);
			break;
		}
	}
	line[n++] = '\n';
	if (fwrite(line, 1, n, w->out) != n) {
		w->error = errno ? errno : EIO;
		return -w->error;
	}
	w->rows++;
	return 0;
}

int afm_csv_close(struct afm_csv *w, char *err, size_t errlen)
{
	int e = w->error;

	if (!w->out)
		return 0;
	if (fflush(w->out) != 0 && !e)
		e = errno ? errno : EIO;
	if (w->out != stdout && fclose(w->out) != 0 && !e)
		e = errno ? errno : EIO;
	w->out = NULL;
	if (e)
		snprintf(err, errlen, "cannot write output %s: %s", strcmp(w->path, "-") ? w->path : "(stdout)",
			 strerror(e));
	free(w->path);
	w->path = NULL;
	return -e;
}
