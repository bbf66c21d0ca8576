#!/bin/sh
# Data-parallel training under mpirun, two processes on configs/tiny.ini (lavapipe): they
# compute what one process computes at the same global batch (Langevin samples bit for bit,
# weights and losses to float summation order), a killed process brings the other down and the
# run resumes with one or two, bad input is refused, SIGTERM/SIGINT checkpoint and exit;
# sample and ood split their batches and write what one process writes.
# Usage: mpi_train.sh HATEBM CONFIGS_DIR WORK_DIR
hatebm="$1" configs="$2" work="$3"
fails=0 passes=0
ok() { echo "ok: $1"; passes=$((passes + 1)); }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
# CI runs as root; one lavapipe thread per process on a small machine; no busy-polling
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 LP_NUM_THREADS=1
export OMPI_MCA_mpi_yield_when_idle=1
mpirun2="mpirun -q --oversubscribe -np 2"
mpi2() { $mpirun2 "$hatebm" "$@"; }
tiny="$configs/tiny.ini"
set -- "$tiny" log_every=1 plot_every=1000

# Tensors of two safetensors files: "same NAME..." must match bit for bit; every other tensor
# within TOL relative to its largest magnitude. Prints the largest relative difference.
cat >compare.py <<'PY'
import json, struct, sys
from array import array
def load(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])
    out = {}
    for k, v in h.items():
        if k == "__metadata__": continue
        s, e = v["data_offsets"]; out[k] = array("f", b[8 + n + s:8 + n + e])
    return out
a, b, tol, same = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
worst, ok = 0.0, a.keys() == b.keys()
for k in a:
    if k in same: ok = ok and a[k] == b[k]; continue
    scale = max(max(abs(x) for x in a[k]), 1e-30)
    worst = max(worst, max(abs(x - y) for x, y in zip(a[k], b[k])) / scale)
print("%.3g" % worst); sys.exit(0 if ok and worst <= tol else 1)
PY
step_of() { head -c 65536 "$1" | grep -ao '"step":"[0-9]*"' | grep -o '[0-9]*'; }
last_logged() { n=$(sed -n 's/.*"step": \([0-9]*\).*/\1/p' "$1" 2>/dev/null | tail -1); echo "${n:-0}"; }
wait_for_step() { while [ "$(last_logged "$1")" -lt "$2" ]; do sleep 0.2; done; }

# --- one process and two at global batch 4 ---
"$hatebm" train "$@" num_training_steps=1 --run-dir one1 >one1.log 2>&1 &&
  mpi2 train "$@" num_training_steps=1 --run-dir two1 >two1.log 2>&1
check "two processes train (exit 0)" "[ $? -eq 0 ]"
check "the log names each process's device" "[ \$(grep -c 'process [01] of 2 .*device' two1.log) -eq 2 ]"
d=$(python3 compare.py one1/checkpoint.safetensors two1/checkpoint.safetensors 1e-5 bank.x bank.z bank.perm)
check "after step 1 the bank (Langevin samples and their Z) is bit-identical to one process's; weights within $d" "[ $? -eq 0 ]"
"$hatebm" train "$@" num_training_steps=5 --run-dir one5 >one5.log 2>&1 &&
  mpi2 train "$@" num_training_steps=5 --run-dir two5 >two5.log 2>&1
d=$(python3 compare.py one5/checkpoint.safetensors two5/checkpoint.safetensors 1e-4 bank.perm)
check "after 5 steps every weight, moment and bank value is within $d (relative) of one process's" "[ $? -eq 0 ]"
strip() { sed 's/, "it_per_s": [^}]*//' "$1" | tr -d '{}' | tr ',' '\n' | sed 's/.*: //'; }
strip one5/metrics.jsonl >one5.values && strip two5/metrics.jsonl >two5.values
d=$(paste one5.values two5.values | awk '{ r = ($1 - $2) / ($1 == 0 ? 1 : $1); r = r < 0 ? -r : r; if (r > m) m = r } END { printf "%.3g", m }')
check "metrics.jsonl has one set of lines, within $d of one process's" "[ \$(grep -c step two5/metrics.jsonl) -eq 5 ] && awk 'BEGIN { exit !($d < 1e-5) }'"
check "one checkpoint, written by one process" "[ \$(ls two5 | grep -c checkpoint) -eq 1 ]"

# --- sample and ood share their batches out; one output, bit for bit one process's ---
"$hatebm" sample one5 --out s1 --n 10 --batch 4 --trajectory 0,2 >s1.log 2>&1 &&
  mpi2 sample one5 --out s2 --n 10 --batch 4 --trajectory 0,2 >s2.log 2>&1
same=1
for f in s1/*; do cmp -s "$f" "s2/${f#s1/}" || same=0; done
check "sample with two processes writes the same files as one, byte for byte" "[ $same -eq 1 ] && [ \$(ls s2 | wc -l) -eq 7 ]"
"$hatebm" ood one5 --in fashion-mnist:test --ood noise,flip --max 300 >o1.txt 2>o1.log &&
  mpi2 ood one5 --in fashion-mnist:test --ood noise,flip --max 300 >o2.txt 2>o2.log
check "ood with two processes prints the same table as one" "cmp -s o1.txt o2.txt"

# --- a killed process, then resumes with two and with one ---
set -- "$tiny" num_training_steps=30 checkpoint_every=5 log_every=1 plot_every=1000
mpi2 train "$@" --run-dir ref2 >ref2.log 2>&1
mpirun --oversubscribe -np 2 "$hatebm" train "$@" --run-dir run >run.log 2>&1 & # not -q: it names the dead
mpirun_pid=$!
wait_for_step run/metrics.jsonl 12
ranks=$(pgrep -P $mpirun_pid) # the two hatebm processes
victim=$(echo "$ranks" | tail -1)
kill -9 "$victim"
t0=$(date +%s)
wait $mpirun_pid
rc=$?
for i in 1 2 3 4 5 6 7 8 9 10; do # the survivor may take a moment after mpirun returns
  alive=0
  for p in $ranks; do ps -o stat= -p "$p" | grep -q '^[^Z]' && alive=1; done # dead or a zombie
  [ $alive -eq 0 ] && break
  sleep 1
done
t=$(($(date +%s) - t0))
check "kill -9 of one process: mpirun and the other process end (exit $rc, ${t} s)" "[ $rc -ne 0 ] && [ $t -le 15 ] && [ $alive -eq 0 ]"
check "mpirun names the dead process" "grep -q 'process rank [01] .*exited on signal 9' run.log"
check "the checkpoint is intact (step $(step_of run/checkpoint.safetensors))" "[ \$(step_of run/checkpoint.safetensors) -ge 10 ]"
cp -r run run1 && cp -r run run2
mpi2 train --resume run >>run.log 2>&1
check "resumed with two processes: the checkpoint equals the uninterrupted run's, byte for byte" "cmp -s ref2/checkpoint.safetensors run/checkpoint.safetensors"
five=num_training_steps=$(($(step_of run1/checkpoint.safetensors) + 5))
"$hatebm" train --resume run1 $five >>run1.log 2>&1 && mpi2 train --resume run2 $five >>run2.log 2>&1
d=$(python3 compare.py run2/checkpoint.safetensors run1/checkpoint.safetensors 1e-4 bank.perm)
check "resumed with one process: 5 more steps, within $d of two processes' from the checkpoint" "[ $? -eq 0 ]"

# --- bad input: exit 2, one line ---
expect() { # expect WHAT PATTERN COMMAND...
  what="$1" pattern="$2"; shift 2
  "$@" >out.log 2>err.log; rc=$?
  if [ $rc -eq 2 ] && [ "$(grep -c . err.log)" -eq 1 ] && grep -q "$pattern" err.log; then ok "$what"
  else bad "$what (exit $rc): $(cat err.log)"; fi
}
expect "a batch that does not split over the processes" "batch_size 3 does not split over 2" mpi2 train "$tiny" batch_size=3 --run-dir e1
expect "processes with different configs" "process 1's resolved config differs" \
  mpirun -q --oversubscribe -np 1 "$hatebm" train "$tiny" --run-dir e2 : -np 1 "$hatebm" train "$tiny" seed=7 --run-dir e2

# --- stop requests: the iteration ends, a checkpoint is written, exit 128 + signal ---
stop_test() { # stop_test SIGNAL CODE PROCESSES
  dir="stop_$1_$3"
  if [ "$3" -eq 1 ]; then "$hatebm" train "$tiny" num_training_steps=100000 checkpoint_every=1000 --run-dir "$dir" >"$dir.log" 2>&1 &
  else $mpirun2 "$hatebm" train "$tiny" num_training_steps=100000 checkpoint_every=1000 --run-dir "$dir" >"$dir.log" 2>&1 & fi
  pid=$!
  wait_for_step "$dir/metrics.jsonl" 5
  # a scheduler (or a terminal's Ctrl-C) signals every process of the job
  if [ "$3" -eq 1 ]; then kill -"$1" $pid; else kill -"$1" $(pgrep -P $pid); fi
  wait $pid; rc=$?
  s=$(step_of "$dir/checkpoint.safetensors" 2>/dev/null)
  check "SIG$1 to $3 process(es): exit $2 (got $rc), a checkpoint of the last step (${s:-none} of $(last_logged "$dir/metrics.jsonl"))" \
    "[ $rc -eq $2 ] && [ \"$s\" = \"\$(last_logged $dir/metrics.jsonl)\" ] && grep -q 'stopped by SIG$1' $dir.log"
}
stop_test TERM 143 1
stop_test INT 130 1
stop_test TERM 143 2
stop_test INT 130 2
"$hatebm" train --resume stop_TERM_2 num_training_steps=$(($(last_logged stop_TERM_2/metrics.jsonl) + 2)) >>stop_TERM_2.log 2>&1
check "a stopped run resumes (with one process)" "[ $? -eq 0 ]"
check "no validation messages" "! grep -h 'validation:' ./*.log"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
