# CMAKE generated file: DO NOT EDIT!
# Timestamp file for compiler generated dependencies management for fuzz_mnist_json_replay.
