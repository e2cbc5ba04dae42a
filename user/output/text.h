/* SPDX-License-Identifier: MIT */
/* Locale-independent text for the CSV: times, addresses, numbers. */
#ifndef AFM_TEXT_H
#define AFM_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define AFM_TIME_TEXT 32
#define AFM_ADDR_TEXT 48

/* "YYYY-MM-DD HH:MM:SS.ffffff" (UTC, microseconds truncated); returns its length. */
size_t afm_fmt_time(char *buf, uint64_t ts_ns);
/* IPv4 dotted quad or RFC 5952 IPv6; returns its length. */
size_t afm_fmt_addr(char *buf, const uint8_t *addr, int ip_version);
/* Unsigned decimal; returns its length. */
size_t afm_fmt_u64(char *buf, uint64_t v);
/* An exact decimal number: v x 10^exp (a time in ns is { ns, -9 }). */
struct afm_dec {
	__int128 v;
	int32_t exp;
	int32_t pad;
};

/* Whole numbers below this print with all their digits, whatever the precision. */
#define AFM_WHOLE_LIMIT (1ULL << 53)

/*
 * Numbers for the CSV (docs/METERING.md, section 5); buf holds 48 bytes. A whole
 * number below 2^53 prints whole; any other with `precision` (1..17) significant
 * digits in the layout of C's "%.*g"; never "-0". Return the length.
 * afm_fmt_double rounds the double's exact binary value (as printf does);
 * afm_fmt_dec rounds the exact decimal value, half to even.
 */
size_t afm_fmt_double(char *buf, double v, int precision);
size_t afm_fmt_dec(char *buf, struct afm_dec d, int precision);
/* The nearest double (for consumers that want binary numbers). */
double afm_dec_double(struct afm_dec d);

#endif
