file(REMOVE_RECURSE
  "CMakeFiles/fuzz_cifar10_replay.dir/tests/fuzz/fuzz_cifar10.c.o"
  "CMakeFiles/fuzz_cifar10_replay.dir/tests/fuzz/fuzz_cifar10.c.o.d"
  "CMakeFiles/fuzz_cifar10_replay.dir/tests/fuzz/replay.c.o"
  "CMakeFiles/fuzz_cifar10_replay.dir/tests/fuzz/replay.c.o.d"
  "fuzz_cifar10_replay"
  "fuzz_cifar10_replay.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_cifar10_replay.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
