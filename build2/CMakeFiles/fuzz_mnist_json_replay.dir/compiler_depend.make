# Empty compiler generated dependencies file for fuzz_mnist_json_replay.
# This may be replaced when dependencies are built.
