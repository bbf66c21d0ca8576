file(REMOVE_RECURSE
  "CMakeFiles/fuzz_mnist_json_replay.dir/tests/fuzz/fuzz_mnist_json.c.o"
  "CMakeFiles/fuzz_mnist_json_replay.dir/tests/fuzz/fuzz_mnist_json.c.o.d"
  "CMakeFiles/fuzz_mnist_json_replay.dir/tests/fuzz/replay.c.o"
  "CMakeFiles/fuzz_mnist_json_replay.dir/tests/fuzz/replay.c.o.d"
  "fuzz_mnist_json_replay"
  "fuzz_mnist_json_replay.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_mnist_json_replay.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
