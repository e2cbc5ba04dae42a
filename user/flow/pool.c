// SPDX-License-Identifier: MIT
#include "flow/pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define CLASS_BYTES 64
#define CLASSES (AFM_POOL_BLOCK_MAX / CLASS_BYTES)
#define REGION_BYTES (32u << 20)
#define HUGE_PAGE (2u << 20)

struct free_block {
	struct free_block *next;
};

struct pool {
	struct free_block *free[CLASSES + 1];	/* by class: bytes rounded up to 64 */
	char *next, *end;			/* the region being cut */
};

static __thread struct pool pool;

/* Under AddressSanitizer every block is malloc's, so that it sees each one's life. */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_OFF 1
#endif
#endif
#ifndef POOL_OFF
#define POOL_OFF 0
#endif

/* A region, aligned to a huge page so that all of it can be one. */
static int new_region(struct pool *p)
{
	char *m = mmap(NULL, REGION_BYTES + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return -1;
	char *start = (char *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));

	if (start > m)
		munmap(m, (size_t)(start - m));
	munmap(start + REGION_BYTES, (size_t)(m + HUGE_PAGE - start));
	madvise(start, REGION_BYTES, MADV_HUGEPAGE);	/* a hint: without THP, small pages */
	p->next = start;
	p->end = start + REGION_BYTES;
	return 0;
}

/* The size class of a block of bytes (1 for 0 bytes: every block holds a free_block). */
static size_t class_of(size_t bytes)
{
	return bytes ? (bytes + CLASS_BYTES - 1) / CLASS_BYTES : 1;
}

void *afm_pool_alloc(size_t bytes)
{
	struct pool *p = &pool;
	size_t cls = class_of(bytes);

	if (bytes > AFM_POOL_BLOCK_MAX || POOL_OFF)
		return malloc(bytes);
	struct free_block *b = p->free[cls];

	if (b) {
		p->free[cls] = b->next;
		return b;
	}
	size_t size = cls * CLASS_BYTES;

	if ((size_t)(p->end - p->next) < size && new_region(p) != 0)
		return NULL;	/* the rest of the old region serves smaller blocks no more: at most 64 KiB */
	void *block = p->next;

	p->next += size;
	return block;
}

void afm_pool_free(void *block, size_t bytes)
{
	struct free_block *b = block, **list;

	if (!block)
		return;
	if (bytes > AFM_POOL_BLOCK_MAX || POOL_OFF) {
		free(block);
		return;
	}
	list = &pool.free[class_of(bytes)];
	b->next = *list;
	*list = b;
}
