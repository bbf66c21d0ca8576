# Empty compiler generated dependencies file for fuzz_npz_replay.
# This may be replaced when dependencies are built.
