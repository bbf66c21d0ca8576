#!/bin/sh
# Bad input to the command line gets exactly one line on stderr and exit code 2.
. "$(dirname "$0")/lib.sh"
hatebm="$1"
expect "unknown device name" "no Vulkan device matches 'no-such-gpu'" "$hatebm" --device no-such-gpu devices
expect "device index out of range" "no Vulkan device matches '99'" "$hatebm" --device 99 selfcheck
expect "HATEBM_DEVICE is honoured" "no Vulkan device matches 'nope'" env HATEBM_DEVICE=nope "$hatebm" selfcheck
expect "unknown command" "unknown command 'frobnicate'" "$hatebm" frobnicate
expect "unknown option" "unknown option '--bogus'" "$hatebm" --bogus devices
expect "unknown bench" "usage: hatebm bench" "$hatebm" bench nonsense
expect "bench scaling bad axis" "unknown --axis 'foo'" "$hatebm" bench scaling --axis foo
expect "bench scaling bad option" "unknown bench scaling option" "$hatebm" bench scaling --nope
expect "no Vulkan driver" "mesa-vulkan-drivers" env VK_ICD_FILENAMES=/nonexistent.json VK_DRIVER_FILES=/nonexistent.json "$hatebm" devices
expect "selfcheck with an argument" "selfcheck takes no arguments" "$hatebm" selfcheck now
expect "devices with an argument" "devices takes no arguments" "$hatebm" devices all
expect "bench ops: a count that is not a number" "whole number" "$hatebm" bench ops --reps 5x
expect "bench ops: a bad width" "--widths '64,abc'" "$hatebm" bench ops --widths 64,abc
expect "bench ops: unknown option" "unknown bench ops option '--fast'" "$hatebm" bench ops --fast
expect "bench langevin: unknown config" "unknown --config 'mnist'" "$hatebm" bench langevin --config mnist
expect "bench langevin: negative width" "--ngf 1 to 8192" "$hatebm" bench langevin --ngf -3
expect "bench langevin: no rounds" "--repeat 1 to 20" "$hatebm" bench langevin --repeat 0
expect "bench with an unknown device" "no Vulkan device matches 'nope'" "$hatebm" --device nope bench ops
finish
