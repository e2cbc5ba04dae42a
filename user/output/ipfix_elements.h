/* SPDX-License-Identifier: MIT */
/*
 * What an IPFIX record of a flow holds (docs/EXPORT.md): the information elements of
 * a schema, in template order, and how each is filled from a row. Biflow records (RFC
 * 5103): the receiving direction in the forward elements, the sending direction in
 * the reverse ones.
 *
 * Every record carries the flow's identity in IANA elements: its addresses, ports,
 * protocol, first and last packet (milliseconds and nanoseconds), TCP flags each way,
 * end reason and interface. Then each column of the schema: nothing more when the
 * identity carries it (flow_id, timestamp, src_ip, ...), an IANA element when one
 * means exactly the same (receiving_packets_numbers is packetTotalCount, sending_bytes
 * reverseLayer2OctetTotalCount, ...), else an enterprise element of its own under
 * --ipfix-pen: its number is the column's in docs/COLUMNS.md, its name the column's in
 * camelCase, its type unsigned64 (counts), float64 (statistics) or string.
 *
 * Nothing here knows libfixbuf: output/ipfix.c makes templates of these, and
 * afm_ipfix_encode() fills the record that libfixbuf's internal template describes.
 */
#ifndef AFM_IPFIX_ELEMENTS_H
#define AFM_IPFIX_ELEMENTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "features/features.h"
#include "output/schema.h"

#define AFM_IPFIX_PEN_DEFAULT 32473	/* RFC 5612: the enterprise number for documentation */
#define AFM_IPFIX_PEN_REVERSE 29305	/* RFC 5103: reverse IANA elements */
#define AFM_IPFIX_VARLEN 65535		/* a variable-length element (strings) */
#define AFM_IPFIX_MAX_ELEMENTS 160	/* identity and every column of the extended schema */
#define AFM_IPFIX_STRING_MAX 256	/* no string an element carries is longer */

/* RFC 5610's informationElementDataType, informationElementSemantics and Units. */
enum afm_ie_type {
	AFM_IE_UNSIGNED8 = 1, AFM_IE_UNSIGNED16 = 2, AFM_IE_UNSIGNED32 = 3, AFM_IE_UNSIGNED64 = 4,
	AFM_IE_FLOAT64 = 10, AFM_IE_STRING = 13, AFM_IE_DATETIME_MS = 15, AFM_IE_DATETIME_NS = 17,
	AFM_IE_IPV4 = 18, AFM_IE_IPV6 = 19,
};
enum afm_ie_semantics {
	AFM_SEM_DEFAULT = 0, AFM_SEM_QUANTITY = 1, AFM_SEM_TOTAL_COUNTER = 2, AFM_SEM_IDENTIFIER = 4,
	AFM_SEM_FLAGS = 5,
};
enum afm_ie_units {
	AFM_UNITS_NONE = 0, AFM_UNITS_OCTETS = 2, AFM_UNITS_PACKETS = 3, AFM_UNITS_SECONDS = 5,
	AFM_UNITS_MILLISECONDS = 6, AFM_UNITS_NANOSECONDS = 8,
};

/* Where an element's value comes from. */
enum afm_ie_value {
	AFM_IEV_SRC_ADDR, AFM_IEV_DST_ADDR, AFM_IEV_SRC_PORT, AFM_IEV_DST_PORT, AFM_IEV_PROTOCOL,
	AFM_IEV_START_MS, AFM_IEV_END_MS, AFM_IEV_START_NS, AFM_IEV_END_NS,
	AFM_IEV_TCP_FLAGS_RX, AFM_IEV_TCP_FLAGS_TX, AFM_IEV_END_REASON, AFM_IEV_IFINDEX,
	AFM_IEV_VLAN_OUTER, AFM_IEV_VLAN_INNER,
	AFM_IEV_COLUMN,		/* the column's own value */
};

struct afm_ie {
	char name[64];			/* the IANA name, or the column's in camelCase */
	char description[128];		/* enterprise elements: what RFC 5610 records say */
	uint32_t pen;			/* 0: IANA; AFM_IPFIX_PEN_REVERSE; or --ipfix-pen */
	uint16_t id;
	uint16_t len;			/* octets; AFM_IPFIX_VARLEN for strings */
	uint16_t text_max;		/* strings: the longest (bytes) */
	uint8_t type, semantics;
	uint16_t units;
	uint8_t value;			/* enum afm_ie_value */
	const struct afm_column *column;	/* AFM_IEV_COLUMN: the column */
	uint16_t offset;		/* where it is in the in-memory record (afm_ipfix_encode) */
};

struct afm_ipfix_layout {
	struct afm_ie ie[AFM_IPFIX_MAX_ELEMENTS];	/* template order */
	size_t count;
	size_t record_len;		/* the in-memory record: strings first, then the rest */
	size_t strings;			/* string elements (each AFM_IPFIX_STRING_MAX at most) */
	size_t wire_max;		/* the longest record on the wire */
};

/* The elements of one template (ip_version 4 or 6) for a schema; 0, or -1 if too many. */
int afm_ipfix_layout(struct afm_ipfix_layout *l, const struct afm_schema *s, uint32_t pen, int ip_version);
/*
 * The in-memory record of a row: numbers in host order, each string as libfixbuf's
 * fbVarfield_t { size_t len; uint8_t *buf; } pointing into text (AFM_IPFIX_STRING_MAX
 * bytes per string element). rec holds record_len bytes, 8-aligned.
 */
void afm_ipfix_encode(const struct afm_ipfix_layout *l, const struct afm_row *row, uint8_t *rec, char *text);
/*
 * --ipfix-elements: one line per element of the templates (256: IPv4, 257: IPv6),
 * tab-separated: templates, name, PEN, ID, type, semantics, units, column, and the
 * column's number in docs/COLUMNS.md. 0 or -1.
 */
int afm_ipfix_print_elements(FILE *f, const struct afm_schema *s, uint32_t pen);
/* IANA names of types, semantics and units. */
const char *afm_ie_type_name(int type);
const char *afm_ie_units_name(int units);
/* dateTimeNanoseconds (RFC 7011, 6.1.10): NTP seconds and 2^-32 fractions. */
uint64_t afm_ipfix_ntp(uint64_t unix_ns);
/* IANA flowEndReason of an enum afm_end_reason. */
uint8_t afm_ipfix_end_reason(int end_reason);

#endif
