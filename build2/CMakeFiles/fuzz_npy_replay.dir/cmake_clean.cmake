file(REMOVE_RECURSE
  "CMakeFiles/fuzz_npy_replay.dir/tests/fuzz/fuzz_npy.c.o"
  "CMakeFiles/fuzz_npy_replay.dir/tests/fuzz/fuzz_npy.c.o.d"
  "CMakeFiles/fuzz_npy_replay.dir/tests/fuzz/replay.c.o"
  "CMakeFiles/fuzz_npy_replay.dir/tests/fuzz/replay.c.o.d"
  "fuzz_npy_replay"
  "fuzz_npy_replay.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_npy_replay.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
