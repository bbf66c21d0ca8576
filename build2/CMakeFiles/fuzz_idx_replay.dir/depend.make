# Empty dependencies file for fuzz_idx_replay.
# This may be replaced when dependencies are built.
