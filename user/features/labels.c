// SPDX-License-Identifier: MIT
#include "features/labels.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "features/features.h"

#define HEADER "start,end,src,dst,port,protocol,label"
#define FIELDS 7
#define FILE_MAX (64u << 20)	/* a rule file larger than this is a mistake */

/* RFC 3629: well-formed UTF-8 (JSON and IPFIX strings are UTF-8). */
static int is_utf8(const unsigned char *s)
{
	while (*s) {
		int n = *s < 0x80 ? 0 : (*s & 0xe0) == 0xc0 ? 1 : (*s & 0xf0) == 0xe0 ? 2 : (*s & 0xf8) == 0xf0 ? 3 : -1;
		unsigned cp = n == 0 ? *s : n == 1 ? *s & 0x1f : n == 2 ? *s & 0x0f : *s & 0x07;

		if (n < 0)
			return 0;
		for (int i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += n + 1;
	}
	return 1;
}

int afm_label_valid(const char *s)
{
	return *s && strlen(s) <= AFM_LABEL_MAX && !strpbrk(s, ",\"\r\n") && is_utf8((const unsigned char *)s);
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (y >= 1970). */
static int64_t days_since_epoch(int y, int m, int d)
{
	static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
	int64_t days = (int64_t)(y - 1970) * 365;

	/* leap days of the years 1970 .. y-1 */
	days += ((y - 1) / 4 - 1969 / 4) - ((y - 1) / 100 - 1969 / 100) + ((y - 1) / 400 - 1969 / 400);
	days += before[m - 1] + d - 1;
	if (m > 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		days++;
	return days;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z|(+|-)HH[:]MM]: ns since the epoch, UTC. */
static int parse_time(const char *s, uint64_t *ns)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	uint64_t frac = 0;
	const char *p = s;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
			if (*p == '.' || *p == ',') {
				int n = 0;

				for (p++; isdigit((unsigned char)*p); p++, n++)
					if (n < 9)
						frac = frac * 10 + (uint64_t)(*p - '0');
				if (n == 0)
					return -1;
				for (; n < 9; n++)
					frac *= 10;
			}
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &om) || oh > 23 || om > 59)
			return -1;
	}
	if (*p || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	int64_t t = days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);

	if (t < 0)
		return -1;
	*ns = (uint64_t)t * 1000000000ULL + frac;
	return 0;
}

/* *, an IPv4 or IPv6 address, or either with /prefix and no bit set past the prefix. */
static int parse_net(char *s, struct afm_label_net *n)
{
	char *slash = strchr(s, '/');
	unsigned char buf[16];
	int max;

	memset(n, 0, sizeof(*n));
	if (strcmp(s, "*") == 0) {
		n->any = 1;
		return 0;
	}
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, s, buf) == 1) {
		n->version = 4, max = 32;
		memcpy(n->addr, buf, 4);
	} else if (inet_pton(AF_INET6, s, buf) == 1) {
		n->version = 6, max = 128;
		memcpy(n->addr, buf, 16);
	} else {
		if (slash)
			*slash = '/';
		return -1;
	}
	n->prefix = (uint8_t)max;
	if (slash) {
		char *end;
		long v;

		*slash = '/';
		errno = 0;
		v = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || !isdigit((unsigned char)slash[1]) || v < 0 || v > max)
			return -1;
		n->prefix = (uint8_t)v;
	}
	for (int bit = n->prefix; bit < max; bit++)
		if (n->addr[bit / 8] & (0x80 >> (bit % 8)))
			return -2;	/* host bits set */
	return 0;
}

static int parse_port(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;
	char *end;

	if (strcmp(s, "*") == 0) {
		*lo = 0, *hi = 65535;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-') {
		const char *t = end + 1;

		if (!isdigit((unsigned char)*t))
			return -1;
		b = strtoul(t, &end, 10);
	}
	if (errno || *end || a > 65535 || b > 65535 || a > b)
		return -1;
	*lo = (uint16_t)a, *hi = (uint16_t)b;
	return 0;
}

/* IP protocol names a rule may use (IANA's keywords). */
static const struct {
	const char *name;
	int number;
} protocols[] = {
	{ "icmp", 1 },	 { "igmp", 2 },	  { "ipip", 4 },   { "tcp", 6 },	 { "udp", 17 },	   { "ipv6", 41 },
	{ "gre", 47 },	 { "esp", 50 },	  { "ah", 51 },	   { "icmpv6", 58 },	 { "ipv6-icmp", 58 }, { "ospf", 89 },
	{ "pim", 103 },	 { "vrrp", 112 }, { "l2tp", 115 }, { "sctp", 132 },	 { "udplite", 136 },
};

static int parse_proto(const char *s, int16_t *out)
{
	char *end;
	long v;

	if (strcmp(s, "*") == 0) {
		*out = -1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (strcasecmp(s, protocols[i].name) == 0) {
			*out = (int16_t)protocols[i].number;
			return 0;
		}
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > 255)
		return -1;
	*out = (int16_t)v;
	return 0;
}

static char *trim(char *s)
{
	char *e = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int fail(char *err, size_t errlen, const char *path, size_t line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "--labels %s: line %zu: ", path, line);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

#define TIME_FORM "an ISO 8601 time, YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM], or *"
#define NET_FORM "an address or a CIDR (10.0.0.0/8, 2001:db8::/32), or *"

static int parse_rule(char **f, struct afm_label_rule *r, const char *path, size_t line, char *err, size_t errlen)
{
	static const char *const what[2] = { "src", "dst" };

	memset(r, 0, sizeof(*r));
	r->end_ns = UINT64_MAX;
	if (strcmp(f[0], "*") != 0 && parse_time(f[0], &r->start_ns) != 0)
		return fail(err, errlen, path, line, "start '%s' is not %s", f[0], TIME_FORM);
	if (strcmp(f[1], "*") != 0 && parse_time(f[1], &r->end_ns) != 0)
		return fail(err, errlen, path, line, "end '%s' is not %s", f[1], TIME_FORM);
	if (r->end_ns <= r->start_ns)
		return fail(err, errlen, path, line, "end '%s' is not after start '%s': no flow could match", f[1],
			    f[0]);
	for (int i = 0; i < 2; i++) {
		int rc = parse_net(f[2 + i], &r->net[i]);

		if (rc == -2)
			return fail(err, errlen, path, line, "%s '%s' has bits set past its prefix: write the network's "
				    "first address", what[i], f[2 + i]);
		if (rc)
			return fail(err, errlen, path, line, "%s '%s' is not %s", what[i], f[2 + i], NET_FORM);
	}
	if (parse_port(f[4], &r->port_lo, &r->port_hi) != 0)
		return fail(err, errlen, path, line, "port '%s' is not a port (0 to 65535), a range A-B, or *", f[4]);
	if (parse_proto(f[5], &r->proto) != 0)
		return fail(err, errlen, path, line, "protocol '%s' is not a name (tcp, udp, icmp, icmpv6, gre, "
			    "sctp, ...), a number from 0 to 255, or *", f[5]);
	if (!afm_label_valid(f[6]))
		return fail(err, errlen, path, line, "label '%s' must be 1 to %d bytes of UTF-8, without quotes",
			    f[6], AFM_LABEL_MAX);
	r->label = f[6];
	return 0;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		snprintf(err, errlen, "--labels %s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - n < 4096) {
			char *t = cap >= FILE_MAX ? NULL : realloc(text, cap ? cap * 2 : 65536);

			if (!t) {
				snprintf(err, errlen, "--labels %s: %s", path,
					 cap >= FILE_MAX ? "larger than 64 MiB: not a rule file" : "out of memory");
				goto fail;
			}
			text = t;
			cap = cap ? cap * 2 : 65536;
		}
		size_t got = fread(text + n, 1, cap - n - 1, f);

		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "--labels %s: cannot read: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	text[n] = '\0';
	if (strlen(text) != n) {
		snprintf(err, errlen, "--labels %s: holds a NUL byte: not a text file", path);
		free(text);
		return NULL;
	}
	return text;
fail:
	fclose(f);
	free(text);
	return NULL;
}

int afm_labels_load(struct afm_labels *l, const char *path, char *err, size_t errlen)
{
	char *text = read_file(path, err, errlen);

	return text ? afm_labels_parse(l, text, path, err, errlen) : -1;
}

int afm_labels_parse(struct afm_labels *l, char *text, const char *path, char *err, size_t errlen)
{
	size_t line = 0, cap = 0;
	int header = 0;

	memset(l, 0, sizeof(*l));
	l->text = text;
	for (char *p = l->text, *next; *p; p = next) {
		char *s = p, *f[FIELDS];
		int n = 0;

		next = p + strcspn(p, "\n");
		if (*next)
			*next++ = '\0';
		line++;
		s[strcspn(s, "\r")] = '\0';
		s = trim(s);
		if (!*s || *s == '#')	/* blank lines and comments */
			continue;
		if (!header) {
			if (strcmp(s, HEADER) != 0) {
				fail(err, errlen, path, line, "the header must be '%s', not '%s'", HEADER, s);
				goto fail;
			}
			header = 1;
			continue;
		}
		if (strchr(s, '"')) {
			fail(err, errlen, path, line, "quoted fields are not read: no field of a rule needs quotes");
			goto fail;
		}
		for (char *q = s;; n++) {
			char *comma = strchr(q, ',');

			if (n < FIELDS)
				f[n] = q;
			if (!comma) {
				n++;
				break;
			}
			*comma = '\0';
			q = comma + 1;
		}
		if (n != FIELDS) {
			fail(err, errlen, path, line, "%d fields, not the 7 of '%s'", n, HEADER);
			goto fail;
		}
		for (int i = 0; i < FIELDS; i++)
			f[i] = trim(f[i]);
		if (l->count == cap) {
			struct afm_label_rule *r = realloc(l->rules, (cap ? cap * 2 : 16) * sizeof(*r));

			if (!r) {
				snprintf(err, errlen, "--labels %s: out of memory", path);
				goto fail;
			}
			l->rules = r;
			cap = cap ? cap * 2 : 16;
		}
		if (parse_rule(f, &l->rules[l->count], path, line, err, errlen) != 0)
			goto fail;
		l->count++;
	}
	if (!header) {
		snprintf(err, errlen, "--labels %s: no header line '%s': not a rule file", path, HEADER);
		goto fail;
	}
	return 0;
fail:
	afm_labels_free(l);
	return -1;
}

static int net_has(const struct afm_label_net *n, const uint8_t *addr, int version)
{
	if (n->any)
		return 1;
	if (n->version != version)
		return 0;
	int full = n->prefix / 8, rest = n->prefix % 8;

	if (memcmp(n->addr, addr, (size_t)full) != 0)
		return 0;
	return rest == 0 || ((n->addr[full] ^ addr[full]) & (0xff00 >> rest)) == 0;
}

const char *afm_labels_match(const struct afm_labels *l, const struct afm_flow_key *key, uint64_t first_ns)
{
	for (size_t i = 0; i < l->count; i++) {
		const struct afm_label_rule *r = &l->rules[i];

		if (first_ns < r->start_ns || first_ns >= r->end_ns || (r->proto >= 0 && r->proto != key->proto))
			continue;
		if (!((key->port[0] >= r->port_lo && key->port[0] <= r->port_hi) ||
		      (key->port[1] >= r->port_lo && key->port[1] <= r->port_hi)))
			continue;
		for (int e = 0; e < 2; e++)	/* src may be either endpoint */
			if (net_has(&r->net[0], key->addr[e], key->ip_version) &&
			    net_has(&r->net[1], key->addr[!e], key->ip_version))
				return r->label;
	}
	return NULL;
}

void afm_labels_free(struct afm_labels *l)
{
	free(l->rules);
	free(l->text);
	memset(l, 0, sizeof(*l));
}
