#!/bin/sh
# hatebm train under failure: bad input (each case one line on stderr, exit code 2, before any
# work), NaN/Inf in a checkpoint (exit 3 naming the step and the tensor, the file untouched), a
# config too large for the device, a full disk and a read-only run directory while a run saves
# (the previous checkpoint survives), a run directory in use by another trainer.
# Usage: cli_failures.sh HATEBM CONFIGS_DIR WORK_DIR
. "$(dirname "$0")/lib.sh"
hatebm="$1" configs="$2" work="$3"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
tiny="$configs/tiny.ini"
# safetensors surgery: poke.py FILE TENSOR VALUE sets the tensor's first float
cat >poke.py <<'PY'
import json, struct, sys
path, name, value = sys.argv[1], sys.argv[2], float(sys.argv[3])
b = bytearray(open(path, 'rb').read())
n = struct.unpack('<Q', b[:8])[0]
off = 8 + n + json.loads(b[8:8 + n])[name]['data_offsets'][0]
b[off:off + 4] = struct.pack('<f', value)
open(path, 'wb').write(b)
PY
npy() { # npy FILE VALUE: float32 (2, 32, 32) with every value 0 but the first, VALUE
    /usr/bin/python3 - "$1" "$2" <<'PY'
import struct, sys
h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 32, 32), }"
h += ' ' * (63 - (10 + len(h)) % 64) + '\n'
data = struct.pack('<f', float(sys.argv[2])) + bytes(4 * (2 * 32 * 32 - 1))
open(sys.argv[1], 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode() + data)
PY
}

# ---- bad input: one line, exit 2 ----
expect_exit "unknown device" 2 "no Vulkan device matches 'no-such-gpu'" "$hatebm" --device no-such-gpu train "$tiny" --run-dir d
mkdir rgbdir
expect_exit "wrong channel count (grey data, RGB model)" 2 "1 channel but the model wants 3" "$hatebm" train "$tiny" --run-dir d channels=3
expect_exit "missing image folder" 2 "no-such-folder" "$hatebm" train "$tiny" --run-dir d dataset=folder:no-such-folder
expect_exit "empty image folder" 2 "no image files" "$hatebm" train "$tiny" --run-dir d dataset=folder:rgbdir
printf 'not an image' >rgbdir/a.png
expect_exit "a non-image in an image folder" 2 "not an image" "$hatebm" train "$tiny" --run-dir d dataset=folder:rgbdir
npy nan.npy nan
expect_exit "NaN in the data (npy float32)" 2 "nan.npy" "$hatebm" train "$tiny" --run-dir d dataset=npy:nan.npy
npy inf.npy inf
expect_exit "Inf in the data (npy float32)" 2 "inf.npy" "$hatebm" train "$tiny" --run-dir d dataset=npy:inf.npy
expect_exit "a config too large for the device" 2 "GiB of device memory but" "$hatebm" train "$tiny" --run-dir big batch_size=4096 ngf_hat=4096 ngf_gen=4096 persistent_size=1000000
check "... refused before anything was trained (no checkpoint)" "[ ! -f big/checkpoint.safetensors ]"

"$hatebm" train "$tiny" --run-dir r num_training_steps=2 checkpoint_every=1 >r.log 2>&1
check "a 2-step run for the checkpoint cases" "[ $? -eq 0 ] && [ -f r/checkpoint.safetensors ]"
cp r/checkpoint.safetensors good.safetensors
head -c 1000 good.safetensors >r/checkpoint.safetensors
expect_exit "truncated checkpoint" 2 "or is damaged" "$hatebm" train --resume r num_training_steps=3
printf 'garbage garbage garbage' >r/checkpoint.safetensors
expect_exit "a checkpoint that is not safetensors" 2 "or is damaged" "$hatebm" train --resume r num_training_steps=3
cp good.safetensors r/checkpoint.safetensors
expect_exit "a checkpoint of another mode" 2 "a checkpoint of mode synth, but the config says mode ae" "$hatebm" train --resume r num_training_steps=3 mode=ae
expect_exit "a checkpoint of another network width" 2 "expected shape" "$hatebm" train --resume r num_training_steps=3 ngf_hat=16
printf 'gen' >gen.safetensors
check "a refused resume leaves config.ini as it was" "grep -q '^mode = synth' r/config.ini && grep -q '^ngf_hat = 8' r/config.ini"
expect_exit "a joint run with a damaged generator file" 2 "gen.safetensors" "$hatebm" train "$tiny" --run-dir j mode=joint generator=gen.safetensors
(exec 9>r/.lock && flock 9 && exec sleep 30) & # the sleep holds the lock until killed
locker=$!
sleep 0.3
expect_exit "a run directory in use by another trainer" 2 "another hatebm train is using r" "$hatebm" train --resume r num_training_steps=3
kill $locker; wait $locker 2>/dev/null

# ---- NaN / Inf in a checkpoint: exit 3 naming the step and the tensor, file untouched ----
for t in hat.b.0.c1.weight ema.gen.out.weight opt.hat.v bank.x; do
    cp good.safetensors r/checkpoint.safetensors
    python3 poke.py r/checkpoint.safetensors "$t" nan && cp r/checkpoint.safetensors poked.safetensors
    expect_exit "NaN in checkpoint tensor $t stops at step 2 naming it" 3 "step 2: $t.* is not finite" "$hatebm" train --resume r num_training_steps=4
    check "... and leaves the checkpoint untouched" "cmp -s poked.safetensors r/checkpoint.safetensors"
done
cp good.safetensors r/checkpoint.safetensors
python3 poke.py r/checkpoint.safetensors hat.lin.weight inf
expect_exit "Inf in a weight stops too" 3 "step 2: hat.lin.weight" "$hatebm" train --resume r num_training_steps=4

# ---- energies running away (lr_ebm 1e-2: the gap grows about 1.6x per step on tiny) ----
"$hatebm" train "$tiny" --run-dir gap1 num_training_steps=1 checkpoint_every=1 lr_ebm=1e-2 >gap1.log 2>&1
"$hatebm" train "$tiny" --run-dir gap num_training_steps=4 checkpoint_every=1 lr_ebm=1e-2 max_energy_gap=1 >gap.log 2>&1
check "an energy gap over max_energy_gap stops the run: exit 3" "[ $? -eq 3 ]"
check "... one line naming the step, the gap and the key" "[ \$(grep -c 'error' gap.log) -eq 1 ] && grep -q 'step 2: the energy gap |e_pos - e_neg| = .* is over max_energy_gap 1: .*checkpoint (step 1)' gap.log"
check "... the checkpoint of step 1 is kept, equal to a 1-step run's" "cmp -s gap1/checkpoint.safetensors gap/checkpoint.safetensors"
check "... metrics.jsonl ends at step 1" "[ \$(grep -c '\"step\"' gap/metrics.jsonl) -eq 1 ]"
"$hatebm" train "$tiny" --run-dir warn num_training_steps=30 log_every=2 plot_every=100 checkpoint_every=100 lr_ebm=1e-2 >warn.log 2>&1
check "a gap over 10x its scale of the first 10 log intervals warns, the run goes on (exit 0)" "[ $? -eq 0 ] && grep -q 'warning: step 2[0-9]: the energy gap' warn.log"
check "... at most once per log interval" "[ \$(grep -c 'the energy gap' warn.log) -le 5 ]"
"$hatebm" train "$tiny" --run-dir calm num_training_steps=30 log_every=2 plot_every=100 checkpoint_every=100 >calm.log 2>&1
check "... while the same run at lr_ebm 1e-4 does not warn" "[ $? -eq 0 ] && ! grep -q 'the energy gap' calm.log"

# ---- a full disk and a read-only run directory while saving ----
# a private mount namespace: a 900 KiB tmpfs holds one tiny checkpoint set but not a second
if unshare -rm true 2>/dev/null; then ns="unshare -rm"; elif [ "$(id -u)" -eq 0 ]; then ns=""; else ns=none; fi
if [ "$ns" = none ]; then
    echo "SKIP: full disk and read-only run directory (no mount namespace and not root)"
else
    cp good.safetensors r/checkpoint.safetensors
    mkdir -p full
    $ns sh -c "mount -t tmpfs -o size=900k tmpfs full || exit 9
        '$hatebm' train '$tiny' --run-dir full/run num_training_steps=4 checkpoint_every=1 plot_every=100 >full.log 2>&1
        echo \$? >full.rc
        '$hatebm' train --resume full/run >>full.log 2>&1
        echo \$? >>full.rc
        cp full/run/checkpoint.safetensors full.ckpt; ls full/run >full.ls
        umount full"
    grep -v 'using\|resuming\|^step' full.log >full.err
    check "disk full while saving: exit 2, one line naming the cause" \
        "[ \"\$(head -1 full.rc)\" = 2 ] && [ \$(grep -c . full.err) -le 2 ] && grep -q 'No space left on device' full.err"
    check "... the error says which checkpoint is intact" "grep -q 'step 1 is intact' full.err"
    "$hatebm" train "$tiny" --run-dir one num_training_steps=1 checkpoint_every=1 >one.log 2>&1
    check "... that checkpoint (step 1) survives, equal to a 1-step run's" "cmp -s full.ckpt one/checkpoint.safetensors"
    check "... no temporary file is left behind" "! grep -q tmp full.ls"
    check "... resume on the still full disk fails the same way (exit 2)" "[ \"\$(tail -1 full.rc)\" = 2 ]"
    $ns sh -c "mount --bind r r && mount -o remount,ro,bind r || exit 9
        '$hatebm' train --resume r num_training_steps=4 >ro.log 2>&1; echo \$? >ro.rc; umount r"
    check "read-only run directory: exit 2 before any work" "[ \"\$(cat ro.rc)\" = 2 ] && grep -q 'Read-only file system' ro.log && [ \$(grep -c . ro.log) -eq 1 ]"
    check "... the checkpoint is untouched" "cmp -s good.safetensors r/checkpoint.safetensors"
fi
check "no validation messages from any run" "! grep -h 'validation:' *.log"
finish
