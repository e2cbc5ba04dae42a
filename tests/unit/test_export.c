// SPDX-License-Identifier: MIT
/* The export side's pure parts: IPFIX time and end-reason encodings, the record layout,
 * and JSON lines' escaping and bounds. */
#include <criterion/criterion.h>
#include <string.h>

#include "output/format.h"
#include "output/ipfix_elements.h"

#define NTP_UNIX 2208988800ULL

/* RFC 7011, 6.1.10: NTP seconds and 2^-32 fractions; back to ns by rounding, exactly. */
Test(ipfix, nanoseconds_survive_the_ntp_format)
{
	const uint64_t ns[] = { 0, 1, 499999999, 500000000, 999999999, 1324071333493287000ULL,
				1600000000123456789ULL, 2085978495999999999ULL };

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		uint64_t v = afm_ipfix_ntp(ns[i]);
		uint64_t sec = v >> 32, frac = v & 0xffffffffULL;
		uint64_t back = (sec - NTP_UNIX) * 1000000000ULL + (frac * 1000000000ULL + (1ULL << 31)) / (1ULL << 32);

		cr_assert_eq(back, ns[i], "%llu -> %llu", (unsigned long long)ns[i], (unsigned long long)back);
	}
}

Test(ipfix, end_reasons_as_iana_says)
{
	cr_assert_eq(afm_ipfix_end_reason(AFM_END_IDLE), 1);
	cr_assert_eq(afm_ipfix_end_reason(AFM_END_ACTIVE), 2);
	cr_assert_eq(afm_ipfix_end_reason(AFM_END_FIN), 3);
	cr_assert_eq(afm_ipfix_end_reason(AFM_END_RST), 3);
	cr_assert_eq(afm_ipfix_end_reason(AFM_END_EOF), 4);
	cr_assert_eq(afm_ipfix_end_reason(AFM_END_SHUTDOWN), 4);
	cr_assert_eq(afm_ipfix_end_reason(AFM_END_EVICTED), 5);
}

/* Strings first (fbVarfield_t, 16 bytes each), then the fixed fields, none overlapping. */
Test(ipfix, the_record_layout_is_packed_and_disjoint)
{
	static struct afm_ipfix_layout l;
	uint8_t used[4096] = { 0 };

	for (int v = 4; v <= 6; v += 2) {
		cr_assert_eq(afm_ipfix_layout(&l, &afm_schema_extended, AFM_IPFIX_PEN_DEFAULT, v), 0);
		memset(used, 0, sizeof(used));
		size_t total = 0;

		for (size_t i = 0; i < l.count; i++) {
			size_t len = l.ie[i].len == AFM_IPFIX_VARLEN ? 16 : l.ie[i].len;

			if (l.ie[i].len == AFM_IPFIX_VARLEN)
				cr_assert_eq(l.ie[i].offset % 16, 0);
			for (size_t b = 0; b < len; b++)
				cr_assert_eq(used[l.ie[i].offset + b]++, 0, "%s overlaps", l.ie[i].name);
			total += len;
		}
		cr_assert_eq(total, l.record_len);
		cr_assert_eq(l.strings, 9, "protocol, end_reason, interface, label and the five tunnel columns");
		cr_assert_str_eq(l.ie[0].name, v == 4 ? "sourceIPv4Address" : "sourceIPv6Address");
	}
}

Test(ipfix, a_row_is_encoded_in_host_order)
{
	static struct afm_ipfix_layout l;
	struct afm_row row;
	uint64_t rec[512];
	char text[8 * AFM_IPFIX_STRING_MAX];
	const char *s = "local";
	size_t len;

	memset(&row, 0, sizeof(row));
	row.src_addr[0] = 10, row.src_addr[3] = 1;
	row.src_port = 4242;
	row.rx_packets = 7;
	row.interface = s;
	row.protocol = "Others";
	row.end_reason = "eof";
	row.label = "-";
	row.first_ns = 1000000007;
	cr_assert_eq(afm_ipfix_layout(&l, &afm_schema_extended, 9, 4), 0);
	afm_ipfix_encode(&l, &row, (uint8_t *)rec, text);
	for (size_t i = 0; i < l.count; i++) {
		const uint8_t *p = (const uint8_t *)rec + l.ie[i].offset;
		uint64_t u = 0;

		if (strcmp(l.ie[i].name, "sourceIPv4Address") == 0) {
			memcpy(&u, p, 4);
			cr_assert_eq(u, 0x0a000001);
		} else if (strcmp(l.ie[i].name, "sourceTransportPort") == 0) {
			memcpy(&u, p, 2);
			cr_assert_eq(u, 4242);
		} else if (strcmp(l.ie[i].name, "packetTotalCount") == 0) {
			memcpy(&u, p, 8);
			cr_assert_eq(u, 7);
		} else if (strcmp(l.ie[i].name, "flowStartMilliseconds") == 0) {
			memcpy(&u, p, 8);
			cr_assert_eq(u, 1000);
		} else if (strcmp(l.ie[i].name, "interfaceName") == 0) {
			const char *buf;

			memcpy(&len, p, sizeof(len));
			memcpy(&buf, p + sizeof(len), sizeof(buf));
			cr_assert_eq(len, 5);
			cr_assert(memcmp(buf, "local", 5) == 0);
		}
	}
}

/* JSON lines: control bytes, quotes and backslashes escaped; never past the bound. */
Test(format, json_escapes_and_stays_within_its_bound)
{
	struct afm_format_options o = { &afm_schema_extended, AFM_FORMAT_JSONL, 17 };
	static char line[1 << 20];
	char label[AFM_LABEL_MAX + 1];
	struct afm_row row;
	size_t n;

	memset(&row, 0, sizeof(row));
	memset(label, '\x01', AFM_LABEL_MAX);	/* the worst: 6 bytes each */
	label[AFM_LABEL_MAX] = '\0';
	row.label = label;
	row.protocol = row.end_reason = row.interface = "a\"b\\c\td";
	n = afm_format_row(&o, &row, line);
	cr_assert_leq(n, afm_format_line_max(&o));
	line[n] = '\0';
	cr_assert(strstr(line, "\"protocol\":\"a\\\"b\\\\c\\u0009d\"") != NULL, "%s", line);
	cr_assert(strstr(line, "\"label\":\"\\u0001\\u0001") != NULL);
	cr_assert(strstr(line, "\"src_port\":0,") != NULL, "numbers are bare");
	cr_assert_eq(line[0], '{');
	cr_assert_eq(line[n - 2], '}');
	cr_assert_eq(line[n - 1], '\n');
	cr_assert_eq(afm_format_header(&o, line), 0, "JSON lines have no header");
}
