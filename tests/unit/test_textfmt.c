// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "output/text.h"

static void addr6(const char *want, const uint8_t a[16])
{
	char buf[AFM_ADDR_TEXT];

	afm_fmt_addr(buf, a, 6);
	cr_assert_str_eq(buf, want);
}

Test(textfmt, rfc5952)
{
	addr6("2001:db8::1", (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 });
	addr6("::", (uint8_t[16]){ 0 });
	addr6("::1", (uint8_t[16]){ [15] = 1 });
	addr6("fe80::", (uint8_t[16]){ 0xfe, 0x80 });
	/* a single zero group is not compressed */
	addr6("2001:db8:0:1:1:1:1:1",
	      (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 });
	/* the longest run wins; the first of equal runs */
	addr6("2001:0:0:1::1", (uint8_t[16]){ 0x20, 0x01, 0, 0, 0, 0, 0, 1, [15] = 1 });
	addr6("2001:db8::1:0:0:1",
	      (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 });
	addr6("::ffff:192.0.2.1", (uint8_t[16]){ [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 });
	addr6("abcd:ef01:2345:6789:abcd:ef01:2345:6789",
	      (uint8_t[16]){ 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23,
			     0x45, 0x67, 0x89 });
}

Test(textfmt, ipv4)
{
	char buf[AFM_ADDR_TEXT];

	afm_fmt_addr(buf, (uint8_t[16]){ 192, 168, 0, 255 }, 4);
	cr_assert_str_eq(buf, "192.168.0.255");
	afm_fmt_addr(buf, (uint8_t[16]){ 0 }, 4);
	cr_assert_str_eq(buf, "0.0.0.0");
}

Test(textfmt, time_is_utc_with_truncated_microseconds)
{
	char buf[AFM_TIME_TEXT];

	afm_fmt_time(buf, 0);
	cr_assert_str_eq(buf, "1970-01-01 00:00:00.000000");
	afm_fmt_time(buf, 1639586100123456789ULL);
	cr_assert_str_eq(buf, "2021-12-15 16:35:00.123456");
	afm_fmt_time(buf, 951782400999999999ULL);	/* 2000-02-29, leap day */
	cr_assert_str_eq(buf, "2000-02-29 00:00:00.999999");
	afm_fmt_time(buf, 4107542399000000000ULL);
	cr_assert_str_eq(buf, "2100-02-28 23:59:59.000000");
}

Test(textfmt, numbers_print_like_printf_g)
{
	static const double values[] = { 0.5, 0.0727272727272727, -81.05804248, 5.00679e-05, 1e-300, 1234.5,
					 0.1, 2.0 / 3, -0.25, 9.999999995, 1e21, 4294967296.5, 1e300 };
	char a[48], b[48];

	for (int p = 1; p <= 17; p++)
		for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
			afm_fmt_double(a, values[i], p);
			snprintf(b, sizeof(b), "%.*g", p, values[i]);
			cr_assert_str_eq(a, b, "%.17g at precision %d", values[i], p);
		}
	afm_fmt_double(a, -0.0, 9);
	cr_assert_str_eq(a, "0");
	afm_fmt_u64(a, 18446744073709551615ULL);
	cr_assert_str_eq(a, "18446744073709551615");
}

/* Precision is for numbers that are not whole: a count, a length, a whole mean print whole. */
Test(textfmt, whole_numbers_print_whole_at_any_precision)
{
	static const struct { double v; const char *text; } cases[] = {
		{ 1514, "1514" }, { 1300, "1300" }, { 110, "110" }, { -263015852, "-263015852" },
		{ 65535, "65535" }, { 4294967296.0, "4294967296" }, { 1e15, "1000000000000000" },
		{ 9007199254740991.0, "9007199254740991" },
	};
	char a[48];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int p = 1; p <= 17; p++) {
			afm_fmt_double(a, cases[i].v, p);
			cr_assert_str_eq(a, cases[i].text, "at precision %d", p);
			afm_fmt_dec(a, (struct afm_dec){ (__int128)cases[i].v * 1000, -3, 0 }, p);
			cr_assert_str_eq(a, cases[i].text, "as a decimal, at precision %d", p);
		}
	/* from 2^53 on, a double is whole because it has no bits left for a fraction */
	afm_fmt_double(a, 9007199254740992.0, 9);
	cr_assert_str_eq(a, "9.00719925e+15");
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const char *dec(__int128 v, int exp, int p)
{
	static char buf[48];

	afm_fmt_dec(buf, (struct afm_dec){ v, exp, 0 }, p);
	return buf;
}

/* Exact decimals (times from nanoseconds) round from their decimal value, half to even. */
Test(textfmt, exact_decimals_round_half_to_even)
{
	cr_assert_str_eq(dec(2983390765, -9, 9), "2.98339076");	/* the tie of the issue: 6 is even */
	cr_assert_str_eq(dec(2983390775, -9, 9), "2.98339078");	/* 7 is odd: up */
	cr_assert_str_eq(dec(2983390765, -9, 17), "2.983390765");	/* every digit, none made up */
	cr_assert_str_eq(dec(2983390765, -9, 10), "2.983390765");
	cr_assert_str_eq(dec(2983390766, -9, 9), "2.98339077");
	cr_assert_str_eq(dec(15145, -1, 4), "1514");	/* 1514.5: a median of lengths */
	cr_assert_str_eq(dec(15155, -1, 4), "1516");
	cr_assert_str_eq(dec(15145, -1, 2), "1.5e+03");
	cr_assert_str_eq(dec(15145, -1, 5), "1514.5");
	cr_assert_str_eq(dec(99995, -5, 4), "1");	/* 0.99995 -> 1.000 */
	cr_assert_str_eq(dec(99985, -5, 4), "0.9998");
	cr_assert_str_eq(dec(-99995, -5, 4), "-1");
	cr_assert_str_eq(dec(5, -10, 9), "5e-10");	/* half a nanosecond */
	cr_assert_str_eq(dec(12345, -9, 9), "1.2345e-05");
	cr_assert_str_eq(dec(123450, -9, 3), "0.000123");	/* 0.00012345: 4 below 5 */
	cr_assert_str_eq(dec(1, -4, 9), "0.0001");
	cr_assert_str_eq(dec(0, -9, 9), "0");
	cr_assert_str_eq(dec(-3000000000, -9, 9), "-3");
	cr_assert_str_eq(dec(1000000000000000001, -9, 9), "1e+09");
	cr_assert_str_eq(dec((__int128)18446744073709551615ULL * 5, -10, 17), "9223372036.8547758");
}

/* Against an independent rounding: integer arithmetic instead of digit strings. */
Test(textfmt, exact_decimals_against_integer_rounding)
{
	static const __int128 p10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
				       10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
				       100000000000000LL, 1000000000000000LL, 10000000000000000LL,
				       100000000000000000LL, 1000000000000000000LL };

	for (int i = 0; i < 300000; i++) {
		int64_t v = (int64_t)(rng() % 100000000000ULL) + 1;	/* up to 11 digits */
		int exp = -(int)(rng() % 11), p = 1 + (int)(rng() % 12), nd = 1;
		char want[64];

		if (v % 10 == 0)
			v++;	/* the exact value has v's digits, the last not 0 */
		if (exp == 0)
			continue;	/* whole: printed whole (above) */
		while (nd < 19 && v >= p10[nd])
			nd++;
		/* round v to p digits: q = round_half_even(v / 10^(nd-p)) */
		int drop = nd > p ? nd - p : 0, x = nd - 1 + exp;
		__int128 q = v / p10[drop], r = v % p10[drop];

		if (drop && (2 * r > p10[drop] || (2 * r == p10[drop] && q % 2)))
			q++;
		if (q == p10[nd - drop]) {	/* 99.9 -> 100: one digit more */
			q /= 10;
			x++;
		}
		char digits[32];
		int n = snprintf(digits, sizeof(digits), "%lld", (long long)q);

		while (n > 1 && digits[n - 1] == '0')
			digits[--n] = '\0';
		if (x < -4 || x >= p)	/* d.ddde+XX */
			snprintf(want, sizeof(want), "%c%s%se%c%02d", digits[0], n > 1 ? "." : "", digits + 1,
				 x < 0 ? '-' : '+', x < 0 ? -x : x);
		else if (x < 0)	/* 0.000ddd */
			snprintf(want, sizeof(want), "0.%.*s%s", -x - 1, "0000", digits);
		else if (x + 1 >= n)	/* ddd, zeros to fill */
			snprintf(want, sizeof(want), "%s%.*s", digits, x + 1 - n, "0000000000000000");
		else	/* ddd.ddd */
			snprintf(want, sizeof(want), "%.*s.%s", x + 1, digits, digits + x + 1);
		cr_assert_str_eq(dec(v, exp, p), want, "%lld x 10^%d at precision %d: %s, want %s", (long long)v, exp, p, dec(v, exp, p), want);
	}
}

static void same_as_printf(double v, int p)
{
	char a[48], b[48];

	if (fabs(v) < 9007199254740992.0 && v == trunc(v))
		return;	/* whole numbers print whole: above */
	afm_fmt_double(a, v, p);
	snprintf(b, sizeof(b), "%.*g", p, v);
	if (strcmp(b, "-0") == 0)
		strcpy(b, "0");
	cr_assert_str_eq(a, b, "%a (%.17g) at precision %d", v, v, p);
}

Test(textfmt, fast_formatting_equals_printf_on_a_million_values)
{
	for (int i = 0; i < 1000000; i++) {
		uint64_t r = rng();
		double v;

		switch (i % 4) {
		case 0:	/* any finite double */
			memcpy(&v, &r, sizeof(v));
			if (!isfinite(v))
				continue;
			break;
		case 1:	/* the magnitudes the meter prints */
			v = (double)(r >> 11) / 9007199254740992.0 * pow(10, (int)(rng() % 24) - 12);
			break;
		case 2:	/* decimal values with few digits, near ties: x.xxx5 */
			v = (double)(int64_t)(r % 2000000001 - 1000000000) / pow(10, (int)(rng() % 12)) + 5e-10;
			break;
		default:	/* ratios of small integers, as means and rates are */
			v = (double)(r % 100000) / (double)(rng() % 9999 + 1);
			break;
		}
		same_as_printf(v, 1 + (int)(rng() % 17));
		same_as_printf(v, 9);
	}
}
