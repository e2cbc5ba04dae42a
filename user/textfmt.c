// SPDX-License-Identifier: MIT
#include "textfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

size_t afm_fmt_u64(char *buf, uint64_t v)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

size_t afm_fmt_time(char *buf, uint64_t ts_ns)
{
	uint64_t secs = ts_ns / 1000000000ULL;
	unsigned usec = (unsigned)(ts_ns % 1000000000ULL / 1000);
	unsigned sod = (unsigned)(secs % 86400);
	int64_t year;
	unsigned mon, day;

	civil_from_days((int64_t)(secs / 86400), &year, &mon, &day);
	if (year < 0 || year > 9999)
		year = year < 0 ? 0 : 9999;
	put2(buf, (unsigned)(year / 100));
	put2(buf + 2, (unsigned)(year % 100));
	buf[4] = '-';
	put2(buf + 5, mon);
	buf[7] = '-';
	put2(buf + 8, day);
	buf[10] = ' ';
	put2(buf + 11, sod / 3600);
	buf[13] = ':';
	put2(buf + 14, sod / 60 % 60);
	buf[16] = ':';
	put2(buf + 17, sod % 60);
	buf[19] = '.';
	for (int i = 25; i >= 20; i--) {
		buf[i] = (char)('0' + usec % 10);
		usec /= 10;
	}
	buf[26] = '\0';
	return 26;
}

static size_t fmt_ipv4(char *buf, const uint8_t *a)
{
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		if (i)
			buf[n++] = '.';
		n += afm_fmt_u64(buf + n, a[i]);
	}
	buf[n] = '\0';
	return n;
}

size_t afm_fmt_addr(char *buf, const uint8_t *a, int ip_version)
{
	static const char hex[] = "0123456789abcdef";
	unsigned g[8];
	int best = -1, best_len = 0;
	size_t n = 0;

	if (ip_version == 4)
		return fmt_ipv4(buf, a);
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	/* RFC 5952 4.2: the longest run of >= 2 zero groups, the first on a tie. */
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len && j - i >= 2) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	/* RFC 5952 5: IPv4-mapped addresses keep the dotted quad. */
	if (best == 0 && best_len == 5 && g[5] == 0xffff) {
		memcpy(buf, "::ffff:", 7);
		return 7 + fmt_ipv4(buf + 7, a + 12);
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			buf[n++] = ':';
			buf[n++] = ':';
			i += best_len - 1;
			continue;
		}
		if (n && buf[n - 1] != ':')
			buf[n++] = ':';
		int started = 0;

		for (int s = 12; s >= 0; s -= 4) {
			unsigned nib = g[i] >> s & 0xf;

			if (nib || started || s == 0) {
				buf[n++] = hex[nib];
				started = 1;
			}
		}
	}
	buf[n] = '\0';
	return n;
}

size_t afm_fmt_double(char *buf, double v, int precision)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
					 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17 };

	if (v == 0 || !isfinite(v)) {	/* the meter never makes NaN/Inf; never print them */
		buf[0] = '0';
		buf[1] = '\0';
		return 1;
	}
	/* Integral values with at most `precision` digits print as %g prints them. */
	double a = fabs(v);

	if (a < pow10[precision] && a == (double)(uint64_t)a) {
		size_t n = 0;

		if (v < 0)
			buf[n++] = '-';
		return n + afm_fmt_u64(buf + n, (uint64_t)a);
	}
	int n = snprintf(buf, 32, "%.*g", precision, v);

	return n > 0 ? (size_t)n : 0;
}
