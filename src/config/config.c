/* Training configuration: INI files through libinih, overrides, checks, atomic writing.
 * See config.h. */
#define _POSIX_C_SOURCE 200809L
#include "config/config.h"
#include "io/files.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define STR_MAX 180              /* longest dataset / generator value */
#define FILE_MAX (1 << 20)       /* config files are small; refuse anything bigger */
#define SEED_MAX INT64_MAX       /* 2^63 - 1 */
#define BIG_LONG 1000000000000LL /* 1e12: the cap of the "no upper bound" step counts */

/* ---- the key table ---------------------------------------------------------------------- */

enum kind {
    K_MODE, K_GENKIND, K_INIT, K_STR, K_INT, K_LONG, K_U64, K_FLOAT, K_BOOL, K_SCHED, K_SET
};

/* float ranges: lo < x (open) or lo <= x; x < hi (open) or x <= hi; hi = INFINITY: none */
typedef struct {
    const char *name;
    enum kind kind;
    size_t off;
    int required;
    long long ilo, ihi;     /* K_INT, K_LONG, K_U64 */
    double flo, fhi;        /* K_FLOAT */
    int lo_open, hi_open;   /* K_FLOAT */
    const int *set;         /* K_SET: allowed values, 0-terminated */
    int allow_empty;        /* K_STR */
} key_t_;

static const int image_sizes[] = {32, 64, 128, 0};
static const int channel_counts[] = {1, 3, 0};

#define OFF(f) offsetof(hb_config, f)
#define INT(f, lo, hi) {#f, K_INT, OFF(f), 0, lo, hi, 0, 0, 0, 0, NULL, 0}
#define LONG(f, lo, hi, req) {#f, K_LONG, OFF(f), req, lo, hi, 0, 0, 0, 0, NULL, 0}
#define FLT(f, lo, lo_open, hi, hi_open) {#f, K_FLOAT, OFF(f), 0, 0, 0, lo, hi, lo_open, hi_open, NULL, 0}
#define POS(f) FLT(f, 0, 1, INFINITY, 0)
#define NONNEG(f) FLT(f, 0, 0, INFINITY, 0)

static const key_t_ keys[] = {
    {"mode", K_MODE, OFF(mode), 1, 0, 0, 0, 0, 0, 0, NULL, 0},
    {"dataset", K_STR, OFF(dataset), 1, 0, 0, 0, 0, 0, 0, NULL, 0},
    {"image_size", K_SET, OFF(image_size), 0, 0, 0, 0, 0, 0, 0, image_sizes, 0},
    {"channels", K_SET, OFF(channels), 0, 0, 0, 0, 0, 0, 0, channel_counts, 0},
    INT(ngf_hat, 1, 8192),
    INT(ngf_gen, 1, 8192),
    POS(gen_factor),
    {"generator", K_STR, OFF(generator), 0, 0, 0, 0, 0, 0, 0, NULL, 1},
    {"eval_dataset", K_STR, OFF(eval_dataset), 0, 0, 0, 0, 0, 0, 0, NULL, 1},
    {"generator_kind", K_GENKIND, OFF(generator_kind), 0, 0, 0, 0, 0, 0, 0, NULL, 0},
    INT(batch_size, 1, 4096),
    LONG(num_training_steps, 1, BIG_LONG, 1),
    INT(mcmc_steps, 0, 100000),
    POS(epsilon),
    NONNEG(epsilon_latent),
    POS(mcmc_temp),
    NONNEG(max_langevin_norm_res),
    NONNEG(data_epsilon),
    POS(lr_ebm),
    NONNEG(lr_gen),
    {"lr_schedule_steps", K_SCHED, OFF(lr_schedule_steps), 0, 1, BIG_LONG, 0, 0, 0, 0, NULL, 0},
    FLT(lr_schedule_factor, 0, 1, 1, 0),
    FLT(ema_decay, 0, 0, 1, 1),
    NONNEG(max_grad_norm),
    NONNEG(energy_l2),
    NONNEG(max_energy_gap),
    NONNEG(gen_loss_factor_coop),
    INT(persistent_size, 1, 100000000),
    {"update_latents", K_BOOL, OFF(update_latents), 0, 0, 0, 0, 0, 0, 0, NULL, 0},
    NONNEG(tau_res),
    NONNEG(init_scale_latent),
    NONNEG(init_scale_res),
    POS(loss_factor),
    {"seed", K_U64, OFF(seed), 0, 0, SEED_MAX, 0, 0, 0, 0, NULL, 0},
    {"init", K_INIT, OFF(init), 0, 0, 0, 0, 0, 0, 0, NULL, 0},
    INT(log_every, 1, INT_MAX),
    INT(plot_every, 1, INT_MAX),
    INT(checkpoint_every, 1, INT_MAX),
    INT(num_plot, 1, 256),
};
#define NKEYS ((int)(sizeof keys / sizeof keys[0]))

static const char *mode_names[] = {"synth", "joint", "ae", "classifier"};
static const char *kind_names[] = {"sngan", "decoder"};
static const char *init_names[] = {"glorot", "pytorch"};
#define COUNT(a) ((int)(sizeof a / sizeof a[0]))

const char *hb_mode_name(hb_mode m) {
    return (unsigned)m < COUNT(mode_names) ? mode_names[m] : "?";
}
const char *hb_gen_kind_name(hb_gen_kind k) {
    return (unsigned)k < COUNT(kind_names) ? kind_names[k] : "?";
}
const char *hb_init_scheme_name(hb_init_scheme s) {
    return (unsigned)s < COUNT(init_names) ? init_names[s] : "?";
}

void hb_config_defaults(hb_config *c) {
    memset(c, 0, sizeof *c);
    c->mode = HB_MODE_SYNTH; /* required: load refuses a file without it */
    c->image_size = 32;
    c->channels = 3;
    c->ngf_hat = 256;
    c->ngf_gen = 256;
    c->gen_factor = 2.0f;
    c->generator_kind = HB_GEN_SNGAN;
    c->batch_size = 128;
    c->mcmc_steps = 50;
    c->epsilon = 5e-4f;
    c->epsilon_latent = 0.0f;
    c->mcmc_temp = 1e-8f;
    c->max_langevin_norm_res = 2.5f;
    c->data_epsilon = 1e-3f;
    c->lr_ebm = 1e-4f;
    c->lr_gen = 1e-4f;
    c->lr_schedule_factor = 0.1f;
    c->ema_decay = 0.9999f;
    c->max_grad_norm = 0.0f;
    c->energy_l2 = 0.0f;
    c->max_energy_gap = 0.0f;
    c->gen_loss_factor_coop = 1000.0f;
    c->persistent_size = 10000;
    c->update_latents = 1;
    c->tau_res = 0.0f;
    c->init_scale_latent = 1.0f;
    c->init_scale_res = 0.0f;
    c->loss_factor = 1000.0f;
    c->seed = 0;
    c->init = HB_INIT_SCHEME_GLOROT;
    c->log_every = 10;
    c->plot_every = 100;
    c->checkpoint_every = 500;
    c->num_plot = 16;
}

/* ---- messages ------------------------------------------------------------------------------ */


/* a value as it appears in a message: quoted, shortened, control characters as '?' */
static const char *shown(const char *v, char *buf, size_t n) {
    size_t len = strlen(v), max = n - 6, j = 0;
    buf[j++] = '\'';
    for (size_t i = 0; i < len && i < max; i++)
        buf[j++] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
    if (len > max) {
        memcpy(buf + j, "...", 3);
        j += 3;
    }
    buf[j++] = '\'';
    buf[j] = 0;
    return buf;
}

static const key_t_ *find_key(const char *name) {
    for (int i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0) return &keys[i];
    return NULL;
}

static int edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) return 99;
    int d[41][41];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int s = d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1]) != b[j - 1]);
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = s < del ? (s < ins ? s : ins) : (del < ins ? del : ins);
        }
    return d[la][lb];
}

/* "unknown key (expected ...)" with a suggestion when one key is close */
static void unknown_reason(const char *name, char *r, size_t rlen) {
    int best = 99;
    const char *bk = NULL;
    for (int i = 0; i < NKEYS; i++) {
        int d = edit_distance(name, keys[i].name);
        if (d < best) best = d, bk = keys[i].name;
    }
    if (bk && best <= 3 && best < (int)strlen(bk)) {
        snprintf(r, rlen, "unknown key (expected a known key; did you mean '%s'?)", bk);
        return;
    }
    size_t j = (size_t)snprintf(r, rlen, "unknown key (expected one of");
    for (int i = 0; i < NKEYS && j < rlen; i++)
        j += (size_t)snprintf(r + j, rlen - j, "%s %s", i ? "," : "", keys[i].name);
    if (j < rlen) snprintf(r + j, rlen - j, ")");
}

/* ---- parsing one value ---------------------------------------------------------------------- */

static void expect_int(const key_t_ *k, char *r, size_t n) {
    long long tmax = k->kind == K_INT ? INT_MAX : k->kind == K_U64 ? SEED_MAX : BIG_LONG;
    if (k->ihi >= tmax)
        snprintf(r, n, "an integer >= %lld", k->ilo);
    else
        snprintf(r, n, "an integer in %lld..%lld", k->ilo, k->ihi);
}

static void expect_float(const key_t_ *k, char *r, size_t n) {
    if (isinf(k->fhi))
        snprintf(r, n, "a number %s %g", k->lo_open ? ">" : ">=", k->flo);
    else
        snprintf(r, n, "a number in %c%g, %g%c", k->lo_open ? '(' : '[', k->flo, k->fhi,
                 k->hi_open ? ')' : ']');
}

/* decimal integer, whole string; 0 ok, 1 not an integer, 2 overflow */
static int parse_ll(const char *v, long long *out) {
    const char *p = v;
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p)) return 1;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q)) return 1;
    errno = 0;
    *out = strtoll(v, NULL, 10);
    return errno == ERANGE ? 2 : 0;
}

/* The value of a mode, generator-kind or init key; ok: 0, else -1 with "REASON (expected ...)"
 * in r. The three enums are stored as their own types, each named by its table. */
static int parse_enum(const key_t_ *k, char *dst, const char *v, const char *sv, char *r,
                      size_t rlen) {
    typedef struct {
        const char **names;
        int n;
        const char *what;
    } enum_kind;
    static const enum_kind kinds[] = {
        [K_MODE] = {mode_names, COUNT(mode_names), "a mode"},
        [K_GENKIND] = {kind_names, COUNT(kind_names), "a generator kind"},
        [K_INIT] = {init_names, COUNT(init_names), "an init scheme"},
    };
    const enum_kind *e = &kinds[k->kind];
    for (int i = 0; i < e->n; i++) {
        if (strcmp(v, e->names[i])) continue;
        if (k->kind == K_MODE) *(hb_mode *)dst = (hb_mode)i;
        if (k->kind == K_GENKIND) *(hb_gen_kind *)dst = (hb_gen_kind)i;
        if (k->kind == K_INIT) *(hb_init_scheme *)dst = (hb_init_scheme)i;
        return 0;
    }
    size_t at = (size_t)snprintf(r, rlen, "%s is not %s (expected one of", sv, e->what);
    for (int i = 0; i < e->n && at < rlen; i++)
        at += (size_t)snprintf(r + at, rlen - at, "%s %s", i ? "," : "", e->names[i]);
    if (at < rlen) snprintf(r + at, rlen - at, ")");
    return -1;
}

/* A string key's value: printable, trimmed, no comment character */
static int parse_str(const key_t_ *k, char *dst, const char *v, const char *sv, char *r,
                       size_t rlen) {
    size_t len = strlen(v);
    if (!len && !k->allow_empty) {
        snprintf(r, rlen, "empty value (expected %s)",
                 strcmp(k->name, "dataset") == 0
                     ? "a data spec such as fashion-mnist:train or cifar10:PATH"
                     : "a value");
        return -1;
    }
    if (len > STR_MAX) {
        snprintf(r, rlen, "value of %zu characters is too long (expected at most %d)", len,
                 STR_MAX);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (ch < 0x20 || ch == 0x7f) {
            snprintf(r, rlen, "%s contains a control character (expected printable text)",
                     sv);
            return -1;
        }
        if ((ch == '#' || ch == ';') && (i == 0 || isspace((unsigned char)v[i - 1]))) {
            snprintf(r, rlen,
                     "%s has '%c' at its start or after a space, which starts a comment "
                     "(expected a value without it)",
                     sv, ch);
            return -1;
        }
    }
    if (len && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[len - 1]))) {
        snprintf(r, rlen, "%s has leading or trailing spaces (expected a trimmed value)", sv);
        return -1;
    }
    memcpy(dst, v, len);
    memset(dst + len, 0, HB_CONFIG_STR - len);
    return 0;
}

/* An integer key's value, in its range or set */
static int parse_integer(const key_t_ *k, char *dst, const char *v, const char *sv, char *r,
                       size_t rlen) {
    char ex[96];
    long long x;
    int e = parse_ll(v, &x);
    if (k->kind == K_SET) {
        char *j = ex;
        j += sprintf(j, "one of");
        for (const int *s = k->set; *s; s++) j += sprintf(j, "%s %d", s == k->set ? "" : ",", *s);
    } else {
        expect_int(k, ex, sizeof ex);
    }
    if (e == 1) {
        snprintf(r, rlen, "%s is %s (expected %s)", sv, *v ? "not an integer" : "empty", ex);
        return -1;
    }
    int ok = e == 0;
    if (ok && k->kind == K_SET) {
        ok = 0;
        for (const int *s = k->set; *s; s++) ok |= x == *s;
    } else if (ok) {
        ok = x >= k->ilo && x <= k->ihi;
    }
    if (!ok) {
        snprintf(r, rlen, "%s is %s (expected %s)", sv,
                 k->kind == K_SET && e == 0 ? "not allowed" : "out of range", ex);
        return -1;
    }
    if (k->kind == K_INT || k->kind == K_SET)
        *(int *)dst = (int)x;
    else if (k->kind == K_LONG)
        *(long *)dst = (long)x;
    else
        *(uint64_t *)dst = (uint64_t)x;
    return 0;
}

/* A float key's value: finite, in its range */
static int parse_float(const key_t_ *k, char *dst, const char *v, const char *sv, char *r,
                       size_t rlen) {
    char ex[96];
    expect_float(k, ex, sizeof ex);
    char *end;
    errno = 0;
    float x = *v && !isspace((unsigned char)*v) ? strtof(v, &end) : 0;
    if (!*v || isspace((unsigned char)*v) || end == v || *end) {
        snprintf(r, rlen, "%s is %s (expected %s)", sv, *v ? "not a number" : "empty", ex);
        return -1;
    }
    /* ERANGE with a subnormal result is fine; with 0 or inf it is not */
    if (errno == ERANGE && (x == 0 || isinf(x))) {
        snprintf(r, rlen, "%s is out of range of a 32-bit float (expected %s)", sv, ex);
        return -1;
    }
    if (!isfinite(x)) {
        snprintf(r, rlen, "%s is not a finite number (expected %s)", sv, ex);
        return -1;
    }
    double d = x;
    int ok = (k->lo_open ? d > k->flo : d >= k->flo) &&
             (isinf(k->fhi) || (k->hi_open ? d < k->fhi : d <= k->fhi));
    if (!ok) {
        snprintf(r, rlen, "%s is out of range (expected %s)", sv, ex);
        return -1;
    }
    *(float *)dst = x;
    return 0;
}

static int parse_bool(const key_t_ *k, char *dst, const char *v, const char *sv, char *r,
                       size_t rlen) {
    (void)k;
    static const char *t[] = {"true", "yes", "1"}, *f[] = {"false", "no", "0"};
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(v, t[i]) == 0) return *(int *)dst = 1, 0;
        if (strcasecmp(v, f[i]) == 0) return *(int *)dst = 0, 0;
    }
    snprintf(r, rlen, "%s is not a boolean (expected true, false, yes, no, 1 or 0)", sv);
    return -1;
}

/* lr_schedule_steps: strictly increasing step numbers */
static int parse_schedule(hb_config *c, const char *v, const char *sv, char *r, size_t rlen) {
    const char *ex2 = "comma-separated, strictly increasing step numbers >= 1, at most 16, "
                      "e.g. 230000,260000; or nothing";
    long steps[HB_CONFIG_MAX_SCHED];
    int n = 0;
    const char *p = v;
    while (*p && isspace((unsigned char)*p)) p++;
    while (*p) {
        char item[40];
        size_t len = 0;
        while (*p && *p != ',') {
            if (len + 1 < sizeof item) item[len] = *p;
            len++, p++;
        }
        if (len >= sizeof item) {
            snprintf(r, rlen, "an entry of %zu characters (expected %s)", len, ex2);
            return -1;
        }
        item[len] = 0;
        while (len && isspace((unsigned char)item[len - 1])) item[--len] = 0;
        char *it = item;
        while (isspace((unsigned char)*it)) it++;
        long long x;
        int e = parse_ll(it, &x);
        char si[64];
        shown(it, si, sizeof si);
        if (e == 1) {
            snprintf(r, rlen, "entry %s is %s (expected %s)", si,
                     *it ? "not an integer" : "empty", ex2);
            return -1;
        }
        if (e == 2 || x < 1 || x > BIG_LONG) {
            snprintf(r, rlen, "entry %s is out of range (expected %s)", si, ex2);
            return -1;
        }
        if (n == HB_CONFIG_MAX_SCHED) {
            snprintf(r, rlen, "more than %d entries (expected %s)", HB_CONFIG_MAX_SCHED, ex2);
            return -1;
        }
        if (n && x <= steps[n - 1]) {
            snprintf(r, rlen, "%lld after %ld is not strictly increasing (expected %s)", x,
                     steps[n - 1], ex2);
            return -1;
        }
        steps[n++] = (long)x;
        if (*p == ',') {
            p++;
            if (!*p) {
                snprintf(r, rlen, "%s ends with a comma (expected %s)", sv, ex2);
                return -1;
            }
        }
    }
    c->n_lr_schedule = n;
    memset(c->lr_schedule_steps, 0, sizeof c->lr_schedule_steps);
    memcpy(c->lr_schedule_steps, steps, (size_t)n * sizeof steps[0]);
    return 0;
}

static int parse_value(hb_config *c, const key_t_ *k, const char *v, char *r, size_t rlen) {
    char *dst = (char *)c + k->off, sv[80];
    shown(v, sv, sizeof sv);
    switch (k->kind) {
    case K_MODE:
    case K_GENKIND:
    case K_INIT: return parse_enum(k, dst, v, sv, r, rlen);
    case K_STR: return parse_str(k, dst, v, sv, r, rlen);
    case K_INT:
    case K_LONG:
    case K_U64:
    case K_SET: return parse_integer(k, dst, v, sv, r, rlen);
    case K_FLOAT: return parse_float(k, dst, v, sv, r, rlen);
    case K_BOOL: return parse_bool(k, dst, v, sv, r, rlen);
    case K_SCHED: return parse_schedule(c, v, sv, r, rlen);
    }
    snprintf(r, rlen, "internal error");
    return -1;
}

/* copy of s without leading and trailing white space, into buf */
static const char *trim(const char *s, char *buf, size_t n) {
    while (isspace((unsigned char)*s)) s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (len >= n) len = n - 1;
    memmove(buf, s, len);
    buf[len] = 0;
    return buf;
}

int hb_config_apply(hb_config *c, const char *key, const char *value, char *err, size_t errlen) {
    char kb[128], vb[512], r[768];
    trim(key, kb, sizeof kb);
    if (strlen(value) >= sizeof vb) {
        char sk[64];
        return hb_errorf(err, errlen, "CONFIG: key %s: value too long (expected at most %d characters)",
                    shown(kb, sk, sizeof sk), STR_MAX);
    }
    trim(value, vb, sizeof vb);
    const key_t_ *k = find_key(kb);
    if (!k) {
        char sk[64];
        unknown_reason(kb, r, sizeof r);
        return hb_errorf(err, errlen, "CONFIG: key %s: %s", shown(kb, sk, sizeof sk), r);
    }
    if (parse_value(c, k, vb, r, sizeof r)) return hb_errorf(err, errlen, "CONFIG: key '%s': %s", k->name, r);
    return 0;
}

/* ---- writing ---------------------------------------------------------------------------------- */

/* whole numbers as such; otherwise the shortest %.Ng (N <= 9) that reads back as the same
 * float (%.9g always does) */
static void format_float(float x, char *buf, size_t n) {
    if (x == floorf(x) && fabsf(x) < 1e9f) {
        snprintf(buf, n, "%.0f", (double)x);
        return;
    }
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, n, "%.*g", prec, (double)x);
        if (strtof(buf, NULL) == x || prec == 9) return;
    }
}

/* the value of key k as written to a file */
static void format_value(const hb_config *c, const key_t_ *k, char *buf, size_t n) {
    const char *src = (const char *)c + k->off;
    switch (k->kind) {
    case K_MODE: snprintf(buf, n, "%s", hb_mode_name(*(const hb_mode *)src)); break;
    case K_GENKIND: snprintf(buf, n, "%s", hb_gen_kind_name(*(const hb_gen_kind *)src)); break;
    case K_INIT: snprintf(buf, n, "%s", hb_init_scheme_name(*(const hb_init_scheme *)src)); break;
    case K_STR:
        if (memchr(src, 0, HB_CONFIG_STR))
            snprintf(buf, n, "%s", src);
        else
            snprintf(buf, n, "%.*s", HB_CONFIG_STR, src); /* too long: refused when read */
        break;
    case K_INT:
    case K_SET: snprintf(buf, n, "%d", *(const int *)src); break;
    case K_LONG: snprintf(buf, n, "%ld", *(const long *)src); break;
    case K_U64: snprintf(buf, n, "%llu", (unsigned long long)*(const uint64_t *)src); break;
    case K_FLOAT: format_float(*(const float *)src, buf, n); break;
    case K_BOOL: snprintf(buf, n, "%s", *(const int *)src ? "true" : "false"); break;
    case K_SCHED: {
        size_t j = 0;
        buf[0] = 0;
        int cnt = c->n_lr_schedule;
        if (cnt < 0 || cnt > HB_CONFIG_MAX_SCHED) {
            snprintf(buf, n, "?");
            break;
        }
        for (int i = 0; i < cnt && j < n; i++)
            j += (size_t)snprintf(buf + j, n - j, "%s%ld", i ? "," : "", c->lr_schedule_steps[i]);
        break;
    }
    }
}

/* Every key, one per line, in the same syntax the loader reads. */
static int write_keys(FILE *fp, void *user) {
    const hb_config *c = user;
    int ok = fprintf(fp, "# hatebm configuration, resolved: every key (defaults included)\n") > 0;
    for (int i = 0; ok && i < NKEYS; i++) {
        char v[512];
        format_value(c, &keys[i], v, sizeof v);
        ok = fprintf(fp, "%s =%s%s\n", keys[i].name, v[0] ? " " : "", v) > 0;
    }
    return ok ? 0 : -1;
}

int hb_config_write(const hb_config *c, const char *path, char *err, size_t errlen) {
    if (hb_config_check(c, err, errlen)) return -1;
    char e[512];
    if (hb_atomic_write(path, write_keys, (void *)c, e, sizeof e) == 0) return 0;
    return hb_errorf(err, errlen, "CONFIG: %s", e);
}

/* ---- checks ----------------------------------------------------------------------------------- */

int hb_config_check(const hb_config *c, char *err, size_t errlen) {
    /* every field within its own range: each value goes through the parser again */
    hb_config scratch = *c;
    for (int i = 0; i < NKEYS; i++) {
        const key_t_ *k = &keys[i];
        char v[512], r[768];
        if (k->kind == K_STR && !memchr((const char *)c + k->off, 0, HB_CONFIG_STR))
            return hb_errorf(err, errlen, "CONFIG: key '%s': not terminated (expected at most %d "
                        "characters)", k->name, STR_MAX);
        if (k->kind == K_SCHED && (c->n_lr_schedule < 0 || c->n_lr_schedule > HB_CONFIG_MAX_SCHED))
            return hb_errorf(err, errlen, "CONFIG: key 'lr_schedule_steps': %d entries (expected "
                        "0..%d)", c->n_lr_schedule, HB_CONFIG_MAX_SCHED);
        format_value(c, k, v, sizeof v);
        if (parse_value(&scratch, k, v, r, sizeof r))
            return hb_errorf(err, errlen, "CONFIG: key '%s': %s", k->name, r);
    }
    if (c->mode == HB_MODE_SYNTH && c->persistent_size < c->batch_size)
        return hb_errorf(err, errlen, "CONFIG: key 'persistent_size': %d is smaller than batch_size %d "
                    "(expected persistent_size >= batch_size for mode=synth)",
                    c->persistent_size, c->batch_size);
    if (c->mode == HB_MODE_JOINT && !c->generator[0])
        return hb_errorf(err, errlen, "CONFIG: key 'generator': not given but mode=joint needs it "
                    "(expected the safetensors path of a frozen generator)");
    if (c->image_size > 32) {
        if (c->ngf_hat % 16)
            return hb_errorf(err, errlen, "CONFIG: key 'ngf_hat': %d is not a multiple of 16 "
                        "(expected a multiple of 16 when image_size is %d)",
                        c->ngf_hat, c->image_size);
        if (c->ngf_gen % 16)
            return hb_errorf(err, errlen, "CONFIG: key 'ngf_gen': %d is not a multiple of 16 "
                        "(expected a multiple of 16 when image_size is %d)",
                        c->ngf_gen, c->image_size);
    }
    return 0;
}

float hb_config_lr(const hb_config *c, float base, long step) {
    double lr = base;
    for (int i = 0; i < c->n_lr_schedule && i < HB_CONFIG_MAX_SCHED; i++)
        if (c->lr_schedule_steps[i] <= step) lr *= c->lr_schedule_factor;
    return (float)lr;
}

/* ---- loading ---------------------------------------------------------------------------------- */

typedef struct {
    const char *path;
    const char *buf; /* the whole file, NUL-terminated */
    size_t pos, size;
    int line;         /* number of the line last handed to inih */
    hb_config *c;
    int first[NKEYS]; /* line where each key was set in this file; 0 = not yet */
    int err_line;     /* line of the first error; 0 = none */
    char *err;
    size_t errlen;
} load_state;

/* inih's reader: one line at a time, leading white space removed (so an indented line is never
 * taken as a continuation of the previous value), sections and overlong lines refused. */
static char *reader(char *str, int num, void *stream) {
    load_state *st = stream;
    if (st->err_line || st->pos >= st->size) return NULL;
    const char *s = st->buf + st->pos, *nl = memchr(s, '\n', st->size - st->pos);
    size_t len = nl ? (size_t)(nl - s) : st->size - st->pos;
    st->pos += len + (nl ? 1 : 0);
    st->line++;
    while (len && isspace((unsigned char)*s)) s++, len--;
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (len && *s == '[') {
        const char *close = memchr(s, ']', len);
        int n = close ? (int)(close - s + 1) : (int)(len < 40 ? len : 40);
        st->err_line = st->line;
        hb_errorf(st->err, st->errlen, "CONFIG: section %.*s: sections are not supported (expected flat "
             "key = value lines), in %s line %d", n, s, st->path, st->line);
        return NULL;
    }
    if (len >= (size_t)num) {
        st->err_line = st->line;
        hb_errorf(st->err, st->errlen, "CONFIG: line of %zu characters is too long (expected at most %d), "
             "in %s line %d", len, num - 1, st->path, st->line);
        return NULL;
    }
    memcpy(str, s, len);
    str[len] = 0;
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value) {
    load_state *st = user;
    if (st->err_line) return 0;
    char sk[64], r[768], vb[512];
    if (section && section[0]) { /* the reader refuses sections first; kept as a safety net */
        st->err_line = st->line;
        hb_errorf(st->err, st->errlen, "CONFIG: section [%s]: sections are not supported (expected "
             "flat key = value lines), in %s line %d", section, st->path, st->line);
        return 0;
    }
    /* inih strips "  ; comment"; strip "  # comment" too (and a value starting with '#') */
    snprintf(vb, sizeof vb, "%s", value);
    for (char *p = vb; *p; p++)
        if (*p == '#' && (p == vb || isspace((unsigned char)p[-1]))) {
            *p = 0;
            break;
        }
    size_t len = strlen(vb);
    while (len && isspace((unsigned char)vb[len - 1])) vb[--len] = 0;
    const key_t_ *k = find_key(name);
    if (!k) {
        unknown_reason(name, r, sizeof r);
        st->err_line = st->line;
        hb_errorf(st->err, st->errlen, "CONFIG: key %s: %s, in %s line %d", shown(name, sk, sizeof sk),
             r, st->path, st->line);
        return 0;
    }
    int i = (int)(k - keys);
    if (st->first[i]) {
        st->err_line = st->line;
        hb_errorf(st->err, st->errlen, "CONFIG: key '%s': given twice (expected each key once; first "
             "at line %d), in %s line %d", k->name, st->first[i], st->path, st->line);
        return 0;
    }
    st->first[i] = st->line;
    if (parse_value(st->c, k, vb, r, sizeof r)) {
        st->err_line = st->line;
        hb_errorf(st->err, st->errlen, "CONFIG: key '%s': %s, in %s line %d", k->name, r, st->path,
             st->line);
        return 0;
    }
    return 1;
}

/* reads the whole file; NULL with err on failure */
static char *read_file(const char *path, size_t *size, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        hb_errorf(err, errlen, "CONFIG: cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *b = malloc(FILE_MAX + 1);
    size_t n = b ? fread(b, 1, FILE_MAX + 1, f) : 0;
    int bad = !b || ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        hb_errorf(err, errlen, "CONFIG: cannot read %s: %s", path, b ? strerror(e) : "out of memory");
        free(b);
        return NULL;
    }
    if (n > FILE_MAX) {
        hb_errorf(err, errlen, "CONFIG: %s is larger than %d bytes (expected a small text file)", path,
             FILE_MAX);
        free(b);
        return NULL;
    }
    if (memchr(b, 0, n)) {
        hb_errorf(err, errlen, "CONFIG: %s contains a NUL byte (expected a text file)", path);
        free(b);
        return NULL;
    }
    b[n] = 0;
    *size = n;
    return b;
}

int hb_config_load(const char *path, int noverrides, char *const *overrides, hb_config *out,
                   char *err, size_t errlen) {
    hb_config c;
    hb_config_defaults(&c);
    int given[NKEYS] = {0};
    if (path) {
        load_state st;
        memset(&st, 0, sizeof st);
        st.path = path;
        st.c = &c;
        st.err = err;
        st.errlen = errlen;
        char *b = read_file(path, &st.size, err, errlen);
        if (!b) return -1;
        st.buf = b;
        int rc = ini_parse_stream(reader, &st, handler, &st);
        if (rc > 0 && (!st.err_line || rc < st.err_line)) {
            /* a line inih could not parse (no '=' or ':') */
            const char *s = b;
            for (int l = 1; l < rc && s; l++) {
                s = strchr(s, '\n');
                if (s) s++;
            }
            char line[96], sv[80];
            trim(s ? s : "", line, sizeof line);
            char *nl = strchr(line, '\n');
            if (nl) *nl = 0;
            hb_errorf(err, errlen, "CONFIG: line %s is not a setting (expected key = value or a # or ; "
                 "comment), in %s line %d", shown(line, sv, sizeof sv), path, rc);
            free(b);
            return -1;
        }
        free(b);
        if (st.err_line || rc != 0) {
            if (!st.err_line) hb_errorf(err, errlen, "CONFIG: cannot parse %s (libinih: %d)", path, rc);
            return -1;
        }
        for (int i = 0; i < NKEYS; i++) given[i] = st.first[i] != 0;
    }
    for (int i = 0; i < noverrides; i++) {
        const char *o = overrides[i], *eq = strchr(o, '=');
        char sv[160], r[768], kb[128], vb[512];
        shown(o, sv, sizeof sv);
        if (!eq) return hb_errorf(err, errlen, "CONFIG: override %s: not key=value (expected key=value, "
                             "e.g. batch_size=64)", sv);
        size_t kl = (size_t)(eq - o);
        if (kl >= sizeof kb) kl = sizeof kb - 1;
        memcpy(kb, o, kl);
        kb[kl] = 0;
        trim(kb, kb, sizeof kb);
        if (!kb[0]) return hb_errorf(err, errlen, "CONFIG: override %s: no key before '=' (expected "
                                "key=value, e.g. batch_size=64)", sv);
        const key_t_ *k = find_key(kb);
        if (!k) {
            unknown_reason(kb, r, sizeof r);
            return hb_errorf(err, errlen, "CONFIG: override %s: %s", sv, r);
        }
        if (strlen(eq + 1) >= sizeof vb)
            return hb_errorf(err, errlen, "CONFIG: override %s: value too long (expected at most %d "
                        "characters)", sv, STR_MAX);
        trim(eq + 1, vb, sizeof vb);
        if (parse_value(&c, k, vb, r, sizeof r))
            return hb_errorf(err, errlen, "CONFIG: override %s: %s", sv, r);
        given[k - keys] = 1;
    }
    for (int i = 0; i < NKEYS; i++)
        if (keys[i].required && !given[i])
            return hb_errorf(err, errlen, "CONFIG: key '%s': required but not given (expected it in %s "
                        "or as an override %s=...)", keys[i].name, path ? path : "the config file",
                        keys[i].name);
    if (hb_config_check(&c, err, errlen)) return -1;
    *out = c;
    return 0;
}
