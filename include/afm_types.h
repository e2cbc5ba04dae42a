/* SPDX-License-Identifier: MIT */
/* Fixed-width types and small helpers shared by the BPF programs and user space. */
#ifndef AFM_TYPES_H
#define AFM_TYPES_H

#ifdef __bpf__
/* BPF side: vmlinux.h (included by the program first) defines __u8 ... __u64. */
#include <bpf/bpf_endian.h>
#define afm_ntohs(x) bpf_ntohs(x)
#define afm_ntohl(x) bpf_ntohl(x)
#else
#include <linux/types.h>
#include <arpa/inet.h>
#include <string.h>
#define afm_ntohs(x) ntohs(x)
#define afm_ntohl(x) ntohl(x)
#endif

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/*
 * Loads from packet (or key) memory. The BPF target reads in place (the verifier
 * checks bounds, x86 and arm64 JITs allow unaligned loads); user space reads through
 * memcpy so that headers at odd offsets are not undefined behaviour.
 */
#ifdef __bpf__
#define afm_load16(p) (*(const __u16 *)(const void *)(p))
#define afm_load32(p) (*(const __u32 *)(const void *)(p))
#define afm_load64(p) (*(const __u64 *)(const void *)(p))
#else
static __always_inline __u16 afm_load16(const void *p)
{
	__u16 v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static __always_inline __u32 afm_load32(const void *p)
{
	__u32 v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static __always_inline __u64 afm_load64(const void *p)
{
	__u64 v;
	memcpy(&v, p, sizeof(v));
	return v;
}
#endif

/*
 * 0/1 tests without a branch: the value passes through an empty asm statement so that
 * the compiler cannot turn the arithmetic back into a compare-and-jump. The BPF
 * programs use them where a branch would split the verifier's walk in two.
 */
static __always_inline __u32 afm_opaque(__u32 x)
{
	__asm__ volatile("" : "+r"(x));
	return x;
}

static __always_inline __u32 afm_nonzero(__u32 x)	/* x != 0 */
{
	x = afm_opaque(x);
	return (x | (0u - x)) >> 31;
}

static __always_inline __u32 afm_eq8(__u32 x, __u32 y)	/* x == y, for bytes */
{
	__u32 d = afm_opaque((x ^ y) & 0xff);

	return 1 - ((d + 255) >> 8);
}

#endif /* AFM_TYPES_H */
