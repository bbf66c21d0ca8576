#!/bin/sh
# hatebm-view in a real window on Xvfb: it starts, renders, takes scripted keys (pushed as SDL
# key events), saves screenshots read back from the window, and exits cleanly; what the window
# shows is, pixel for pixel, what --headless writes.
. "$(dirname "$0")/lib.sh"
hatebm="$1" view="$2" png="$3" configs="$4" work="$5"
command -v xvfb-run >/dev/null || { echo "FAIL: xvfb-run not found: apt-get install xvfb xauth"; exit 1; }
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
# a window of its own on a fresh X server (-a: a free display number)
xview() { xvfb-run -a -s "-screen 0 1280x1024x24" env SDL_VIDEODRIVER=x11 "$view" "$@"; }

"$hatebm" train "$configs/tiny.ini" --run-dir run >train.log 2>&1
check "a tiny run to look at" "[ $? -eq 0 ]"

mkdir a && xview run --paused --size 640x480 --script s,q --screenshot-dir a >a.log 2>&1
check "the window opens, saves a screenshot on s and exits 0 on q" \
  "[ $? -eq 0 ] && [ -f a/hatebm-view-001.png ] && grep -q 'saved a/hatebm-view-001.png' a.log"
"$view" run --headless --steps 0 --size 640x480 --out headless.png >headless.log 2>&1
check "the window shows what --headless writes, pixel for pixel" \
  "'$png' equal a/hatebm-view-001.png headless.png"

mkdir b && xview run --paused --script 'n,n,+,],s,-,-,s,space,p,esc' --screenshot-dir b >b.log 2>&1
check "scripted keys: two steps, magnification, step size, restart, quit on Esc (exit 0)" "[ $? -eq 0 ]"
check "n steps while paused, + and ] take effect" \
  "grep 'hatebm-view-001' b.log | grep -q 'step 2 .*eps_y 0.000625 .*Y × 10'"
check "- lowers the magnification" "grep 'hatebm-view-002' b.log | grep -q 'Y × 3'"
check "the screenshot has the window's size and is not blank" \
  "'$png' size b/hatebm-view-001.png 912 608 && '$png' colors b/hatebm-view-001.png 200"
"$view" run --headless --steps 0 --out b0.png >b0.log 2>&1
check "after two steps the residual row is no longer gray" \
  "'$png' differ b0.png b/hatebm-view-001.png \"\$(grep wrote b0.log)\" 2"
check "no validation message" "! grep -q validation a.log b.log"

mkdir r && xview run --paused --script 640x480,s,1000x700,s,q --screenshot-dir r >r.log 2>&1
check "the window resizes and the picture follows (screenshots 640x480, then 1000x700)" \
  "[ $? -eq 0 ] && '$png' size r/hatebm-view-001.png 640 480 && '$png' size r/hatebm-view-002.png 1000 700"
"$view" run --headless --steps 0 --size 1000x700 --out r2.png >r2.log 2>&1
check "after the resize, too, the window shows what --headless writes" "'$png' equal r/hatebm-view-002.png r2.png"

mkdir c && xview --attach run --script p,s,n,s,q --screenshot-dir c >c.log 2>&1
check "--attach in a window: plays the trajectory, pauses, steps, saves, quits (exit 0)" \
  "[ $? -eq 0 ] && [ -f c/hatebm-view-002.png ] && grep -q 'training step 4' c.log"
check "the attached view is not blank" "'$png' colors c/hatebm-view-001.png 200"
finish
