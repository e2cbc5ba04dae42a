/* SPDX-License-Identifier: MIT */
/*
 * Memory for flows and their sample chunks: blocks in size classes of 64 bytes, cut
 * from regions of 32 MiB that the kernel may back with huge pages. A freed block waits
 * in its class for the next of its size (a flow's chunk sizes follow one sequence, so
 * few classes are used); regions are never given back before the process ends. Each
 * thread has its own pool: no lock (blocks are freed by the thread that made them, see
 * features/row_worker.h; one freed elsewhere joins that thread's pool, which is safe).
 * Beside malloc, it saves the per-block bookkeeping and, on a virtual machine, the page
 * faults of a heap that grows and shrinks: a 4 KiB fault costs about 10 us there.
 */
#ifndef AFM_POOL_H
#define AFM_POOL_H

#include <stddef.h>

/* Blocks up to this size come from the pool; larger ones from malloc. */
#define AFM_POOL_BLOCK_MAX (64u << 10)

/* A block of at least bytes (64-byte aligned), or NULL: out of memory. */
void *afm_pool_alloc(size_t bytes);
/* Give back a block of afm_pool_alloc(bytes), with the same bytes. */
void afm_pool_free(void *block, size_t bytes);

#endif
