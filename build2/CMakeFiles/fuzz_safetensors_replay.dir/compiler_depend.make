# Empty compiler generated dependencies file for fuzz_safetensors_replay.
# This may be replaced when dependencies are built.
