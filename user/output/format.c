// SPDX-License-Identifier: MIT
#include "output/format.h"

#include <string.h>

#define NUMBER_MAX 48		/* afm_fmt_double/afm_fmt_dec/afm_fmt_u64 (output/text.h) */
#define TEXT_PTR_MAX 256	/* --label (AFM_LABEL_MAX), interface names, end reasons */
#define FLOW_ID_MAX 256		/* timestamp, two addresses, two ports, four "--" */

_Static_assert(AFM_LABEL_MAX < TEXT_PTR_MAX, "a label fits its column");
_Static_assert(sizeof(((struct afm_row *)0)->timestamp) <= AFM_ADDR_TEXT &&
	       sizeof(((struct afm_row *)0)->vlan_ids) <= AFM_ADDR_TEXT &&
	       sizeof(((struct afm_row *)0)->first_time) <= AFM_ADDR_TEXT, "text arrays hold at most AFM_ADDR_TEXT");

static size_t text_max(const struct afm_format_options *o, const struct afm_column *c)
{
	switch (c->kind) {
	case AFM_COL_FLOW_ID:
		return FLOW_ID_MAX;
	case AFM_COL_TEXT:
		return AFM_ADDR_TEXT;
	case AFM_COL_TEXT_PTR:
		return TEXT_PTR_MAX;
	case AFM_COL_FIRST_DIR:
	case AFM_COL_FIRST_LEN:
	case AFM_COL_FIRST_PIAT:
		/* "[v,v,...]" with the quotes of CSV */
		return c->offset == AFM_COL_ALL ? 4 + o->schema->first_packets * (NUMBER_MAX + 1) : NUMBER_MAX;
	default:
		return NUMBER_MAX;
	}
}

static int is_text(const struct afm_column *c)
{
	return c->kind == AFM_COL_FLOW_ID || c->kind == AFM_COL_TEXT || c->kind == AFM_COL_TEXT_PTR;
}

size_t afm_format_line_max(const struct afm_format_options *o)
{
	size_t n = 2;	/* braces (JSON) or nothing, and the newline */

	for (size_t i = 0; i < o->schema->count; i++) {
		const struct afm_column *c = &o->schema->columns[i];

		/* JSON: "name": and the value, escaped (at most 6 bytes a byte), quoted, a comma */
		n += strlen(c->json ? c->json : c->name) + 4 + (is_text(c) ? 6 : 1) * text_max(o, c) + 3;
	}
	return n;
}

int afm_format_parse(const char *name)
{
	if (strcmp(name, "csv") == 0)
		return AFM_FORMAT_CSV;
	if (strcmp(name, "jsonl") == 0)
		return AFM_FORMAT_JSONL;
	return -1;
}

size_t afm_format_header(const struct afm_format_options *o, char *buf)
{
	size_t n = 0;

	if (o->format != AFM_FORMAT_CSV)
		return 0;
	for (size_t i = 0; i < o->schema->count; i++) {
		const char *name = o->schema->columns[i].name;
		size_t len = strlen(name);

		memcpy(buf + n, name, len);
		n += len;
		buf[n++] = i + 1 < o->schema->count ? ',' : '\n';
	}
	return n;
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

/* Packet i of the first packets: one value of kind, -1 past the flow's last packet. */
static size_t put_first(const struct afm_format_options *o, int kind, const struct afm_first_packets *fp, unsigned i,
			char *p)
{
	if (i >= fp->n) {
		memcpy(p, "-1", 2);
		return 2;
	}
	switch (kind) {
	case AFM_COL_FIRST_DIR:
		*p = fp->sending[i] ? '1' : '0';
		return 1;
	case AFM_COL_FIRST_LEN:
		return afm_fmt_u64(p, fp->len[i]);
	default:	/* in the schema's time unit */
		return afm_fmt_dec(p, (struct afm_dec){ fp->piat_ns[i], o->schema->time_exp, 0 }, o->precision);
	}
}

/* An array of the first packets: [v1,...,vN], quoted in CSV (it holds commas). */
static size_t put_first_array(const struct afm_format_options *o, int kind, const struct afm_first_packets *fp,
			      char *p)
{
	const int csv = o->format == AFM_FORMAT_CSV;
	size_t n = 0;

	if (csv)
		p[n++] = '"';
	p[n++] = '[';
	for (unsigned i = 0; i < o->schema->first_packets; i++) {
		if (i)
			p[n++] = ',';
		n += put_first(o, kind, fp, i, p + n);
	}
	p[n++] = ']';
	if (csv)
		p[n++] = '"';
	return n;
}

/* One value as the CSV writes it (and JSON, but for text, which it quotes and escapes). */
static size_t put_value(const struct afm_format_options *o, const struct afm_column *c, const struct afm_row *row,
			char *p)
{
	if (c->kind == AFM_COL_FIRST_DIR || c->kind == AFM_COL_FIRST_LEN || c->kind == AFM_COL_FIRST_PIAT)
		return c->offset == AFM_COL_ALL ? put_first_array(o, c->kind, &row->first, p)
						: put_first(o, c->kind, &row->first, c->offset, p);	/* offset: the index */

	const void *field = (const char *)row + c->offset;

	switch (c->kind) {
	case AFM_COL_FLOW_ID:
		return put_flow_id(p, row);
	case AFM_COL_TEXT:
		return put_text(p, field);
	case AFM_COL_TEXT_PTR:
		return put_text(p, *(const char *const *)field);
	case AFM_COL_U64:
		return afm_fmt_u64(p, *(const uint64_t *)field);
	case AFM_COL_DEC:
		return afm_fmt_dec(p, *(const struct afm_dec *)field, o->precision);
	default:
		return afm_fmt_double(p, *(const double *)field, o->precision);
	}
}

/* s[0..n) as the inside of a JSON string (RFC 8259, 7), into p; its length. */
static size_t json_escape(char *p, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			p[m++] = '\\';
			p[m++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			memcpy(p + m, "\\u00", 4);
			p[m + 4] = hex[ch >> 4];
			p[m + 5] = hex[ch & 15];
			m += 6;
		} else {
			p[m++] = (char)ch;
		}
	}
	return m;
}

size_t afm_format_row(const struct afm_format_options *o, const struct afm_row *row, char *buf)
{
	char value[FLOW_ID_MAX + TEXT_PTR_MAX];
	size_t n = 0;

	if (o->format == AFM_FORMAT_CSV) {
		for (size_t i = 0; i < o->schema->count; i++) {
			if (i)
				buf[n++] = ',';
			n += put_value(o, &o->schema->columns[i], row, buf + n);
		}
		buf[n++] = '\n';
		return n;
	}
	buf[n++] = '{';
	for (size_t i = 0; i < o->schema->count; i++) {
		const struct afm_column *c = &o->schema->columns[i];

		if (i)
			buf[n++] = ',';
		buf[n++] = '"';
		n += put_text(buf + n, c->json ? c->json : c->name);	/* names hold no '"' nor '\\' */
		memcpy(buf + n, "\":", 2);
		n += 2;
		if (is_text(c)) {
			size_t len = put_value(o, c, row, value);

			buf[n++] = '"';
			n += json_escape(buf + n, value, len);
			buf[n++] = '"';
		} else {
			n += put_value(o, c, row, buf + n);	/* a number, or an array of them */
		}
	}
	buf[n++] = '}';
	buf[n++] = '\n';
	return n;
}
