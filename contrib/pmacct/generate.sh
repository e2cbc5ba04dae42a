#!/bin/sh
# Makes this directory's pmacct files from the meter's own element table:
#   contrib/pmacct/generate.sh [BIN [PEN]]   (defaults: app-flow-meter, PEN 32473)
# -> nfacctd-tee.conf, nfacctd-a.conf, nfacctd-b.conf, primitives-a.lst,
#    primitives-b.lst, tee_receivers.lst, afm.sql
# Run it again after choosing another --ipfix-pen. docs/EXPORT.md says how they fit.
#
# pmacct 1.7's limits shape them: a daemon holds at most 63 custom primitives, and a
# PostgreSQL plugin writes each INSERT into fixed buffers (its VALUES list overflows
# past about 50 hex fields). So the 107 elements that carry columns are split into
# four tables, two per daemon (a on port 4740, b on 4741), and pmacct's tee daemon
# takes the meter's IPFIX on 4739 and replicates every datagram to both. Every table
# holds the flow's key; the view afm_flows joins them under the CSV's column names.
set -eu
BIN=${1:-app-flow-meter}
PEN=${2:-32473}
DIR=$(cd "$(dirname "$0")" && pwd)

"$BIN" --ipfix-elements --schema extended --ipfix-pen "$PEN" | awk -F'\t' -v dir="$DIR" '
function key(pen, id) { return (pen ? pen ":" : "") id }
function prim(f, name, k, len, sem) { printf "name=%s\tfield_type=%s\tlen=%s\tsemantics=%s\n", name, k, len, sem > f }
function sqltype(i) { return sem[i] == "str" ? "varchar(255)" : sem[i] == "hex" ? "char(16)" : len[i] == 8 ? "numeric(20)" : "integer" }
# 0..3: the table of element i. nfacctd 1.7 keeps one variable-length field a plugin
# (a second one reads as the first), so each table takes at most one string.
function part(i) { return sem[i] == "str" ? strno[i] : int((fixedno[i] - 1) * 4 / fixed) }
NR == 1 { next }
$2 == "flowStartNanoseconds" { start = key($3, $4); next }
$2 == "flowEndNanoseconds" { end = key($3, $4); next }
$2 ~ /Address$|TransportPort$|^protocolIdentifier$/ { next }	# pmacct\x27s own primitives: the key
$8 == "-" { next }	# the rest of the identity: no column of its own
$2 == "interfaceName" { next }	# nfacctd 1.7 reads IANA elements of a fixed length only
$9 >= 115 && $9 <= 118 { next }	# the tunnel\x27s addresses and ids: strings, past the four tables\x27 four
$3 != 0 { ext[$4]++ }	# nfacctd counts an ID\x27s repeats across enterprise numbers
{
	n++
	k[n] = key($3, $4)
	col[n] = $8
	num[n] = $9
	name[n] = "c" $9 ($2 == "dot1qCustomerVlanId" ? "i" : "")
	len[n] = $5 == "string" ? "vlen" : $5 == "unsigned8" ? 1 : $5 == "unsigned16" ? 2 : 8
	sem[n] = $5 == "string" ? "str" : $5 == "float64" ? "hex" : "u_int"
	rep[n] = $3 != 0 ? ext[$4] - 1 : 0
	if (sem[n] == "str")
		strno[n] = strings++
	else
		fixedno[n] = ++fixed
}
END {
	made = "made by contrib/pmacct/generate.sh from app-flow-meter --ipfix-elements"
	if (strings > 4) {
		print "generate.sh: " strings " string elements, more than the four tables" > "/dev/stderr"
		exit 1
	}
	# nfacctd hands a plugin each record at once only when it has a variable-length
	# field (else a record waits for the next one): a table without a string of its
	# own takes one of its daemon\x27s as well (pace[table]).
	for (t = strings; t < 4; t++)
		for (i = 1; i <= n; i++)
			if (sem[i] == "str" && int(part(i) / 2) == int(t / 2))
				pace[t] = name[i]
	keycols = "src_host, dst_host, src_port, dst_port, proto, t_start"
	# primitives: the key, then the elements of the daemon two tables
	for (d = 0; d < 2; d++) {
		f = dir "/primitives-" (d ? "b" : "a") ".lst"
		print "! app-flow-meter\x27s IPFIX elements for nfacctd-" (d ? "b" : "a") ".conf (" made ")" > f
		print "! t_start, t_end: the first and last packet (dateTimeNanoseconds: NTP seconds << 32 | 2^-32 s)" > f
		prim(f, "t_start", start, 8, "u_int")
		if (d) prim(f, "t_end", end, 8, "u_int")
		for (i = 1; i <= n; i++) {
			if (int(part(i) / 2) != d)
				continue
			# the template holds 29305:ID before PEN:ID: nfacctd calls this one its
			# repeat 1, and a primitive its repeat by the entries before it with
			# the same PEN and ID; placeholders make the two agree
			for (r = 0; r < rep[i]; r++)
				prim(f, name[i] "_r" r, k[i], len[i], sem[i])
			prim(f, name[i], k[i], len[i], sem[i])
		}
		close(f)
	}
	about = "! app-flow-meter -> pmacct\x27s nfacctd -> PostgreSQL (docs/EXPORT.md; " made ").\n" \
		"! In this directory: nfacctd -f nfacctd-tee.conf (the meter\x27s IPFIX on 4739, every datagram\n" \
		"! to a and b), nfacctd -f nfacctd-a.conf (4740) and nfacctd -f nfacctd-b.conf (4741). The\n" \
		"! database (afm.sql): four tables, the view afm_flows."
	f = dir "/nfacctd-tee.conf"
	print about > f
	print "daemonize: false\nnfacctd_port: 4739" > f
	print "! room for a burst of records (the kernel caps it at net.core.rmem_max)" > f
	print "nfacctd_pipe_size: 33554432\nplugins: tee[both]\ntee_receivers[both]: tee_receivers.lst" > f
	print "! and between the daemon\x27s core and its plugins (unbuffered: each datagram at once)" > f
	print "plugin_pipe_size[both]: 67108864" > f
	close(f)
	f = dir "/tee_receivers.lst"
	print "! where nfacctd-tee.conf replicates every datagram: nfacctd-a.conf and nfacctd-b.conf" > f
	print "id=1\tip=127.0.0.1:4740\nid=2\tip=127.0.0.1:4741" > f
	close(f)
	for (d = 0; d < 2; d++) {
		f = dir "/nfacctd-" (d ? "b" : "a") ".conf"
		print about > f
		print "daemonize: false\nnfacctd_port: " (d ? 4741 : 4740) "\nnfacctd_pipe_size: 33554432" > f
		print "aggregate_primitives: primitives-" (d ? "b" : "a") ".lst" > f
		print "plugins: pgsql[t" 2 * d + 1 "], pgsql[t" 2 * d + 2 "]" > f
		for (t = 2 * d; t < 2 * d + 2; t++) {
			p = "[t" t + 1 "]"
			agg = keycols (t == 3 ? ", t_end" : "") (t in pace ? ", " pace[t] : "")
			for (i = 1; i <= n; i++)
				if (part(i) == t)
					agg = agg ", " name[i]
			print "aggregate" p ": " agg > f
			print "sql_table" p ": afm_flows_" t + 1 > f
			print "sql_host" p ": 127.0.0.1\nsql_db" p ": afm\nsql_user" p ": afm\nsql_passwd" p ": afm" > f
			print "sql_optimize_clauses" p ": true\nsql_dont_try_update" p ": true\nsql_num_protos" p ": true" > f
			print "sql_refresh_time" p ": 5\nplugin_pipe_size" p ": 67108864" > f
		}
		close(f)
	}
	sql = dir "/afm.sql"
	print "-- app-flow-meter flows in PostgreSQL through pmacct (" made ")." > sql
	print "-- psql -d afm -f afm.sql: the four tables the nfacctd daemons write, and the view" > sql
	print "-- afm_flows that joins them under the CSV\x27s column names (docs/COLUMNS.md)." > sql
	for (t = 0; t < 4; t++) {
		printf "CREATE TABLE afm_flows_%d (\n\tip_src varchar(45) NOT NULL, ip_dst varchar(45) NOT NULL,\n", t + 1 > sql
		printf "\tport_src integer NOT NULL, port_dst integer NOT NULL, ip_proto smallint NOT NULL,\n" > sql
		printf "\tt_start numeric(20) NOT NULL" (t == 3 ? ", t_end numeric(20) NOT NULL" : "") > sql
		if (t in pace)
			printf ",\n\t%s varchar(255)", pace[t] > sql
		for (i = 1; i <= n; i++)
			if (part(i) == t)
				printf ",\n\t%s %s", name[i], sqltype(i) > sql
		printf ",\n\tpackets bigint, bytes bigint, flows bigint, stamp_inserted timestamp, stamp_updated timestamp\n);\n" > sql
	}
	print "-- a float64 element arrives as the hex of its 8 bytes: the very double" > sql
	print "CREATE FUNCTION afm_float8(h text) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$" > sql
	print "\tSELECT CASE WHEN e = 2047 THEN CASE WHEN m = 0 THEN sign * \x27Infinity\x27::float8 ELSE \x27NaN\x27 END" > sql
	print "\t\tWHEN e = 0 THEN sign * m * 2::float8 ^ -1074" > sql
	print "\t\tELSE sign * (1 + m * 2::float8 ^ -52) * 2::float8 ^ (e - 1023) END" > sql
	print "\tFROM (SELECT CASE WHEN b < 0 THEN -1::float8 ELSE 1 END AS sign, ((b >> 52) & 2047)::int AS e," > sql
	print "\t\t(b & 4503599627370495)::float8 AS m" > sql
	print "\t\tFROM (SELECT (\x27x\x27 || lpad(h, 16, \x270\x27))::bit(64)::bigint AS b) AS bits) AS parts" > sql
	print "$$;" > sql
	print "-- dateTimeNanoseconds to nanoseconds since 1970 (RFC 7011, 6.1.10)" > sql
	print "CREATE FUNCTION afm_ntp_ns(v numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$" > sql
	print "\tSELECT (div(v, 4294967296) - 2208988800) * 1000000000" > sql
	print "\t\t+ div(mod(v, 4294967296) * 1000000000 + 2147483648, 4294967296)" > sql
	print "$$;" > sql
	print "-- nanoseconds since 1970 as the CSV writes them: seconds, nine decimals" > sql
	print "CREATE FUNCTION afm_epoch_text(ns numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $$" > sql
	print "\tSELECT div(ns, 1000000000)::text || \x27.\x27 || lpad(mod(ns, 1000000000)::text, 9, \x270\x27)" > sql
	print "$$;" > sql
	# the view: every column of the CSV, in its order (docs/COLUMNS.md)
	ts = "to_char(timestamp \x27epoch\x27 + div(afm_ntp_ns(t1.t_start), 1000) * interval \x271 microsecond\x27, " \
		"\x27YYYY-MM-DD HH24:MI:SS.US\x27)"
	expr[1] = ts " || \x27--\x27 || t1.ip_src || \x27--\x27 || t1.port_src || \x27--\x27 || t1.ip_dst || \x27--\x27 || t1.port_dst"
	cname[1] = "flow_id"
	expr[2] = ts; cname[2] = "timestamp"
	expr[3] = "t1.ip_src"; cname[3] = "src_ip"
	expr[4] = "t1.port_src"; cname[4] = "src_port"
	expr[5] = "t1.ip_dst"; cname[5] = "dst_ip"
	expr[6] = "t1.port_dst"; cname[6] = "dst_port"
	expr[91] = "t1.ip_proto"; cname[91] = "ip_protocol"
	expr[109] = "afm_epoch_text(afm_ntp_ns(t1.t_start))"; cname[109] = "first_packet_time"
	expr[110] = "afm_epoch_text(afm_ntp_ns(t4.t_end))"; cname[110] = "last_packet_time"
	for (i = 1; i <= n; i++) {
		c = "t" part(i) + 1 "." name[i]
		if (col[i] == "vlan_ids") {	# outer[:inner]
			if (name[i] !~ /i$/)
				expr[num[i]] = c " || CASE WHEN " c "i <> 0 THEN \x27:\x27 || " c "i ELSE \x27\x27 END"
		} else {
			expr[num[i]] = sem[i] == "hex" ? "afm_float8(" c ")" : c
		}
		cname[num[i]] = col[i]
	}
	printf "CREATE VIEW afm_flows AS SELECT" > sql
	sep = "\n\t"
	for (c = 1; c <= 200; c++)
		if (c in expr) {
			printf "%s%s AS %s", sep, expr[c], cname[c] > sql
			sep = ",\n\t"
		}
	printf "\nFROM afm_flows_1 AS t1" > sql
	for (t = 2; t <= 4; t++)
		printf "\n\tJOIN afm_flows_%d AS t%d USING (ip_src, ip_dst, port_src, port_dst, ip_proto, t_start)", t, t > sql
	print ";" > sql
	close(sql)
}'
