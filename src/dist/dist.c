/* hb_dist over MPI (Open MPI, or any MPI-3 implementation). */
#include "dist/dist.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"

static int started, rank, size = 1, local_rank, local_size = 1;
static double comm_s;

/* Set by mpirun (Open MPI, MPICH's hydra) or srun for each process they start. */
static int launched(void) {
    const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

void hb_dist_init(void) {
    if (!launched()) return;
    MPI_Init(NULL, NULL);
    started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local_rank);
    MPI_Comm_size(node, &local_size);
    MPI_Comm_free(&node);
}

int hb_dist_finalize(int rc) {
    if (started) MPI_Finalize();
    started = 0;
    return rc;
}

static void release_output(int print);

_Noreturn void hb_dist_abort(int rc) {
    release_output(1);
    if (started && size > 1) MPI_Abort(MPI_COMM_WORLD, rc);
    exit(rc);
}

int hb_dist_rank(void) { return rank; }
int hb_dist_size(void) { return size; }
int hb_dist_local_rank(void) { return local_rank; }
int hb_dist_local_size(void) { return local_size; }

void hb_dist_sum(float *x, size_t n) {
    if (size == 1 || n == 0) return;
    double t0 = hb_now_s();
    size_t share = (n + (size_t)size - 1) / (size_t)size; /* each process reduces one share */
    if (share > (size_t)INT32_MAX) hb_die(1, "hb_dist_sum: %zu floats per process", share);
    float *padded = calloc(share * (size_t)size, sizeof *padded), *mine = malloc(share * 4);
    if (!padded || !mine) hb_die(1, "out of host memory for the gradient sum (%zu floats)", n);
    memcpy(padded, x, n * sizeof *x);
    MPI_Reduce_scatter_block(padded, mine, (int)share, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allgather(mine, (int)share, MPI_FLOAT, padded, (int)share, MPI_FLOAT, MPI_COMM_WORLD);
    memcpy(x, padded, n * sizeof *x);
    free(padded), free(mine);
    comm_s += hb_now_s() - t0;
}

float *hb_dist_gather_buffer(size_t n) {
    float *x = malloc((n ? n : 1) * sizeof *x);
    if (!x) hb_die(1, "out of host memory (%zu floats)", n);
    for (size_t i = 0; i < n; i++) x[i] = -0.0f;
    return x;
}

void hb_dist_gather(const float *mine, float *all, size_t n) {
    if (size == 1) {
        memmove(all, mine, n * sizeof *mine);
        return;
    }
    if (n > (size_t)INT32_MAX) hb_die(1, "hb_dist_gather: %zu floats per process", n);
    double t0 = hb_now_s();
    MPI_Allgather(mine, (int)n, MPI_FLOAT, all, (int)n, MPI_FLOAT, MPI_COMM_WORLD);
    comm_s += hb_now_s() - t0;
}

int hb_dist_agree(int v) {
    if (size == 1) return v;
    int out;
    MPI_Allreduce(&v, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return out;
}

int hb_dist_first_differing(uint64_t v) {
    if (size == 1) return -1;
    uint64_t root = v;
    MPI_Bcast(&root, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    int mine = root == v ? size : rank, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return first == size ? -1 : first;
}

static FILE *kept;    /* hb_dist_quiet: what this process wrote to stdout and stderr */
static int real_stdout = -1, real_stderr = -1;

/* stdout and stderr back on their descriptors; what was kept is printed when `print`. */
static void release_output(int print) {
    if (!kept) return;
    fflush(stdout);
    fflush(stderr);
    dup2(real_stdout, 1);
    dup2(real_stderr, 2);
    close(real_stdout);
    close(real_stderr);
    char buf[4096];
    size_t n;
    rewind(kept);
    while (print && (n = fread(buf, 1, sizeof buf, kept)) > 0) fwrite(buf, 1, n, stderr);
    fclose(kept);
    kept = NULL;
}

static void release_at_exit(void) { release_output(1); }

void hb_dist_quiet(void) {
    if (size == 1 || rank == 0 || kept || !(kept = tmpfile())) return;
    static int registered;
    if (!registered) atexit(release_at_exit);
    registered = 1;
    fflush(stdout);
    fflush(stderr);
    real_stdout = dup(1);
    real_stderr = dup(2);
    dup2(fileno(kept), 1);
    dup2(fileno(kept), 2);
}

int hb_dist_agree_quietly(int rc) {
    int root_rc = rc;
    if (size > 1) MPI_Bcast(&root_rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    release_output(rc != 0 && root_rc == 0);
    return hb_dist_agree(rc);
}

double hb_dist_comm_s(void) { return comm_s; }

uint64_t hb_hash_bytes(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}
