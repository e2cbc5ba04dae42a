// SPDX-License-Identifier: MIT
/* The CIC schemas' columns (docs/CIC.md): the corrected fork's, and the published datasets'. */
#include "output/schema.h"

#include <string.h>

#include "features/features.h"

#define COL(n, k, field) { n, k, offsetof(struct afm_row, field), NULL }
#define U64(n, field) COL(n, AFM_COL_U64, cic.field)
#define F64(n, field) COL(n, AFM_COL_F64, cic.field)
#define DEC(n, field) COL(n, AFM_COL_DEC, cic.field)
#define FWD(n, kind, field) COL(n, kind, cic.dir[0].field)
#define BWD(n, kind, field) COL(n, kind, cic.dir[1].field)
#define FLAG(n, bit) U64(n, flags[bit])

/* The value of each cic column, by its number in docs/CIC.md; names per schema below. */
enum {
	C_FLOW_ID = 1, C_SRC_IP, C_SRC_PORT, C_DST_IP, C_DST_PORT, C_PROTOCOL, C_TIMESTAMP, C_DURATION,
	C_FWD_PKTS, C_BWD_PKTS, C_FWD_BYTES, C_BWD_BYTES,
	C_FWD_LEN_MAX, C_FWD_LEN_MIN, C_FWD_LEN_MEAN, C_FWD_LEN_STD,
	C_BWD_LEN_MAX, C_BWD_LEN_MIN, C_BWD_LEN_MEAN, C_BWD_LEN_STD,
	C_BYTES_RATE, C_PKTS_RATE, C_IAT_MEAN, C_IAT_STD, C_IAT_MAX, C_IAT_MIN,
	C_FWD_IAT_TOT, C_FWD_IAT_MEAN, C_FWD_IAT_STD, C_FWD_IAT_MAX, C_FWD_IAT_MIN,
	C_BWD_IAT_TOT, C_BWD_IAT_MEAN, C_BWD_IAT_STD, C_BWD_IAT_MAX, C_BWD_IAT_MIN,
	C_FWD_PSH, C_BWD_PSH, C_FWD_URG, C_BWD_URG, C_FWD_RST, C_BWD_RST, C_FWD_HDR, C_BWD_HDR,
	C_FWD_PKTS_RATE, C_BWD_PKTS_RATE, C_LEN_MIN, C_LEN_MAX, C_LEN_MEAN, C_LEN_STD, C_LEN_VAR,
	C_FIN, C_SYN, C_RST, C_PSH, C_ACK, C_URG, C_CWR, C_ECE, C_DOWN_UP, C_AVG_SIZE,
	C_FWD_SEG_AVG, C_BWD_SEG_AVG, C_FWD_BULK_BYTES, C_FWD_BULK_PKTS, C_FWD_BULK_RATE,
	C_BWD_BULK_BYTES, C_BWD_BULK_PKTS, C_BWD_BULK_RATE, C_SUB_FWD_PKTS, C_SUB_FWD_BYTES,
	C_SUB_BWD_PKTS, C_SUB_BWD_BYTES, C_FWD_WIN, C_BWD_WIN, C_FWD_ACT, C_BWD_ACT, C_FWD_SEG_MIN,
	C_BWD_SEG_MIN, C_ACTIVE_MEAN, C_ACTIVE_STD, C_ACTIVE_MAX, C_ACTIVE_MIN, C_IDLE_MEAN, C_IDLE_STD,
	C_IDLE_MAX, C_IDLE_MIN, C_ICMP_CODE, C_ICMP_TYPE, C_FWD_RETRANS, C_BWD_RETRANS, C_RETRANS,
	C_CONN_TIME, C_LABEL, C_COUNT = C_LABEL,
};




static const struct afm_column cic[C_COUNT] = {
	COL("Flow ID", AFM_COL_TEXT_PTR, cic.flow_id_text),
	COL("Src IP", AFM_COL_TEXT, src_ip),
	COL("Src Port", AFM_COL_U64, src_port),
	COL("Dst IP", AFM_COL_TEXT, dst_ip),
	COL("Dst Port", AFM_COL_U64, dst_port),
	U64("Protocol", protocol),
	COL("Timestamp", AFM_COL_TEXT, cic.timestamp),
	DEC("Flow Duration", duration),
	FWD("Total Fwd Packet", AFM_COL_U64, packets),
	BWD("Total Bwd packets", AFM_COL_U64, packets),
	FWD("Total Length of Fwd Packet", AFM_COL_U64, bytes),
	BWD("Total Length of Bwd Packet", AFM_COL_U64, bytes),
	FWD("Fwd Packet Length Max", AFM_COL_DEC, len.max),
	FWD("Fwd Packet Length Min", AFM_COL_DEC, len.min),
	FWD("Fwd Packet Length Mean", AFM_COL_F64, len.mean),
	FWD("Fwd Packet Length Std", AFM_COL_F64, len.std),
	BWD("Bwd Packet Length Max", AFM_COL_DEC, len.max),
	BWD("Bwd Packet Length Min", AFM_COL_DEC, len.min),
	BWD("Bwd Packet Length Mean", AFM_COL_F64, len.mean),
	BWD("Bwd Packet Length Std", AFM_COL_F64, len.std),
	F64("Flow Bytes/s", bytes_rate),
	F64("Flow Packets/s", packets_rate),
	F64("Flow IAT Mean", iat.mean),
	F64("Flow IAT Std", iat.std),
	DEC("Flow IAT Max", iat.max),
	DEC("Flow IAT Min", iat.min),
	FWD("Fwd IAT Total", AFM_COL_DEC, iat.total),
	FWD("Fwd IAT Mean", AFM_COL_F64, iat.mean),
	FWD("Fwd IAT Std", AFM_COL_F64, iat.std),
	FWD("Fwd IAT Max", AFM_COL_DEC, iat.max),
	FWD("Fwd IAT Min", AFM_COL_DEC, iat.min),
	BWD("Bwd IAT Total", AFM_COL_DEC, iat.total),
	BWD("Bwd IAT Mean", AFM_COL_F64, iat.mean),
	BWD("Bwd IAT Std", AFM_COL_F64, iat.std),
	BWD("Bwd IAT Max", AFM_COL_DEC, iat.max),
	BWD("Bwd IAT Min", AFM_COL_DEC, iat.min),
	COL("Fwd PSH Flags", AFM_COL_U64, flags[0][3]),
	COL("Bwd PSH Flags", AFM_COL_U64, flags[1][3]),
	COL("Fwd URG Flags", AFM_COL_U64, flags[0][5]),
	COL("Bwd URG Flags", AFM_COL_U64, flags[1][5]),
	COL("Fwd RST Flags", AFM_COL_U64, flags[0][2]),
	COL("Bwd RST Flags", AFM_COL_U64, flags[1][2]),
	FWD("Fwd Header Length", AFM_COL_U64, header_bytes),
	BWD("Bwd Header Length", AFM_COL_U64, header_bytes),
	FWD("Fwd Packets/s", AFM_COL_F64, packets_rate),
	BWD("Bwd Packets/s", AFM_COL_F64, packets_rate),
	DEC("Packet Length Min", len.min),
	DEC("Packet Length Max", len.max),
	F64("Packet Length Mean", len.mean),
	F64("Packet Length Std", len.std),
	F64("Packet Length Variance", len.var),
	FLAG("FIN Flag Count", 0),
	FLAG("SYN Flag Count", 1),
	FLAG("RST Flag Count", 2),
	FLAG("PSH Flag Count", 3),
	FLAG("ACK Flag Count", 4),
	FLAG("URG Flag Count", 5),
	FLAG("CWR Flag Count", 7),
	FLAG("ECE Flag Count", 6),
	F64("Down/Up Ratio", down_up),
	F64("Average Packet Size", avg_size),
	FWD("Fwd Segment Size Avg", AFM_COL_F64, segment_avg),
	BWD("Bwd Segment Size Avg", AFM_COL_F64, segment_avg),
	FWD("Fwd Bytes/Bulk Avg", AFM_COL_F64, bulk_bytes),
	FWD("Fwd Packet/Bulk Avg", AFM_COL_F64, bulk_packets),
	FWD("Fwd Bulk Rate Avg", AFM_COL_F64, bulk_rate),
	BWD("Bwd Bytes/Bulk Avg", AFM_COL_F64, bulk_bytes),
	BWD("Bwd Packet/Bulk Avg", AFM_COL_F64, bulk_packets),
	BWD("Bwd Bulk Rate Avg", AFM_COL_F64, bulk_rate),
	FWD("Subflow Fwd Packets", AFM_COL_F64, subflow_packets),
	FWD("Subflow Fwd Bytes", AFM_COL_F64, subflow_bytes),
	BWD("Subflow Bwd Packets", AFM_COL_F64, subflow_packets),
	BWD("Subflow Bwd Bytes", AFM_COL_F64, subflow_bytes),
	FWD("FWD Init Win Bytes", AFM_COL_U64, init_win),
	BWD("Bwd Init Win Bytes", AFM_COL_U64, init_win),
	FWD("Fwd Act Data Pkts", AFM_COL_U64, act_data),
	BWD("Bwd Act Data Pkts", AFM_COL_U64, act_data),
	FWD("Fwd Seg Size Min", AFM_COL_U64, seg_min),
	BWD("Bwd Seg Size Min", AFM_COL_U64, seg_min),
	F64("Active Mean", active.mean),
	F64("Active Std", active.std),
	DEC("Active Max", active.max),
	DEC("Active Min", active.min),
	F64("Idle Mean", idle.mean),
	F64("Idle Std", idle.std),
	DEC("Idle Max", idle.max),
	DEC("Idle Min", idle.min),
	U64("ICMP Code", icmp_code),
	U64("ICMP Type", icmp_type),
	FWD("Fwd TCP Retrans. Count", AFM_COL_U64, retrans),
	BWD("Bwd TCP Retrans. Count", AFM_COL_U64, retrans),
	U64("Total TCP Retrans. Count", retrans),
	DEC("Total Connection Flow Time", connection_time),
	COL("Label", AFM_COL_TEXT_PTR, label),
};

_Static_assert(sizeof(cic) / sizeof(cic[0]) == 94, "the fork's 94 columns");

/* A published schema's column: a cic column's value under another name. */
#define AS(num, n) { n, 0, num, NULL }

/* CIC-IDS2017 (TrafficLabelling), docs/CIC.md: leading spaces and all. */
static const struct afm_column ids2017_names[] = {
	AS(C_FLOW_ID, "Flow ID"), AS(C_SRC_IP, " Source IP"), AS(C_SRC_PORT, " Source Port"),
	AS(C_DST_IP, " Destination IP"), AS(C_DST_PORT, " Destination Port"), AS(C_PROTOCOL, " Protocol"),
	AS(C_TIMESTAMP, " Timestamp"), AS(C_DURATION, " Flow Duration"), AS(C_FWD_PKTS, " Total Fwd Packets"),
	AS(C_BWD_PKTS, " Total Backward Packets"), AS(C_FWD_BYTES, "Total Length of Fwd Packets"),
	AS(C_BWD_BYTES, " Total Length of Bwd Packets"), AS(C_FWD_LEN_MAX, " Fwd Packet Length Max"),
	AS(C_FWD_LEN_MIN, " Fwd Packet Length Min"), AS(C_FWD_LEN_MEAN, " Fwd Packet Length Mean"),
	AS(C_FWD_LEN_STD, " Fwd Packet Length Std"), AS(C_BWD_LEN_MAX, "Bwd Packet Length Max"),
	AS(C_BWD_LEN_MIN, " Bwd Packet Length Min"), AS(C_BWD_LEN_MEAN, " Bwd Packet Length Mean"),
	AS(C_BWD_LEN_STD, " Bwd Packet Length Std"), AS(C_BYTES_RATE, "Flow Bytes/s"),
	AS(C_PKTS_RATE, " Flow Packets/s"), AS(C_IAT_MEAN, " Flow IAT Mean"), AS(C_IAT_STD, " Flow IAT Std"),
	AS(C_IAT_MAX, " Flow IAT Max"), AS(C_IAT_MIN, " Flow IAT Min"), AS(C_FWD_IAT_TOT, "Fwd IAT Total"),
	AS(C_FWD_IAT_MEAN, " Fwd IAT Mean"), AS(C_FWD_IAT_STD, " Fwd IAT Std"), AS(C_FWD_IAT_MAX, " Fwd IAT Max"),
	AS(C_FWD_IAT_MIN, " Fwd IAT Min"), AS(C_BWD_IAT_TOT, "Bwd IAT Total"), AS(C_BWD_IAT_MEAN, " Bwd IAT Mean"),
	AS(C_BWD_IAT_STD, " Bwd IAT Std"), AS(C_BWD_IAT_MAX, " Bwd IAT Max"), AS(C_BWD_IAT_MIN, " Bwd IAT Min"),
	AS(C_FWD_PSH, "Fwd PSH Flags"), AS(C_BWD_PSH, " Bwd PSH Flags"), AS(C_FWD_URG, " Fwd URG Flags"),
	AS(C_BWD_URG, " Bwd URG Flags"), AS(C_FWD_HDR, " Fwd Header Length"), AS(C_BWD_HDR, " Bwd Header Length"),
	AS(C_FWD_PKTS_RATE, "Fwd Packets/s"), AS(C_BWD_PKTS_RATE, " Bwd Packets/s"),
	AS(C_LEN_MIN, " Min Packet Length"), AS(C_LEN_MAX, " Max Packet Length"),
	AS(C_LEN_MEAN, " Packet Length Mean"), AS(C_LEN_STD, " Packet Length Std"),
	AS(C_LEN_VAR, " Packet Length Variance"), AS(C_FIN, "FIN Flag Count"), AS(C_SYN, " SYN Flag Count"),
	AS(C_RST, " RST Flag Count"), AS(C_PSH, " PSH Flag Count"), AS(C_ACK, " ACK Flag Count"),
	AS(C_URG, " URG Flag Count"), AS(C_CWR, " CWE Flag Count"), AS(C_ECE, " ECE Flag Count"),
	AS(C_DOWN_UP, " Down/Up Ratio"), AS(C_AVG_SIZE, " Average Packet Size"),
	AS(C_FWD_SEG_AVG, " Avg Fwd Segment Size"), AS(C_BWD_SEG_AVG, " Avg Bwd Segment Size"),
	{ " Fwd Header Length", 0, C_FWD_HDR, " Fwd Header Length.1" },	/* twice, as published */
	AS(C_FWD_BULK_BYTES, "Fwd Avg Bytes/Bulk"), AS(C_FWD_BULK_PKTS, " Fwd Avg Packets/Bulk"),
	AS(C_FWD_BULK_RATE, " Fwd Avg Bulk Rate"), AS(C_BWD_BULK_BYTES, " Bwd Avg Bytes/Bulk"),
	AS(C_BWD_BULK_PKTS, " Bwd Avg Packets/Bulk"), AS(C_BWD_BULK_RATE, "Bwd Avg Bulk Rate"),
	AS(C_SUB_FWD_PKTS, "Subflow Fwd Packets"), AS(C_SUB_FWD_BYTES, " Subflow Fwd Bytes"),
	AS(C_SUB_BWD_PKTS, " Subflow Bwd Packets"), AS(C_SUB_BWD_BYTES, " Subflow Bwd Bytes"),
	AS(C_FWD_WIN, "Init_Win_bytes_forward"), AS(C_BWD_WIN, " Init_Win_bytes_backward"),
	AS(C_FWD_ACT, " act_data_pkt_fwd"), AS(C_FWD_SEG_MIN, " min_seg_size_forward"),
	AS(C_ACTIVE_MEAN, "Active Mean"), AS(C_ACTIVE_STD, " Active Std"), AS(C_ACTIVE_MAX, " Active Max"),
	AS(C_ACTIVE_MIN, " Active Min"), AS(C_IDLE_MEAN, "Idle Mean"), AS(C_IDLE_STD, " Idle Std"),
	AS(C_IDLE_MAX, " Idle Max"), AS(C_IDLE_MIN, " Idle Min"), AS(C_LABEL, " Label"),
};

/* CSE-CIC-IDS2018, docs/CIC.md. */
static const struct afm_column ids2018_names[] = {
	AS(C_DST_PORT, "Dst Port"), AS(C_PROTOCOL, "Protocol"), AS(C_TIMESTAMP, "Timestamp"),
	AS(C_DURATION, "Flow Duration"), AS(C_FWD_PKTS, "Tot Fwd Pkts"), AS(C_BWD_PKTS, "Tot Bwd Pkts"),
	AS(C_FWD_BYTES, "TotLen Fwd Pkts"), AS(C_BWD_BYTES, "TotLen Bwd Pkts"), AS(C_FWD_LEN_MAX, "Fwd Pkt Len Max"),
	AS(C_FWD_LEN_MIN, "Fwd Pkt Len Min"), AS(C_FWD_LEN_MEAN, "Fwd Pkt Len Mean"),
	AS(C_FWD_LEN_STD, "Fwd Pkt Len Std"), AS(C_BWD_LEN_MAX, "Bwd Pkt Len Max"),
	AS(C_BWD_LEN_MIN, "Bwd Pkt Len Min"), AS(C_BWD_LEN_MEAN, "Bwd Pkt Len Mean"),
	AS(C_BWD_LEN_STD, "Bwd Pkt Len Std"), AS(C_BYTES_RATE, "Flow Byts/s"), AS(C_PKTS_RATE, "Flow Pkts/s"),
	AS(C_IAT_MEAN, "Flow IAT Mean"), AS(C_IAT_STD, "Flow IAT Std"), AS(C_IAT_MAX, "Flow IAT Max"),
	AS(C_IAT_MIN, "Flow IAT Min"), AS(C_FWD_IAT_TOT, "Fwd IAT Tot"), AS(C_FWD_IAT_MEAN, "Fwd IAT Mean"),
	AS(C_FWD_IAT_STD, "Fwd IAT Std"), AS(C_FWD_IAT_MAX, "Fwd IAT Max"), AS(C_FWD_IAT_MIN, "Fwd IAT Min"),
	AS(C_BWD_IAT_TOT, "Bwd IAT Tot"), AS(C_BWD_IAT_MEAN, "Bwd IAT Mean"), AS(C_BWD_IAT_STD, "Bwd IAT Std"),
	AS(C_BWD_IAT_MAX, "Bwd IAT Max"), AS(C_BWD_IAT_MIN, "Bwd IAT Min"), AS(C_FWD_PSH, "Fwd PSH Flags"),
	AS(C_BWD_PSH, "Bwd PSH Flags"), AS(C_FWD_URG, "Fwd URG Flags"), AS(C_BWD_URG, "Bwd URG Flags"),
	AS(C_FWD_HDR, "Fwd Header Len"), AS(C_BWD_HDR, "Bwd Header Len"), AS(C_FWD_PKTS_RATE, "Fwd Pkts/s"),
	AS(C_BWD_PKTS_RATE, "Bwd Pkts/s"), AS(C_LEN_MIN, "Pkt Len Min"), AS(C_LEN_MAX, "Pkt Len Max"),
	AS(C_LEN_MEAN, "Pkt Len Mean"), AS(C_LEN_STD, "Pkt Len Std"), AS(C_LEN_VAR, "Pkt Len Var"),
	AS(C_FIN, "FIN Flag Cnt"), AS(C_SYN, "SYN Flag Cnt"), AS(C_RST, "RST Flag Cnt"), AS(C_PSH, "PSH Flag Cnt"),
	AS(C_ACK, "ACK Flag Cnt"), AS(C_URG, "URG Flag Cnt"), AS(C_CWR, "CWE Flag Count"), AS(C_ECE, "ECE Flag Cnt"),
	AS(C_DOWN_UP, "Down/Up Ratio"), AS(C_AVG_SIZE, "Pkt Size Avg"), AS(C_FWD_SEG_AVG, "Fwd Seg Size Avg"),
	AS(C_BWD_SEG_AVG, "Bwd Seg Size Avg"), AS(C_FWD_BULK_BYTES, "Fwd Byts/b Avg"),
	AS(C_FWD_BULK_PKTS, "Fwd Pkts/b Avg"), AS(C_FWD_BULK_RATE, "Fwd Blk Rate Avg"),
	AS(C_BWD_BULK_BYTES, "Bwd Byts/b Avg"), AS(C_BWD_BULK_PKTS, "Bwd Pkts/b Avg"),
	AS(C_BWD_BULK_RATE, "Bwd Blk Rate Avg"), AS(C_SUB_FWD_PKTS, "Subflow Fwd Pkts"),
	AS(C_SUB_FWD_BYTES, "Subflow Fwd Byts"), AS(C_SUB_BWD_PKTS, "Subflow Bwd Pkts"),
	AS(C_SUB_BWD_BYTES, "Subflow Bwd Byts"), AS(C_FWD_WIN, "Init Fwd Win Byts"),
	AS(C_BWD_WIN, "Init Bwd Win Byts"), AS(C_FWD_ACT, "Fwd Act Data Pkts"), AS(C_FWD_SEG_MIN, "Fwd Seg Size Min"),
	AS(C_ACTIVE_MEAN, "Active Mean"), AS(C_ACTIVE_STD, "Active Std"), AS(C_ACTIVE_MAX, "Active Max"),
	AS(C_ACTIVE_MIN, "Active Min"), AS(C_IDLE_MEAN, "Idle Mean"), AS(C_IDLE_STD, "Idle Std"),
	AS(C_IDLE_MAX, "Idle Max"), AS(C_IDLE_MIN, "Idle Min"), AS(C_LABEL, "Label"),
};

_Static_assert(sizeof(ids2017_names) / sizeof(ids2017_names[0]) == 85, "CIC-IDS2017's 85 columns");
_Static_assert(sizeof(ids2018_names) / sizeof(ids2018_names[0]) == 80, "CSE-CIC-IDS2018's 80 columns");

static const struct {
	const char *name;
	const struct afm_column *names;	/* NULL: cic itself; else offset holds the cic column number */
	size_t count;
} cic_schemas[] = {
	{ "cic", NULL, C_COUNT },
	{ "cic-ids2017", ids2017_names, sizeof(ids2017_names) / sizeof(ids2017_names[0]) },
	{ "cic-ids2018", ids2018_names, sizeof(ids2018_names) / sizeof(ids2018_names[0]) },
};

int afm_schema_cic(struct afm_column *out, const char *name)
{
	for (size_t s = 0; s < sizeof(cic_schemas) / sizeof(cic_schemas[0]); s++) {
		if (strcmp(name, cic_schemas[s].name) != 0)
			continue;
		for (size_t i = 0; i < cic_schemas[s].count; i++) {
			const struct afm_column *as = cic_schemas[s].names ? &cic_schemas[s].names[i] : NULL;

			out[i] = as ? cic[as->offset - 1] : cic[i];
			if (as) {
				out[i].name = as->name;
				out[i].json = as->json;
			}
		}
		return (int)cic_schemas[s].count;
	}
	return -1;
}
