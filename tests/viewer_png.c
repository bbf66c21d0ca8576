/* Checks on hatebm-view's PNGs for tests/viewer_*.sh; exit 0 when the check holds, else 1 with
 * the reason on stderr. LAYOUT is the line hatebm-view --headless prints ("... N chains x 3 rows
 * of CxC cells at x = X0 + PX i, y = Y0 + PY r"), which says where each image cell is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>

typedef struct {
    int w, h;
    unsigned char *px; /* RGB */
} img;

typedef struct {
    int n, cell, x0, px, y0, py;
} layout;

/* The images loaded (at most two), freed at exit: main returns from many places. */
static unsigned char *loaded[2];
static int nloaded;

static void free_loaded(void) {
    for (int i = 0; i < nloaded; i++) stbi_image_free(loaded[i]);
}

static img load(const char *path) {
    img m;
    int comp;
    m.px = stbi_load(path, &m.w, &m.h, &comp, 3);
    if (!m.px) {
        fprintf(stderr, "viewer_png: cannot read %s: %s\n", path, stbi_failure_reason());
        exit(1);
    }
    if (!nloaded) atexit(free_loaded);
    loaded[nloaded++] = m.px;
    return m;
}

static layout parse(const char *line) {
    layout L;
    const char *p = strstr(line, "pixels, ");
    if (!p || sscanf(p, "pixels, %d chains x 3 rows of %dx%*d cells at x = %d + %d i, y = %d + %d r",
                     &L.n, &L.cell, &L.x0, &L.px, &L.y0, &L.py) != 6) {
        fprintf(stderr, "viewer_png: not a layout line: %s\n", line);
        exit(1);
    }
    return L;
}

static const unsigned char *at(const img *m, int x, int y) { return m->px + ((size_t)y * m->w + x) * 3; }

/* Every pixel (x, y) of the cell of chain i in row r */
#define FOR_CELL(L, i, r, x, y) \
    for (int y = (L).y0 + (r) * (L).py; y < (L).y0 + (r) * (L).py + (L).cell; y++) \
        for (int x = (L).x0 + (i) * (L).px; x < (L).x0 + (i) * (L).px + (L).cell; x++)

static int usage(void) {
    fprintf(stderr, "usage: viewer_png size A W H | equal A B | colors A MIN | gray A LAYOUT ROW |"
                    " same A LAYOUT ROW1 ROW2 | differ A B LAYOUT ROW | gaps A LAYOUT\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 3) return usage();
    const char *cmd = argv[1];
    img a = load(argv[2]);
    if (strcmp(cmd, "size") == 0 && argc == 5) {
        if (a.w == atoi(argv[3]) && a.h == atoi(argv[4])) return 0;
        fprintf(stderr, "%s is %dx%d, expected %sx%s\n", argv[2], a.w, a.h, argv[3], argv[4]);
        return 1;
    }
    if (strcmp(cmd, "equal") == 0 && argc == 4) {
        img b = load(argv[3]);
        if (a.w == b.w && a.h == b.h && memcmp(a.px, b.px, (size_t)a.w * a.h * 3) == 0) return 0;
        fprintf(stderr, "%s (%dx%d) and %s (%dx%d) differ\n", argv[2], a.w, a.h, argv[3], b.w, b.h);
        return 1;
    }
    if (strcmp(cmd, "colors") == 0 && argc == 4) { /* distinct colours, counted in a bitmap */
        unsigned char *seen = calloc(1 << 21, 1);
        int n = 0;
        for (size_t i = 0; i < (size_t)a.w * a.h; i++) {
            unsigned v = (unsigned)a.px[3 * i] << 16 | a.px[3 * i + 1] << 8 | a.px[3 * i + 2];
            if (!(seen[v >> 3] & (1 << (v & 7)))) seen[v >> 3] |= (unsigned char)(1 << (v & 7)), n++;
        }
        free(seen);
        if (n >= atoi(argv[3])) return 0;
        fprintf(stderr, "%s has %d distinct colours, expected at least %s\n", argv[2], n, argv[3]);
        return 1;
    }
    if (strcmp(cmd, "gray") == 0 && argc == 5) { /* every pixel of the row's cells is 128 gray */
        layout L = parse(argv[3]);
        int r = atoi(argv[4]);
        for (int i = 0; i < L.n; i++)
            FOR_CELL(L, i, r, x, y) {
                const unsigned char *p = at(&a, x, y);
                if (p[0] != 128 || p[1] != 128 || p[2] != 128) {
                    fprintf(stderr, "chain %d row %d: pixel (%d, %d) is %d,%d,%d, not gray 128\n",
                            i, r, x, y, p[0], p[1], p[2]);
                    return 1;
                }
            }
        return 0;
    }
    if (strcmp(cmd, "same") == 0 && argc == 6) { /* two rows show the same images */
        layout L = parse(argv[3]);
        int r1 = atoi(argv[4]), r2 = atoi(argv[5]);
        for (int i = 0; i < L.n; i++)
            FOR_CELL(L, i, r1, x, y)
                if (memcmp(at(&a, x, y), at(&a, x, y + (r2 - r1) * L.py), 3) != 0) {
                    fprintf(stderr, "chain %d: rows %d and %d differ at (%d, %d)\n", i, r1, r2, x, y);
                    return 1;
                }
        return 0;
    }
    if (strcmp(cmd, "differ") == 0 && argc == 6) { /* every chain's cell in the row changed */
        img b = load(argv[3]);
        layout L = parse(argv[4]);
        int r = atoi(argv[5]);
        if (a.w != b.w || a.h != b.h) return fprintf(stderr, "sizes differ\n"), 1;
        for (int i = 0; i < L.n; i++) {
            int diff = 0;
            FOR_CELL(L, i, r, x, y) diff |= memcmp(at(&a, x, y), at(&b, x, y), 3) != 0;
            if (!diff) {
                fprintf(stderr, "chain %d row %d is the same in %s and %s\n", i, r, argv[2], argv[3]);
                return 1;
            }
        }
        return 0;
    }
    if (strcmp(cmd, "gaps") == 0 && argc == 4) { /* between the cells: background only */
        layout L = parse(argv[3]);
        static const unsigned char bg[3] = {0x16, 0x18, 0x1d}; /* render.c's BG */
        for (int r = 0; r < 3; r++)
            for (int y = L.y0 + r * L.py; y < L.y0 + r * L.py + L.cell; y++)
                for (int i = 0; i + 1 < L.n; i++)
                    for (int x = L.x0 + i * L.px + L.cell; x < L.x0 + (i + 1) * L.px; x++)
                        if (memcmp(at(&a, x, y), bg, 3) != 0) {
                            fprintf(stderr, "gap pixel (%d, %d) is not background\n", x, y);
                            return 1;
                        }
        if (L.px <= L.cell) return fprintf(stderr, "no gap between cells\n"), 1;
        return 0;
    }
    return usage();
}
