/* SPDX-License-Identifier: MIT */
/* Locale-independent text for the CSV: times, addresses, numbers. */
#ifndef AFM_TEXTFMT_H
#define AFM_TEXTFMT_H

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
/* Like "%.*g" (precision 1..17), never "-0"; buf holds 32 bytes. Returns its length. */
size_t afm_fmt_double(char *buf, double v, int precision);

#endif
