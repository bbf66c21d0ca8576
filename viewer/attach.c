/* Reading a training run's published trajectory and its metrics. */
#include "attach.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "io/files.h"

int va_trajectory_load(const char *path, va_trajectory *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    if (hb_st_load(path, &t->file, err, errlen) != 0) return -1;
    const hb_st_tensor *x = hb_st_find(&t->file, "x");
    const char *format = hb_st_meta_get(&t->file, "format");
    const char *steps = hb_st_meta_get(&t->file, "chain_steps");
    const char *step = hb_st_meta_get(&t->file, "step"), *mode = hb_st_meta_get(&t->file, "mode");
    if (!format || strcmp(format, "hatebm-trajectory-1") != 0 || !x || x->ndim != 5 || !steps ||
        !step || !mode) {
        va_trajectory_free(t);
        return hb_errorf(err, errlen, "%s: not a hatebm trajectory (format hatebm-trajectory-1 "
                         "with tensor x [S, n, nch, res, res] and metadata chain_steps, step, mode)",
                         path);
    }
    int64_t es[2] = {x->shape[0], x->shape[1]};
    if (hb_st_expect(&t->file, "g", 5, x->shape, err, errlen) != 0 ||
        hb_st_expect(&t->file, "y", 5, x->shape, err, errlen) != 0 ||
        hb_st_expect(&t->file, "energy", 2, es, err, errlen) != 0) {
        va_trajectory_free(t);
        return -1;
    }
    t->S = (int)x->shape[0], t->n = (int)x->shape[1], t->nch = (int)x->shape[2];
    t->res = (int)x->shape[3];
    if (t->S < 1 || t->n < 1 || (t->nch != 1 && t->nch != 3) || t->res < 1 ||
        x->shape[4] != t->res) {
        va_trajectory_free(t);
        return hb_errorf(err, errlen, "%s: tensor x has an empty or non-image shape", path);
    }
    t->x = x->data;
    t->g = hb_st_find(&t->file, "g")->data;
    t->y = hb_st_find(&t->file, "y")->data;
    t->energy = hb_st_find(&t->file, "energy")->data;
    t->chain_step = malloc((size_t)t->S * sizeof *t->chain_step);
    const char *p = steps;
    for (int s = 0; s < t->S; s++) {
        char *end;
        t->chain_step[s] = (int)strtol(p, &end, 10);
        if (end == p || (*end != ',' && *end != 0) || (*end == 0 && s + 1 < t->S)) {
            va_trajectory_free(t);
            return hb_errorf(err, errlen, "%s: metadata chain_steps '%s' does not list %d steps",
                             path, steps, t->S);
        }
        p = *end ? end + 1 : end;
    }
    t->step = strtol(step, NULL, 10);
    snprintf(t->mode, sizeof t->mode, "%s", mode);
    return 0;
}

void va_trajectory_free(va_trajectory *t) {
    hb_st_free(&t->file);
    free(t->chain_step);
    memset(t, 0, sizeof *t);
}

static float number(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? (float)json_number_value(v) : NAN;
}

void va_metrics_load(const char *path, va_metrics *m) {
    va_metrics_free(m);
    FILE *fp = fopen(path, "r");
    if (!fp) return;
    char line[4096];
    int cap = 0;
    while (fgets(line, sizeof line, fp)) {
        json_t *o = json_loads(line, 0, NULL); /* a line being appended does not parse yet */
        if (!json_is_object(o) || !json_is_number(json_object_get(o, "step"))) {
            json_decref(o);
            continue;
        }
        if (m->n == cap) {
            cap = cap ? 2 * cap : 256;
            float **cols[5] = {&m->step, &m->e_pos, &m->e_neg, &m->gen_loss, &m->res_norm};
            for (int k = 0; k < 5; k++) *cols[k] = realloc(*cols[k], (size_t)cap * sizeof **cols[k]);
        }
        m->step[m->n] = number(o, "step");
        m->e_pos[m->n] = number(o, "e_pos");
        m->e_neg[m->n] = number(o, "e_neg");
        m->gen_loss[m->n] = number(o, "gen_loss");
        m->res_norm[m->n] = number(o, "res_norm");
        m->n++;
        json_decref(o);
    }
    fclose(fp);
}

void va_metrics_free(va_metrics *m) {
    free(m->step), free(m->e_pos), free(m->e_neg), free(m->gen_loss), free(m->res_norm);
    memset(m, 0, sizeof *m);
}
