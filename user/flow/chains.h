/* SPDX-License-Identifier: MIT */
/*
 * Connections split by the active timeout (docs/CIC.md, "Total Connection Flow Time"):
 * a flow ended by it is remembered under its key until the next flow of the key
 * starts, or its idle timeout has passed; that next flow continues its connection.
 * Kept only with detail on (a CIC schema).
 */
#ifndef AFM_CHAINS_H
#define AFM_CHAINS_H

#include "flow/engine.h"

int afm_chains_init(struct afm_engine *e);
/* f ended by the active timeout: remember its connection. */
void afm_chains_remember(struct afm_engine *e, const struct afm_flow *f);
/* f starts at ts: does it continue a remembered connection? (f->chained, chain_first_ns) */
void afm_chains_take(struct afm_engine *e, struct afm_flow *f, uint64_t ts);
/* Forget the connections whose idle timeout passed before the capture clock. */
void afm_chains_expire(struct afm_engine *e);
void afm_chains_free(struct afm_engine *e);

#endif
