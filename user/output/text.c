// SPDX-License-Identifier: MIT
#include "output/text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char two_digits[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
				   "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
				   "8081828384858687888990919293949596979899";

/* The `width` low decimal digits of v, zero-padded, two at a time. */
static void put_digits(char *end, uint64_t v, int width)
{
	while (width >= 2) {
		memcpy(end - 2, two_digits + 2 * (v % 100), 2);
		v /= 100;
		end -= 2;
		width -= 2;
	}
	if (width)
		end[-1] = (char)('0' + v % 10);
}

size_t afm_fmt_u64(char *buf, uint64_t v)
{
	int n = 1;

	for (uint64_t t = v; t >= 10; t /= 10)
		n++;
	put_digits(buf + n, v, n);
	buf[n] = '\0';
	return (size_t)n;
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

/* Powers of ten in long double: 10^0 .. 10^27 are exact (5^27 < 2^64). */
static const long double pow10l_exact[28] = {
	1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
	1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
	1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};

/* Powers of ten in double: 10^0 .. 10^22 are exact (5^22 < 2^53). */
static const double pow10d_exact[23] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * round(|v| * 10^k) into *n when the product decides the rounding for sure; 0 when
 * |k| > 27 or the product lies too close to a half to tell. Products below 2^40 are
 * done in double (error < 2^-12 of a unit, checked), the others in long double.
 */
static int scaled_digits(double a, int k, uint64_t *n)
{
	long double p, f;

	if (k > 27 || k < -27)
		return 0;
	if (k <= 22 && k >= -22) {
		double pd = k >= 0 ? a * pow10d_exact[k] : a / pow10d_exact[-k];

		if (pd < 0x1p40) {
			double fd = pd - floor(pd);

			/* pd is within pd * 2^-53 < 2^-13 of the exact product */
			if (fabs(fd - 0.5) <= 0x1p-12)
				return 0;
			*n = (uint64_t)pd + (fd > 0.5);
			return 1;
		}
	}
	p = k >= 0 ? (long double)a * pow10l_exact[k] : (long double)a / pow10l_exact[-k];
	if (!(p < 1e19L))
		return 0;
	f = p - floorl(p);
	/* p is within |p| * 2^-64 of the exact product: stay clear of the half. */
	if (fabsl(f - 0.5L) <= p * 0x1p-62L + 0x1p-100L)
		return 0;
	*n = (uint64_t)floorl(p) + (f > 0.5L);
	return 1;
}

/*
 * P significant digits in %g's layout: digits[0..nd) (no trailing zeros, nd >= 1) times
 * 10^(x - nd + 1), x the decimal exponent of the first digit; d.ddde+XX when x < -4 or
 * x >= P, else plain. Returns the length.
 */
static size_t layout_g(char *buf, int neg, const char *digits, int nd, int x, int P)
{
	char *p = buf;

	if (neg)
		*p++ = '-';
	if (x < -4 || x >= P) {	/* d.ddde+XX */
		*p++ = digits[0];
		if (nd > 1) {
			*p++ = '.';
			memcpy(p, digits + 1, (size_t)nd - 1);
			p += nd - 1;
		}
		*p++ = 'e';
		*p++ = x < 0 ? '-' : '+';
		int ax = x < 0 ? -x : x;

		if (ax >= 100)
			*p++ = (char)('0' + ax / 100);
		*p++ = (char)('0' + ax / 10 % 10);
		*p++ = (char)('0' + ax % 10);
	} else if (x >= 0) {	/* ddd.ddd */
		memcpy(p, digits, (size_t)x + 1 <= (size_t)nd ? (size_t)x + 1 : (size_t)nd);
		if (x + 1 > nd)	/* zeros of the integer part */
			memset(p + nd, '0', (size_t)(x + 1 - nd));
		p += x + 1;
		if (nd > x + 1) {
			*p++ = '.';
			memcpy(p, digits + x + 1, (size_t)(nd - x - 1));
			p += nd - x - 1;
		}
	} else {	/* 0.000ddd */
		*p++ = '0';
		*p++ = '.';
		for (int i = 0; i < -x - 1; i++)
			*p++ = '0';
		memcpy(p, digits, (size_t)nd);
		p += nd;
	}
	*p = '\0';
	return (size_t)(p - buf);
}

size_t afm_fmt_double(char *buf, double v, int precision)
{
	static const uint64_t pow10u[] = { 1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
					   10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
					   100000000000ULL, 1000000000000ULL, 10000000000000ULL,
					   100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
					   100000000000000000ULL };
	const int P = precision;
	double a = fabs(v);
	char digits[24];
	uint64_t n = 0;
	int e, ok = 0;

	if (v == 0 || !isfinite(v)) {	/* the meter never makes NaN/Inf; never print them */
		buf[0] = '0';
		buf[1] = '\0';
		return 1;
	}
	/* Whole numbers print whole, whatever the precision (METERING.md, 5). */
	if (a < (double)AFM_WHOLE_LIMIT && a == (double)(uint64_t)a) {
		char *p = buf;

		if (v < 0)
			*p++ = '-';
		return (size_t)(p - buf) + afm_fmt_u64(p, (uint64_t)a);
	}
	/*
	 * %.Pg: the P significant digits N = round(|v| / 10^(X - P + 1)) with
	 * 10^(P-1) <= N < 10^P; X is the decimal exponent after rounding.
	 */
	/* The decimal exponent from the binary one: right or one too small. */
	int e2;

	frexp(a, &e2);
	e = (int)floor((e2 - 1) * 0.30102999566398120);
	for (int tries = 0; tries < 3; tries++) {
		if (!scaled_digits(a, P - 1 - e, &n))
			break;
		if (n >= pow10u[P])
			e++;
		else if (n < pow10u[P - 1])
			e--;
		else {
			ok = 1;
			break;
		}
	}
	if (!ok) {	/* extreme exponents or a near-tie: the C library decides */
		int len = snprintf(buf, 32, "%.*g", P, v);

		return len > 0 ? (size_t)len : 0;
	}

	/* n's P digits, trailing zeros dropped (%g drops them). */
	int nd = P;

	put_digits(digits + P, n, P);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	return layout_g(buf, v < 0, digits, nd, e, P);
}

/* The decimal digits of u, most significant first; returns how many (u > 0). */
static int u128_digits(unsigned __int128 u, char *out)
{
	char tmp[40];
	int n = 0;

	while (u) {
		tmp[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	}
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

size_t afm_fmt_dec(char *buf, struct afm_dec d, int precision)
{
	const int P = precision;
	unsigned __int128 u = d.v < 0 ? -(unsigned __int128)d.v : (unsigned __int128)d.v;
	int exp = d.exp, nd;
	char digits[48];

	if (u == 0) {
		buf[0] = '0';
		buf[1] = '\0';
		return 1;
	}
	while (exp < 0 && u % 10 == 0) {	/* the same value with the fewest digits */
		u /= 10;
		exp++;
	}
	if (exp >= 0) {	/* a whole number */
		unsigned __int128 w = u;

		for (int i = 0; i < exp && w < AFM_WHOLE_LIMIT; i++)
			w *= 10;
		if (w < AFM_WHOLE_LIMIT) {
			char *p = buf;

			if (d.v < 0)
				*p++ = '-';
			return (size_t)(p - buf) + afm_fmt_u64(p, (uint64_t)w);
		}
	}
	nd = u128_digits(u, digits);
	int x = nd - 1 + exp;	/* the decimal exponent of the first digit */

	if (nd > P) {	/* round to P digits, half to even (the rest has no trailing zero) */
		int up = digits[P] > '5' || (digits[P] == '5' && (nd > P + 1 || (digits[P - 1] - '0') % 2));

		nd = P;
		for (int i = P - 1; up && i >= 0; i--) {
			up = digits[i] == '9';
			digits[i] = up ? '0' : (char)(digits[i] + 1);
		}
		if (up) {	/* 99..9 became 100..0: one more digit in front */
			memmove(digits + 1, digits, (size_t)P - 1);
			digits[0] = '1';
			x++;
		}
	}
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	return layout_g(buf, d.v < 0, digits, nd, x, P);
}

double afm_dec_double(struct afm_dec d)
{
	static const long double p10[] = { 1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L, 1e10L };
	long double v = (long double)d.v;

	if (d.exp < 0)
		v /= d.exp >= -10 ? p10[-d.exp] : powl(10, -d.exp);
	else if (d.exp > 0)
		v *= d.exp <= 10 ? p10[d.exp] : powl(10, d.exp);
	return (double)v;
}
