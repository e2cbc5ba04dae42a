/* SPDX-License-Identifier: MIT */
/*
 * Open-addressing hash map from struct afm_flow_key to a pointer: linear probing,
 * power-of-two capacity kept at most half full, backward-shift deletion (no
 * tombstones, so lookups stay short however many flows come and go).
 */
#ifndef AFM_KEYMAP_H
#define AFM_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

#include "afm_record.h"

struct afm_keymap_slot {
	uint64_t hash;		/* 0: empty slot */
	void *value;		/* its first member is the struct afm_flow_key */
};

struct afm_keymap {
	struct afm_keymap_slot *slots;
	size_t mask;
	size_t count;
};

uint64_t afm_key_hash(const struct afm_flow_key *key);
int afm_keymap_init(struct afm_keymap *m, size_t capacity_hint);
void afm_keymap_free(struct afm_keymap *m);
/* Values must start with their struct afm_flow_key: the map compares keys there. */
void *afm_keymap_get(const struct afm_keymap *m, const struct afm_flow_key *key, uint64_t hash);
/* Room for `more` values: 0 or -ENOMEM. A put needs the room (it cannot fail). */
int afm_keymap_reserve(struct afm_keymap *m, size_t more);
void afm_keymap_put(struct afm_keymap *m, void *value, uint64_t hash);
void afm_keymap_del(struct afm_keymap *m, const void *value, uint64_t hash);

#endif
