file(REMOVE_RECURSE
  "CMakeFiles/fuzz_idx_replay.dir/tests/fuzz/fuzz_idx.c.o"
  "CMakeFiles/fuzz_idx_replay.dir/tests/fuzz/fuzz_idx.c.o.d"
  "CMakeFiles/fuzz_idx_replay.dir/tests/fuzz/replay.c.o"
  "CMakeFiles/fuzz_idx_replay.dir/tests/fuzz/replay.c.o.d"
  "fuzz_idx_replay"
  "fuzz_idx_replay.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_idx_replay.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
