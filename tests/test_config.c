/* Training configuration (host only, no Vulkan): every file in configs/ loads, overrides win,
 * write -> load round trips exactly, each class of bad input is refused with one line naming
 * the key, cross-key checks, and the learning-rate schedule. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "testutil.h"

#define CHECK tu_check /* host-only test: tu_summary() closes it */

static const char *put(const char *name, const char *text) {
    const char *path = tu_tmp_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    return path;
}

static int same_float(float a, float b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

/* field by field (never memcmp of the struct: padding) */
static int same_config(const hb_config *a, const hb_config *b, char *what, size_t n) {
#define I(f) if (a->f != b->f) return snprintf(what, n, "%s", #f), 0
#define F(f) if (!same_float(a->f, b->f)) return snprintf(what, n, "%s %.9g vs %.9g", #f, (double)a->f, (double)b->f), 0
#define S(f) if (strcmp(a->f, b->f)) return snprintf(what, n, "%s", #f), 0
    I(mode); S(dataset); I(image_size); I(channels); I(ngf_hat); I(ngf_gen); F(gen_factor);
    S(generator); S(eval_dataset); I(generator_kind); I(batch_size); I(num_training_steps); I(mcmc_steps);
    F(epsilon); F(epsilon_latent); F(mcmc_temp); F(max_langevin_norm_res); F(data_epsilon);
    F(lr_ebm); F(lr_gen); I(n_lr_schedule);
    for (int i = 0; i < a->n_lr_schedule; i++) I(lr_schedule_steps[i]);
    F(lr_schedule_factor); F(ema_decay); F(max_grad_norm); F(energy_l2); F(max_energy_gap);
    F(gen_loss_factor_coop);
    I(persistent_size); I(update_latents); F(tau_res); F(init_scale_latent); F(init_scale_res);
    F(loss_factor); I(seed); I(init); I(log_every); I(plot_every); I(checkpoint_every); I(num_plot);
#undef I
#undef F
#undef S
    snprintf(what, n, "same");
    return 1;
}

/* write c, load it back, compare */
static void round_trip(const char *what, const hb_config *c) {
    char err[512] = "", diff[128] = "";
    const char *p = tu_tmp_path("rt.ini");
    int rc = hb_config_write(c, p, err, sizeof err);
    hb_config back;
    if (!rc) rc = hb_config_load(p, 0, NULL, &back, err, sizeof err);
    CHECK(rc == 0 && same_config(c, &back, diff, sizeof diff) && tu_temp_files(tu_tmpdir()) == 0,
          "round trip of %s: %s", what, rc ? err : diff);
}

static void configs_dir(void) {
    DIR *dp = opendir(HB_CONFIGS_DIR);
    CHECK(dp != NULL, "open %s", HB_CONFIGS_DIR);
    if (!dp) return;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".ini")) continue;
        char path[512], err[512] = "";
        snprintf(path, sizeof path, "%s/%s", HB_CONFIGS_DIR, e->d_name);
        hb_config c;
        int rc = hb_config_load(path, 0, NULL, &c, err, sizeof err);
        CHECK(rc == 0, "configs/%s loads: %s", e->d_name, rc ? err : "ok");
        if (!rc) round_trip(e->d_name, &c);
        n++;
    }
    closedir(dp);
    CHECK(n >= 13, "%d files in configs/", n);

    /* a few values that matter */
    hb_config c;
    char err[512] = "";
    int rc = hb_config_load(HB_CONFIGS_DIR "/imagenet_synth.ini", 0, NULL, &c, err, sizeof err);
    CHECK(rc == 0 && c.image_size == 128 && c.n_lr_schedule == 2 &&
              c.lr_schedule_steps[0] == 230000 && c.lr_schedule_steps[1] == 260000 &&
              c.max_grad_norm == 50.0f && c.lr_gen == 5e-5f && c.num_training_steps == 300000,
          "imagenet_synth values");
    rc = hb_config_load(HB_CONFIGS_DIR "/imagenet_large_synth.ini", 0, NULL, &c, err, sizeof err);
    CHECK(rc == 0 && c.ngf_hat == 2048 && c.n_lr_schedule == 2, "imagenet_large_synth values");
    rc = hb_config_load(HB_CONFIGS_DIR "/cifar10_retrofit.ini", 0, NULL, &c, err, sizeof err);
    CHECK(rc == 0 && c.mode == HB_MODE_JOINT && c.generator_kind == HB_GEN_DECODER &&
              c.tau_res == 50.0f && !strcmp(c.generator, "runs/cifar10_ae/gen.safetensors"),
          "cifar10_retrofit values");
    rc = hb_config_load(HB_CONFIGS_DIR "/cifar10_ae.ini", 0, NULL, &c, err, sizeof err);
    CHECK(rc == 0 && c.mode == HB_MODE_AE && c.num_training_steps == 39100 &&
              c.data_epsilon == 2e-2f && c.loss_factor == 1000.0f,
          "cifar10_ae values");
    rc = hb_config_load(HB_CONFIGS_DIR "/cifar10_synth.ini", 0, NULL, &c, err, sizeof err);
    CHECK(rc == 0 && c.mcmc_temp == 1e-8f && c.num_training_steps == 50000 && c.ngf_hat == 256 &&
              !strcmp(c.dataset, "cifar10:data/cifar-10-batches-bin") && c.update_latents == 0,
          "cifar10_synth values");
    rc = hb_config_load(HB_CONFIGS_DIR "/fashion_mnist_synth.ini", 0, NULL, &c, err, sizeof err);
    CHECK(rc == 0 && c.channels == 1 && c.ngf_hat == 32 && c.ngf_gen == 32 && c.batch_size == 32 &&
              c.mcmc_steps == 30 && c.persistent_size == 1024 && c.ema_decay == 0.999f &&
              c.num_training_steps == 1500 && c.plot_every == 50 && c.checkpoint_every == 100 &&
              c.max_energy_gap == 100.0f && c.init == HB_INIT_SCHEME_PYTORCH &&
              c.energy_l2 == 0 && c.n_lr_schedule == 2 && c.lr_schedule_steps[0] == 1200 &&
              c.lr_schedule_steps[1] == 2500 &&
              c.lr_schedule_factor == 0.1f && !strcmp(c.dataset, "fashion-mnist:train"),
          "fashion_mnist_synth values");
    rc = hb_config_load(HB_CONFIGS_DIR "/fashion_mnist_refine.ini", 0, NULL, &c, err, sizeof err);
    CHECK(rc == 0 && c.gen_factor == 2.0f && c.mcmc_steps == 10 && c.epsilon_latent == 1e-5f &&
              c.epsilon == 5e-4f && c.mcmc_temp == 1e-8f && c.lr_ebm == 1e-4f,
          "fashion_mnist_refine values");
    rc = hb_config_load(HB_CONFIGS_DIR "/tiny.ini", 0, NULL, &c, err, sizeof err);
    CHECK(rc == 0 && c.ngf_hat == 8 && c.batch_size == 4 && c.mcmc_steps == 3 &&
              c.persistent_size == 16 && c.num_training_steps == 4 && c.plot_every == 2 &&
              c.checkpoint_every == 2,
          "tiny values");
}

static void defaults_and_overrides(void) {
    char err[512] = "";
    hb_config c, d;
    const char *p = put("min.ini", "mode = synth\ndataset = fashion-mnist:train\n"
                                   "num_training_steps = 10\nbatch_size = 16\n");
    int rc = hb_config_load(p, 0, NULL, &c, err, sizeof err);
    hb_config_defaults(&d);
    CHECK(rc == 0 && c.image_size == 32 && c.channels == 3 && c.ngf_hat == 256 &&
              c.gen_factor == 2.0f && c.generator[0] == 0 && c.generator_kind == HB_GEN_SNGAN &&
              c.mcmc_steps == 50 && c.epsilon == 5e-4f && c.epsilon_latent == 0 &&
              c.mcmc_temp == 1e-8f && c.max_langevin_norm_res == 2.5f &&
              c.data_epsilon == 1e-3f && c.lr_ebm == 1e-4f && c.lr_gen == 1e-4f &&
              c.n_lr_schedule == 0 && c.lr_schedule_factor == 0.1f && c.ema_decay == 0.9999f &&
              c.max_grad_norm == 0 && c.gen_loss_factor_coop == 1000.0f &&
              c.persistent_size == 10000 && c.update_latents == 1 && c.tau_res == 0 &&
              c.init_scale_latent == 1.0f && c.init_scale_res == 0 && c.loss_factor == 1000.0f &&
              c.seed == 0 && c.log_every == 10 && c.plot_every == 100 &&
              c.checkpoint_every == 500 && c.num_plot == 16 && c.batch_size == 16 &&
              c.max_energy_gap == 0 && c.energy_l2 == 0 && c.init == HB_INIT_SCHEME_GLOROT,
          "defaults: %s", rc ? err : "ok");

    char *ov[] = {"batch_size=8", " seed = 42 ", "mode=joint", "generator=g.safetensors",
                  "lr_schedule_steps= 2, 3", "update_latents=No", "epsilon=0.25",
                  "batch_size=9", "generator_kind=decoder", "init=pytorch", "max_energy_gap=50"};
    rc = hb_config_load(p, 11, ov, &c, err, sizeof err);
    CHECK(rc == 0 && c.batch_size == 9 && c.seed == 42 && c.mode == HB_MODE_JOINT &&
              !strcmp(c.generator, "g.safetensors") && c.n_lr_schedule == 2 &&
              c.lr_schedule_steps[0] == 2 && c.lr_schedule_steps[1] == 3 &&
              c.update_latents == 0 && c.epsilon == 0.25f && c.generator_kind == HB_GEN_DECODER &&
              c.init == HB_INIT_SCHEME_PYTORCH && c.max_energy_gap == 50.0f,
          "overrides win over the file (the last of a repeated override wins): %s",
          rc ? err : "ok");
    round_trip("overridden config", &c);

    /* overrides alone, no file */
    char *only[] = {"mode=ae", "dataset=cifar10:/x", "num_training_steps=3"};
    rc = hb_config_load(NULL, 3, only, &c, err, sizeof err);
    CHECK(rc == 0 && c.mode == HB_MODE_AE && !strcmp(c.dataset, "cifar10:/x") &&
              c.num_training_steps == 3,
          "overrides without a file: %s", rc ? err : "ok");

    /* syntax: comments, indentation, CRLF, ':' separators, inline comments */
    p = put("syntax.ini", "# comment\n; other comment\n\n   mode = synth   \r\n"
                          "\tdataset=folder:data/celeba a  # trailing comment\n"
                          "num_training_steps = 7 ; inline\n"
                          "seed: 18446744073709551 \n"
                          "update_latents = TRUE\n"
                          "lr_schedule_steps =\n"
                          "generator = \n"
                          "   # indented comment\n"
                          "epsilon = 0x1p-10\n");
    rc = hb_config_load(p, 0, NULL, &c, err, sizeof err);
    CHECK(rc == 0 && c.mode == HB_MODE_SYNTH && !strcmp(c.dataset, "folder:data/celeba a") &&
              c.num_training_steps == 7 && c.seed == 18446744073709551ull &&
              c.update_latents == 1 && c.n_lr_schedule == 0 && c.generator[0] == 0 &&
              c.epsilon == 1.0f / 1024,
          "comments, indentation, CRLF, ':' separator: %s", rc ? err : "ok");

    /* hb_config_apply on its own */
    hb_config_defaults(&c);
    rc = hb_config_apply(&c, "ngf_gen", "48", err, sizeof err);
    CHECK(rc == 0 && c.ngf_gen == 48, "apply ngf_gen=48");
    rc = hb_config_apply(&c, "ngf_gen", "4x", err, sizeof err);
    CHECK(rc == -1 && c.ngf_gen == 48 && !strncmp(err, "CONFIG: key 'ngf_gen': ", 23) &&
              strstr(err, "not an integer") && strstr(err, "(expected"),
          "apply refuses ngf_gen=4x, value kept: %s", err);
    rc = hb_config_apply(&c, "ngf", "4", err, sizeof err);
    CHECK(rc == -1 && strstr(err, "'ngf'") && strstr(err, "unknown key"),
          "apply refuses an unknown key: %s", err);
}

static void exact_floats(void) {
    hb_config c;
    hb_config_defaults(&c);
    c.mode = HB_MODE_JOINT;
    strcpy(c.dataset, "cifar10:/data/with spaces/and=equals:colons");
    strcpy(c.generator, "gen; not a comment#either.safetensors");
    c.num_training_steps = 1000000000000L;
    c.seed = 9223372036854775807ull;
    c.epsilon = 0.1f;
    c.epsilon_latent = nextafterf(1e-3f, 1.0f);
    c.mcmc_temp = 1.17549435e-38f; /* smallest normal */
    c.max_langevin_norm_res = 3.40282347e38f;
    c.data_epsilon = 1.0f / 3.0f;
    c.lr_ebm = 1e-45f; /* smallest subnormal */
    c.lr_gen = 0.0f;
    c.ema_decay = nextafterf(1.0f, 0.0f);
    c.lr_schedule_factor = 1.0f;
    c.n_lr_schedule = HB_CONFIG_MAX_SCHED;
    for (int i = 0; i < HB_CONFIG_MAX_SCHED; i++) c.lr_schedule_steps[i] = 1 + 7 * i;
    c.update_latents = 0;
    c.tau_res = 123456.789f;
    c.gen_factor = 16777217.0f;
    c.max_energy_gap = 3.40282347e38f;
    c.energy_l2 = 0.1f;
    c.init = HB_INIT_SCHEME_PYTORCH;
    round_trip("awkward floats, long paths, extreme integers", &c);

    /* write refuses an invalid struct and leaves the old file alone */
    char err[512] = "", diff[64] = "";
    const char *p = tu_tmp_path("keep.ini");
    int rc = hb_config_write(&c, p, err, sizeof err);
    hb_config bad = c;
    bad.epsilon = NAN;
    rc |= !hb_config_write(&bad, p, err, sizeof err) ? 1 : 0;
    hb_config back;
    int rc2 = hb_config_load(p, 0, NULL, &back, err, sizeof err);
    CHECK(rc == 0 && rc2 == 0 && same_config(&c, &back, diff, sizeof diff) && tu_temp_files(tu_tmpdir()) == 0,
          "write refuses epsilon=nan and keeps the old file: %s", diff);

    /* hb_config_check on structs filled by hand */
    bad = c;
    bad.n_lr_schedule = 17;
    rc = hb_config_check(&bad, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "'lr_schedule_steps'"), "check: 17 schedule entries: %s", err);
    bad = c;
    bad.lr_schedule_steps[3] = bad.lr_schedule_steps[2];
    rc = hb_config_check(&bad, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "'lr_schedule_steps'") && strstr(err, "strictly increasing"),
          "check: schedule not increasing: %s", err);
    bad = c;
    bad.epsilon = NAN;
    rc = hb_config_check(&bad, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "'epsilon'") && strstr(err, "finite"), "check: nan: %s", err);
    bad = c;
    bad.channels = 2;
    rc = hb_config_check(&bad, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "'channels'"), "check: channels 2: %s", err);
    bad = c;
    memset(bad.dataset, 'a', sizeof bad.dataset);
    rc = hb_config_check(&bad, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "'dataset'"), "check: unterminated dataset: %s", err);
    bad = c;
    bad.mode = (hb_mode)7;
    rc = hb_config_check(&bad, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "'mode'"), "check: mode 7: %s", err);
    rc = hb_config_write(&c, tu_tmp_path("no-such-dir/x.ini"), err, sizeof err);
    CHECK(rc == -1 && strstr(err, "no-such-dir"), "write into a missing directory: %s", err);
}

#define BASE "mode = synth\ndataset = fashion-mnist:train\nnum_training_steps = 10\n"

/* text (a whole file, or NULL: BASE only) and overrides must be refused with every phrase */
static void refuse_ov(const char *what, const char *text, int nov, char **ov, const char *w1,
                      const char *w2, const char *w3) {
    char err[1024] = "";
    const char *p = text ? put("bad.ini", text) : put("base.ini", BASE);
    hb_config c, before;
    memset(&c, 0x5a, sizeof c);
    before = c;
    int rc = hb_config_load(p, nov, ov, &c, err, sizeof err);
    int ok = rc == -1 && !strncmp(err, "CONFIG: ", 8) && !strchr(err, '\n') &&
             !memcmp(&c, &before, sizeof c);
    const char *w[3] = {w1, w2, w3};
    for (int i = 0; i < 3; i++)
        if (w[i] && !strstr(err, w[i])) ok = 0;
    CHECK(ok, "refuses %s: %s", what, err);
}

static void refuse(const char *what, const char *text, const char *w1, const char *w2,
                   const char *w3) {
    refuse_ov(what, text, 0, NULL, w1, w2, w3);
}

static void errors(void) {
    /* unknown keys */
    refuse("an unknown key", BASE "batchsize = 3\n", "key 'batchsize'", "unknown key",
           "did you mean 'batch_size'");
    refuse("an unknown key far from any", BASE "colour = red\n", "key 'colour'", "unknown key",
           "expected one of mode, dataset");
    refuse("a key with the wrong case", BASE "Batch_Size = 3\n", "'Batch_Size'", "unknown key",
           NULL);

    /* wrong types and trailing junk */
    refuse("abc for an int", BASE "batch_size = abc\n", "key 'batch_size'", "not an integer",
           "(expected an integer in 1..4096)");
    refuse("1.5 for an int", BASE "batch_size = 1.5\n", "key 'batch_size'", "'1.5'",
           "not an integer");
    refuse("1e3 for an int", BASE "mcmc_steps = 1e3\n", "key 'mcmc_steps'", "not an integer",
           NULL);
    refuse("trailing junk after an int", BASE "batch_size = 12abc\n", "key 'batch_size'",
           "'12abc'", "not an integer");
    refuse("an int with a space inside", BASE "batch_size = 1 2\n", "'batch_size'",
           "not an integer", NULL);
    refuse("an empty int", BASE "batch_size =\n", "'batch_size'", "empty", "expected");
    refuse("trailing junk after a number", BASE "epsilon = 1e-3x\n", "key 'epsilon'",
           "not a number", "(expected a number > 0)");
    refuse("nan", BASE "epsilon = nan\n", "'epsilon'", "finite", NULL);
    refuse("inf", BASE "gen_factor = inf\n", "'gen_factor'", "finite", NULL);
    refuse("a number too large for a float", BASE "gen_factor = 1e39\n", "'gen_factor'",
           "32-bit float", NULL);
    refuse("a number too small for a float", BASE "epsilon = 1e-50\n", "'epsilon'",
           "32-bit float", NULL);
    refuse("a bad boolean", BASE "update_latents = maybe\n", "key 'update_latents'",
           "not a boolean", "true, false");
    refuse("a bad mode", "mode = train\ndataset = x:y\nnum_training_steps = 1\n", "key 'mode'",
           "'train'", "synth, joint, ae");
    refuse("a bad generator kind", BASE "generator_kind = vae\n", "key 'generator_kind'",
           "sngan, decoder", NULL);
    refuse("a bad init scheme", BASE "init = kaiming\n", "key 'init'", "not an init scheme",
           "glorot, pytorch");
    refuse("an init scheme in the wrong case", BASE "init = Glorot\n", "key 'init'",
           "'Glorot'", NULL);
    refuse("an empty dataset", "mode = synth\ndataset =\nnum_training_steps = 1\n",
           "key 'dataset'", "empty", "fashion-mnist:train");
    refuse("a control character", BASE "generator = a\x01" "b\n", "key 'generator'",
           "control character", NULL);

    /* ranges */
    refuse("batch_size 5000", BASE "batch_size = 5000\n", "key 'batch_size'", "out of range",
           "1..4096");
    refuse("batch_size 0", BASE "batch_size = 0\n", "'batch_size'", "out of range", NULL);
    refuse("batch_size 2^70", BASE "batch_size = 1180591620717411303424\n", "'batch_size'",
           "out of range", NULL);
    refuse("num_training_steps 0", "mode = synth\ndataset = x:y\nnum_training_steps = 0\n",
           "key 'num_training_steps'", "out of range", "an integer >= 1");
    refuse("mcmc_steps -1", BASE "mcmc_steps = -1\n", "'mcmc_steps'", "0..100000", NULL);
    refuse("epsilon 0", BASE "epsilon = 0\n", "key 'epsilon'", "out of range", "> 0");
    refuse("epsilon_latent -1e-3", BASE "epsilon_latent = -1e-3\n", "'epsilon_latent'",
           "out of range", ">= 0");
    refuse("ema_decay 1", BASE "ema_decay = 1\n", "key 'ema_decay'", "out of range", "[0, 1)");
    refuse("lr_schedule_factor 0", BASE "lr_schedule_factor = 0\n", "'lr_schedule_factor'",
           "(0, 1]", NULL);
    refuse("lr_schedule_factor 1.5", BASE "lr_schedule_factor = 1.5\n", "'lr_schedule_factor'",
           "out of range", NULL);
    refuse("seed -1", BASE "seed = -1\n", "key 'seed'", "out of range", NULL);
    refuse("seed 2^63", BASE "seed = 9223372036854775808\n", "key 'seed'", "out of range", NULL);
    refuse("num_plot 257", BASE "num_plot = 257\n", "'num_plot'", "1..256", NULL);
    refuse("channels 2", BASE "channels = 2\n", "key 'channels'", "not allowed", "one of 1, 3");
    refuse("image_size 48", BASE "image_size = 48\n", "key 'image_size'", "one of 32, 64, 128",
           NULL);
    refuse("loss_factor 0", BASE "loss_factor = 0\n", "'loss_factor'", "> 0", NULL);
    refuse("max_energy_gap -1", BASE "max_energy_gap = -1\n", "key 'max_energy_gap'",
           "out of range", ">= 0");
    refuse("energy_l2 -1", BASE "energy_l2 = -1\n", "key 'energy_l2'", "out of range", ">= 0");
    refuse("max_energy_gap inf", BASE "max_energy_gap = inf\n", "'max_energy_gap'", "finite",
           NULL);
    refuse("max_energy_gap abc", BASE "max_energy_gap = abc\n", "'max_energy_gap'",
           "not a number", NULL);

    /* lr_schedule_steps */
    refuse("a decreasing schedule", BASE "lr_schedule_steps = 5,3\n", "key 'lr_schedule_steps'",
           "strictly increasing", NULL);
    refuse("a repeated schedule step", BASE "lr_schedule_steps = 5,5\n", "'lr_schedule_steps'",
           "strictly increasing", NULL);
    refuse("an empty schedule entry", BASE "lr_schedule_steps = 5,,6\n", "'lr_schedule_steps'",
           "empty", NULL);
    refuse("a trailing comma", BASE "lr_schedule_steps = 5,\n", "'lr_schedule_steps'", "comma",
           NULL);
    refuse("a schedule step 0", BASE "lr_schedule_steps = 0,5\n", "'lr_schedule_steps'",
           "out of range", NULL);
    refuse("a schedule entry with junk", BASE "lr_schedule_steps = 5,6x\n",
           "'lr_schedule_steps'", "'6x'", "not an integer");
    refuse("17 schedule entries", BASE "lr_schedule_steps = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n",
           "'lr_schedule_steps'", "more than 16", NULL);

    /* structure */
    refuse("a key given twice", BASE "batch_size = 3\nbatch_size = 3\n", "key 'batch_size'",
           "given twice", "line 5");
    refuse("a section", BASE "[train]\nbatch_size = 3\n", "[train]", "not supported", "line 4");
    refuse("an empty section at the end", BASE "[extra]\n", "[extra]", "not supported", NULL);
    refuse("a line without '='", BASE "batch_size 3\n", "'batch_size 3'", "not a setting",
           "line 4");
    refuse("a key without a value after an error line", "mode = synth\nfoo\nbar = 1\n",
           "line 2", "'foo'", NULL);
    refuse("a line longer than libinih allows", BASE "dataset2 = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
           "too long", "line 4", NULL);
    char longv[400];
    snprintf(longv, sizeof longv, BASE "generator = %0181d\n", 7);
    refuse("a value of 181 characters", longv, "key 'generator'", "at most 180", NULL);
    snprintf(longv, sizeof longv, BASE "generator = %0180d\n", 7);
    hb_config c;
    char err[512];
    int rc = hb_config_load(put("long.ini", longv), 0, NULL, &c, err, sizeof err);
    CHECK(rc == 0 && strlen(c.generator) == 180, "a value of 180 characters: %s", rc ? err : "ok");
    refuse("the first of two errors", BASE "batch_size = x\nepsilon = y\n", "'batch_size'",
           "line 4", NULL);

    /* required keys */
    refuse("mode missing", "dataset = x:y\nnum_training_steps = 1\n", "key 'mode'",
           "required", NULL);
    refuse("dataset missing", "mode = synth\nnum_training_steps = 1\n", "key 'dataset'",
           "required", NULL);
    refuse("num_training_steps missing", "mode = ae\ndataset = x:y\n",
           "key 'num_training_steps'", "required", NULL);

    /* cross-key checks */
    refuse("persistent_size < batch_size in synth", BASE "batch_size = 64\npersistent_size = 32\n",
           "key 'persistent_size'", "batch_size 64", "mode=synth");
    refuse("joint without a generator",
           "mode = joint\ndataset = x:y\nnum_training_steps = 1\n", "key 'generator'",
           "mode=joint", NULL);
    refuse("ngf_hat not a multiple of 16 at 64x64", BASE "image_size = 64\nngf_hat = 100\n",
           "key 'ngf_hat'", "multiple of 16", "image_size is 64");
    refuse("ngf_gen not a multiple of 16 at 128x128", BASE "image_size = 128\nngf_gen = 24\n",
           "key 'ngf_gen'", "multiple of 16", NULL);

    /* overrides */
    char *o1[] = {"batch_size=abc"};
    refuse_ov("an override of the wrong type", NULL, 1, o1, "override 'batch_size=abc'",
              "not an integer", "(expected");
    char *o2[] = {"batch_size"};
    refuse_ov("an override without '='", NULL, 1, o2, "override 'batch_size'", "key=value",
              NULL);
    char *o3[] = {"bach_size=3"};
    refuse_ov("an unknown override key", NULL, 1, o3, "override 'bach_size=3'", "unknown key",
              "'batch_size'");
    char *o4[] = {"=3"};
    refuse_ov("an override without a key", NULL, 1, o4, "override '=3'", "no key", NULL);
    char *o5[] = {"mode=joint"};
    refuse_ov("a cross-key failure caused by an override", NULL, 1, o5, "key 'generator'",
              "mode=joint", NULL);
    char *o6[] = {"persistent_size=100000001"};
    refuse_ov("an override out of range", NULL, 1, o6, "override 'persistent_size=100000001'",
              "out of range", NULL);

    /* files */
    rc = hb_config_load(tu_tmp_path("missing.ini"), 0, NULL, &c, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "cannot open") && strstr(err, "missing.ini"),
          "refuses a missing file: %s", err);
    rc = hb_config_load(tu_tmpdir(), 0, NULL, &c, err, sizeof err);
    CHECK(rc == -1 && strstr(err, tu_tmpdir()), "refuses a directory: %s", err);
}

static void lr_schedule(void) {
    hb_config c;
    hb_config_defaults(&c);
    float b = 1e-4f;
    CHECK(hb_config_lr(&c, b, 0) == b && hb_config_lr(&c, b, 1000000) == b,
          "no schedule: constant lr");
    char err[256];
    int rc = hb_config_apply(&c, "lr_schedule_steps", "230000, 260000", err, sizeof err);
    struct { long step; double want; } cases[] = {
        {0, 1e-4}, {229999, 1e-4}, {230000, 1e-5}, {259999, 1e-5}, {260000, 1e-6}, {999999, 1e-6},
    };
    for (int i = 0; i < 6; i++) {
        float got = hb_config_lr(&c, b, cases[i].step);
        CHECK(rc == 0 && fabs(got - cases[i].want) <= 1e-6 * cases[i].want,
              "lr at step %ld: %g (want %g)", cases[i].step, (double)got, cases[i].want);
    }
    rc = hb_config_apply(&c, "lr_schedule_factor", "0.5", err, sizeof err);
    CHECK(rc == 0 && hb_config_lr(&c, 2.0f, 260000) == 0.5f && hb_config_lr(&c, 2.0f, 230001) == 1.0f,
          "factor 0.5: 2 -> 1 -> 0.5");
}

int main(void) {
    configs_dir();
    defaults_and_overrides();
    exact_floats();
    errors();
    lr_schedule();
    return tu_summary();
}
