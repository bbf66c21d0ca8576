/* Row gather/scatter: shaders/rows.comp; reference: src/ref/ref_rows.c; test: tests/test_rows.c. */
#include "ops/op_common.h"

typedef struct {
    uint32_t rows, cols, src_off, idx_off, dst_off;
} rows_push;

static void move_rows(hb_cmd *cmd, const char *name, uint32_t scatter, hb_tensor dst,
                      hb_tensor src, hb_tensor index, int rows, int cols, int table_rows) {
    uint64_t moved = (uint64_t)rows * cols, table = (uint64_t)table_rows * cols;
    hb_require(name, "index", index, (uint64_t)rows);
    hb_require(name, scatter ? "src" : "table", src, scatter ? moved : table);
    hb_require(name, scatter ? "table" : "dst", dst, scatter ? table : moved);
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    uint32_t spec[2] = {local, scatter};
    hb_pipeline *pl = hb_pipeline_get(ctx, "rows", "rrw", spec, 2);
    hb_tensor t[3] = {src, index, dst};
    rows_push pc = {(uint32_t)rows, (uint32_t)cols, src.off, index.off, dst.off};
    hb_dispatch_1d(cmd, name, pl, t, &pc, sizeof pc, moved, local);
}

void hb_gather_rows(hb_cmd *cmd, hb_tensor dst, hb_tensor table, hb_tensor index, int rows,
                    int cols, int table_rows) {
    move_rows(cmd, "gather_rows", 0, dst, table, index, rows, cols, table_rows);
}

void hb_scatter_rows(hb_cmd *cmd, hb_tensor table, hb_tensor src, hb_tensor index, int rows,
                     int cols, int table_rows) {
    move_rows(cmd, "scatter_rows", 1, table, src, index, rows, cols, table_rows);
}
