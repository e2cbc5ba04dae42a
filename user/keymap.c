// SPDX-License-Identifier: MIT
#include "keymap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static inline uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

uint64_t afm_key_hash(const struct afm_flow_key *key)
{
	const uint64_t k1 = 0x9e3779b97f4a7c15ULL, k2 = 0xc2b2ae3d27d4eb4fULL;
	uint64_t w[sizeof(*key) / 8], h = 0x2545f4914f6cdd1dULL;

	memcpy(w, key, sizeof(w));
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		h = rotl(h ^ (w[i] * k1), 29) * k2;
	/* murmur3 finaliser; never 0, which marks an empty slot */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h ? h : 1;
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
		if (s->hash == hash && memcmp(s->value, key, sizeof(*key)) == 0)
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

int afm_keymap_put(struct afm_keymap *m, void *value, uint64_t hash)
{
	if ((m->count + 1) * 2 > m->mask + 1 && grow(m) != 0)
		return -ENOMEM;
	insert(m->slots, m->mask, value, hash);
	m->count++;
	return 0;
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
