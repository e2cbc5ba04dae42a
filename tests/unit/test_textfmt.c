// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "textfmt.h"

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
	static const double values[] = { 0.5, 110, 0.0727272727272727, -81.05804248, 5.00679e-05, 1e-300,
					 123456789, 1234567890, 1e15, 0.1, 2.0 / 3, -1, -0.25, 65535,
					 9.999999995, 1e21, 4294967296.0 };
	char a[32], b[32];

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

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void same_as_printf(double v, int p)
{
	char a[40], b[40];

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
