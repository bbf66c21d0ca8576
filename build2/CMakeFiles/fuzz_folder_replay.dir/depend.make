# Empty dependencies file for fuzz_folder_replay.
# This may be replaced when dependencies are built.
