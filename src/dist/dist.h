/* Data-parallel processes: the MPI plumbing of hatebm in one place. Everything here is a no-op
 * (or the identity) in a single process, so callers need no second code path:
 *
 * - hb_dist_init starts MPI only when a launcher (mpirun, srun) started the process; run
 *   without one, hatebm is one process and never touches MPI (a singleton MPI_Init works with
 *   Open MPI, but costs half a second per command and is of no use alone).
 * - Collectives are host-staged and blocking; hb_dist_comm_s says how long they took.
 * - A process that must stop alone calls hb_dist_abort: the launcher then ends the others,
 *   which would otherwise wait forever in their next collective. A stop every process agrees
 *   on (hb_dist_agree) ends through hb_dist_finalize. */
#ifndef HB_DIST_H
#define HB_DIST_H

#include <stddef.h>
#include <stdint.h>

void hb_dist_init(void);
/* Ends MPI (when started) and returns rc, for `return hb_dist_finalize(rc)`. */
int hb_dist_finalize(int rc);
/* This process alone stops with exit code rc; in a single process, exit(rc). */
_Noreturn void hb_dist_abort(int rc);

int hb_dist_rank(void);       /* 0..size-1 */
int hb_dist_size(void);       /* 1 without a launcher */
int hb_dist_local_rank(void); /* among the processes of this machine */
int hb_dist_local_size(void);

/* x[0..n) summed over the processes, in place. Every process gets the same bits: each element
 * is reduced once, by one process, then shared (reduce-scatter + allgather). */
void hb_dist_sum(float *x, size_t n);
/* Arrays that processes fill in disjoint parts and then hb_dist_sum into the whole start as
 * -0.0 everywhere (malloc'ed here): -0.0 + x == x for every float x, +0.0 and -0.0 included,
 * so the sum is an exact gather. */
float *hb_dist_gather_buffer(size_t n);
/* all[r * n + i] = mine[i] of process r. */
void hb_dist_gather(const float *mine, float *all, size_t n);
/* The largest v over the processes: a decision every process takes alike (an exit code, a stop
 * request). */
int hb_dist_agree(int v);
/* -1 when every process holds rank 0's v, else the lowest rank that does not. */
int hb_dist_first_differing(uint64_t v);
/* Start-up checks that every process makes alike (the config, the run directory) would print
 * each refusal once per process. Between hb_dist_quiet and hb_dist_agree_quietly the
 * processes other than rank 0 keep their stdout and stderr aside; hb_dist_agree_quietly(rc)
 * returns the agreed exit code and prints what a process kept only when it failed where rank 0
 * did not (a file missing on one machine, say), or when it exits before (hb_die,
 * hb_dist_abort). */
void hb_dist_quiet(void);
int hb_dist_agree_quietly(int rc);
/* Seconds spent in collectives since the start. */
double hb_dist_comm_s(void);

/* FNV-1a of n bytes, continuing from h (start with HB_HASH_INIT): cheap identity checks of
 * configs and weights across processes. */
#define HB_HASH_INIT 0xcbf29ce484222325ull
uint64_t hb_hash_bytes(uint64_t h, const void *p, size_t n);

#endif
