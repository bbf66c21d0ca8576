/* hatebm-view's software renderer: the whole picture is drawn into an RGBA pixel buffer, which
 * the window uploads into a texture and --headless writes as a PNG, so both show the same
 * pixels. Layout as the paper's Figure 3: one column per chain, rows X = G(Z) + Y, G(Z) and
 * the residual Y magnified around gray; images scaled by whole numbers (nearest neighbour);
 * text in DejaVu Sans Mono through stb_truetype; line plots below the images. */
#ifndef HB_VIEW_RENDER_H
#define HB_VIEW_RENDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int w, h;
    uint8_t *px; /* w * h * 4 bytes: R, G, B, A */
} vr_canvas;

/* (Re)allocates the canvas at w x h (at least 320 x 240). */
void vr_canvas_resize(vr_canvas *c, int w, int h);
void vr_canvas_free(vr_canvas *c);
/* Writes the canvas as an RGB PNG, atomically. 0, or -1 with one line in err. */
int vr_canvas_write_png(const vr_canvas *c, const char *path, char *err, size_t errlen);

#define VR_FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
typedef struct vr_font vr_font;
/* Bakes Latin-1 at two sizes (labels, small print). NULL with one line in err. */
vr_font *vr_font_load(const char *path, char *err, size_t errlen);
void vr_font_free(vr_font *f);

/* One curve of a plot: n points (x[i], y[i]); non-finite points are skipped. With lo and hi,
 * the band between them is shaded in the curve's colour. */
typedef struct {
    const float *x, *y, *lo, *hi;
    int n;
    uint32_t rgb; /* 0xRRGGBB */
    const char *label;
} vr_series;

#define VR_MAX_SERIES 3
typedef struct {
    const char *title, *xlabel;
    vr_series s[VR_MAX_SERIES];
    int ns;
} vr_plot;

#define VR_MAX_PLOTS 3
typedef struct {
    const char *title;   /* header, left (large) */
    const char *right;   /* header, right-aligned (large): the step */
    const char *status;  /* second header line (small) */
    const char *help;    /* bottom line (small) */
    const char *help_short; /* instead, when help does not fit */
    const char *message; /* centred over the image area when there are no images (or NULL) */
    int n, nch, res;     /* chains, channels, resolution; n = 0: no images */
    const float *x, *g, *y; /* [n][nch][res][res] in [-1, 1] */
    const float *energy;    /* [n] per-chain H(X), printed under the columns (or NULL) */
    float mag;              /* Y is shown as clip(mag * Y) around mid-gray */
    vr_plot plots[VR_MAX_PLOTS];
    int nplots;
} vr_scene;

/* Where the images went: cell (chain i, row r) is the cell x cell square at
 * (x0 + i * pitch_x, y0 + r * pitch_y), each image pixel a scale x scale block. */
typedef struct {
    int scale, cell, x0, y0, pitch_x, pitch_y;
} vr_layout;

/* A canvas size that shows n chains of res x res images at a comfortable scale. */
void vr_default_size(int n, int res, int *w, int *h);
vr_layout vr_render(vr_canvas *c, const vr_font *f, const vr_scene *s);

#endif
