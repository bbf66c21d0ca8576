/* The fusion plans (src/nn/fusion.c) of the hat network and the generator, training and
 * frozen, against the plans in tests/plans/ (reviewed by hand: a change in what runs or what
 * is folded where shows up here first), and what every plan must satisfy: a folded node's
 * value is computed by a node that runs, a running op's inputs are computed before it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/models.h"
#include "testutil.h"

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc((size_t)n + 1, 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    fclose(f);
    return s;
}

/* Where each value is available in the forward pass: the turn of the node that writes it */
static void check_invariants(const hb_graph *g, const hb_fusion_role *p, const char *tag) {
    int *ready = malloc((size_t)g->nnodes * sizeof *ready);
    for (int i = 0; i < g->nnodes; i++) ready[i] = -1;
    ready[0] = 0;
    int ok = 1;
    for (int i = 1; i < g->nnodes; i++) {
        if (g->nodes[i].kind == HB_G_RESHAPE) ready[i] = ready[g->nodes[i].in0];
        if (p[i].op < 0) {
            int f = p[i].folded_into;
            ok &= g->nodes[i].kind == HB_G_RESHAPE || (f > 0 && f < g->nnodes && p[f].op >= 0);
            continue;
        }
        ready[p[i].writes] = i;
        if (p[i].writes != i) ok &= p[p[i].writes].op < 0; /* an add completed here never runs */
    }
    /* every running op's inputs are ready at its turn, those folded in aside */
    for (int i = 1; i < g->nnodes; i++) {
        if (p[i].op < 0) continue;
        const hb_g_node *n = &g->nodes[p[i].op];
        int in = p[i].prologue >= 0 ? g->nodes[p[i].prologue].in0 : n->in0;
        ok &= ready[in] >= 0 && ready[in] <= i;
        if (p[i].residual >= 0) ok &= ready[p[i].residual] >= 0 && ready[p[i].residual] < i;
    }
    tu_check(ok, "%s: every folded value is computed by a running op, inputs before their use",
             tag);
    free(ready);
}

static void check_plans(hb_graph *g, const char *file) {
    hb_g_finalize(g, 1);
    char *got = NULL, path[512];
    size_t len = 0;
    FILE *f = open_memstream(&got, &len);
    for (int k = 0; k < HB_PLAN_KINDS; k++) {
        hb_fusion_plan_print(f, g, g->plan[k], (hb_plan_kind)k);
        check_invariants(g, g->plan[k], file);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/plans/%s", HB_TESTS_DIR, file);
    char *want = read_file(path);
    tu_check(want && strcmp(got, want) == 0,
             "%s: plans as in %s (to see them: HATEBM_PLAN=1, or hatebm plan CONFIG)", file, path);
    if (want && strcmp(got, want) != 0) fprintf(stderr, "got:\n%s", got);
    free(want);
    free(got);
    hb_g_free(g);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    /* the Fashion-MNIST main job's networks; a 3-channel hat wide enough (64) for every
     * Winograd fusion */
    check_plans(hb_build_hat(ctx, 32, 1, 32), "hat_32_1_32.txt");
    check_plans(hb_build_gen(ctx, 32, 1, 32, 1.0f), "gen_32_1_32.txt");
    check_plans(hb_build_hat(ctx, 32, 3, 64), "hat_32_3_64.txt");
    return tu_finish(ctx);
}
