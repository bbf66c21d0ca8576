#!/bin/sh
# Kill -9 at 20 random moments of a tiny training run (every other kill timed to land inside a
# checkpoint write: as soon as its temporary file appears), resuming after each; then the run
# must equal an uninterrupted one: checkpoint, generator, grids and config byte for byte,
# metrics.jsonl line for line (it_per_s aside). After every kill the run directory must still
# hold its checkpoint once it had one, and every resume must load it (a resume that fails
# fails the test). Usage: kill_resume.sh HATEBM CONFIGS_DIR WORK_DIR [SEED]
. "$(dirname "$0")/lib.sh"
hatebm="$1" configs="$2" work="$3" seed="${4:-$(date +%s)}"
# enough steps that 20 kills (about 10 steps apart at 21 it/s) land before the run ends, with
# room for faster machines: 100 ran out after 11 kills once the kernels got faster
steps=500 kills=20
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
set -- "$configs/tiny.ini" num_training_steps=$steps checkpoint_every=1 log_every=1 plot_every=10
echo "seed $seed"

"$hatebm" train "$@" --run-dir ref >ref.log 2>&1 || { cat ref.log; exit 1; }

# random delays in seconds, one per kill
delays=$(awk -v s="$seed" -v n=$kills 'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%.2f ", 0.3 + 2.2 * rand() }')
start() {
    if [ -f run/config.ini ]; then "$hatebm" train --resume run >>run.log 2>&1 &
    else "$hatebm" train "$@" --run-dir run >>run.log 2>&1 & fi
    pid=$!
}
in_write=0 had_ckpt=0 done_early=0 k=0
for d in $delays; do
    k=$((k + 1))
    start "$@"
    sleep "$d"
    if [ $((k % 2)) -eq 0 ]; then # wait for a checkpoint write to begin, then kill inside it
        while kill -0 "$pid" 2>/dev/null; do
            for f in run/checkpoint.safetensors.tmp-*; do [ -e "$f" ] && break 2; done
        done
    fi
    kill -9 "$pid" 2>/dev/null
    { wait "$pid"; } 2>/dev/null
    rc=$?
    if [ "$rc" -ne 137 ]; then # it ended on its own: finished (0) or refused to resume
        [ "$rc" -eq 0 ] && { done_early=1; break; }
        bad "kill $k: the resumed run exited with $rc before the kill"; tail -3 run.log
        break
    fi
    for f in run/*.tmp-*; do [ -e "$f" ] && in_write=$((in_write + 1)) && break; done
    if [ -f run/checkpoint.safetensors ]; then had_ckpt=1
    elif [ "$had_ckpt" -eq 1 ]; then bad "kill $k: the checkpoint is gone"; fi
    step=$(sed -n 's/.*"step": \([0-9]*\).*/\1/p' run/metrics.jsonl 2>/dev/null | tail -1)
    echo "kill $k after ${d} s: last logged step ${step:-none}"
done
[ "$done_early" -eq 0 ] && ok "$kills kills with SIGKILL, $in_write of them inside a write (a temporary file left behind)" ||
    bad "the run finished after $k kills, before all $kills (raise steps)"
start "$@"
wait "$pid"
check "the last resume runs to the end" "[ $? -eq 0 ]"
check "resumes said where they continued" "grep -q 'resuming run at step' run.log"
check "checkpoint equals the uninterrupted run's, byte for byte" "cmp ref/checkpoint.safetensors run/checkpoint.safetensors"
check "generator equals the uninterrupted run's, byte for byte" "cmp ref/gen.safetensors run/gen.safetensors"
check "config.ini equals the uninterrupted run's" "cmp ref/config.ini run/config.ini"
strip() { sed 's/, "it_per_s": [^}]*//' "$1"; }
strip ref/metrics.jsonl >ref.metrics && strip run/metrics.jsonl >run.metrics
check "metrics.jsonl equals the uninterrupted run's ($(wc -l <ref.metrics) lines, none twice)" "cmp ref.metrics run.metrics"
same_grids=1
for f in ref/samples/*.png; do cmp -s "$f" "run/samples/${f##*/}" || same_grids=0; done
check "sample grids equal the uninterrupted run's" "[ $same_grids -eq 1 ] && [ \$(ls run/samples | wc -l) -eq \$(ls ref/samples | wc -l) ]"
check "no validation messages from any run" "! grep -h 'validation:' ref.log run.log"
check "no temporary files are left" "! ls run/*.tmp-* run/samples/*.tmp-* >/dev/null 2>&1"
finish
