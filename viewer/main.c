/* hatebm-view: watch Langevin chains of a trained Hat EBM live (SDL2 window), follow a training
 * run (--attach), or render the same picture to a PNG without a display (--headless).
 *
 * One code path draws the picture (render.c) into a pixel buffer; the window shows that buffer
 * 1:1, --headless writes it. Keys arrive as SDL key events; --script feeds keys by pushing such
 * events, so scripted runs take the real event path. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <SDL.h>

#include "attach.h"
#include "base/base.h"
#include "io/files.h"
#include "render.h"
#include "train/sampler.h"

#define PROG "hatebm-view"
#define MAX_SCRIPT 256

static const char *USAGE =
    "usage: hatebm-view [options] CHECKPOINT|RUN_DIR     sample chains live in a window\n"
    "       hatebm-view [options] --attach RUN_DIR       follow a training run\n"
    "options:\n"
    "  --headless --out FILE.png   render once to a PNG, no window (no display needed)\n"
    "  --steps K        Langevin steps: the window pauses after K, --headless renders step K\n"
    "                   (default: the run's mcmc_steps)\n"
    "  --chains N       chains to sample (default 8)\n"
    "  --seed S         seed of the first chains (default: the run's seed; space draws S+1, ...)\n"
    "  --mag M          magnification of the residual Y (default 5)\n"
    "  --size WxH       picture size in pixels (default: fits the chains)\n"
    "  --paused         start paused at step 0\n"
    "  --no-ema         the run's current weights instead of their moving average (EMA)\n"
    "  --screenshot-dir DIR   where key s saves hatebm-view-NNN.png (default: .)\n"
    "  --script KEYS    comma-separated keys fed to the window as key events, one per frame,\n"
    "                   e.g. n,n,+,],s,q (also space, esc; WxH resizes the window)\n"
    "  --device INDEX|NAME   Vulkan device (default: $HATEBM_DEVICE, then the best one)\n"
    "keys: space new chains (--attach: replay), p pause, n one step while paused, +/- Y\n"
    "      magnification, [ ] step size /1.25 x1.25, s save a PNG, q or Esc quit\n";

/* Magnifications that + and - walk through */
static const float MAGS[] = {1, 2, 3, 5, 10, 20, 50, 100};
#define NMAGS ((int)(sizeof MAGS / sizeof *MAGS))

typedef struct {
    const char *run, *out, *device, *shot_dir;
    int headless, attach, chains, steps, paused, no_ema, w, h, nscript, seed_set;
    unsigned long long seed;
    float mag;
    struct {
        SDL_Keycode key; /* SDLK_UNKNOWN: resize the window to w x h */
        int w, h;
    } script[MAX_SCRIPT];
} options;

typedef struct {
    float *step, *mean, *lo, *hi; /* per recorded chain step */
    int n, cap;
} history;

typedef struct {
    options o;
    vr_font *font;
    vr_canvas canvas;
    float mag;
    int paused, quit, dirty, save, shots;
    /* live sampling */
    hb_ctx *ctx;
    hb_sampler *s;
    hb_config cfg;
    float *x, *g, *y, *e;
    history h;
    unsigned long long seed;
    long target; /* pause when the chain gets here */
    /* --attach */
    va_trajectory traj;
    va_metrics met;
    int snap;
    double next_snap, next_poll;
    struct stat traj_st, met_st;
    float *snap_step, *snap_mean, *snap_lo, *snap_hi;
    char load_err[1200]; /* why the last trajectory could not be read */
    /* the picture's text */
    char title[1100], right[96], status[400], message[1200];
} viewer;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs(PROG ": error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

/* ---- options ---- */

static int script_key(const char *tok, SDL_Keycode *k, int *w, int *h) {
    char tail;
    if (sscanf(tok, "%dx%d%c", w, h, &tail) == 2 && *w >= 1 && *h >= 1) *k = SDLK_UNKNOWN;
    else if (strcmp(tok, "space") == 0) *k = SDLK_SPACE;
    else if (strcmp(tok, "esc") == 0) *k = SDLK_ESCAPE;
    else if (strlen(tok) == 1 && strchr("pn+-[]sq", tok[0])) *k = (SDL_Keycode)tok[0];
    else return -1;
    return 0;
}

static int parse_int(const char *opt, const char *s, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return fail("%s '%s': expected a whole number in %d..%d", opt, s, lo, hi);
    *out = (int)v;
    return 0;
}

static int parse_options(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    o->chains = 8, o->steps = -1, o->mag = 5, o->shot_dir = ".";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = strcmp(a, "--out") == 0 || strcmp(a, "--steps") == 0 ||
                    strcmp(a, "--chains") == 0 || strcmp(a, "--seed") == 0 ||
                    strcmp(a, "--mag") == 0 || strcmp(a, "--size") == 0 ||
                    strcmp(a, "--screenshot-dir") == 0 || strcmp(a, "--script") == 0 ||
                    strcmp(a, "--device") == 0 || strcmp(a, "--attach") == 0;
        if (takes && !v) return fail("%s needs a value; see '" PROG " --help'", a);
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(USAGE, stdout);
            exit(0);
        } else if (strcmp(a, "--headless") == 0) o->headless = 1;
        else if (strcmp(a, "--paused") == 0) o->paused = 1;
        else if (strcmp(a, "--no-ema") == 0) o->no_ema = 1;
        else if (strcmp(a, "--attach") == 0) o->attach = 1, o->run = argv[++i];
        else if (strcmp(a, "--out") == 0) o->out = argv[++i];
        else if (strcmp(a, "--device") == 0) o->device = argv[++i];
        else if (strcmp(a, "--screenshot-dir") == 0) o->shot_dir = argv[++i];
        else if (strcmp(a, "--steps") == 0) {
            if (parse_int(a, argv[++i], 0, 1000000, &o->steps)) return 2;
        } else if (strcmp(a, "--chains") == 0) {
            if (parse_int(a, argv[++i], 1, 256, &o->chains)) return 2;
        } else if (strcmp(a, "--seed") == 0) {
            char *end;
            errno = 0;
            o->seed = strtoull(argv[++i], &end, 10);
            if (errno || end == argv[i] || *end || argv[i][0] == '-')
                return fail("--seed '%s': expected a whole number >= 0", argv[i]);
            o->seed_set = 1;
        } else if (strcmp(a, "--mag") == 0) {
            char *end;
            o->mag = strtof(argv[++i], &end);
            if (end == argv[i] || *end || !(o->mag > 0 && o->mag <= 1000))
                return fail("--mag '%s': expected a number in (0, 1000]", argv[i]);
        } else if (strcmp(a, "--size") == 0) {
            char tail;
            if (sscanf(argv[++i], "%dx%d%c", &o->w, &o->h, &tail) != 2 || o->w < 320 ||
                o->h < 240 || o->w > 8192 || o->h > 8192)
                return fail("--size '%s': expected WxH, from 320x240 to 8192x8192", argv[i]);
        } else if (strcmp(a, "--script") == 0) {
            char buf[1024];
            snprintf(buf, sizeof buf, "%s", argv[++i]);
            for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (o->nscript == MAX_SCRIPT) return fail("--script: more than %d keys", MAX_SCRIPT);
                int k = o->nscript++;
                if (script_key(tok, &o->script[k].key, &o->script[k].w, &o->script[k].h) != 0)
                    return fail("--script: unknown key '%s' (keys: p n + - [ ] s q space esc, "
                                "or WxH to resize)", tok);
            }
        } else if (a[0] == '-') {
            return fail("unknown option '%s'; see '" PROG " --help'", a);
        } else if (o->run) {
            return fail("one run at a time: '%s' and '%s'; see '" PROG " --help'", o->run, a);
        } else {
            o->run = a;
        }
    }
    if (!o->run) return fail("no run given: " PROG " CHECKPOINT|RUN_DIR, or --attach RUN_DIR; see '" PROG " --help'");
    if (o->headless && !o->out) return fail("--headless needs --out FILE.png");
    if (o->out && !o->headless) return fail("--out is for --headless; in the window, key s saves a PNG");
    if (o->headless && o->nscript) return fail("--script feeds the window; --headless has none");
    return 0;
}

/* ---- live sampling ---- */

/* Mean, min and max of the chains' energies */
static void energy_stats(const float *e, int n, float *mean, float *lo, float *hi) {
    double sum = 0;
    *lo = INFINITY, *hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        sum += e[i];
        *lo = e[i] < *lo ? e[i] : *lo;
        *hi = e[i] > *hi ? e[i] : *hi;
    }
    *mean = (float)(sum / n);
}

static void history_add(history *h, float step, const float *e, int n) {
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 256;
        float **cols[4] = {&h->step, &h->mean, &h->lo, &h->hi};
        for (int k = 0; k < 4; k++) *cols[k] = realloc(*cols[k], (size_t)h->cap * sizeof **cols[k]);
    }
    h->step[h->n] = step;
    energy_stats(e, n, &h->mean[h->n], &h->lo[h->n], &h->hi[h->n]);
    h->n++;
}

/* Reads the chains' state and records its energies. */
static void observe(viewer *v) {
    hb_sampler_read(v->s, v->x, v->g, v->y, v->e);
    history_add(&v->h, (float)hb_sampler_steps_done(v->s), v->e, v->o.chains);
    v->dirty = 1;
}

static void restart(viewer *v) {
    hb_sampler_restart(v->s, v->seed);
    v->h.n = 0;
    v->target = v->o.steps;
    if (v->target == 0) v->paused = 1;
    observe(v);
}

static void step(viewer *v) {
    hb_sampler_step(v->s, 1);
    observe(v);
    if (hb_sampler_steps_done(v->s) >= v->target) v->paused = 1;
}

/* ---- --attach ---- */

static int same_file(const struct stat *a, const struct stat *b) {
    return a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_size == b->st_size && a->st_ino == b->st_ino;
}

/* Reloads the trajectory and the metrics when they changed; 1 when something did. */
static int poll_run(viewer *v) {
    char path[1100], err[1200];
    struct stat st;
    int changed = 0;
    snprintf(path, sizeof path, "%s/trajectory.safetensors", v->o.run);
    if (stat(path, &st) == 0 && !same_file(&st, &v->traj_st)) {
        va_trajectory t;
        if (va_trajectory_load(path, &t, err, sizeof err) == 0) {
            va_trajectory_free(&v->traj);
            v->traj = t;
            int S = t.S;
            float **cols[4] = {&v->snap_step, &v->snap_mean, &v->snap_lo, &v->snap_hi};
            for (int k = 0; k < 4; k++) *cols[k] = realloc(*cols[k], (size_t)S * sizeof **cols[k]);
            for (int s = 0; s < S; s++) {
                v->snap_step[s] = (float)t.chain_step[s];
                energy_stats(t.energy + (size_t)s * t.n, t.n, &v->snap_mean[s], &v->snap_lo[s],
                             &v->snap_hi[s]);
            }
            v->snap = 0;
            v->next_snap = hb_now_s() + 0.3;
            v->load_err[0] = 0;
        } else {
            snprintf(v->load_err, sizeof v->load_err, "%s", err);
        }
        v->traj_st = st;
        changed = 1;
    }
    snprintf(path, sizeof path, "%s/metrics.jsonl", v->o.run);
    if (stat(path, &st) == 0 && !same_file(&st, &v->met_st)) {
        va_metrics_load(path, &v->met);
        v->met_st = st;
        changed = 1;
    }
    return changed;
}

/* Plays the snapshots: 0.3 s each, the last held 1.5 s, then again from the first. */
static void play(viewer *v) {
    double t = hb_now_s();
    if (v->paused || !v->traj.S || t < v->next_snap) return;
    v->snap = (v->snap + 1) % v->traj.S;
    v->next_snap = t + (v->snap == v->traj.S - 1 ? 1.5 : 0.3);
    v->dirty = 1;
}

/* ---- the picture ---- */

static vr_scene scene(viewer *v) {
    vr_scene sc = {.title = v->title, .right = v->right, .status = v->status, .mag = v->mag};
    char mag[32];
    snprintf(mag, sizeof mag, "Y \u00d7 %g", v->mag);
    snprintf(v->title, sizeof v->title, "%s", v->o.run);
    if (!v->o.attach) {
        float er, el;
        hb_sampler_get_step_sizes(v->s, &er, &el);
        int joint = hb_sampler_joint(v->s);
        char eps[96];
        if (joint) snprintf(eps, sizeof eps, "eps_y %.3g  eps_z %.3g", er, el);
        else snprintf(eps, sizeof eps, "eps_y %.3g", er);
        snprintf(v->status, sizeof v->status, "%s \u00b7 %s \u00b7 %s \u00b7 %s \u00b7 %d chains, seed %llu%s",
                 hb_mode_name(v->cfg.mode), joint ? "Y and Z move" : "Y moves given G(Z)", eps, mag,
                 v->o.chains, v->seed, v->paused ? " \u00b7 paused" : "");
        snprintf(v->right, sizeof v->right, "step %ld", hb_sampler_steps_done(v->s));
        sc.n = v->o.chains, sc.nch = v->cfg.channels, sc.res = v->cfg.image_size;
        sc.x = v->x, sc.g = v->g, sc.y = v->y, sc.energy = v->e;
        sc.help = "space new chains \u00b7 p pause \u00b7 n step \u00b7 +/- Y magnification \u00b7 "
                  "[ ] step size \u00b7 s save PNG \u00b7 q quit";
        sc.help_short = "space new \u00b7 p pause \u00b7 n step \u00b7 +/- mag \u00b7 [ ] eps \u00b7 s save \u00b7 q quit";
        sc.nplots = 1;
        sc.plots[0] = (vr_plot){.title = "mean energy H(X) over the chain (band: min-max)",
                                .xlabel = "chain step", .ns = 1,
                                .s = {{v->h.step, v->h.mean, v->h.lo, v->h.hi, v->h.n, 0xf0b429, NULL}}};
        return sc;
    }
    sc.help = "space replay \u00b7 p pause \u00b7 n next snapshot \u00b7 +/- Y magnification \u00b7 "
              "s save PNG \u00b7 q quit";
    sc.help_short = "space replay \u00b7 p pause \u00b7 n next \u00b7 +/- mag \u00b7 s save \u00b7 q quit";
    const va_trajectory *t = &v->traj;
    const va_metrics *m = &v->met;
    if (t->S) {
        size_t per = (size_t)t->n * t->nch * t->res * t->res, at = (size_t)v->snap * per;
        sc.n = t->n, sc.nch = t->nch, sc.res = t->res;
        sc.x = t->x + at, sc.g = t->g + at, sc.y = t->y + at;
        sc.energy = t->energy + (size_t)v->snap * t->n;
        snprintf(v->right, sizeof v->right, "training step %ld \u00b7 chain step %d",
                 t->step, t->chain_step[v->snap]);
        snprintf(v->status, sizeof v->status, "%s \u00b7 following training: snapshot %d of %d \u00b7 %s%s%s%.200s",
                 t->mode, v->snap + 1, t->S, mag, v->paused ? " \u00b7 paused" : "",
                 v->load_err[0] ? " \u00b7 reload failed: " : "", v->load_err);
    } else {
        snprintf(v->right, sizeof v->right, "waiting");
        snprintf(v->status, sizeof v->status, "following training%s%.200s",
                 v->load_err[0] ? " \u00b7 cannot read the trajectory: " : "", v->load_err);
        snprintf(v->message, sizeof v->message, "waiting for %s/trajectory.safetensors "
                 "(written every plot_every steps)", v->o.run);
        sc.message = v->message;
    }
    int synth = strcmp(t->mode, "joint") != 0;
    sc.nplots = 3;
    sc.plots[0] = (vr_plot){.title = "mean H(X) over the chain", .xlabel = "chain step", .ns = 1,
                            .s = {{v->snap_step, v->snap_mean, v->snap_lo, v->snap_hi,
                                   t->S ? v->snap + 1 : 0, 0xf0b429, NULL}}};
    sc.plots[1] = (vr_plot){.title = "mean energies H", .xlabel = "training step", .ns = 2,
                            .s = {{m->step, m->e_pos, NULL, NULL, m->n, 0x4fc3f7, "data"},
                                  {m->step, m->e_neg, NULL, NULL, m->n, 0xff8a65, "samples"}}};
    sc.plots[2] = (vr_plot){.title = synth ? "generator loss" : "residual norm |Y|",
                            .xlabel = "training step", .ns = 1,
                            .s = {{m->step, synth ? m->gen_loss : m->res_norm, NULL, NULL, m->n,
                                   0x81c784, NULL}}};
    return sc;
}

static vr_layout draw(viewer *v) {
    vr_scene sc = scene(v);
    return vr_render(&v->canvas, v->font, &sc);
}

/* ---- keys: the one handler for real and scripted key events ---- */

static void change_mag(viewer *v, int up) {
    for (int i = up ? 0 : NMAGS - 1; up ? i < NMAGS : i >= 0; i += up ? 1 : -1)
        if (up ? MAGS[i] > v->mag : MAGS[i] < v->mag) {
            v->mag = MAGS[i];
            v->dirty = 1;
            return;
        }
}

static void on_key(viewer *v, SDL_Keycode k) {
    switch (k) {
    case SDLK_q:
    case SDLK_ESCAPE: v->quit = 1; break;
    case SDLK_s: v->save = 1; break;
    case SDLK_PLUS:
    case SDLK_EQUALS:
    case SDLK_KP_PLUS: change_mag(v, 1); break;
    case SDLK_MINUS:
    case SDLK_KP_MINUS: change_mag(v, 0); break;
    case SDLK_p:
        v->paused = !v->paused;
        if (!v->o.attach && !v->paused && hb_sampler_steps_done(v->s) >= v->target)
            v->target = LONG_MAX; /* resumed past --steps: run on */
        v->next_snap = hb_now_s() + 0.3;
        v->dirty = 1;
        break;
    case SDLK_n:
        if (!v->paused) break;
        if (v->o.attach && v->traj.S) v->snap = (v->snap + 1) % v->traj.S, v->dirty = 1;
        else if (!v->o.attach) step(v);
        break;
    case SDLK_SPACE:
        if (v->o.attach) {
            v->snap = 0;
            v->next_snap = hb_now_s() + 0.3;
            v->dirty = 1;
        } else {
            v->seed++;
            v->paused = 0;
            restart(v);
        }
        break;
    case SDLK_LEFTBRACKET:
    case SDLK_RIGHTBRACKET:
        if (!v->o.attach) {
            float er, el, f = k == SDLK_RIGHTBRACKET ? 1.25f : 1 / 1.25f;
            hb_sampler_get_step_sizes(v->s, &er, &el);
            hb_sampler_set_step_sizes(v->s, er * f, el * f);
            v->dirty = 1;
        }
        break;
    default: break;
    }
}

/* ---- window ---- */

static void shot_path(viewer *v, char *path, size_t size) {
    struct stat st;
    do snprintf(path, size, "%s/hatebm-view-%03d.png", v->o.shot_dir, ++v->shots);
    while (stat(path, &st) == 0);
}

/* What is on screen, read back from the renderer, as a PNG. */
static void save_window(viewer *v, SDL_Renderer *r) {
    int w, h;
    SDL_GetRendererOutputSize(r, &w, &h);
    vr_canvas shot = {0};
    vr_canvas_resize(&shot, w, h);
    char path[1100], err[1200];
    if (shot.w != w || shot.h != h ||
        SDL_RenderReadPixels(r, NULL, SDL_PIXELFORMAT_RGBA32, shot.px, w * 4) != 0) {
        fprintf(stderr, PROG ": warning: cannot read the window back: %s\n", SDL_GetError());
    } else {
        shot_path(v, path, sizeof path);
        if (vr_canvas_write_png(&shot, path, err, sizeof err) == 0) {
            printf(PROG ": saved %s (%dx%d, %s \u00b7 %s)\n", path, w, h, v->right, v->status);
            fflush(stdout);
        } else {
            fprintf(stderr, PROG ": warning: %s\n", err);
        }
    }
    vr_canvas_free(&shot);
}

static void push_key(SDL_Window *win, SDL_Keycode k) {
    SDL_Event ev = {.type = SDL_KEYDOWN};
    ev.key.windowID = SDL_GetWindowID(win);
    ev.key.state = SDL_PRESSED;
    ev.key.keysym.sym = k;
    ev.key.keysym.scancode = SDL_GetScancodeFromKey(k);
    SDL_PushEvent(&ev);
}

static int run_window(viewer *v) {
    int w = v->o.w, h = v->o.h;
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "nearest");
    SDL_Window *win = SDL_CreateWindow(PROG, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, w,
                                       h, SDL_WINDOW_RESIZABLE);
    SDL_Renderer *r = win ? SDL_CreateRenderer(win, -1, 0) : NULL;
    if (win && !r) r = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!r) {
        fprintf(stderr, PROG ": error: cannot open a window: %s\n", SDL_GetError());
        if (win) SDL_DestroyWindow(win);
        return 1;
    }
    char title[1200];
    snprintf(title, sizeof title, PROG " \u2014 %s", v->o.run);
    SDL_SetWindowTitle(win, title);
    SDL_Texture *tex = NULL;
    int next_script = 0;
    while (!v->quit) {
        SDL_Event ev;
        int busy = !v->o.attach && !v->paused;
        if (SDL_WaitEventTimeout(&ev, busy ? 1 : 50)) {
            do {
                if (ev.type == SDL_QUIT) v->quit = 1;
                else if (ev.type == SDL_KEYDOWN) on_key(v, ev.key.keysym.sym);
                else if (ev.type == SDL_WINDOWEVENT) v->dirty = 1;
            } while (SDL_PollEvent(&ev));
        }
        if (v->quit) break;
        if (busy && !v->paused) step(v);
        if (v->o.attach) {
            if (hb_now_s() >= v->next_poll) {
                v->dirty |= poll_run(v);
                v->next_poll = hb_now_s() + 0.5;
            }
            play(v);
        }
        SDL_GetRendererOutputSize(r, &w, &h);
        if (!tex || w != v->canvas.w || h != v->canvas.h) { /* follows the window's size */
            vr_canvas_resize(&v->canvas, w, h);
            if (tex) SDL_DestroyTexture(tex);
            tex = SDL_CreateTexture(r, SDL_PIXELFORMAT_RGBA32, SDL_TEXTUREACCESS_STREAMING,
                                    v->canvas.w, v->canvas.h);
            v->dirty = 1;
        }
        if (v->dirty || v->save) {
            draw(v);
            SDL_UpdateTexture(tex, NULL, v->canvas.px, v->canvas.w * 4);
            SDL_RenderClear(r);
            SDL_RenderCopy(r, tex, NULL, NULL);
            if (v->save) save_window(v, r);
            SDL_RenderPresent(r);
            v->dirty = v->save = 0;
        }
        /* the next scripted key once this frame is on screen; a resize goes through the
         * window system, which reports it back as a window event */
        if (next_script < v->o.nscript) {
            int k = next_script++;
            if (v->o.script[k].key == SDLK_UNKNOWN)
                SDL_SetWindowSize(win, v->o.script[k].w, v->o.script[k].h);
            else
                push_key(win, v->o.script[k].key);
        }
    }
    if (tex) SDL_DestroyTexture(tex);
    SDL_DestroyRenderer(r);
    SDL_DestroyWindow(win);
    return 0;
}

/* ---- main ---- */

static int headless(viewer *v) {
    if (!v->o.attach)
        while (hb_sampler_steps_done(v->s) < v->o.steps) step(v);
    v->paused = 1;
    vr_canvas_resize(&v->canvas, v->o.w, v->o.h);
    vr_layout L = draw(v);
    char err[1200];
    if (vr_canvas_write_png(&v->canvas, v->o.out, err, sizeof err) != 0) return fail("%s", err);
    printf(PROG ": wrote %s: %dx%d pixels, %d chains x 3 rows of %dx%d cells at x = %d + %d i, "
           "y = %d + %d r\n", v->o.out, v->canvas.w, v->canvas.h, v->o.attach ? v->traj.n : v->o.chains,
           L.cell, L.cell, L.x0, L.pitch_x, L.y0, L.pitch_y);
    return 0;
}

/* SDL's video, on the display the environment names. Without one SDL would fall back to its
 * invisible offscreen driver (and its Wayland probe prints to stderr), so that case is an
 * error here; SDL_VIDEODRIVER still chooses any driver explicitly. */
static int open_video(char *err, size_t errlen) {
    const char *x11 = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    const char *hint = " (run it on a display, or render to a file with --headless --out FILE.png)";
    if (!getenv("SDL_VIDEODRIVER")) {
        if (!(x11 && *x11) && !(wl && *wl))
            return hb_errorf(err, errlen, "no display: neither DISPLAY nor WAYLAND_DISPLAY is set%s", hint);
        SDL_SetHint(SDL_HINT_VIDEODRIVER, x11 && *x11 ? "x11" : "wayland");
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0)
        return hb_errorf(err, errlen, "cannot open a window: %s%s", SDL_GetError(), hint);
    return 0;
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int main(int argc, char **argv) {
    viewer v = {0};
    if (parse_options(argc, argv, &v.o) != 0) return 2;
    char err[1200], a[1100], b[1100];
    v.mag = v.o.mag;
    v.paused = v.o.paused;
    /* cheap checks first: the run, the font, the display */
    if (v.o.attach) {
        struct stat st;
        snprintf(a, sizeof a, "%s/config.ini", v.o.run);
        if (!is_dir(v.o.run) || stat(a, &st) != 0)
            return fail("%s is not a run directory (no config.ini): start one with 'hatebm train "
                        "CONFIG --run-dir %s'", v.o.run, v.o.run);
    } else if (hb_run_locate(v.o.run, a, b, sizeof a, err, sizeof err) != 0) {
        return fail("%s", err);
    }
    v.font = vr_font_load(VR_FONT_PATH, err, sizeof err);
    if (!v.font) return fail("%s", err);
    if (!v.o.headless && open_video(err, sizeof err) != 0) {
        vr_font_free(v.font);
        return fail("%s", err);
    }

    int rc = 0;
    if (v.o.attach) {
        poll_run(&v);
        if (v.o.headless && !v.traj.S) {
            rc = v.load_err[0] ? fail("%s", v.load_err)
                               : fail("%s has no trajectory.safetensors yet: the trainer writes it "
                                      "every plot_every steps", v.o.run);
            goto out;
        }
        if (v.o.headless) v.snap = v.traj.S - 1; /* the end of the chain */
        if (!v.o.w) vr_default_size(v.traj.S ? v.traj.n : 8, v.traj.S ? v.traj.res : 32, &v.o.w, &v.o.h);
    } else {
        hb_ctx_opts co = {.device = v.o.device, .validate = -1, .quiet = 1};
        v.ctx = hb_ctx_create(&co);
        if (!v.ctx) {
            rc = 2;
            goto out;
        }
        v.s = hb_sampler_new(v.ctx, v.o.run, v.o.chains, !v.o.no_ema, &v.cfg, err, sizeof err);
        if (!v.s) {
            rc = fail("%s", err);
            goto out;
        }
        if (v.o.steps < 0) v.o.steps = v.cfg.mcmc_steps;
        size_t n = (size_t)v.o.chains * v.cfg.channels * v.cfg.image_size * v.cfg.image_size;
        v.x = malloc(n * 4), v.g = malloc(n * 4), v.y = malloc(n * 4);
        v.e = malloc((size_t)v.o.chains * 4);
        v.seed = v.o.seed_set ? v.o.seed : v.cfg.seed;
        restart(&v);
        if (!v.o.w) vr_default_size(v.o.chains, v.cfg.image_size, &v.o.w, &v.o.h);
    }
    rc = v.o.headless ? headless(&v) : run_window(&v);
out:
    if (v.s) hb_sampler_free(v.s);
    if (v.ctx) {
        uint32_t msgs = hb_validation_messages(v.ctx);
        hb_ctx_destroy(v.ctx);
        if (msgs && rc == 0) {
            fprintf(stderr, PROG ": error: the Vulkan validation layer reported %u message(s)\n", msgs);
            rc = 1;
        }
    }
    if (!v.o.headless) SDL_Quit();
    va_trajectory_free(&v.traj);
    va_metrics_free(&v.met);
    free(v.x), free(v.g), free(v.y), free(v.e);
    free(v.h.step), free(v.h.mean), free(v.h.lo), free(v.h.hi);
    free(v.snap_step), free(v.snap_mean), free(v.snap_lo), free(v.snap_hi);
    vr_canvas_free(&v.canvas);
    vr_font_free(v.font);
    return rc;
}
