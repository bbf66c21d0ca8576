# Empty compiler generated dependencies file for fuzz_npy_replay.
# This may be replaced when dependencies are built.
