# Empty dependencies file for fuzz_cifar10_replay.
# This may be replaced when dependencies are built.
