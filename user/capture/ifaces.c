// SPDX-License-Identifier: MIT
#include "capture/ifaces.h"

#include <stdlib.h>
#include <string.h>

/*
 * Entries in chunks that never move (names stay valid while ids are added): chunk k
 * holds ids FIRST * (2^k - 1) to FIRST * (2^(k+1) - 1) - 1.
 */
#define FIRST 16
#define CHUNKS 17	/* FIRST * (2^17 - 1) >= AFM_IFACES_MAX */
_Static_assert((uint64_t)FIRST * ((1u << CHUNKS) - 1) >= AFM_IFACES_MAX, "the chunks hold every id");

struct entry {
	uint16_t linktype;
	uint8_t asked;		/* afm_ifaces_first() */
	char text[AFM_INTERFACE_TEXT];
};

struct afm_ifaces {
	struct entry *chunk[CHUNKS];
	uint32_t count;		/* ids given out, 1..count-1 (published: release/acquire) */
	uint32_t *slot;		/* open addressing by hash: an id, 0 empty (the reader's only) */
	uint32_t slots;
	uint8_t asked0[65536 / 8];	/* afm_ifaces_first() for id 0, by link type */
};

static unsigned chunk_of(uint32_t id)
{
	return 31u - (unsigned)__builtin_clz(id / FIRST + 1);
}

static struct entry *entry(const struct afm_ifaces *t, uint32_t id)
{
	unsigned k = chunk_of(id);

	return &t->chunk[k][id - FIRST * ((1u << k) - 1)];
}

static uint32_t hash(uint16_t linktype, const char *text)
{
	uint32_t h = 2166136261u ^ linktype;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

struct afm_ifaces *afm_ifaces_new(void)
{
	struct afm_ifaces *t = calloc(1, sizeof(*t));

	if (t)
		t->count = 1;	/* id 0 is no interface's */
	return t;
}

static int grow(struct afm_ifaces *t)
{
	uint32_t n = t->slots ? t->slots * 2 : 64;
	uint32_t *s = calloc(n, sizeof(*s));

	if (!s)
		return -1;
	for (uint32_t i = 0; i < t->slots; i++) {
		uint32_t id = t->slot[i];

		if (!id)
			continue;
		uint32_t h = hash(entry(t, id)->linktype, entry(t, id)->text) & (n - 1);

		while (s[h])
			h = (h + 1) & (n - 1);
		s[h] = id;
	}
	free(t->slot);
	t->slot = s;
	t->slots = n;
	return 0;
}

uint32_t afm_ifaces_intern(struct afm_ifaces *t, uint16_t linktype, const char *text)
{
	if (!text || !*text)
		return 0;
	if ((t->count + 1) * 2 > t->slots && grow(t) != 0)
		return UINT32_MAX;
	uint32_t h = hash(linktype, text) & (t->slots - 1);

	for (; t->slot[h]; h = (h + 1) & (t->slots - 1)) {
		const struct entry *e = entry(t, t->slot[h]);

		if (e->linktype == linktype && strcmp(e->text, text) == 0)
			return t->slot[h];
	}
	uint32_t id = t->count;

	if (id >= AFM_IFACES_MAX)
		return UINT32_MAX;
	unsigned k = chunk_of(id);

	if (!t->chunk[k] && !(t->chunk[k] = calloc((size_t)FIRST << k, sizeof(struct entry))))
		return UINT32_MAX;
	struct entry *e = entry(t, id);

	e->linktype = linktype;
	strncpy(e->text, text, sizeof(e->text) - 1);
	t->slot[h] = id;
	__atomic_store_n(&t->count, id + 1, __ATOMIC_RELEASE);
	return id;
}

int afm_ifaces_first(struct afm_ifaces *t, uint32_t id, uint16_t linktype)
{
	uint8_t *bit = id ? &entry(t, id)->asked : &t->asked0[linktype / 8];
	uint8_t mask = id ? 1 : (uint8_t)(1u << (linktype % 8));
	int first = !(*bit & mask);

	*bit |= mask;
	return first;
}

const char *afm_ifaces_name(void *ctx, uint32_t id)
{
	const struct afm_ifaces *t = ctx;

	if (!t || id == 0 || id >= __atomic_load_n(&t->count, __ATOMIC_ACQUIRE))
		return "-";
	return entry(t, id)->text;
}

void afm_ifaces_free(struct afm_ifaces *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < CHUNKS; i++)
		free(t->chunk[i]);
	free(t->slot);
	free(t);
}
