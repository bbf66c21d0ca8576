/* The viewer's picture, drawn on the CPU into an RGBA buffer. */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image_write.h>
#include <stb/stb_truetype.h>

#include "io/files.h"

/* Layout, in pixels */
enum {
    MARGIN = 12,
    HEADER = 62,     /* title line and status line */
    COL_LABELS = 18, /* chain numbers above the columns */
    GAP = 4,         /* between image cells */
    LABEL_W = 92,    /* row labels left of the images */
    ENERGY_LINE = 18, /* per-chain energies under the columns */
    PLOT_MIN = 130,
    FOOTER = 24,
    MIN_W = 320,
    MIN_H = 240,
};

/* Colours */
#define BG 0x16181dU
#define PANEL 0x22252cU
#define GRID_LINE 0x33373fU
#define TEXT 0xe8e8e8U
#define DIM 0x9aa0a8U

void vr_canvas_resize(vr_canvas *c, int w, int h) {
    c->w = w < MIN_W ? MIN_W : w;
    c->h = h < MIN_H ? MIN_H : h;
    free(c->px);
    c->px = calloc((size_t)c->w * c->h, 4);
}

void vr_canvas_free(vr_canvas *c) {
    free(c->px);
    c->px = NULL;
}

/* ---- pixels ---- */

static void put(vr_canvas *c, int x, int y, uint32_t rgb, int alpha) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h || alpha <= 0) return;
    uint8_t *p = c->px + ((size_t)y * c->w + x) * 4;
    int rgbv[3] = {(int)(rgb >> 16) & 255, (int)(rgb >> 8) & 255, (int)rgb & 255};
    for (int k = 0; k < 3; k++) p[k] = (uint8_t)((rgbv[k] * alpha + p[k] * (255 - alpha) + 127) / 255);
    p[3] = 255;
}

static void fill(vr_canvas *c, int x, int y, int w, int h, uint32_t rgb, int alpha) {
    int x1 = x + w < c->w ? x + w : c->w, y1 = y + h < c->h ? y + h : c->h;
    for (int j = y < 0 ? 0 : y; j < y1; j++)
        for (int i = x < 0 ? 0 : x; i < x1; i++) put(c, i, j, rgb, alpha);
}

static void line(vr_canvas *c, int x0, int y0, int x1, int y1, uint32_t rgb, int thick) {
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int e = dx + dy;
    for (;;) {
        fill(c, x0, y0, thick, thick, rgb, 255);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * e;
        if (e2 >= dy) e += dy, x0 += sx;
        if (e2 <= dx) e += dx, y0 += sy;
    }
}

/* ---- text ---- */

enum { FIRST_CHAR = 32, NUM_CHARS = 224, ATLAS = 512 };
static const float SIZES[2] = {17.0f, 13.0f};
enum { BIG, SMALL };

struct vr_font {
    uint8_t atlas[2][ATLAS * ATLAS];
    stbtt_bakedchar chars[2][NUM_CHARS];
    int ascent[2], height[2];
};

vr_font *vr_font_load(const char *path, char *err, size_t errlen) {
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        hb_errorf(err, errlen, "font %s not found: install it with 'apt-get install "
                  "fonts-dejavu-core'", path);
        return NULL;
    }
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *ttf = malloc(size > 0 ? (size_t)size : 1);
    int ok = size > 0 && fread(ttf, 1, (size_t)size, fp) == (size_t)size;
    fclose(fp);
    vr_font *f = calloc(1, sizeof *f);
    stbtt_fontinfo info;
    ok = ok && stbtt_InitFont(&info, ttf, stbtt_GetFontOffsetForIndex(ttf, 0));
    for (int s = 0; ok && s < 2; s++) {
        ok = stbtt_BakeFontBitmap(ttf, 0, SIZES[s], f->atlas[s], ATLAS, ATLAS, FIRST_CHAR,
                                  NUM_CHARS, f->chars[s]) > 0;
        int ascent, descent, gap;
        stbtt_GetFontVMetrics(&info, &ascent, &descent, &gap);
        float scale = stbtt_ScaleForPixelHeight(&info, SIZES[s]);
        f->ascent[s] = (int)lroundf(ascent * scale);
        f->height[s] = (int)lroundf((ascent - descent) * scale);
    }
    free(ttf);
    if (!ok) {
        free(f);
        hb_errorf(err, errlen, "font %s: not a TrueType font stb_truetype can read", path);
        return NULL;
    }
    return f;
}

void vr_font_free(vr_font *f) { free(f); }

/* The next Latin-1 character of UTF-8 text ('?' for anything beyond). */
static int next_char(const char **s) {
    const unsigned char *p = (const unsigned char *)*s;
    if (p[0] < 0x80) {
        *s += 1;
        return p[0];
    }
    if ((p[0] & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
        *s += 2;
        int cp = (p[0] & 0x1f) << 6 | (p[1] & 0x3f);
        return cp < 256 ? cp : '?';
    }
    *s += 1;
    while ((**s & 0xc0) == 0x80) *s += 1;
    return '?';
}

static int glyph_index(int ch) { return ch >= FIRST_CHAR && ch < FIRST_CHAR + NUM_CHARS ? ch - FIRST_CHAR : '?' - FIRST_CHAR; }

static int text_width(const vr_font *f, int size, const char *s) {
    float w = 0;
    while (*s) w += f->chars[size][glyph_index(next_char(&s))].xadvance;
    return (int)ceilf(w);
}

/* Draws s with its top-left at (x, top); returns the width. */
static int text(vr_canvas *c, const vr_font *f, int size, int x, int top, uint32_t rgb,
                const char *s) {
    float pen = (float)x;
    int base = top + f->ascent[size];
    while (*s) {
        const stbtt_bakedchar *b = &f->chars[size][glyph_index(next_char(&s))];
        int gx = (int)lroundf(pen + b->xoff), gy = base + (int)lroundf(b->yoff);
        for (int j = b->y0; j < b->y1; j++)
            for (int i = b->x0; i < b->x1; i++)
                put(c, gx + i - b->x0, gy + j - b->y0, rgb, f->atlas[size][j * ATLAS + i]);
        pen += b->xadvance;
    }
    return (int)ceilf(pen) - x;
}

static void text_right(vr_canvas *c, const vr_font *f, int size, int right, int top,
                       uint32_t rgb, const char *s) {
    text(c, f, size, right - text_width(f, size, s), top, rgb, s);
}

static void text_centre(vr_canvas *c, const vr_font *f, int size, int centre, int top,
                        uint32_t rgb, const char *s) {
    text(c, f, size, centre - text_width(f, size, s) / 2, top, rgb, s);
}

/* ---- images ---- */

static uint8_t to_byte(float v) { /* as the training grids: [-1, 1] -> 0..255, NaN black */
    if (!(v > -1.0f)) v = -1.0f;
    if (v > 1.0f) v = 1.0f;
    return (uint8_t)((v + 1.0f) * 127.5f + 0.5f);
}

static void image(vr_canvas *c, int x, int y, int scale, const float *im, int nch, int res,
                  float mag) {
    size_t plane = (size_t)res * res;
    for (int py = 0; py < res; py++)
        for (int px = 0; px < res; px++) {
            uint8_t v[3];
            for (int k = 0; k < 3; k++) v[k] = to_byte(mag * im[(nch == 3 ? k : 0) * plane + (size_t)py * res + px]);
            uint32_t rgb = (uint32_t)v[0] << 16 | (uint32_t)v[1] << 8 | v[2];
            fill(c, x + px * scale, y + py * scale, scale, scale, rgb, 255);
        }
}

/* ---- plots ---- */

static void range(const vr_plot *p, int axis, float *lo, float *hi) {
    *lo = INFINITY, *hi = -INFINITY;
    for (int k = 0; k < p->ns; k++) {
        const vr_series *s = &p->s[k];
        const float *arrays[3] = {axis ? s->y : s->x, axis ? s->lo : NULL, axis ? s->hi : NULL};
        for (int a = 0; a < 3; a++)
            for (int i = 0; arrays[a] && i < s->n; i++)
                if (isfinite(arrays[a][i])) {
                    if (arrays[a][i] < *lo) *lo = arrays[a][i];
                    if (arrays[a][i] > *hi) *hi = arrays[a][i];
                }
    }
    if (!(*lo <= *hi)) *lo = 0, *hi = 1;
    if (axis == 0 && *hi == *lo) *hi = *lo + 1; /* one point: at the left, steps to the right */
    if (*hi - *lo < 1e-6f * (fabsf(*lo) + fabsf(*hi)) || *hi == *lo) {
        float pad = *lo == 0 ? 1.0f : 0.1f * fabsf(*lo);
        *lo -= pad, *hi += pad;
    }
}

static void plot(vr_canvas *c, const vr_font *f, const vr_plot *p, int x, int y, int w, int h) {
    fill(c, x, y, w, h, PANEL, 255);
    int th = f->height[SMALL];
    text(c, f, SMALL, x + 8, y + 5, TEXT, p->title);
    /* legend, right-aligned on the title line, or on a line of its own when it does not fit */
    int legend = 0;
    for (int k = 0; k < p->ns; k++)
        if (p->s[k].label) legend += text_width(f, SMALL, p->s[k].label) + 26;
    int ly = y + 5, below = legend && text_width(f, SMALL, p->title) + 16 + legend > w - 16;
    if (below) ly += th + 2;
    int lx = x + w - 8;
    for (int k = p->ns - 1; k >= 0; k--) {
        if (!p->s[k].label) continue;
        lx -= text_width(f, SMALL, p->s[k].label);
        text(c, f, SMALL, lx, ly, p->s[k].rgb, p->s[k].label);
        lx -= 16;
        fill(c, lx, ly + th / 2 - 1, 10, 3, p->s[k].rgb, 255);
        lx -= 10;
    }
    float x0, x1, y0, y1;
    range(p, 0, &x0, &x1);
    range(p, 1, &y0, &y1);
    char lab[3][32];
    snprintf(lab[0], sizeof lab[0], "%.4g", y1);
    snprintf(lab[1], sizeof lab[1], "%.4g", (y0 + y1) / 2);
    snprintf(lab[2], sizeof lab[2], "%.4g", y0);
    int lw = 0;
    for (int i = 0; i < 3; i++)
        if (text_width(f, SMALL, lab[i]) > lw) lw = text_width(f, SMALL, lab[i]);
    /* the plotting area */
    int ax = x + 12 + lw, ay = y + th + 14 + (below ? th + 2 : 0), aw = x + w - 12 - ax;
    int ah = y + h - th - 10 - ay;
    if (aw < 10 || ah < 10) return;
    for (int i = 0; i < 3; i++) {
        int gy = ay + i * (ah - 1) / 2;
        fill(c, ax, gy, aw, 1, GRID_LINE, 255);
        text_right(c, f, SMALL, ax - 6, gy - th / 2, DIM, lab[i]);
    }
    char xl[32];
    snprintf(xl, sizeof xl, "%.6g", x0);
    text(c, f, SMALL, ax, ay + ah + 3, DIM, xl);
    snprintf(xl, sizeof xl, "%.6g", x1);
    text_right(c, f, SMALL, ax + aw, ay + ah + 3, DIM, xl);
    if (p->xlabel) text_centre(c, f, SMALL, ax + aw / 2, ay + ah + 3, DIM, p->xlabel);
#define PX(v) (ax + (int)lroundf(((v) - x0) / (x1 - x0) * (aw - 2)))
#define PY(v) (ay + (int)lroundf((y1 - (v)) / (y1 - y0) * (ah - 2)))
    for (int k = 0; k < p->ns; k++) {
        const vr_series *s = &p->s[k];
        if (s->lo && s->hi) /* the band: interpolated column by column */
            for (int i = 0; i + 1 < s->n; i++) {
                if (!isfinite(s->lo[i] + s->hi[i] + s->lo[i + 1] + s->hi[i + 1])) continue;
                int a = PX(s->x[i]), b = PX(s->x[i + 1]);
                int end = i + 2 == s->n ? b : b - 1; /* shared columns shaded once */
                for (int px = a; px <= end; px++) {
                    float t = b > a ? (float)(px - a) / (b - a) : 0;
                    int top = PY(s->hi[i] + t * (s->hi[i + 1] - s->hi[i]));
                    int bot = PY(s->lo[i] + t * (s->lo[i + 1] - s->lo[i]));
                    fill(c, px, top, 1, bot - top + 1, s->rgb, 60);
                }
            }
        int have = 0, px0 = 0, py0 = 0;
        for (int i = 0; i < s->n; i++) {
            if (!isfinite(s->x[i]) || !isfinite(s->y[i])) {
                have = 0;
                continue;
            }
            int px1 = PX(s->x[i]), py1 = PY(s->y[i]);
            if (have) line(c, px0, py0, px1, py1, s->rgb, 2);
            else fill(c, px1 - 1, py1 - 1, 3, 3, s->rgb, 255);
            have = 1, px0 = px1, py0 = py1;
        }
    }
#undef PX
#undef PY
}

/* ---- the scene ---- */

/* Height of everything but the image rows and the plots. */
static int fixed_height(void) {
    return HEADER + COL_LABELS + 2 * GAP + ENERGY_LINE + 10 + 10 + FOOTER;
}

void vr_default_size(int n, int res, int *w, int *h) {
    int scale = res < 96 ? 96 / res : 1, cell = res * scale;
    *w = 2 * MARGIN + LABEL_W + n * cell + (n - 1) * GAP;
    if (*w < 760) *w = 760;
    *h = fixed_height() + 3 * cell + 170;
}

vr_layout vr_render(vr_canvas *c, const vr_font *f, const vr_scene *s) {
    fill(c, 0, 0, c->w, c->h, BG, 255);
    /* header */
    text(c, f, BIG, MARGIN, 10, TEXT, s->title);
    text_right(c, f, BIG, c->w - MARGIN, 10, TEXT, s->right);
    text(c, f, SMALL, MARGIN, 38, DIM, s->status);
    fill(c, MARGIN, HEADER - 6, c->w - 2 * MARGIN, 1, GRID_LINE, 255);

    /* images: the largest whole-number scale that leaves the plots PLOT_MIN */
    vr_layout L = {0};
    int n = s->n > 0 ? s->n : 1, res = s->n > 0 ? s->res : 32;
    int sw = (c->w - 2 * MARGIN - LABEL_W - (n - 1) * GAP) / (n * res);
    int sh = (c->h - fixed_height() - PLOT_MIN) / (3 * res);
    L.scale = sw < sh ? sw : sh;
    if (L.scale < 1) L.scale = 1;
    L.cell = res * L.scale;
    L.pitch_x = L.cell + GAP;
    L.pitch_y = L.cell + GAP;
    int block = LABEL_W + n * L.cell + (n - 1) * GAP;
    L.x0 = (c->w - block) / 2 + LABEL_W;
    if (L.x0 < MARGIN + LABEL_W) L.x0 = MARGIN + LABEL_W;
    L.y0 = HEADER + COL_LABELS;
    int grid_bottom = L.y0 + 3 * L.cell + 2 * GAP;
    if (s->n > 0) {
        char mag[32], buf[32];
        snprintf(mag, sizeof mag, "Y \u00d7 %g", s->mag);
        const char *rows[3] = {"X", "G(Z)", mag}, *notes[3] = {"G(Z) + Y", "generator", "residual"};
        const float *data[3] = {s->x, s->g, s->y};
        size_t per = (size_t)s->nch * s->res * s->res;
        for (int r = 0; r < 3; r++) {
            int cy = L.y0 + r * L.pitch_y + L.cell / 2;
            int tb = f->height[BIG], ts = f->height[SMALL];
            if (L.cell >= tb + ts) { /* the explanation too, where the row has room */
                text_right(c, f, BIG, L.x0 - 12, cy - (tb + ts) / 2, TEXT, rows[r]);
                text_right(c, f, SMALL, L.x0 - 12, cy - (tb + ts) / 2 + tb, DIM, notes[r]);
            } else {
                text_right(c, f, BIG, L.x0 - 12, cy - tb / 2, TEXT, rows[r]);
            }
            for (int i = 0; i < s->n; i++)
                image(c, L.x0 + i * L.pitch_x, L.y0 + r * L.pitch_y, L.scale, data[r] + i * per,
                      s->nch, s->res, r == 2 ? s->mag : 1.0f);
        }
        int wide = 0; /* numbers only where they fit */
        for (int i = 0; i < s->n && s->energy; i++) {
            snprintf(buf, sizeof buf, "%.3g", s->energy[i]);
            if (text_width(f, SMALL, buf) > wide) wide = text_width(f, SMALL, buf);
        }
        for (int i = 0; i < s->n; i++) {
            int cx = L.x0 + i * L.pitch_x + L.cell / 2;
            snprintf(buf, sizeof buf, "%d", i);
            if (text_width(f, SMALL, buf) < L.cell) text_centre(c, f, SMALL, cx, HEADER, DIM, buf);
            if (s->energy && wide + 8 <= L.pitch_x) {
                snprintf(buf, sizeof buf, "%.3g", s->energy[i]);
                text_centre(c, f, SMALL, cx, grid_bottom + 2, TEXT, buf);
            }
        }
        if (s->energy && wide + 8 <= L.pitch_x)
            text_right(c, f, SMALL, L.x0 - 12, grid_bottom + 2, DIM, "H(X)");
    } else if (s->message) {
        text_centre(c, f, BIG, c->w / 2, (L.y0 + grid_bottom) / 2 - f->height[BIG] / 2, DIM,
                    s->message);
    }

    /* plots side by side, then the help line */
    int py = grid_bottom + ENERGY_LINE + 10, ph = c->h - FOOTER - 10 - py;
    int pw = s->nplots ? (c->w - 2 * MARGIN - (s->nplots - 1) * 12) / s->nplots : 0;
    for (int k = 0; k < s->nplots && ph > 40; k++)
        plot(c, f, &s->plots[k], MARGIN + k * (pw + 12), py, pw, ph);
    const char *help = s->help && text_width(f, SMALL, s->help) > c->w - 2 * MARGIN ? s->help_short : s->help;
    if (help) text(c, f, SMALL, MARGIN, c->h - FOOTER + 4, DIM, help);
    return L;
}

/* ---- PNG ---- */

struct png {
    const uint8_t *rgb;
    int w, h;
};

static void to_file(void *fp, void *data, int size) { fwrite(data, 1, (size_t)size, fp); }

static int write_png(FILE *fp, void *user) {
    const struct png *p = user;
    int ok = stbi_write_png_to_func(to_file, fp, p->w, p->h, 3, p->rgb, p->w * 3);
    return ok && !ferror(fp) ? 0 : -1;
}

int vr_canvas_write_png(const vr_canvas *c, const char *path, char *err, size_t errlen) {
    size_t n = (size_t)c->w * c->h;
    uint8_t *rgb = malloc(n * 3);
    for (size_t i = 0; i < n; i++) memcpy(rgb + 3 * i, c->px + 4 * i, 3);
    struct png p = {rgb, c->w, c->h};
    int rc = hb_atomic_write(path, write_png, &p, err, errlen);
    free(rgb);
    return rc;
}
