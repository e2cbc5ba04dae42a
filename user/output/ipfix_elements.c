// SPDX-License-Identifier: MIT
#include "output/ipfix_elements.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define NTP_UNIX_OFFSET 2208988800ULL	/* seconds from 1900-01-01 to 1970-01-01 */

struct iana {
	const char *name;
	uint32_t pen;
	uint16_t id, len;
	uint8_t type, semantics;
	uint16_t units;
	uint8_t value;
	const char *column;	/* the column whose value it carries, or NULL */
};

#define REV AFM_IPFIX_PEN_REVERSE

/*
 * The identity every record carries, in template order (the addresses by IP version):
 * the flow's key, its times, its packets and octets each way (for collectors that
 * know only these: nfdump's in and out bytes are octetTotalCount), flags, end, where.
 */
static const struct iana identity[] = {
	{ "sourceTransportPort", 0, 7, 2, AFM_IE_UNSIGNED16, AFM_SEM_IDENTIFIER, 0, AFM_IEV_SRC_PORT, "src_port" },
	{ "destinationTransportPort", 0, 11, 2, AFM_IE_UNSIGNED16, AFM_SEM_IDENTIFIER, 0, AFM_IEV_DST_PORT, "dst_port" },
	{ "protocolIdentifier", 0, 4, 1, AFM_IE_UNSIGNED8, AFM_SEM_IDENTIFIER, 0, AFM_IEV_PROTOCOL, "ip_protocol" },
	{ "flowStartMilliseconds", 0, 152, 8, AFM_IE_DATETIME_MS, 0, AFM_UNITS_MILLISECONDS, AFM_IEV_START_MS, NULL },
	{ "flowEndMilliseconds", 0, 153, 8, AFM_IE_DATETIME_MS, 0, AFM_UNITS_MILLISECONDS, AFM_IEV_END_MS, NULL },
	{ "flowStartNanoseconds", 0, 156, 8, AFM_IE_DATETIME_NS, 0, AFM_UNITS_NANOSECONDS, AFM_IEV_START_NS,
	  "first_packet_time" },
	{ "flowEndNanoseconds", 0, 157, 8, AFM_IE_DATETIME_NS, 0, AFM_UNITS_NANOSECONDS, AFM_IEV_END_NS,
	  "last_packet_time" },
	{ "packetTotalCount", 0, 86, 8, AFM_IE_UNSIGNED64, AFM_SEM_TOTAL_COUNTER, AFM_UNITS_PACKETS, AFM_IEV_COLUMN,
	  "receiving_packets_numbers" },
	{ "reversePacketTotalCount", REV, 86, 8, AFM_IE_UNSIGNED64, AFM_SEM_TOTAL_COUNTER, AFM_UNITS_PACKETS,
	  AFM_IEV_COLUMN, "sending_packets_numbers" },
	{ "octetTotalCount", 0, 85, 8, AFM_IE_UNSIGNED64, AFM_SEM_TOTAL_COUNTER, AFM_UNITS_OCTETS, AFM_IEV_COLUMN,
	  "receiving_ip_bytes" },
	{ "reverseOctetTotalCount", REV, 85, 8, AFM_IE_UNSIGNED64, AFM_SEM_TOTAL_COUNTER, AFM_UNITS_OCTETS,
	  AFM_IEV_COLUMN, "sending_ip_bytes" },
	{ "layer2OctetTotalCount", 0, 353, 8, AFM_IE_UNSIGNED64, AFM_SEM_TOTAL_COUNTER, AFM_UNITS_OCTETS,
	  AFM_IEV_COLUMN, "receiving_bytes" },
	{ "reverseLayer2OctetTotalCount", REV, 353, 8, AFM_IE_UNSIGNED64, AFM_SEM_TOTAL_COUNTER, AFM_UNITS_OCTETS,
	  AFM_IEV_COLUMN, "sending_bytes" },
	{ "tcpControlBits", 0, 6, 2, AFM_IE_UNSIGNED16, AFM_SEM_FLAGS, 0, AFM_IEV_TCP_FLAGS_RX, NULL },
	{ "reverseTcpControlBits", REV, 6, 2, AFM_IE_UNSIGNED16, AFM_SEM_FLAGS, 0, AFM_IEV_TCP_FLAGS_TX, NULL },
	{ "flowEndReason", 0, 136, 1, AFM_IE_UNSIGNED8, AFM_SEM_IDENTIFIER, 0, AFM_IEV_END_REASON, NULL },
	{ "ingressInterface", 0, 10, 4, AFM_IE_UNSIGNED32, AFM_SEM_IDENTIFIER, 0, AFM_IEV_IFINDEX, NULL },
};

/* Columns that an IANA element carries exactly (vlan_ids: two of them). */
static const struct {
	const char *column;
	struct iana ie;
} iana_columns[] = {
	{ "ip_version", { "ipVersion", 0, 60, 1, AFM_IE_UNSIGNED8, AFM_SEM_IDENTIFIER, 0, AFM_IEV_COLUMN, NULL } },
	{ "vlan_ids", { "vlanId", 0, 58, 2, AFM_IE_UNSIGNED16, AFM_SEM_IDENTIFIER, 0, AFM_IEV_VLAN_OUTER, NULL } },
	{ "vlan_ids",
	  { "dot1qCustomerVlanId", 0, 245, 2, AFM_IE_UNSIGNED16, AFM_SEM_IDENTIFIER, 0, AFM_IEV_VLAN_INNER, NULL } },
	{ "interface", { "interfaceName", 0, 82, AFM_IPFIX_VARLEN, AFM_IE_STRING, 0, 0, AFM_IEV_COLUMN, NULL } },
};

/* Columns the identity carries, or that its elements give (flow_id, timestamp). */
static int is_identity(const char *column)
{
	static const char *const derived[] = { "flow_id", "timestamp", "src_ip", "dst_ip" };

	for (size_t i = 0; i < sizeof(derived) / sizeof(derived[0]); i++)
		if (strcmp(derived[i], column) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(identity) / sizeof(identity[0]); i++)
		if (identity[i].column && strcmp(identity[i].column, column) == 0)
			return 1;
	return 0;
}

static int contains(const char *s, const char *part)
{
	return strstr(s, part) != NULL;
}

/* The units of an enterprise element, from its column's name (docs/COLUMNS.md). */
static uint16_t column_units(const char *c)
{
	if (contains(c, "coefficient_of_variation") || contains(c, "skewness") || contains(c, "variance") ||
	    contains(c, "rate"))
		return AFM_UNITS_NONE;
	if (contains(c, "delta_time") || strcmp(c, "duration") == 0 || strcmp(c, "handshake_duration") == 0 ||
	    strcmp(c, "delta_start") == 0)
		return AFM_UNITS_SECONDS;
	if (contains(c, "_len") || contains(c, "bytes"))
		return AFM_UNITS_OCTETS;
	if (contains(c, "packets_numbers") || contains(c, "_flags"))
		return AFM_UNITS_PACKETS;
	return AFM_UNITS_NONE;
}

/* The longest text of a string column (features/features.h). */
static uint16_t text_max(const char *column)
{
	if (strcmp(column, "protocol") == 0)
		return AFM_PROTOCOL_TEXT;
	if (strcmp(column, "end_reason") == 0)
		return AFM_END_REASON_TEXT;
	if (strcmp(column, "interface") == 0)
		return AFM_INTERFACE_TEXT;
	if (strcmp(column, "label") == 0)
		return AFM_LABEL_MAX;
	if (strcmp(column, "tunnel") == 0)
		return AFM_TUNNEL_TEXT;
	if (strcmp(column, "tunnel_src_ip") == 0 || strcmp(column, "tunnel_dst_ip") == 0)
		return AFM_ADDR_TEXT;
	if (strcmp(column, "receiving_tunnel_id") == 0 || strcmp(column, "sending_tunnel_id") == 0)
		return AFM_TUNNEL_ID_TEXT;
	return AFM_IPFIX_STRING_MAX - 1;
}

/* min_packets_len -> minPacketsLen */
static void camel_case(char *out, size_t len, const char *column)
{
	size_t n = 0;
	int up = 0;

	for (const char *p = column; *p && n + 1 < len; p++) {
		if (*p == '_') {
			up = 1;
			continue;
		}
		out[n++] = up ? (char)toupper((unsigned char)*p) : *p;
		up = 0;
	}
	out[n] = '\0';
}

static struct afm_ie *add(struct afm_ipfix_layout *l, const struct iana *d, const struct afm_column *c)
{
	struct afm_ie *ie;

	if (l->count == AFM_IPFIX_MAX_ELEMENTS)
		return NULL;
	ie = &l->ie[l->count++];
	memset(ie, 0, sizeof(*ie));
	snprintf(ie->name, sizeof(ie->name), "%s", d->name);
	ie->pen = d->pen;
	ie->id = d->id;
	ie->len = d->len;
	ie->type = d->type;
	ie->semantics = d->semantics;
	ie->units = d->units;
	ie->value = d->value;
	ie->column = c ? c : d->column ? afm_column_find(d->column) : NULL;
	ie->text_max = d->len == AFM_IPFIX_VARLEN && c ? text_max(c->name) : 0;
	return ie;
}

static int add_column(struct afm_ipfix_layout *l, const struct afm_column *c, uint32_t pen)
{
	struct iana e = { NULL, pen, 0, 8, AFM_IE_UNSIGNED64, AFM_SEM_TOTAL_COUNTER, 0, AFM_IEV_COLUMN, NULL };
	struct afm_ie *ie;
	int found = 0;

	if (is_identity(c->name))
		return 0;
	for (size_t i = 0; i < sizeof(iana_columns) / sizeof(iana_columns[0]); i++)
		if (strcmp(iana_columns[i].column, c->name) == 0) {
			if (!add(l, &iana_columns[i].ie, c))
				return -1;
			found = 1;
		}
	if (found)
		return 0;
	switch (c->kind) {
	case AFM_COL_U64:
		e.semantics = contains(c->name, "_flags") || contains(c->name, "numbers") || contains(c->name, "bytes")
				      ? AFM_SEM_TOTAL_COUNTER
				      : AFM_SEM_QUANTITY;
		break;
	case AFM_COL_TEXT:
	case AFM_COL_TEXT_PTR:
		e.len = AFM_IPFIX_VARLEN;
		e.type = AFM_IE_STRING;
		e.semantics = AFM_SEM_DEFAULT;
		break;
	default:	/* statistics, rates, durations */
		e.type = AFM_IE_FLOAT64;
		e.semantics = AFM_SEM_QUANTITY;
		break;
	}
	e.units = column_units(c->name);
	e.name = "";
	e.id = (uint16_t)afm_column_number(c->name);
	ie = add(l, &e, c);
	if (!ie)
		return -1;
	camel_case(ie->name, sizeof(ie->name), c->name);
	snprintf(ie->description, sizeof(ie->description), "app-flow-meter column %u, %s (docs/COLUMNS.md)", e.id,
		 c->name);
	return 0;
}

int afm_ipfix_layout(struct afm_ipfix_layout *l, const struct afm_schema *s, uint32_t pen, int ip_version)
{
	const struct iana addr[2][2] = {
		{ { "sourceIPv4Address", 0, 8, 4, AFM_IE_IPV4, AFM_SEM_IDENTIFIER, 0, AFM_IEV_SRC_ADDR, "src_ip" },
		  { "destinationIPv4Address", 0, 12, 4, AFM_IE_IPV4, AFM_SEM_IDENTIFIER, 0, AFM_IEV_DST_ADDR, "dst_ip" } },
		{ { "sourceIPv6Address", 0, 27, 16, AFM_IE_IPV6, AFM_SEM_IDENTIFIER, 0, AFM_IEV_SRC_ADDR, "src_ip" },
		  { "destinationIPv6Address", 0, 28, 16, AFM_IE_IPV6, AFM_SEM_IDENTIFIER, 0, AFM_IEV_DST_ADDR, "dst_ip" } },
	};
	size_t fixed = 0;

	memset(l, 0, sizeof(*l));
	add(l, &addr[ip_version == 6][0], NULL);
	add(l, &addr[ip_version == 6][1], NULL);
	for (size_t i = 0; i < sizeof(identity) / sizeof(identity[0]); i++)
		add(l, &identity[i], NULL);
	for (size_t i = 0; i < s->count; i++)
		if (add_column(l, &s->columns[i], pen) != 0)
			return -1;
	/* in memory: the strings' fbVarfield_t first (8-aligned), the fixed fields after */
	for (size_t i = 0; i < l->count; i++)
		if (l->ie[i].len == AFM_IPFIX_VARLEN) {
			l->ie[i].offset = (uint16_t)(16 * l->strings++);
			/* RFC 7011, 7: a length byte (three from 255 on) */
			l->wire_max += (l->ie[i].text_max < 255 ? 1 : 3) + l->ie[i].text_max;
		}
	for (size_t i = 0; i < l->count; i++)
		if (l->ie[i].len != AFM_IPFIX_VARLEN) {
			l->ie[i].offset = (uint16_t)(16 * l->strings + fixed);
			fixed += l->ie[i].len;
			l->wire_max += l->ie[i].len;
		}
	l->record_len = 16 * l->strings + fixed;
	return 0;
}

uint64_t afm_ipfix_ntp(uint64_t ns)
{
	uint64_t frac = ((ns % 1000000000ULL) << 32) + 500000000ULL;

	return (ns / 1000000000ULL + NTP_UNIX_OFFSET) << 32 | frac / 1000000000ULL;
}

uint8_t afm_ipfix_end_reason(int r)
{
	switch (r) {
	case AFM_END_IDLE:
		return 1;	/* idle timeout */
	case AFM_END_ACTIVE:
		return 2;	/* active timeout */
	case AFM_END_FIN:
	case AFM_END_RST:
		return 3;	/* end of flow detected */
	case AFM_END_EVICTED:
		return 5;	/* lack of resources */
	default:
		return 4;	/* forced end: end of the capture, shutdown */
	}
}

static void put(uint8_t *rec, const struct afm_ie *ie, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (ie->len) {
	case 1:
		memcpy(rec + ie->offset, &u8, 1);
		break;
	case 2:
		memcpy(rec + ie->offset, &u16, 2);
		break;
	case 4:
		memcpy(rec + ie->offset, &u32, 4);
		break;
	default:
		memcpy(rec + ie->offset, &v, 8);
		break;
	}
}

/* libfixbuf holds an IPv4 address as a number in host order, IPv6 as its 16 bytes. */
static void put_addr(uint8_t *rec, const struct afm_ie *ie, const uint8_t *a)
{
	if (ie->len == 4)
		put(rec, ie, (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3]);
	else
		memcpy(rec + ie->offset, a, 16);
}

/* A string element: its fbVarfield_t { size_t len; uint8_t *buf; }, the text in text. */
static void put_string(uint8_t *rec, const struct afm_ie *ie, const char *s, char *text)
{
	size_t len = strnlen(s, ie->text_max);
	char *buf = text + (ie->offset / 16) * AFM_IPFIX_STRING_MAX;

	memcpy(buf, s, len);
	memcpy(rec + ie->offset, &len, sizeof(len));
	memcpy(rec + ie->offset + sizeof(len), &buf, sizeof(buf));
}

static void put_column(uint8_t *rec, const struct afm_ie *ie, const struct afm_row *row, char *text)
{
	const void *field = (const char *)row + ie->column->offset;
	double d;

	switch (ie->column->kind) {
	case AFM_COL_U64:
		put(rec, ie, *(const uint64_t *)field);
		break;
	case AFM_COL_F64:
		memcpy(rec + ie->offset, field, 8);
		break;
	case AFM_COL_DEC:
		d = afm_dec_double(*(const struct afm_dec *)field);
		memcpy(rec + ie->offset, &d, 8);
		break;
	case AFM_COL_TEXT:
		put_string(rec, ie, field, text);
		break;
	default:
		put_string(rec, ie, *(const char *const *)field, text);
		break;
	}
}

void afm_ipfix_encode(const struct afm_ipfix_layout *l, const struct afm_row *row, uint8_t *rec, char *text)
{
	for (size_t i = 0; i < l->count; i++) {
		const struct afm_ie *ie = &l->ie[i];

		switch (ie->value) {
		case AFM_IEV_SRC_ADDR:
			put_addr(rec, ie, row->src_addr);
			break;
		case AFM_IEV_DST_ADDR:
			put_addr(rec, ie, row->dst_addr);
			break;
		case AFM_IEV_SRC_PORT:
			put(rec, ie, row->src_port);
			break;
		case AFM_IEV_DST_PORT:
			put(rec, ie, row->dst_port);
			break;
		case AFM_IEV_PROTOCOL:
			put(rec, ie, row->ip_protocol);
			break;
		case AFM_IEV_START_MS:
			put(rec, ie, row->first_ns / 1000000);
			break;
		case AFM_IEV_END_MS:
			put(rec, ie, row->last_ns / 1000000);
			break;
		case AFM_IEV_START_NS:
			put(rec, ie, afm_ipfix_ntp(row->first_ns));
			break;
		case AFM_IEV_END_NS:
			put(rec, ie, afm_ipfix_ntp(row->last_ns));
			break;
		case AFM_IEV_TCP_FLAGS_RX:
			put(rec, ie, row->tcp_flags[0]);
			break;
		case AFM_IEV_TCP_FLAGS_TX:
			put(rec, ie, row->tcp_flags[1]);
			break;
		case AFM_IEV_END_REASON:
			put(rec, ie, afm_ipfix_end_reason(row->end_code));
			break;
		case AFM_IEV_IFINDEX:
			put(rec, ie, row->ifindex);
			break;
		case AFM_IEV_VLAN_OUTER:
			put(rec, ie, row->vlan[0]);
			break;
		case AFM_IEV_VLAN_INNER:
			put(rec, ie, row->vlan[1]);
			break;
		default:
			put_column(rec, ie, row, text);
			break;
		}
	}
}

const char *afm_ie_type_name(int t)
{
	switch (t) {
	case AFM_IE_UNSIGNED8:
		return "unsigned8";
	case AFM_IE_UNSIGNED16:
		return "unsigned16";
	case AFM_IE_UNSIGNED32:
		return "unsigned32";
	case AFM_IE_UNSIGNED64:
		return "unsigned64";
	case AFM_IE_FLOAT64:
		return "float64";
	case AFM_IE_STRING:
		return "string";
	case AFM_IE_DATETIME_MS:
		return "dateTimeMilliseconds";
	case AFM_IE_DATETIME_NS:
		return "dateTimeNanoseconds";
	case AFM_IE_IPV4:
		return "ipv4Address";
	case AFM_IE_IPV6:
		return "ipv6Address";
	default:
		return "octetArray";
	}
}

const char *afm_ie_units_name(int u)
{
	switch (u) {
	case AFM_UNITS_OCTETS:
		return "octets";
	case AFM_UNITS_PACKETS:
		return "packets";
	case AFM_UNITS_SECONDS:
		return "seconds";
	case AFM_UNITS_MILLISECONDS:
		return "milliseconds";
	case AFM_UNITS_NANOSECONDS:
		return "nanoseconds";
	default:
		return "-";
	}
}

static const char *semantics_name(int s)
{
	static const char *const names[] = { "default", "quantity", "totalCounter", "deltaCounter", "identifier",
					     "flags" };

	return s >= 0 && s < (int)(sizeof(names) / sizeof(names[0])) ? names[s] : "default";
}

static void print_ie(FILE *f, const char *templates, const struct afm_ie *ie)
{
	fprintf(f, "%s\t%s\t%u\t%u\t%s\t%s\t%s\t%s\t", templates, ie->name, ie->pen, ie->id, afm_ie_type_name(ie->type),
		semantics_name(ie->semantics), afm_ie_units_name(ie->units), ie->column ? ie->column->name : "-");
	if (ie->column)
		fprintf(f, "%d\n", afm_column_number(ie->column->name));
	else
		fprintf(f, "-\n");
}

int afm_ipfix_print_elements(FILE *f, const struct afm_schema *s, uint32_t pen)
{
	struct afm_ipfix_layout l[2];

	if (afm_ipfix_layout(&l[0], s, pen, 4) != 0 || afm_ipfix_layout(&l[1], s, pen, 6) != 0)
		return -1;
	fprintf(f, "template\telement\tpen\tid\ttype\tsemantics\tunits\tcolumn\tnumber\n");
	for (size_t i = 0; i < l[0].count; i++) {
		int addr = l[0].ie[i].value == AFM_IEV_SRC_ADDR || l[0].ie[i].value == AFM_IEV_DST_ADDR;

		print_ie(f, addr ? "256" : "256,257", &l[0].ie[i]);
		if (addr && l[0].ie[i].value == AFM_IEV_DST_ADDR) {
			print_ie(f, "257", &l[1].ie[0]);
			print_ie(f, "257", &l[1].ie[1]);
		}
	}
	return 0;
}
