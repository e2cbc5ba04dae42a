"""The CIC schemas (--schema cic, cic-ids2017, cic-ids2018, --cic-activity-timeout;
docs/CIC.md; issue 13), on crafted flows whose values are worked out by hand.

Every expected value below comes from docs/CIC.md (and COLUMNS.md, METERING.md for
the flows, the numbers and the first packets), the arithmetic written beside it; none
is computed by the meter or by the reference. Where CIC.md names an Engelen correction,
the flow is made so that the uncorrected definition gives another value, written in the
comment ("uncorrected: ...").

Numbers print as COLUMNS.md "Numbers" says: whole values whole, others with 9
significant digits (%.9g), exact times (µs) from their exact decimal value.

Run from the repository root: BIN=build/app-flow-meter /usr/bin/python3 -m unittest tests/cli/test_cic.py
"""

import csv
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import Meter, EXIT_USAGE  # noqa: E402
import pcapgen as G  # noqa: E402

NS = 10**9
US = 1000                   # ns in a microsecond
MS = 1000 * US
T0 = 1_600_000_000 * NS     # 2020-09-13 12:26:40 UTC
SYN, ACK, FIN, PSH, RST, URG, ECE, CWR = G.SYN, G.ACK, G.FIN, G.PSH, G.RST, G.URG, G.ECE, G.CWR

# ---- the three headers, from docs/CIC.md ----------------------------------------

CIC = [
    'Flow ID', 'Src IP', 'Src Port', 'Dst IP', 'Dst Port', 'Protocol', 'Timestamp', 'Flow Duration',
    'Total Fwd Packet', 'Total Bwd packets', 'Total Length of Fwd Packet', 'Total Length of Bwd Packet',
    'Fwd Packet Length Max', 'Fwd Packet Length Min', 'Fwd Packet Length Mean', 'Fwd Packet Length Std',
    'Bwd Packet Length Max', 'Bwd Packet Length Min', 'Bwd Packet Length Mean', 'Bwd Packet Length Std',
    'Flow Bytes/s', 'Flow Packets/s', 'Flow IAT Mean', 'Flow IAT Std', 'Flow IAT Max', 'Flow IAT Min',
    'Fwd IAT Total', 'Fwd IAT Mean', 'Fwd IAT Std', 'Fwd IAT Max', 'Fwd IAT Min',
    'Bwd IAT Total', 'Bwd IAT Mean', 'Bwd IAT Std', 'Bwd IAT Max', 'Bwd IAT Min',
    'Fwd PSH Flags', 'Bwd PSH Flags', 'Fwd URG Flags', 'Bwd URG Flags', 'Fwd RST Flags', 'Bwd RST Flags',
    'Fwd Header Length', 'Bwd Header Length', 'Fwd Packets/s', 'Bwd Packets/s',
    'Packet Length Min', 'Packet Length Max', 'Packet Length Mean', 'Packet Length Std', 'Packet Length Variance',
    'FIN Flag Count', 'SYN Flag Count', 'RST Flag Count', 'PSH Flag Count', 'ACK Flag Count', 'URG Flag Count',
    'CWR Flag Count', 'ECE Flag Count', 'Down/Up Ratio', 'Average Packet Size',
    'Fwd Segment Size Avg', 'Bwd Segment Size Avg',
    'Fwd Bytes/Bulk Avg', 'Fwd Packet/Bulk Avg', 'Fwd Bulk Rate Avg',
    'Bwd Bytes/Bulk Avg', 'Bwd Packet/Bulk Avg', 'Bwd Bulk Rate Avg',
    'Subflow Fwd Packets', 'Subflow Fwd Bytes', 'Subflow Bwd Packets', 'Subflow Bwd Bytes',
    'FWD Init Win Bytes', 'Bwd Init Win Bytes', 'Fwd Act Data Pkts', 'Bwd Act Data Pkts',
    'Fwd Seg Size Min', 'Bwd Seg Size Min',
    'Active Mean', 'Active Std', 'Active Max', 'Active Min', 'Idle Mean', 'Idle Std', 'Idle Max', 'Idle Min',
    'ICMP Code', 'ICMP Type', 'Fwd TCP Retrans. Count', 'Bwd TCP Retrans. Count', 'Total TCP Retrans. Count',
    'Total Connection Flow Time', 'Label',
]

# (published name, leading spaces included; the cic column number, 1-based)
IDS2017 = [
    ('Flow ID', 1), (' Source IP', 2), (' Source Port', 3), (' Destination IP', 4), (' Destination Port', 5),
    (' Protocol', 6), (' Timestamp', 7), (' Flow Duration', 8), (' Total Fwd Packets', 9),
    (' Total Backward Packets', 10), ('Total Length of Fwd Packets', 11), (' Total Length of Bwd Packets', 12),
    (' Fwd Packet Length Max', 13), (' Fwd Packet Length Min', 14), (' Fwd Packet Length Mean', 15),
    (' Fwd Packet Length Std', 16), ('Bwd Packet Length Max', 17), (' Bwd Packet Length Min', 18),
    (' Bwd Packet Length Mean', 19), (' Bwd Packet Length Std', 20), ('Flow Bytes/s', 21),
    (' Flow Packets/s', 22), (' Flow IAT Mean', 23), (' Flow IAT Std', 24), (' Flow IAT Max', 25),
    (' Flow IAT Min', 26), ('Fwd IAT Total', 27), (' Fwd IAT Mean', 28), (' Fwd IAT Std', 29),
    (' Fwd IAT Max', 30), (' Fwd IAT Min', 31), ('Bwd IAT Total', 32), (' Bwd IAT Mean', 33),
    (' Bwd IAT Std', 34), (' Bwd IAT Max', 35), (' Bwd IAT Min', 36), ('Fwd PSH Flags', 37),
    (' Bwd PSH Flags', 38), (' Fwd URG Flags', 39), (' Bwd URG Flags', 40), (' Fwd Header Length', 43),
    (' Bwd Header Length', 44), ('Fwd Packets/s', 45), (' Bwd Packets/s', 46), (' Min Packet Length', 47),
    (' Max Packet Length', 48), (' Packet Length Mean', 49), (' Packet Length Std', 50),
    (' Packet Length Variance', 51), ('FIN Flag Count', 52), (' SYN Flag Count', 53), (' RST Flag Count', 54),
    (' PSH Flag Count', 55), (' ACK Flag Count', 56), (' URG Flag Count', 57), (' CWE Flag Count', 58),
    (' ECE Flag Count', 59), (' Down/Up Ratio', 60), (' Average Packet Size', 61),
    (' Avg Fwd Segment Size', 62), (' Avg Bwd Segment Size', 63), (' Fwd Header Length', 43),
    ('Fwd Avg Bytes/Bulk', 64), (' Fwd Avg Packets/Bulk', 65), (' Fwd Avg Bulk Rate', 66),
    (' Bwd Avg Bytes/Bulk', 67), (' Bwd Avg Packets/Bulk', 68), ('Bwd Avg Bulk Rate', 69),
    ('Subflow Fwd Packets', 70), (' Subflow Fwd Bytes', 71), (' Subflow Bwd Packets', 72),
    (' Subflow Bwd Bytes', 73), ('Init_Win_bytes_forward', 74), (' Init_Win_bytes_backward', 75),
    (' act_data_pkt_fwd', 76), (' min_seg_size_forward', 78), ('Active Mean', 80), (' Active Std', 81),
    (' Active Max', 82), (' Active Min', 83), ('Idle Mean', 84), (' Idle Std', 85), (' Idle Max', 86),
    (' Idle Min', 87), (' Label', 94),
]

IDS2018 = [
    ('Dst Port', 5), ('Protocol', 6), ('Timestamp', 7), ('Flow Duration', 8), ('Tot Fwd Pkts', 9),
    ('Tot Bwd Pkts', 10), ('TotLen Fwd Pkts', 11), ('TotLen Bwd Pkts', 12), ('Fwd Pkt Len Max', 13),
    ('Fwd Pkt Len Min', 14), ('Fwd Pkt Len Mean', 15), ('Fwd Pkt Len Std', 16), ('Bwd Pkt Len Max', 17),
    ('Bwd Pkt Len Min', 18), ('Bwd Pkt Len Mean', 19), ('Bwd Pkt Len Std', 20), ('Flow Byts/s', 21),
    ('Flow Pkts/s', 22), ('Flow IAT Mean', 23), ('Flow IAT Std', 24), ('Flow IAT Max', 25),
    ('Flow IAT Min', 26), ('Fwd IAT Tot', 27), ('Fwd IAT Mean', 28), ('Fwd IAT Std', 29), ('Fwd IAT Max', 30),
    ('Fwd IAT Min', 31), ('Bwd IAT Tot', 32), ('Bwd IAT Mean', 33), ('Bwd IAT Std', 34), ('Bwd IAT Max', 35),
    ('Bwd IAT Min', 36), ('Fwd PSH Flags', 37), ('Bwd PSH Flags', 38), ('Fwd URG Flags', 39),
    ('Bwd URG Flags', 40), ('Fwd Header Len', 43), ('Bwd Header Len', 44), ('Fwd Pkts/s', 45),
    ('Bwd Pkts/s', 46), ('Pkt Len Min', 47), ('Pkt Len Max', 48), ('Pkt Len Mean', 49), ('Pkt Len Std', 50),
    ('Pkt Len Var', 51), ('FIN Flag Cnt', 52), ('SYN Flag Cnt', 53), ('RST Flag Cnt', 54),
    ('PSH Flag Cnt', 55), ('ACK Flag Cnt', 56), ('URG Flag Cnt', 57), ('CWE Flag Count', 58),
    ('ECE Flag Cnt', 59), ('Down/Up Ratio', 60), ('Pkt Size Avg', 61), ('Fwd Seg Size Avg', 62),
    ('Bwd Seg Size Avg', 63), ('Fwd Byts/b Avg', 64), ('Fwd Pkts/b Avg', 65), ('Fwd Blk Rate Avg', 66),
    ('Bwd Byts/b Avg', 67), ('Bwd Pkts/b Avg', 68), ('Bwd Blk Rate Avg', 69), ('Subflow Fwd Pkts', 70),
    ('Subflow Fwd Byts', 71), ('Subflow Bwd Pkts', 72), ('Subflow Bwd Byts', 73), ('Init Fwd Win Byts', 74),
    ('Init Bwd Win Byts', 75), ('Fwd Act Data Pkts', 76), ('Fwd Seg Size Min', 78), ('Active Mean', 80),
    ('Active Std', 81), ('Active Max', 82), ('Active Min', 83), ('Idle Mean', 84), ('Idle Std', 85),
    ('Idle Max', 86), ('Idle Min', 87), ('Label', 94),
]

ZERO_ACTIVE_IDLE = {k: 0 for k in CIC[79:87]}
ZERO_BULK = {k: 0 for k in CIC[63:69]}


# ---- frames -------------------------------------------------------------------

def opts(n):
    """n bytes of TCP options: an MSS option, then NOPs (n a multiple of 4, 0 to 40)."""
    return b'' if n == 0 else (b'\x02\x04\x05\xb4' + b'\x01' * (n - 4))


def t4(src, sport, dst, dport, flags, n=0, seq=1, ack=1, win=65535, hdr=20, **ip):
    """An Ethernet/IPv4/TCP frame: TCP header of hdr bytes (options hdr - 20), n bytes of payload."""
    seg = G.tcp_segment(sport, dport, flags, b'd' * n, seq=seq, ack=ack, window=win, options=opts(hdr - 20))
    return G.ether(G.ipv4_packet(src, dst, 6, seg, **ip))


def u4(src, sport, dst, dport, n=0, **ip):
    """An Ethernet/IPv4/UDP frame with n bytes of payload."""
    return G.ether(G.ipv4_packet(src, dst, 17, G.udp(sport, dport, b'u' * n), **ip))


def pad60(frame):
    """Ethernet padding up to the 60-byte minimum (it is not payload)."""
    return frame + b'\0' * max(0, 60 - len(frame))


def write_pcap(path, packets):
    """packets: (ts_ns, frame) or (ts_ns, frame, captured): the first `captured` bytes of
    the frame are written, its original length being the whole frame. In list order."""
    with open(path, 'wb') as f:
        f.write(G.pcap_header())
        for p in packets:
            ts, frame = p[0], p[1]
            cap = p[2] if len(p) > 2 else len(frame)
            f.write(G.record(ts, frame[:cap], orig_len=len(frame)))


# ---- flow A: the reference TCP flow ------------------------------------------------
# Client 10.0.0.2:40000 -> server 10.0.0.1:80. Times in µs after T0; hdr = TCP header
# (options included), n = payload. F = forward (client to server), B = backward.
#
# | # | t µs  | dir | flags     | hdr | n   | seq  | ack  | win   |
# | 1 | 0     | F   | SYN       | 40  | 0   | 1000 | 0    | 64240 |
# | 2 | 1000  | B   | SYN ACK   | 32  | 0   | 5000 | 1001 | 65160 |
# | 3 | 1500  | F   | ACK       | 20  | 0   | 1001 | 5001 | 502   |
# | 4 | 3500  | F   | PSH ACK   | 32  | 100 | 1001 | 5001 | 502   |
# | 5 | 4000  | B   | PSH ACK   | 32  | 60  | 5001 | 1101 | 509   |
# | 6 | 7000  | B   | PSH ACK   | 20  | 300 | 5061 | 1101 | 509   |
# | 7 | 10000 | F   | FIN PSH ACK | 20 | 50 | 1101 | 5361 | 500   |
# | 8 | 11000 | B   | FIN ACK   | 20  | 0   | 5361 | 1152 | 509   |
# | 9 | 12000 | F   | ACK       | 20  | 0   | 1152 | 5362 | 500   |

A_C, A_S = '10.0.0.2', '10.0.0.1'
FLOW_A = [
    (0, 'F', SYN, 40, 0, 1000, 0, 64240),
    (1000, 'B', SYN | ACK, 32, 0, 5000, 1001, 65160),
    (1500, 'F', ACK, 20, 0, 1001, 5001, 502),
    (3500, 'F', PSH | ACK, 32, 100, 1001, 5001, 502),
    (4000, 'B', PSH | ACK, 32, 60, 5001, 1101, 509),
    (7000, 'B', PSH | ACK, 20, 300, 5061, 1101, 509),
    (10000, 'F', FIN | PSH | ACK, 20, 50, 1101, 5361, 500),
    (11000, 'B', FIN | ACK, 20, 0, 5361, 1152, 509),
    (12000, 'F', ACK, 20, 0, 1152, 5362, 500),
]


def flow_a(t0=T0, c=A_C, s=A_S, cport=40000, sport=80):
    out = []
    for t, d, flags, hdr, n, seq, ack, win in FLOW_A:
        if d == 'F':
            frame = t4(c, cport, s, sport, flags, n, seq, ack, win, hdr)
        else:
            frame = t4(s, sport, c, cport, flags, n, seq, ack, win, hdr)
        out.append((t0 + t * US, frame))
    return out


FLOW_A_WANT = {
    'Flow ID': '10.0.0.2-10.0.0.1-40000-80-6',     # Src IP-Dst IP-Src Port-Dst Port-Protocol
    'Src IP': '10.0.0.2', 'Src Port': 40000, 'Dst IP': '10.0.0.1', 'Dst Port': 80,
    'Protocol': 6,
    'Timestamp': '2020-09-13 12:26:40',             # fraction 0: no decimals
    'Flow Duration': 12000,                         # 12000 - 0 µs
    'Total Fwd Packet': 5, 'Total Bwd packets': 4,  # packets 1 3 4 7 9 / 2 5 6 8
    # payloads F: 0 0 100 50 0; B: 0 60 300 0 (TCP: IP octets - 20 - data offset × 4)
    'Total Length of Fwd Packet': 150,              # 100 + 50
    'Total Length of Bwd Packet': 360,              # 60 + 300
    'Fwd Packet Length Max': 100, 'Fwd Packet Length Min': 0,
    'Fwd Packet Length Mean': 30,                   # 150 / 5
    'Fwd Packet Length Std': '44.7213595',          # deviations -30 -30 70 20 -30: 900+900+4900+400+900 = 8000;
                                                    # / (5 - 1) = 2000 (sample variance); sqrt(2000)
    'Bwd Packet Length Max': 300, 'Bwd Packet Length Min': 0,
    'Bwd Packet Length Mean': 90,                   # 360 / 4
    'Bwd Packet Length Std': '142.828569',          # deviations -90 -30 210 -90: 8100+900+44100+8100 = 61200;
                                                    # / 3 = 20400; sqrt(20400)
    'Flow Bytes/s': 42500,                          # (150 + 360) / 0.012 s
    'Flow Packets/s': 750,                          # 9 / 0.012
    # flow IATs: 1000 500 2000 500 3000 3000 1000 1000 (8 values, sum 12000)
    'Flow IAT Mean': 1500,                          # 12000 / 8
    'Flow IAT Std': '1035.09834',                   # deviations -500 -1000 500 -1000 1500 1500 -500 -500:
                                                    # 0.25+1+0.25+1+2.25+2.25+0.25+0.25 = 7.5e6; / 7; sqrt
    'Flow IAT Max': 3000, 'Flow IAT Min': 500,
    # forward times 0 1500 3500 10000 12000: IATs 1500 2000 6500 2000
    'Fwd IAT Total': 12000, 'Fwd IAT Mean': 3000,   # 12000 / 4
    'Fwd IAT Std': '2345.20788',                    # deviations -1500 -1000 3500 -1000: 2.25e6+1e6+12.25e6+1e6
                                                    # = 16.5e6; / 3 = 5.5e6; sqrt
    'Fwd IAT Max': 6500, 'Fwd IAT Min': 1500,
    # backward times 1000 4000 7000 11000: IATs 3000 3000 4000
    'Bwd IAT Total': 10000, 'Bwd IAT Mean': '3333.33333',   # 10000 / 3
    'Bwd IAT Std': '577.350269',                    # deviations -1000/3 -1000/3 2000/3: (1e6+1e6+4e6)/9 = 666666.67;
                                                    # / 2 = 333333.33; sqrt
    'Bwd IAT Max': 4000, 'Bwd IAT Min': 3000,
    'Fwd PSH Flags': 2,                             # packets 4, 7 (uncorrected, first packet only: 0)
    'Bwd PSH Flags': 2,                             # packets 5, 6 (uncorrected: 0)
    'Fwd URG Flags': 0, 'Bwd URG Flags': 0, 'Fwd RST Flags': 0, 'Bwd RST Flags': 0,
    'Fwd Header Length': 132,                       # 40 + 20 + 32 + 20 + 20 (the IP header is never counted)
    'Bwd Header Length': 104,                       # 32 + 32 + 20 + 20
    'Fwd Packets/s': '416.666667',                  # 5 / 0.012
    'Bwd Packets/s': '333.333333',                  # 4 / 0.012
    # all payloads, each packet once: 0 0 0 100 60 300 50 0 0
    'Packet Length Min': 0, 'Packet Length Max': 300,
    'Packet Length Mean': '56.6666667',             # 510 / 9 (uncorrected 43e5f4f, first counted twice: 510 / 10 = 51)
    'Packet Length Variance': 9650,                 # sum of squares 10000+3600+90000+2500 = 106100, minus 510²/9 =
                                                    # 28900: 77200; / 8 = 9650 (uncorrected: 8898.88889)
    'Packet Length Std': '98.2344135',              # sqrt(9650)
    'FIN Flag Count': 2, 'SYN Flag Count': 2, 'RST Flag Count': 0, 'PSH Flag Count': 4,
    'ACK Flag Count': 8,                            # every packet but the SYN
    'URG Flag Count': 0, 'CWR Flag Count': 0, 'ECE Flag Count': 0,
    'Down/Up Ratio': '0.8',                         # 4 / 5 (uncorrected 4b28b62, integer division: 0)
    'Average Packet Size': '56.6666667',            # 510 / 9
    'Fwd Segment Size Avg': 30, 'Bwd Segment Size Avg': 90,     # 150 / 5, 360 / 4
    **ZERO_BULK,                                    # 2 payload packets a direction: no bulk
    # no gap over 1 s: 1 subflow (the fork divides by the 0 gaps and writes 0)
    'Subflow Fwd Packets': 5, 'Subflow Fwd Bytes': 150, 'Subflow Bwd Packets': 4, 'Subflow Bwd Bytes': 360,
    'FWD Init Win Bytes': 64240,                    # the SYN's window
    'Bwd Init Win Bytes': 65160,                    # the SYN-ACK's (uncorrected 2ad81fd, the last backward: 509)
    'Fwd Act Data Pkts': 2, 'Bwd Act Data Pkts': 2,  # packets 4, 7 / 5, 6
    'Fwd Seg Size Min': 20,                         # min(40, 20, 32, 20, 20)
    'Bwd Seg Size Min': 20,                         # min(32, 32, 20, 20) (the fork: stuck at 0)
    **ZERO_ACTIVE_IDLE,                             # no gap over 5 s
    'ICMP Code': 0, 'ICMP Type': 0,                 # not ICMP (CICFlowMeter: -1)
    'Fwd TCP Retrans. Count': 0, 'Bwd TCP Retrans. Count': 0, 'Total TCP Retrans. Count': 0,
    'Total Connection Flow Time': 12000,            # not a continuation: its Flow Duration
    'Label': '-',
}


# ---- flow B: UDP, a first packet with a payload ----------------------------------------
# 10.0.0.3:5000 -> 10.0.0.4:6000: F 400 bytes at 0, B 100 at 250 µs, F 200 at 1250 µs.

def flow_b(t0=T0):
    c, s = '10.0.0.3', '10.0.0.4'
    return [(t0, u4(c, 5000, s, 6000, 400)), (t0 + 250 * US, u4(s, 6000, c, 5000, 100)),
            (t0 + 1250 * US, u4(c, 5000, s, 6000, 200))]


FLOW_B_WANT = {
    'Flow ID': '10.0.0.3-10.0.0.4-5000-6000-17', 'Protocol': 17,
    'Flow Duration': 1250,
    'Total Fwd Packet': 2, 'Total Bwd packets': 1,
    'Total Length of Fwd Packet': 600, 'Total Length of Bwd Packet': 100,   # UDP: IP octets - 20 - 8
    'Fwd Packet Length Max': 400, 'Fwd Packet Length Min': 200, 'Fwd Packet Length Mean': 300,
    'Fwd Packet Length Std': '141.421356',          # sqrt((100² + 100²) / 1)
    'Bwd Packet Length Max': 100, 'Bwd Packet Length Min': 100, 'Bwd Packet Length Mean': 100,
    'Bwd Packet Length Std': 0,                     # n = 1
    'Flow Bytes/s': 560000,                         # 700 / 0.00125
    'Flow Packets/s': 2400,                         # 3 / 0.00125
    'Flow IAT Mean': 625,                           # (250 + 1000) / 2
    'Flow IAT Std': '530.330086',                   # sqrt((375² + 375²) / 1)
    'Flow IAT Max': 1000, 'Flow IAT Min': 250,
    'Fwd IAT Total': 1250, 'Fwd IAT Mean': 1250, 'Fwd IAT Std': 0, 'Fwd IAT Max': 1250, 'Fwd IAT Min': 1250,
    'Bwd IAT Total': 0, 'Bwd IAT Mean': 0, 'Bwd IAT Std': 0, 'Bwd IAT Max': 0, 'Bwd IAT Min': 0,  # none
    'Fwd Header Length': 16, 'Bwd Header Length': 8,  # UDP: 8 a packet
    'Fwd Packets/s': 1600, 'Bwd Packets/s': 800,    # 2 / 0.00125, 1 / 0.00125
    # payloads 400 100 200, each once (uncorrected 43e5f4f: 400 400 100 200: mean 275, std 150,
    # variance 22500, and Average Packet Size (400+400+100+200)/3 = 366.666667)
    'Packet Length Min': 100, 'Packet Length Max': 400,
    'Packet Length Mean': '233.333333',             # 700 / 3
    'Packet Length Variance': '23333.3333',         # deviations 500/3 -400/3 -100/3: (250000+160000+10000)/9
                                                    # = 46666.67; / 2
    'Packet Length Std': '152.752523',              # sqrt(23333.3333)
    'Average Packet Size': '233.333333',            # 700 / 3
    'Down/Up Ratio': '0.5',                         # 1 / 2 (uncorrected: 0)
    'Fwd Segment Size Avg': 300, 'Bwd Segment Size Avg': 100,
    'Subflow Fwd Packets': 2, 'Subflow Fwd Bytes': 600, 'Subflow Bwd Packets': 1, 'Subflow Bwd Bytes': 100,
    'FWD Init Win Bytes': 0, 'Bwd Init Win Bytes': 0,   # not TCP
    'Fwd Act Data Pkts': 2,                         # the first packet included (uncorrected bf7ac70: 1)
    'Bwd Act Data Pkts': 1,
    'Fwd Seg Size Min': 8, 'Bwd Seg Size Min': 8,   # (the fork: Bwd 0)
    'ICMP Code': 0, 'ICMP Type': 0,                 # not ICMP (CICFlowMeter: -1)
    'Total Connection Flow Time': 1250,
    **ZERO_BULK, **ZERO_ACTIVE_IDLE,
}


# ---- flow E: TCP over IPv6, with a hop-by-hop header --------------------------------
# 2001:db8::1:40000 -> 2001:db8::2:443, times in µs:
# | 1 | 0   | F | SYN     | hdr 40 | n 0    | win 64800 |
# | 2 | 100 | B | SYN ACK | hdr 40 | n 0    | win 64260 |
# | 3 | 200 | F | PSH ACK | hdr 32 | n 517  | win 502   | after an 8-byte hop-by-hop header
# | 4 | 300 | B | ACK     | hdr 32 | n 0    | win 501   |
# | 5 | 400 | B | PSH ACK | hdr 32 | n 1200 | win 501   |

E_C, E_S = '2001:db8::1', '2001:db8::2'


def t6(src, sport, dst, dport, flags, n=0, seq=1, ack=1, win=65535, hdr=20, hop_by_hop=False):
    seg = G.tcp_segment(sport, dport, flags, b'6' * n, seq=seq, ack=ack, window=win, options=opts(hdr - 20))
    if hop_by_hop:      # next header TCP, length 0 (8 bytes), a PadN option of 4 bytes
        return G.ether(G.ipv6_packet(src, dst, 0, bytes([6, 0, 1, 4, 0, 0, 0, 0]) + seg), 0x86dd)
    return G.ether(G.ipv6_packet(src, dst, 6, seg), 0x86dd)


def flow_e(t0=T0):
    return [
        (t0, t6(E_C, 40000, E_S, 443, SYN, 0, 10, 0, 64800, 40)),
        (t0 + 100 * US, t6(E_S, 443, E_C, 40000, SYN | ACK, 0, 20, 11, 64260, 40)),
        (t0 + 200 * US, t6(E_C, 40000, E_S, 443, PSH | ACK, 517, 11, 21, 502, 32, hop_by_hop=True)),
        (t0 + 300 * US, t6(E_S, 443, E_C, 40000, ACK, 0, 21, 528, 501, 32)),
        (t0 + 400 * US, t6(E_S, 443, E_C, 40000, PSH | ACK, 1200, 21, 528, 501, 32)),
    ]


FLOW_E_WANT = {
    'Flow ID': '2001:db8::1-2001:db8::2-40000-443-6', 'Src IP': '2001:db8::1', 'Dst IP': '2001:db8::2',
    'Src Port': 40000, 'Dst Port': 443, 'Protocol': 6,
    'Flow Duration': 400,
    'Total Fwd Packet': 2, 'Total Bwd packets': 3,
    # packet 3: IP octets 40 + (8 + 32 + 517) = 597, minus 40, the 8 of the extension header and 32
    'Total Length of Fwd Packet': 517, 'Total Length of Bwd Packet': 1200,
    'Fwd Packet Length Max': 517, 'Fwd Packet Length Min': 0, 'Fwd Packet Length Mean': '258.5',
    'Fwd Packet Length Std': '365.574206',          # sqrt(2 × 258.5² / 1) = 258.5 × sqrt(2)
    'Bwd Packet Length Max': 1200, 'Bwd Packet Length Min': 0, 'Bwd Packet Length Mean': 400,
    'Bwd Packet Length Std': '692.820323',          # sqrt((400² + 400² + 800²) / 2) = sqrt(480000)
    'Flow Bytes/s': 4292500,                        # 1717 / 0.0004
    'Flow Packets/s': 12500,                        # 5 / 0.0004
    'Flow IAT Mean': 100, 'Flow IAT Std': 0, 'Flow IAT Max': 100, 'Flow IAT Min': 100,
    'Fwd IAT Total': 200, 'Fwd IAT Mean': 200, 'Fwd IAT Std': 0, 'Fwd IAT Max': 200, 'Fwd IAT Min': 200,
    'Bwd IAT Total': 300, 'Bwd IAT Mean': 150,      # 200 + 100
    'Bwd IAT Std': '70.7106781',                    # sqrt((50² + 50²) / 1)
    'Bwd IAT Max': 200, 'Bwd IAT Min': 100,
    'Fwd PSH Flags': 1, 'Bwd PSH Flags': 1,
    'Fwd Header Length': 72, 'Bwd Header Length': 104,  # 40 + 32; 40 + 32 + 32 (no IPv6 header)
    'Fwd Packets/s': 5000, 'Bwd Packets/s': 7500,   # 2 / 0.0004, 3 / 0.0004
    'Packet Length Min': 0, 'Packet Length Max': 1200,
    'Packet Length Mean': '343.4',                  # 1717 / 5
    'Packet Length Variance': '279417.8',           # 517² + 1200² = 1707289, minus 1717²/5 = 589617.8:
                                                    # 1117671.2; / 4
    'Packet Length Std': '528.599849',              # sqrt(279417.8)
    'FIN Flag Count': 0, 'SYN Flag Count': 2, 'PSH Flag Count': 2, 'ACK Flag Count': 4,
    'Down/Up Ratio': '1.5',                         # 3 / 2 (uncorrected 4b28b62: 1)
    'Average Packet Size': '343.4',
    'Fwd Segment Size Avg': '258.5', 'Bwd Segment Size Avg': 400,
    'FWD Init Win Bytes': 64800, 'Bwd Init Win Bytes': 64260,
    'Fwd Act Data Pkts': 1, 'Bwd Act Data Pkts': 1,
    'Fwd Seg Size Min': 32, 'Bwd Seg Size Min': 32,     # min(40, 32) both ways (the fork: Bwd 0)
    'Total Connection Flow Time': 400,
}


class Cic(Meter):
    # ---- helpers ---------------------------------------------------------------

    def capture(self, name, packets, sort=True):
        path = self.path(name)
        write_pcap(path, sorted(packets, key=lambda p: p[0]) if sort else packets)
        return path

    def table(self, cap, *args, schema='cic'):
        """Run the meter; (the header line as text, the header as a list, the rows as lists)."""
        out = self.path('out-%d.csv' % len(os.listdir(self.dir)))
        r = self.run_meter('-q', '-r', cap, '--schema', schema, *args, '-o', out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, newline='') as f:
            line = f.readline()
        with open(out, newline='') as f:
            rows = list(csv.reader(f))
        return line, rows[0], rows[1:]

    def cic_rows(self, cap, *args):
        """The rows of --schema cic as dicts (its 94 names are unique)."""
        _, header, rows = self.table(cap, *args)
        self.assertEqual(header[:94], CIC)
        return [dict(zip(header, r)) for r in rows]

    def flow(self, rows, flow_id, **match):
        """The one row of flow_id (and of the other columns given, e.g. Timestamp=...)."""
        got = [r for r in rows if r['Flow ID'] == flow_id and all(r[k] == v for k, v in match.items())]
        self.assertEqual(len(got), 1, (flow_id, match, [(r['Flow ID'], r['Timestamp']) for r in rows]))
        return got[0]

    def check(self, row, want, what=''):
        """Every column of want equal, as text; all differences reported at once."""
        bad = {k: {'got': row.get(k, '<missing>'), 'want': str(v)} for k, v in want.items()
               if row.get(k) != str(v)}
        self.assertEqual(bad, {}, what)

    # ---- the reference flows: lengths, headers, IATs, flags, windows ---------------

    def test_tcp_flow_every_column(self):
        """Flow A: TCP with options; every one of the 94 columns."""
        rows = self.cic_rows(self.capture('a.pcap', flow_a()))
        self.assertEqual(len(rows), 1)
        self.assertEqual(set(FLOW_A_WANT), set(CIC))      # the table above covers every column
        self.check(rows[0], FLOW_A_WANT)

    def test_udp_flow_first_packet_once(self):
        """Flow B: the first packet has the largest payload: counted once in the packet length
        statistics (43e5f4f) and in Fwd Act Data Pkts (bf7ac70)."""
        rows = self.cic_rows(self.capture('b.pcap', flow_b()))
        self.assertEqual(len(rows), 1)
        self.check(rows[0], FLOW_B_WANT)

    def test_ipv6_tcp_flow(self):
        rows = self.cic_rows(self.capture('e.pcap', flow_e()))
        self.assertEqual(len(rows), 1)
        self.check(rows[0], FLOW_E_WANT)

    def test_payloads_from_declared_lengths(self):
        """Payload and header length: TSO (IPv4 total length 0), short snaplen, Ethernet
        padding, IPv4 options, fragments, ICMP."""
        P = []
        # D1: TSO: total length 0, 2962-byte frame: IP octets 2962 - 14 = 2948; payload 2948 - 20 - 32 = 2896.
        #     The reply: declared 40, a 60-byte padded frame: payload 40 - 20 - 20 = 0 (not 6).
        P.append((T0, t4('10.0.2.1', 50000, '10.0.2.2', 443, PSH | ACK, 2896, 1, 1, 1000, 32, total_length=0)))
        P.append((T0 + 100 * US, pad60(t4('10.0.2.2', 443, '10.0.2.1', 50000, ACK, 0, 1, 2897, 2000))))
        # D2: declared 1440 (20 + 20 + 1400), 64 of 1454 bytes captured: payload 1400 (not 10)
        P.append((T0 + 200 * US, t4('10.0.2.3', 50001, '10.0.2.4', 80, PSH | ACK, 1400), 64))
        # D3: TSO and 54 of 5054 bytes captured: IP octets 5054 - 14 = 5040; payload 5040 - 20 - 20 = 5000
        P.append((T0 + 300 * US, t4('10.0.2.5', 50002, '10.0.2.6', 443, ACK, 5000, total_length=0), 54))
        # D4: UDP, 2 bytes in a padded 60-byte frame: declared 30, payload 30 - 20 - 8 = 2
        P.append((T0 + 400 * US, pad60(u4('10.0.2.7', 7000, '10.0.2.8', 7001, 2))))
        # D5: UDP, 42 of 1042 bytes captured: declared 1028, payload 1000
        P.append((T0 + 500 * US, u4('10.0.2.9', 7002, '10.0.2.10', 7003, 1000), 42))
        # D6: IPv4 with 4 bytes of options (IHL 6): declared 24 + 20 + 10 = 54, payload 54 - 24 - 20 = 10
        P.append((T0 + 600 * US, t4('10.0.2.11', 50003, '10.0.2.12', 80, PSH | ACK, 10,
                                    options=b'\x01\x01\x01\x00')))
        # D7: a UDP datagram of 8 + 2000 bytes in two fragments (ID 77): the first carries the UDP header
        #     and 1472 bytes (IP total 1500, MF): payload 1500 - 20 - 8 = 1472, header 8; the later one
        #     (offset 1480 = 185 × 8) 528 bytes: payload 548 - 20 = 528, header 0
        dgram = G.udp(7004, 7005, b'f' * 2000)
        P.append((T0 + 700 * US, G.ether(G.ipv4_packet('10.0.2.13', '10.0.2.14', 17, dgram[:1480],
                                                       ident=77, frag=0x2000))))
        P.append((T0 + 800 * US, G.ether(G.ipv4_packet('10.0.2.13', '10.0.2.14', 17, dgram[1480:],
                                                       ident=77, frag=185))))
        # D8: ICMP echo request with 4 + 56 bytes after its 4-byte header: payload 0, header 0
        P.append((T0 + 900 * US, G.ether(G.ipv4_packet('10.0.2.15', '10.0.2.16', 1,
                                                       G.icmp_message(8, 0, b'\0\1\0\1' + b'p' * 56)))))
        rows = self.cic_rows(self.capture('payloads.pcap', P))
        self.assertEqual(len(rows), 8)
        zero_b = {'Total Bwd packets': 0, 'Total Length of Bwd Packet': 0, 'Bwd Header Length': 0,
                  'Bwd Seg Size Min': 0, 'Bwd Act Data Pkts': 0}
        want = {
            '10.0.2.1-10.0.2.2-50000-443-6': {
                'Total Length of Fwd Packet': 2896, 'Fwd Packet Length Max': 2896, 'Total Length of Bwd Packet': 0,
                'Fwd Header Length': 32, 'Bwd Header Length': 20, 'Fwd Seg Size Min': 32, 'Bwd Seg Size Min': 20,
                'Fwd Act Data Pkts': 1, 'Bwd Act Data Pkts': 0, 'Packet Length Max': 2896, 'Packet Length Min': 0,
                'Average Packet Size': 1448},       # 2896 / 2
            '10.0.2.3-10.0.2.4-50001-80-6': {
                'Total Length of Fwd Packet': 1400, 'Fwd Packet Length Min': 1400, 'Fwd Header Length': 20,
                'Fwd Seg Size Min': 20, 'Fwd Act Data Pkts': 1, **zero_b},
            '10.0.2.5-10.0.2.6-50002-443-6': {
                'Total Length of Fwd Packet': 5000, 'Fwd Packet Length Max': 5000, 'Fwd Header Length': 20,
                'Fwd Act Data Pkts': 1, **zero_b},
            '10.0.2.7-10.0.2.8-7000-7001-17': {
                'Total Length of Fwd Packet': 2, 'Fwd Header Length': 8, 'Fwd Seg Size Min': 8, **zero_b},
            '10.0.2.9-10.0.2.10-7002-7003-17': {
                'Total Length of Fwd Packet': 1000, 'Fwd Header Length': 8, 'Fwd Act Data Pkts': 1, **zero_b},
            '10.0.2.11-10.0.2.12-50003-80-6': {
                'Total Length of Fwd Packet': 10, 'Fwd Header Length': 20, 'Fwd Seg Size Min': 20, **zero_b},
            '10.0.2.13-10.0.2.14-7004-7005-17': {
                'Total Fwd Packet': 2, 'Total Length of Fwd Packet': 2000,     # 1472 + 528
                'Fwd Packet Length Max': 1472, 'Fwd Packet Length Min': 528, 'Fwd Packet Length Mean': 1000,
                'Fwd Header Length': 8,                                         # 8 + 0
                'Fwd Seg Size Min': 0,                                          # min(8, 0)
                'Fwd Act Data Pkts': 2, **zero_b},
            '10.0.2.15-10.0.2.16-0-0-1': {
                'Protocol': 1, 'Src Port': 0, 'Dst Port': 0, 'Total Length of Fwd Packet': 0,
                'Fwd Packet Length Max': 0, 'Fwd Header Length': 0, 'Fwd Seg Size Min': 0, 'Fwd Act Data Pkts': 0,
                'ICMP Type': 8, 'ICMP Code': 0, **zero_b},
        }
        for fid, w in want.items():
            with self.subTest(flow=fid):
                self.check(self.flow(rows, fid), w, fid)

    def test_iat_nanoseconds_exact_decimals(self):
        """A capture with nanosecond timestamps: exact times with 3 decimals (µs)."""
        c, s = '10.0.10.1', '10.0.10.2'
        P = [(T0, u4(c, 8000, s, 8001, 1)), (T0 + 1_000_001, u4(s, 8001, c, 8000, 1)),
             (T0 + 2_500_003, u4(c, 8000, s, 8001, 1))]
        row = self.cic_rows(self.capture('ns.pcap', P))[0]
        self.check(row, {
            'Flow Duration': '2500.003',                # 2 500 003 ns
            'Flow IAT Max': '1500.002',                 # 2 500 003 - 1 000 001 ns
            'Flow IAT Min': '1000.001',
            'Flow IAT Mean': '1250.0015',               # 2500.003 / 2
            'Flow IAT Std': '353.554098',               # (1500.002 - 1000.001) / sqrt(2) = 500.001 / 1.41421356
            'Fwd IAT Total': '2500.003', 'Fwd IAT Mean': '2500.003', 'Fwd IAT Std': 0,
            'Fwd IAT Max': '2500.003', 'Fwd IAT Min': '2500.003',
            'Bwd IAT Total': 0, 'Bwd IAT Mean': 0, 'Bwd IAT Std': 0, 'Bwd IAT Max': 0, 'Bwd IAT Min': 0,
            'Total Connection Flow Time': '2500.003',
            'Flow Packets/s': '1199.99856',             # 3 / 0.002500003 = 1199.998560...
        })

    def test_iat_in_the_taken_order(self):
        """Records out of time order: IATs in the order taken, may be negative (CIC.md, Terms)."""
        c, s = '10.0.11.1', '10.0.11.2'
        P = [(T0, u4(c, 8100, s, 8101, 1)), (T0 + 2000 * US, u4(c, 8100, s, 8101, 1)),
             (T0 + 1000 * US, u4(c, 8100, s, 8101, 1))]
        row = self.cic_rows(self.capture('order.pcap', P, sort=False))[0]
        self.check(row, {
            'Flow Duration': 2000,                      # the last (largest) time minus the first: METERING.md 3
            'Flow IAT Mean': 500,                       # (2000 + -1000) / 2
            'Flow IAT Std': '2121.32034',               # sqrt((1500² + 1500²) / 1)
            'Flow IAT Max': 2000, 'Flow IAT Min': -1000,
            'Fwd IAT Total': 1000, 'Fwd IAT Max': 2000, 'Fwd IAT Min': -1000,
        })

    def test_flags_per_direction(self):
        """PSH and URG on every packet (a1c3466), RST per direction with the first packet
        (69b13a2, 890aec0), the totals, CWR and ECE."""
        c, s = '10.0.1.1', '10.0.1.2'
        P = [   # F1: 10.0.1.1:1111 -> 10.0.1.2:2222, 100 µs apart
            (T0, t4(c, 1111, s, 2222, PSH | ACK | URG, 10, 100, 500, 1000)),
            (T0 + 100 * US, t4(s, 2222, c, 1111, PSH | ACK, 20, 500, 110, 2000)),
            (T0 + 200 * US, t4(c, 1111, s, 2222, PSH | ACK | URG, 30, 110, 520, 1000)),
            (T0 + 300 * US, t4(s, 2222, c, 1111, PSH | ACK | URG | ECE, 40, 520, 140, 2000)),
            (T0 + 400 * US, t4(c, 1111, s, 2222, ACK | CWR, 0, 140, 560, 1000)),
            (T0 + 500 * US, t4(c, 1111, s, 2222, PSH | ACK | CWR | ECE, 5, 140, 560, 1000)),
            (T0 + 600 * US, t4(s, 2222, c, 1111, RST | ACK, 0, 560, 145, 2000)),
            # F2: 10.0.1.3:3333 -> 10.0.1.4:4444: an RST first, an RST back
            (T0 + 700 * US, t4('10.0.1.3', 3333, '10.0.1.4', 4444, RST | ACK, 0, 7, 8, 0)),
            (T0 + 1700 * US, t4('10.0.1.4', 4444, '10.0.1.3', 3333, RST, 0, 8, 0, 0)),
        ]
        rows = self.cic_rows(self.capture('flags.pcap', P))
        self.check(self.flow(rows, '10.0.1.1-10.0.1.2-1111-2222-6'), {
            'Fwd PSH Flags': 3,     # packets 1, 3, 6 (uncorrected, the first packet only: 1)
            'Bwd PSH Flags': 2,     # packets 2, 4 (uncorrected: 0)
            'Fwd URG Flags': 2,     # packets 1, 3 (uncorrected: 1)
            'Bwd URG Flags': 1,     # packet 4 (uncorrected: 0)
            'Fwd RST Flags': 0, 'Bwd RST Flags': 1,
            'FIN Flag Count': 0, 'SYN Flag Count': 0, 'RST Flag Count': 1,
            'PSH Flag Count': 5, 'ACK Flag Count': 7, 'URG Flag Count': 3,
            'CWR Flag Count': 2,    # packets 5, 6
            'ECE Flag Count': 2,    # packets 4, 6
            'Fwd TCP Retrans. Count': 0, 'Bwd TCP Retrans. Count': 0,
        }, 'F1')
        self.check(self.flow(rows, '10.0.1.3-10.0.1.4-3333-4444-6'), {
            'Fwd RST Flags': 1,     # the first packet (before 890aec0: 0)
            'Bwd RST Flags': 1, 'RST Flag Count': 2, 'ACK Flag Count': 1,
            'Total Fwd Packet': 1, 'Total Bwd packets': 1,
        }, 'F2')

    # ---- bulks ----------------------------------------------------------------------

    def test_bulks(self):
        """CIC.md "Bulks": a forward bulk (07b52b6: uncorrected, the forward bulk is always 0),
        extended past its 4th packet, interrupted by a backward payload, not by a backward
        packet without one, a restart after a gap over 1 s, a second bulk; a backward bulk."""
        c, s = '10.0.4.1', '10.0.4.2'
        # (ms, direction, payload) of a UDP flow 10.0.4.1:9000 -> 10.0.4.2:9001
        plan = [(0, 'F', 100), (100, 'F', 200), (200, 'F', 300), (300, 'F', 400),   # 4th: bulk 1, 4 pkts,
                                                                                   # 1000 B, 300 ms
                (500, 'F', 500),                        # 5th: 5 pkts, 1500 B, + 200 ms = 500 ms
                (600, 'B', 50),                         # B: a candidate starts
                (700, 'F', 10),                         # B's payload at 600 > F's start 0: F's candidate ends;
                (800, 'F', 20), (900, 'F', 30),         # a new one from 700: 3 packets only
                (2000, 'F', 1000),                      # 1.1 s after 900: a new candidate at 2000
                (2050, 'B', 0),                         # no payload: F's candidate goes on (B's ends)
                (2100, 'F', 1000), (2200, 'F', 1000),
                (2300, 'F', 1000),                      # 4th: bulk 2: 9 pkts, 5500 B, 500 + 300 = 800 ms
                (2400, 'B', 25), (2500, 'B', 25), (2600, 'B', 25),
                (2700, 'B', 25)]                        # B's 4th: bulk 1, 4 pkts, 100 B, 300 ms
        P = [(T0 + t * MS, u4(c, 9000, s, 9001, n) if d == 'F' else u4(s, 9001, c, 9000, n)) for t, d, n in plan]
        # H: 4 forward payloads at one time: a bulk of duration 0 (10.0.4.3:9002 -> 10.0.4.4:9003)
        P += [(T0 + 3 * NS, u4('10.0.4.3', 9002, '10.0.4.4', 9003, 10)) for _ in range(4)]
        # E: a backward payload at exactly the forward candidate's start does not break it ("strictly
        # later"): F at 4000, B at 4000, F at 4001, 4002, 4003 ms (10.0.4.5:9004 -> 10.0.4.6:9005)
        e, f = '10.0.4.5', '10.0.4.6'
        P += [(T0 + 4 * NS, u4(e, 9004, f, 9005, 10)), (T0 + 4 * NS, u4(f, 9005, e, 9004, 7))]
        P += [(T0 + 4 * NS + k * MS, u4(e, 9004, f, 9005, 10)) for k in (1, 2, 3)]
        rows = self.cic_rows(self.capture('bulk.pcap', P))
        self.check(self.flow(rows, '10.0.4.1-10.0.4.2-9000-9001-17'), {
            # uncorrected (07b52b6): 0 0 0. Without the interruption: 5560 B in 12 pkts (2780, 6, 4633.33);
            # without the gap restart: 5560 B, 12 pkts, 2100 ms; if the payload-less B packet interrupted:
            # one bulk (1500, 5, 3000)
            'Fwd Bytes/Bulk Avg': 2750,                 # 5500 / 2 bulks
            'Fwd Packet/Bulk Avg': '4.5',               # 9 / 2 (uncorrected e19a160, integer: 4)
            'Fwd Bulk Rate Avg': 6875,                  # 5500 / 0.8 s
            'Bwd Bytes/Bulk Avg': 100,                  # 100 / 1
            'Bwd Packet/Bulk Avg': 4,
            'Bwd Bulk Rate Avg': '333.333333',          # 100 / 0.3 s
        }, 'bulks')
        self.check(self.flow(rows, '10.0.4.3-10.0.4.4-9002-9003-17'), {
            'Fwd Bytes/Bulk Avg': 40, 'Fwd Packet/Bulk Avg': 4,
            'Fwd Bulk Rate Avg': 0,                     # bulk duration 0: 0
            'Bwd Bytes/Bulk Avg': 0, 'Bwd Packet/Bulk Avg': 0, 'Bwd Bulk Rate Avg': 0,
        }, 'equal times')
        self.check(self.flow(rows, '10.0.4.5-10.0.4.6-9004-9005-17'), {
            # B's payload at 4000 is not later than F's start 4000: F's 4 packets are a bulk of 40 B
            # in 3 ms (if "at or after" broke it: 0, 0, 0)
            'Fwd Bytes/Bulk Avg': 40, 'Fwd Packet/Bulk Avg': 4,
            'Fwd Bulk Rate Avg': '13333.3333',          # 40 / 0.003 s
        }, 'equal to the start')

    # ---- subflows -----------------------------------------------------------------

    def test_subflows(self):
        """Two gaps over 1 s (and one of exactly 1 s, not a cut): 3 subflows (381bc30)."""
        c, s = '10.0.5.1', '10.0.5.2'
        plan = [(0, 'F', 90), (500, 'B', 30),
                (2000, 'F', 60),                        # 1.5 s after 500: a cut
                (3000, 'F', 30),                        # exactly 1 s: not a cut (strictly more)
                (4500, 'B', 15)]                        # 1.5 s: a cut
        P = [(T0 + t * MS, u4(c, 9100, s, 9101, n) if d == 'F' else u4(s, 9101, c, 9100, n)) for t, d, n in plan]
        row = self.cic_rows(self.capture('subflows.pcap', P))[0]
        # the fork divides by the 2 gaps: 1.5, 90, 1, 22.5; uncorrected (every packet a subflow, 5):
        # 0.6, 36, 0.4, 9
        self.check(row, {
            'Subflow Fwd Packets': 1,                   # 3 / 3
            'Subflow Fwd Bytes': 60,                    # (90 + 60 + 30) / 3
            'Subflow Bwd Packets': '0.666666667',       # 2 / 3
            'Subflow Bwd Bytes': 15,                    # (30 + 15) / 3
        })

    # ---- active and idle ------------------------------------------------------------

    ACTIVITY = [0, 1000, 2000, 8000, 15000, 16000, 16500, 23000, 24000]    # ms, directions alternating

    def activity_capture(self):
        c, s = '10.0.6.1', '10.0.6.2'
        P = [(T0 + t * MS, u4(c, 9200, s, 9201, 1) if i % 2 == 0 else u4(s, 9201, c, 9200, 1))
             for i, t in enumerate(self.ACTIVITY)]
        return self.capture('activity.pcap', P)

    def test_active_idle_default_5s(self):
        row = self.cic_rows(self.activity_capture())[0]
        # T = 5 s: start = end = 0; 1, 2: end 2; 8 (6 > 5): active 2, idle 6, start 8; 15 (7 > 5):
        # active 8 - 8 = 0 not counted, idle 7, start 15; 16, 16.5: end 16.5; 23 (6.5 > 5): active 1.5,
        # idle 6.5, start 23; 24: end 24, the last period (1 s) not counted.
        # Uncorrected (fadf94a): a first idle of T0 since 1970, 1.6e15 µs.
        self.check(row, {
            'Active Mean': 1750000,                     # (2e6 + 1.5e6) / 2 µs
            'Active Std': '353553.391',                 # sqrt((0.25e6² + 0.25e6²) / 1)
            'Active Max': 2000000, 'Active Min': 1500000,
            'Idle Mean': 6500000,                       # (6e6 + 7e6 + 6.5e6) / 3
            'Idle Std': 500000,                         # sqrt((0.5e6² + 0.5e6² + 0) / 2)
            'Idle Max': 7000000, 'Idle Min': 6000000,
        })

    def test_active_idle_with_a_shorter_timeout(self):
        row = self.cic_rows(self.activity_capture(), '--cic-activity-timeout', '0.5')[0]
        # T = 0.5 s: 1 (1 > 0.5): active 0 not counted, idle 1; 2: idle 1; 8: idle 6; 15: idle 7;
        # 16: idle 1; 16.5 (0.5, not more): end 16.5; 23: active 0.5, idle 6.5; 24: active 0 not
        # counted, idle 1; the period at 24 is not counted.
        self.check(row, {
            'Active Mean': 500000, 'Active Std': 0, 'Active Max': 500000, 'Active Min': 500000,
            'Idle Mean': '3357142.86',                  # (1+1+6+7+1+6.5+1) = 23.5 s / 7
            'Idle Std': '2954012.61',                   # squares of the deviations from 3.357142857 s:
                                                        # 4 × 5.556122449 + 6.984693878 + 13.27040816
                                                        # + 9.87755102 = 52.35714286; / 6 = 8.726190476; sqrt
            'Idle Max': 7000000, 'Idle Min': 1000000,
        })

    def test_active_idle_with_a_decimal_timeout_on_flow_a(self):
        rows = self.cic_rows(self.capture('a.pcap', flow_a()), '--cic-activity-timeout', '0.001')
        # T = 1000 µs on flow A's times 0 1000 1500 3500 4000 7000 10000 11000 12000: 1000 (a gap of
        # exactly 1000, not more): end 1000; 1500: end 1500; 3500 (2000): active 1500, idle 2000;
        # 4000: end 4000; 7000 (3000): active 500, idle 3000; 10000 (3000): active 0 not counted,
        # idle 3000; 11000, 12000 (gaps of exactly 1000): end 12000, the running period not counted
        self.check(rows[0], {'Active Mean': 1000,                   # (1500 + 500) / 2
                             'Active Std': '707.106781',            # sqrt((500² + 500²) / 1)
                             'Active Max': 1500, 'Active Min': 500,
                             'Idle Mean': '2666.66667',             # 8000 / 3
                             'Idle Std': '577.350269',              # deviations -2000/3 1000/3 1000/3:
                                                                    # sqrt((4e6 + 1e6 + 1e6) / 9 / 2)
                             'Idle Max': 3000, 'Idle Min': 2000})

    # ---- initial windows -----------------------------------------------------------

    def test_init_windows(self):
        P = [
            # K1: the backward direction's first window is 0 (the fork takes the first non-zero: 2000)
            (T0, t4('10.0.7.1', 1000, '10.0.7.2', 2000, SYN, 0, 10, 0, 1000)),
            (T0 + 100 * US, t4('10.0.7.2', 2000, '10.0.7.1', 1000, SYN | ACK, 0, 50, 11, 0)),
            (T0 + 200 * US, t4('10.0.7.2', 2000, '10.0.7.1', 1000, ACK, 0, 51, 11, 2000)),
            (T0 + 300 * US, t4('10.0.7.1', 1000, '10.0.7.2', 2000, ACK, 0, 11, 51, 1500)),
            # K2: a SYN alone: the backward direction is empty
            (T0 + 400 * US, t4('10.0.7.3', 1001, '10.0.7.4', 2001, SYN, 0, 10, 0, 29200)),
            # K3: a SYN-ACK first: src is its destination, the client (the fork: FWD Init Win 0)
            (T0 + 500 * US, t4('10.0.7.6', 443, '10.0.7.5', 50000, SYN | ACK, 0, 70, 11, 65160)),
            (T0 + 600 * US, t4('10.0.7.5', 50000, '10.0.7.6', 443, ACK, 0, 11, 71, 502)),
            (T0 + 700 * US, t4('10.0.7.6', 443, '10.0.7.5', 50000, PSH | ACK, 10, 71, 11, 65000)),
        ]
        rows = self.cic_rows(self.capture('windows.pcap', P))
        self.check(self.flow(rows, '10.0.7.1-10.0.7.2-1000-2000-6'),
                   {'FWD Init Win Bytes': 1000, 'Bwd Init Win Bytes': 0}, 'K1')
        self.check(self.flow(rows, '10.0.7.3-10.0.7.4-1001-2001-6'),
                   {'FWD Init Win Bytes': 29200, 'Bwd Init Win Bytes': 0, 'Total Bwd packets': 0,
                    'Bwd Seg Size Min': 0, 'Down/Up Ratio': 0, 'Bwd Packet Length Max': 0}, 'K2')
        self.check(self.flow(rows, '10.0.7.5-10.0.7.6-50000-443-6'),
                   {'Src IP': '10.0.7.5', 'Src Port': 50000, 'Dst IP': '10.0.7.6', 'Dst Port': 443,
                    'Total Fwd Packet': 1, 'Total Bwd packets': 2,
                    'FWD Init Win Bytes': 502,              # the first forward packet: the ACK
                    'Bwd Init Win Bytes': 65160,            # the SYN-ACK
                    'Down/Up Ratio': 2, 'Bwd Act Data Pkts': 1, 'Fwd Act Data Pkts': 0}, 'K3')

    # ---- retransmissions -------------------------------------------------------------

    def test_retransmissions(self):
        c, s = '10.0.8.1', '10.0.8.2'
        P = [
            (T0, t4(c, 1234, s, 80, PSH | ACK, 50, 100, 900, 1000)),
            (T0 + 100 * US, t4(s, 80, c, 1234, ACK, 0, 900, 150, 2000)),
            (T0 + 200 * US, t4(c, 1234, s, 80, PSH | ACK, 50, 100, 900, 1000)),    # = the first packet: F 1
                                                                                   # (before 0703cb7: 0)
            (T0 + 300 * US, t4(s, 80, c, 1234, ACK, 0, 900, 150, 2000)),           # duplicate pure ACK: B 1
            (T0 + 400 * US, t4(c, 1234, s, 80, PSH | ACK, 50, 100, 900, 1001)),    # another window: no
            (T0 + 500 * US, t4(s, 80, c, 1234, ACK, 0, 900, 150, 2000)),           # again: B 2
            (T0 + 600 * US, t4(c, 1234, s, 80, PSH | ACK, 40, 100, 900, 1000)),    # another length: no
        ]
        row = self.cic_rows(self.capture('retrans.pcap', P))[0]
        self.check(row, {'Fwd TCP Retrans. Count': 1, 'Bwd TCP Retrans. Count': 2, 'Total TCP Retrans. Count': 3,
                         'Total Fwd Packet': 4, 'Total Bwd packets': 3})

    # ---- ICMP and protocols ------------------------------------------------------------

    def test_icmp_type_code_and_protocols(self):
        echo = b'\0\1\0\1' + b'p' * 56
        quoted = G.ipv4_packet('10.0.3.3', '10.0.3.4', 17, G.udp(1, 2))
        v6a, v6b, v6c, v6d = '2001:db8::10', '2001:db8::11', '2001:db8::12', '2001:db8::13'
        P = [
            (T0, G.ether(G.ipv4_packet('10.0.3.1', '10.0.3.2', 1, G.icmp_message(8, 0, echo)))),
            (T0 + 500 * US, G.ether(G.ipv4_packet('10.0.3.2', '10.0.3.1', 1, G.icmp_message(0, 0, echo)))),
            (T0 + 1 * MS, G.ether(G.ipv4_packet('10.0.3.4', '10.0.3.3', 1, G.icmp_message(3, 3, b'\0' * 4 + quoted)))),
            (T0 + 2 * MS, G.ether(G.ipv6_packet(v6a, v6b, 58, G.icmp_message(128, 0, echo)), 0x86dd)),
            (T0 + 3 * MS, G.ether(G.ipv6_packet(v6b, v6a, 58, G.icmp_message(129, 0, echo)), 0x86dd)),
            (T0 + 4 * MS, G.ether(G.ipv6_packet(v6c, v6d, 58, G.icmp_message(1, 4, b'\0' * 4)), 0x86dd)),
            # GRE carrying WCCP (0x883e): not a tunnel the meter opens (METERING.md, 1.1)
            (T0 + 5 * MS, G.ether(G.ipv4_packet('10.0.3.5', '10.0.3.6', 47, b'\0\0\x88\x3e')))
        ]
        rows = self.cic_rows(self.capture('icmp.pcap', P))
        self.assertEqual(len(rows), 5)
        self.check(self.flow(rows, '10.0.3.1-10.0.3.2-0-0-1'), {
            'Src IP': '10.0.3.1', 'Src Port': 0, 'Dst Port': 0, 'Protocol': 1,
            'ICMP Type': 8, 'ICMP Code': 0,             # the echo request, first
            'Total Fwd Packet': 1, 'Total Bwd packets': 1,
            'Total Length of Fwd Packet': 0, 'Total Length of Bwd Packet': 0,    # ICMP: payload 0
            'Fwd Header Length': 0, 'Bwd Header Length': 0, 'Fwd Seg Size Min': 0, 'Bwd Seg Size Min': 0,
            'Flow Duration': 500, 'Flow Bytes/s': 0, 'Flow Packets/s': 4000,   # 2 / 0.0005
            'Total Connection Flow Time': 0,            # not TCP or UDP
        }, 'echo')
        self.check(self.flow(rows, '10.0.3.4-10.0.3.3-0-0-1'), {'ICMP Type': 3, 'ICMP Code': 3}, 'unreachable')
        self.check(self.flow(rows, '2001:db8::10-2001:db8::11-0-0-58'),
                   {'Protocol': 58, 'ICMP Type': 128, 'ICMP Code': 0, 'Total Bwd packets': 1}, 'ICMPv6 echo')
        self.check(self.flow(rows, '2001:db8::12-2001:db8::13-0-0-58'),
                   {'ICMP Type': 1, 'ICMP Code': 4}, 'ICMPv6 unreachable')
        # GRE: column 6 is "the IP protocol number" (CIC.md: CICFlowMeter itself writes 0 for it)
        self.check(self.flow(rows, '10.0.3.5-10.0.3.6-0-0-47'),
                   {'Protocol': 47, 'ICMP Type': 0, 'ICMP Code': 0, 'Total Length of Fwd Packet': 0,
                    'Fwd Header Length': 0, 'Total Connection Flow Time': 0}, 'GRE')

    # ---- rates ---------------------------------------------------------------------

    def test_rates_at_duration_0_are_0(self):
        P = [(T0, u4('10.0.12.1', 1, '10.0.12.2', 2, 100))]                    # one packet
        P += [(T0 + NS, u4('10.0.12.3', 3, '10.0.12.4', 4, 10))] * 3           # three at one time
        P += [(T0 + NS, u4('10.0.12.4', 4, '10.0.12.3', 3, 10))]
        rows = self.cic_rows(self.capture('rates.pcap', P))
        zero = {'Flow Duration': 0, 'Flow Bytes/s': 0, 'Flow Packets/s': 0, 'Fwd Packets/s': 0,
                'Bwd Packets/s': 0, 'Flow IAT Mean': 0, 'Flow IAT Std': 0, 'Flow IAT Max': 0, 'Flow IAT Min': 0,
                'Fwd Bulk Rate Avg': 0, 'Total Connection Flow Time': 0}
        self.check(self.flow(rows, '10.0.12.1-10.0.12.2-1-2-17'), zero, 'one packet')
        self.check(self.flow(rows, '10.0.12.3-10.0.12.4-3-4-17'), {**zero, 'Down/Up Ratio': '0.333333333'},
                   'equal times')
        for r in rows:
            for k, v in r.items():
                self.assertNotIn(v.lower(), ('nan', 'inf', '-inf', 'infinity', '-1'), k)

    # ---- Total Connection Flow Time --------------------------------------------------

    def test_total_connection_flow_time(self):
        """--active-timeout 2 --idle-timeout 3: X (UDP) split twice and continued each time, Y (UDP)
        continued too late (4.1 s > 3), Z (TCP) continued exactly 3 s later (at most: a chain),
        W (ICMP) split: 0."""
        X = ('10.0.9.1', 5000, '10.0.9.2', 5001)
        Y = ('10.0.9.3', 5002, '10.0.9.4', 5003)
        P = []
        for t, d in ((0, 'F'), (1000, 'B'), (2500, 'F'), (3000, 'B'), (5000, 'F'), (6000, 'B')):
            P.append((T0 + t * MS, u4(*X, 1) if d == 'F' else u4(X[2], X[3], X[0], X[1], 1)))
        for t, d in ((100, 'F'), (1100, 'B'), (5200, 'F'), (5450, 'B')):
            P.append((T0 + t * MS, u4(*Y, 1) if d == 'F' else u4(Y[2], Y[3], Y[0], Y[1], 1)))
        for i, (t, d) in enumerate(((200, 'F'), (1200, 'B'), (4200, 'F'), (4700, 'B'))):
            P.append((T0 + t * MS, t4('10.0.9.5', 5004, '10.0.9.6', 5005, ACK, 1, 10 + i, 20, 1000) if d == 'F'
                      else t4('10.0.9.6', 5005, '10.0.9.5', 5004, ACK, 1, 20 + i, 10, 1000)))
        for t, d in ((300, 'F'), (1300, 'B'), (2600, 'F')):
            a, b = ('10.0.9.7', '10.0.9.8') if d == 'F' else ('10.0.9.8', '10.0.9.7')
            P.append((T0 + t * MS, G.ether(G.ipv4_packet(a, b, 1, G.icmp_message(8 if d == 'F' else 0, 0)))))
        rows = self.cic_rows(self.capture('chain.pcap', P), '--active-timeout', '2', '--idle-timeout', '3')
        # METERING.md 3: X1 [0, 1] (deadline 0 + 2) ends when the clock passes 2, X2 [2.5, 3] when it
        # passes 4.5, X3 [5, 6] at the end; Y1 [0.1, 1.1], Y2 [5.2, 5.45]; Z1 [0.2, 1.2], Z2 [4.2, 4.7];
        # W1 [0.3, 1.3], W2 [2.6]
        self.assertEqual(len(rows), 9, [(r['Flow ID'], r['Timestamp']) for r in rows])
        want = [
            ('10.0.9.1-10.0.9.2-5000-5001-17', '2020-09-13 12:26:40', 1000000, 1000000),    # 1 - 0 s
            ('10.0.9.1-10.0.9.2-5000-5001-17', '2020-09-13 12:26:42.500', 500000, 3000000),  # 3 - 0 s
            ('10.0.9.1-10.0.9.2-5000-5001-17', '2020-09-13 12:26:45', 1000000, 6000000),     # 6 - 0 s
            ('10.0.9.3-10.0.9.4-5002-5003-17', '2020-09-13 12:26:40.100', 1000000, 1000000),
            ('10.0.9.3-10.0.9.4-5002-5003-17', '2020-09-13 12:26:45.200', 250000, 250000),   # no chain (a chain:
                                                                                            # 5350000)
            ('10.0.9.5-10.0.9.6-5004-5005-6', '2020-09-13 12:26:40.200', 1000000, 1000000),
            ('10.0.9.5-10.0.9.6-5004-5005-6', '2020-09-13 12:26:44.200', 500000, 4500000),   # 4.7 - 0.2 s
            ('10.0.9.7-10.0.9.8-0-0-1', '2020-09-13 12:26:40.300', 1000000, 0),
            ('10.0.9.7-10.0.9.8-0-0-1', '2020-09-13 12:26:42.600', 0, 0),
        ]
        for fid, ts, duration, total in want:
            with self.subTest(flow=fid, timestamp=ts):
                self.check(self.flow(rows, fid, Timestamp=ts),
                           {'Flow Duration': duration, 'Total Connection Flow Time': total}, (fid, ts))

    def test_total_connection_flow_time_dns_uses_the_dns_timeout(self):
        """DNS flows (one per transaction) continue within --dns-timeout, not --idle-timeout."""
        def dns(txid, t_ms, query=True):
            a, b, sp, dp = ('10.0.14.1', '10.0.14.2', 33000, 53) if query else ('10.0.14.2', '10.0.14.1', 53, 33000)
            return (T0 + t_ms * MS, G.ether(G.ipv4_packet(a, b, 17, G.udp(sp, dp, txid + b'\0' * 10))))
        # transaction 0x1111: [0, 1 s], then 5.5 s: 4.5 s after, over the DNS timeout 3 (under the idle 100)
        # transaction 0x2222: [0.1, 1.1 s], then 3.6 s: 2.5 s after: continued
        one, two = b'\x11\x11', b'\x22\x22'
        P = [dns(one, 0), dns(one, 1000, False), dns(one, 5500), dns(one, 5750, False),
             dns(two, 100), dns(two, 1100, False), dns(two, 3600), dns(two, 3700, False)]
        rows = self.cic_rows(self.capture('dns.pcap', P),
                             '--active-timeout', '2', '--idle-timeout', '100', '--dns-timeout', '3')
        fid = '10.0.14.1-10.0.14.2-33000-53-17'
        got = sorted((r['Timestamp'], r['Flow Duration'], r['Total Connection Flow Time'])
                     for r in rows if r['Flow ID'] == fid)
        self.assertEqual(got, [
            ('2020-09-13 12:26:40', '1000000', '1000000'),
            ('2020-09-13 12:26:40.100', '1000000', '1000000'),
            ('2020-09-13 12:26:43.600', '100000', '3600000'),     # 3.7 - 0.1 s
            ('2020-09-13 12:26:45.500', '250000', '250000'),      # no chain (with the idle timeout: 5750000)
        ])

    def test_exact_times_under_the_precision(self):
        """An exact time of 10 significant digits: rounded at --precision 9, whole at 10 and 17."""
        c, s = '10.0.15.1', '10.0.15.2'
        P = [(T0, u4(c, 8200, s, 8201, 1)), (T0 + 2_500_000_003, u4(s, 8201, c, 8200, 1))]
        cap = self.capture('precision.pcap', P)
        for args, text in (((), '2500000'),                     # 2500000.003 µs: 2500000.00 at 9 digits
                           (('--precision', '10'), '2500000.003'),
                           (('--precision', '17'), '2500000.003')):   # never a digit that is not there
            with self.subTest(args=args):
                row = self.cic_rows(cap, *args)[0]
                self.check(row, {'Flow Duration': text, 'Flow IAT Max': text, 'Flow IAT Min': text,
                                 'Total Connection Flow Time': text, 'Total Fwd Packet': 1})

    # ---- text -------------------------------------------------------------------------

    def test_timestamp_text(self):
        fractions = [
            (0, '2020-09-13 12:26:40'),                         # no fraction
            (1 * NS + 250 * MS, '2020-09-13 12:26:41.250'),     # whole ms: 3 digits
            (2 * NS + 100 * MS, '2020-09-13 12:26:42.100'),
            (3 * NS + 123456 * US, '2020-09-13 12:26:43.123456'),   # whole µs: 6 digits
            (4 * NS + 100 * US, '2020-09-13 12:26:44.000100'),
            (5 * NS + 123456789, '2020-09-13 12:26:45.123456789'),  # else 9 digits
            (6 * NS + 1, '2020-09-13 12:26:46.000000001'),
            (7 * NS + 120000010, '2020-09-13 12:26:47.120000010'),
        ]
        P = [(T0 + dt, u4('10.0.13.1', 6000 + i, '10.0.13.2', 7000)) for i, (dt, _) in enumerate(fractions)]
        rows = self.cic_rows(self.capture('ts.pcap', P))
        for i, (_, text) in enumerate(fractions):
            self.assertEqual(self.flow(rows, '10.0.13.1-10.0.13.2-%d-7000-17' % (6000 + i))['Timestamp'], text)

    # ---- the headers, and one flow under the three --------------------------------------

    def three_flows(self):
        return self.capture('abe.pcap', flow_a() + flow_b(T0 + 20 * MS) + flow_e(T0 + 40 * MS))

    def test_cic_header(self):
        line, header, rows = self.table(self.three_flows())
        self.assertEqual(len(CIC), 94)
        self.assertEqual(line, ','.join(CIC) + '\n')
        self.assertEqual(len(rows), 3)
        self.assertTrue(all(len(r) == 94 for r in rows))

    def test_cic_ids2017_header_bytes(self):
        line, header, rows = self.table(self.three_flows(), schema='cic-ids2017')
        self.assertEqual(len(IDS2017), 85)
        # the published line: ", " before each name with a leading space; Fwd Header Length twice
        self.assertEqual(line, ','.join(n for n, _ in IDS2017) + '\n')
        self.assertTrue(line.startswith('Flow ID, Source IP, Source Port, Destination IP, Destination Port, '
                                        'Protocol, Timestamp, Flow Duration, Total Fwd Packets, '
                                        'Total Backward Packets,Total Length of Fwd Packets,'))
        self.assertEqual(header.count(' Fwd Header Length'), 2)
        self.assertEqual(header.index(' Fwd Header Length'), 40)     # columns 41 and 62
        self.assertEqual(header[61], ' Fwd Header Length')
        self.assertTrue(line.endswith(', Idle Min, Label\n'))
        self.assertTrue(all(len(r) == 85 for r in rows))

    def test_cic_ids2018_header(self):
        line, header, rows = self.table(self.three_flows(), schema='cic-ids2018')
        self.assertEqual(len(IDS2018), 80)
        self.assertEqual(line, ','.join(n for n, _ in IDS2018) + '\n')
        self.assertTrue(line.startswith('Dst Port,Protocol,Timestamp,Flow Duration,Tot Fwd Pkts,'))
        self.assertTrue(all(len(r) == 80 for r in rows))

    def test_the_same_values_under_the_three_names(self):
        cap = self.three_flows()
        _, _, cic = self.table(cap)
        _, _, r17 = self.table(cap, schema='cic-ids2017')
        _, _, r18 = self.table(cap, schema='cic-ids2018')
        self.assertEqual(len(cic), 3)
        self.assertEqual((len(r17), len(r18)), (3, 3))
        # the rows come in the same order (the same flows end the same way); the hand values hold too
        by_id = {r[0]: r for r in cic}
        self.check(dict(zip(CIC, by_id['10.0.0.2-10.0.0.1-40000-80-6'])), FLOW_A_WANT, 'A')
        self.check(dict(zip(CIC, by_id['10.0.0.3-10.0.0.4-5000-6000-17'])), FLOW_B_WANT, 'B')
        self.check(dict(zip(CIC, by_id['2001:db8::1-2001:db8::2-40000-443-6'])), FLOW_E_WANT, 'E')
        for i in range(3):
            want17 = [cic[i][col - 1] for _, col in IDS2017]
            self.assertEqual(r17[i], want17, 'cic-ids2017 row %d' % i)
            want18 = [cic[i][col - 1] for _, col in IDS2018]
            self.assertEqual(r18[i], want18, 'cic-ids2018 row %d' % i)

    # ---- with the other options ----------------------------------------------------------

    def test_first_packets_in_microseconds(self):
        cap = self.capture('a.pcap', flow_a())
        _, header, rows = self.table(cap, '--first-packets', '3')
        self.assertEqual(header[:94], CIC)
        self.assertEqual(header[94:], ['splt_direction', 'splt_ps', 'splt_piat'])
        r = dict(zip(header, rows[0]))
        self.assertEqual(r['splt_direction'], '[0,1,0]')
        self.assertEqual(r['splt_ps'], '[74,66,54]')        # wire lengths: 14 + 20 + 40, 14 + 20 + 32, 14 + 20 + 20
        self.assertEqual(r['splt_piat'], '[0,1000,500]')    # µs: 0, 1000 - 0, 1500 - 1000
        _, header, rows = self.table(cap, '--first-packets', '3', '--first-packets-layout', 'columns',
                                     schema='cic-ids2018')
        self.assertEqual(len(header), 80 + 9)
        r = dict(zip(header, rows[0]))
        self.assertEqual([r['splt_piat_%d' % i] for i in (1, 2, 3)], ['0', '1000', '500'])

    def test_labels(self):
        cap = self.three_flows()
        rules = self.path('rules.csv')
        with open(rules, 'w') as f:
            f.write('start,end,src,dst,port,protocol,label\n'
                    '*,*,10.0.0.1,10.0.0.2,80,tcp,Web Attack\n')   # written server first: either way round
        got = {r['Flow ID']: r['Label'] for r in self.cic_rows(cap, '--labels', rules, '--label', 'BENIGN')}
        self.assertEqual(got, {'10.0.0.2-10.0.0.1-40000-80-6': 'Web Attack', '10.0.0.3-10.0.0.4-5000-6000-17': 'BENIGN',
                               '2001:db8::1-2001:db8::2-40000-443-6': 'BENIGN'})
        got = {r['Flow ID']: r['Label'] for r in self.cic_rows(cap, '--label', 'BENIGN')}
        self.assertEqual(set(got.values()), {'BENIGN'})
        _, header, rows = self.table(cap, '--labels', rules, schema='cic-ids2017')
        self.assertEqual(header[-1], ' Label')
        self.assertEqual(sorted(r[-1] for r in rows), ['-', '-', 'Web Attack'])
        _, header, rows = self.table(cap, '--labels', rules, schema='cic-ids2018')
        self.assertEqual(header[-1], 'Label')
        self.assertEqual(sorted(r[-1] for r in rows), ['-', '-', 'Web Attack'])

    def test_json_lines_keys_are_the_names(self):
        cap = self.capture('a.pcap', flow_a())
        out = self.path('a.jsonl')
        r = self.run_meter('-q', '-r', cap, '--schema', 'cic', '--format', 'jsonl', '-o', out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 1)
        pairs = json.loads(lines[0], object_pairs_hook=lambda p: p)
        self.assertEqual([k for k, _ in pairs], CIC)
        o = dict(pairs)
        self.assertEqual(o['Flow ID'], '10.0.0.2-10.0.0.1-40000-80-6')
        self.assertEqual(o['Timestamp'], '2020-09-13 12:26:40')
        self.assertEqual(o['Src IP'], '10.0.0.2')
        self.assertIs(type(o['Total Fwd Packet']), int)
        self.assertEqual(o['Total Fwd Packet'], 5)
        self.assertEqual(o['Flow Duration'], 12000)
        self.assertEqual(o['Down/Up Ratio'], 0.8)
        self.assertAlmostEqual(o['Flow IAT Std'], 1035.09834, places=4)
        self.assertEqual(o['Label'], '-')
        # cic-ids2017: the keys with their leading spaces
        out = self.path('a17.jsonl')
        r = self.run_meter('-q', '-r', cap, '--schema', 'cic-ids2017', '--format', 'jsonl', '-o', out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            pairs = json.loads(f.readline(), object_pairs_hook=lambda p: p)
        keys = [k for k, _ in pairs]
        names = [n for n, _ in IDS2017]
        # CIC.md: "--format jsonl uses the same names as keys (with their spaces), but for the
        # second ` Fwd Header Length` of cic-ids2017, whose key is ` Fwd Header Length.1`".
        self.assertEqual(keys[:61], names[:61])
        self.assertEqual(keys[61], ' Fwd Header Length.1')
        self.assertEqual(keys[62:], names[62:])
        self.assertEqual(len(set(keys)), len(keys), 'no key twice')
        o = dict(pairs)
        self.assertEqual(o[' Fwd Header Length.1'], 132)
        self.assertEqual(o[' Source IP'], '10.0.0.2')
        self.assertEqual(o[' Total Fwd Packets'], 5)
        self.assertEqual(o[' Fwd Header Length'], 132)
        self.assertEqual(o['Init_Win_bytes_forward'], 64240)

    # ---- errors and help -------------------------------------------------------------

    def test_columns_and_ipfix_are_refused(self):
        cap = self.capture('a.pcap', flow_a())
        for schema in ('cic', 'cic-ids2017', 'cic-ids2018'):
            with self.subTest(schema=schema):
                out = self.path('no-%s.csv' % schema)
                r = self.run_meter('-q', '-r', cap, '--schema', schema, '--columns', 'Flow ID,Label', '-o', out)
                self.assert_error(r, EXIT_USAGE, '--columns')
                r = self.run_meter('-q', '-r', cap, '--schema', schema, '--ipfix', 'udp://127.0.0.1:4739', '-o', out)
                err = self.assert_error(r, EXIT_USAGE)
                self.assertIn('ipfix', err.lower())
                self.assertFalse(os.path.exists(out))

    def test_ipfix_elements_is_refused(self):
        """--ipfix-elements prints the schema's templates: a CIC schema has none (CIC.md: "IPFIX
        has no elements for these columns"), so it is refused as --ipfix is."""
        r = self.run_meter('--schema', 'cic', '--ipfix-elements')
        err = self.assert_error(r, EXIT_USAGE)
        self.assertIn('ipfix', err.lower())

    def test_bad_activity_timeouts(self):
        cap = self.capture('a.pcap', flow_a())
        # 0 is refused, as --idle-timeout 0 is: with T = 0 every gap is an idle period and every active
        # period has length 0 (never counted), so the active columns would always be 0 and the idle ones
        # the flow's IATs: a mistake, not a setting (the option's text: "a gap longer than this")
        for value in ('-1', '0', '-0.5', 'x', '', '5s', 'nan', 'inf'):
            with self.subTest(value=value):
                out = self.path('bad.csv')
                r = self.run_meter('-q', '-r', cap, '--schema', 'cic', '--cic-activity-timeout', value, '-o', out)
                self.assert_error(r, EXIT_USAGE, '--cic-activity-timeout', "'%s'" % value)
                self.assertFalse(os.path.exists(out))
        r = self.run_meter('-q', '-r', cap, '--schema', 'cic', '--cic-activity-timeout')
        self.assert_error(r, EXIT_USAGE)
        # CIC.md: with another schema the meter refuses it rather than ignore it
        for schema in ('appflowmeter', 'extended'):
            with self.subTest(schema=schema):
                out = self.path('other.csv')
                r = self.run_meter('-q', '-r', cap, '--schema', schema, '--cic-activity-timeout', '3', '-o', out)
                self.assert_error(r, EXIT_USAGE, '--cic-activity-timeout', 'CIC schemas only')
                self.assertFalse(os.path.exists(out))

    def test_unknown_schema_lists_the_cic_schemas(self):
        r = self.run_meter('-q', '-r', self.capture('a.pcap', flow_a()), '--schema', 'cic-ids2019')
        err = self.assert_error(r, EXIT_USAGE, '--schema')
        for name in ('cic', 'cic-ids2017', 'cic-ids2018'):
            self.assertIn(name, err)

    def test_help_mentions_the_cic_schemas(self):
        r = self.run_meter('--help')
        self.assertEqual(r.returncode, 0)
        for word in ('cic-ids2017', 'cic-ids2018', '--cic-activity-timeout', 'CIC.md'):
            self.assertIn(word, r.stdout)
        self.assertRegex(r.stdout, r'\bcic\b')


if __name__ == '__main__':
    unittest.main()
