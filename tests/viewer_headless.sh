#!/bin/sh
# hatebm-view without a display: the headless picture's size and layout (three rows per chain,
# the residual row mid-gray at step 0 where Y_0 = 0), step 0 against step K for conditional and
# joint chains, the trajectory a training run publishes and --attach rendering it, and one-line
# errors with exit code 2 (among them: no display and no --headless).
. "$(dirname "$0")/lib.sh"
hatebm="$1" view="$2" png="$3" configs="$4" work="$5"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
tiny="$configs/tiny.ini"

"$hatebm" train "$tiny" --run-dir synth >synth.log 2>&1 &&
  "$hatebm" train "$tiny" --run-dir joint mode=joint generator=synth/gen.safetensors \
    update_latents=true epsilon_latent=0.01 >joint.log 2>&1
check "tiny synth and joint runs train" "[ $? -eq 0 ]"

# the trajectory published at the last plot interval (step 4 of 4; K = 3, num_plot = batch = 4)
check "the training run publishes trajectory.safetensors" "[ -f synth/trajectory.safetensors ]"
python3 - synth/trajectory.safetensors >traj.txt 2>&1 <<'PY'
import json, struct, sys
b = open(sys.argv[1], 'rb').read()
h = json.loads(b[8:8 + struct.unpack('<Q', b[:8])[0]])
m = h['__metadata__']
print(m['step'], m['chain_steps'], h['x']['shape'], h['y']['shape'], h['energy']['shape'])
PY
check "it holds snapshots at chain steps 0..K of the plotted chains, tagged with the step" \
  "grep -qx \"4 0,1,2,3 \[4, 4, 1, 32, 32\] \[4, 4, 1, 32, 32\] \[4, 4\]\" traj.txt || { cat traj.txt; false; }"

for run in synth joint; do
  "$view" $run --headless --steps 0 --chains 4 --size 640x480 --out $run-0.png >$run-0.log 2>&1; rc0=$?
  "$view" $run --headless --steps 3 --chains 4 --size 640x480 --out $run-3.png >$run-3.log 2>&1; rc3=$?
  check "$run: headless renders step 0 and step 3 (exit 0, no validation message)" \
    "[ $rc0 -eq 0 ] && [ $rc3 -eq 0 ] && ! grep -q validation $run-0.log $run-3.log"
  layout=$(grep 'wrote' $run-0.log)
  check "$run: the PNG has the requested size" "'$png' size $run-0.png 640 480"
  check "$run: the layout line names 4 chains x 3 rows" "echo '$layout' | grep -q '4 chains x 3 rows'"
  check "$run: only background between the chains' images" "'$png' gaps $run-0.png '$layout'"
  check "$run: step 0: row Y is mid-gray (Y_0 = 0)" "'$png' gray $run-0.png '$layout' 2"
  check "$run: step 0: row X equals row G(Z)" "'$png' same $run-0.png '$layout' 0 1"
  check "$run: step 3: every chain's X and Y moved" \
    "'$png' differ $run-0.png $run-3.png '$layout' 0 && '$png' differ $run-0.png $run-3.png '$layout' 2"
  check "$run: the same layout at step 3" "grep -qF \"${layout#*pixels}\" $run-3.log"
done
check "joint: G(Z) moves too" "'$png' differ joint-0.png joint-3.png \"\$(grep wrote joint-0.log)\" 1"
check "conditional: G(Z) stays" "! '$png' differ synth-0.png synth-3.png \"\$(grep wrote synth-0.log)\" 1 2>/dev/null"
"$view" synth --headless --out default.png >default.log 2>&1
check "without --size the picture fits 8 chains (default)" "grep -q '8 chains x 3 rows' default.log"

"$view" --attach synth --headless --out attach.png >attach.log 2>&1; rc=$?
layout=$(grep 'wrote' attach.log)
check "--attach --headless renders the published trajectory (exit 0)" "[ $rc -eq 0 ] && [ -f attach.png ]"
check "--attach shows the trajectory's 4 chains at their last step (Y not gray)" \
  "echo '$layout' | grep -q '4 chains x 3 rows' && ! '$png' gray attach.png '$layout' 2 2>/dev/null"

mkdir -p fresh && cp synth/config.ini fresh/
expect "no display and no --headless" "no display" env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER "$view" synth
expect "no such run" "no such run" "$view" nowhere --headless --out x.png
expect "--attach before the first plot interval" "no trajectory.safetensors yet" "$view" --attach fresh --headless --out x.png
expect "--attach of a directory that is not a run" "not a run directory" "$view" --attach "$configs" --headless --out x.png
expect "--headless without --out" "needs --out" "$view" synth --headless
expect "unknown script key" "unknown key 'x'" "$view" synth --script n,x
expect "bad --size" "size" "$view" synth --headless --out x.png --size 10x10
expect "unknown option" "unknown option" "$view" synth --frobnicate
finish
