// SPDX-License-Identifier: MIT
#include "flow/keymap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "afm_key.h"

/* 64x64 -> 128-bit multiply, folded to 64 bits. */
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
	unsigned __int128 p = (unsigned __int128)a * b;

	return (uint64_t)p ^ (uint64_t)(p >> 64);
}

uint64_t afm_key_hash(const struct afm_flow_key *key)
{
	uint64_t w[sizeof(*key) / 8];

	_Static_assert(sizeof(w) == 56, "seven words");
	memcpy(w, key, sizeof(w));
	/* Independent multiplies (no chain through one accumulator), then a mix. */
	uint64_t h = fold_mul(w[0] ^ 0xa0761d6478bd642fULL, w[1] ^ 0xe7037ed1a0b428dbULL) ^
		     fold_mul(w[2] ^ 0x8ebc6af09c88c6e3ULL, w[3] ^ 0x589965cc75374cc3ULL) ^
		     fold_mul(w[4] ^ 0x1d8e4e27c47d124fULL, w[5] ^ 0x9e3779b97f4a7c15ULL) ^
		     fold_mul(w[6] ^ 0xd6e8feb86659fd93ULL, 0xc2b2ae3d27d4eb4fULL);

	h = fold_mul(h, 0xff51afd7ed558ccdULL);
	return h ? h : 1;	/* 0 marks an empty slot */
}


int afm_keymap_init(struct afm_keymap *m, size_t capacity_hint)
{
	size_t cap = 64;

	while (cap < capacity_hint * 2)
		cap <<= 1;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots)
		return -ENOMEM;
	m->mask = cap - 1;
	m->count = 0;
	return 0;
}

void afm_keymap_free(struct afm_keymap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->count = 0;
}

void *afm_keymap_get(const struct afm_keymap *m, const struct afm_flow_key *key, uint64_t hash)
{
	for (size_t i = hash & m->mask;; i = (i + 1) & m->mask) {
		const struct afm_keymap_slot *s = &m->slots[i];

		if (!s->hash)
			return NULL;
		if (s->hash == hash && afm_key_equal(s->value, key))
			return s->value;
	}
}

static void insert(struct afm_keymap_slot *slots, size_t mask, void *value, uint64_t hash)
{
	size_t i = hash & mask;

	while (slots[i].hash)
		i = (i + 1) & mask;
	slots[i].hash = hash;
	slots[i].value = value;
}

static int grow(struct afm_keymap *m)
{
	size_t cap = (m->mask + 1) * 2;
	struct afm_keymap_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i <= m->mask; i++)
		if (m->slots[i].hash)
			insert(slots, cap - 1, m->slots[i].value, m->slots[i].hash);
	free(m->slots);
	m->slots = slots;
	m->mask = cap - 1;
	return 0;
}

int afm_keymap_reserve(struct afm_keymap *m, size_t more)
{
	while ((m->count + more) * 2 > m->mask + 1)
		if (grow(m) != 0)
			return -ENOMEM;
	return 0;
}

void afm_keymap_put(struct afm_keymap *m, void *value, uint64_t hash)
{
	insert(m->slots, m->mask, value, hash);
	m->count++;
}

void afm_keymap_del(struct afm_keymap *m, const void *value, uint64_t hash)
{
	size_t i = hash & m->mask;

	while (m->slots[i].value != value) {
		if (!m->slots[i].hash)
			return;
		i = (i + 1) & m->mask;
	}
	/* Backward shift: pull later entries of the cluster into the hole when allowed. */
	for (size_t j = (i + 1) & m->mask; m->slots[j].hash; j = (j + 1) & m->mask) {
		size_t home = m->slots[j].hash & m->mask;

		/* Move j to i unless its home lies cyclically in (i, j]. */
		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].hash = 0;
	m->slots[i].value = NULL;
	m->count--;
}
