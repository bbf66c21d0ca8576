file(REMOVE_RECURSE
  "CMakeFiles/fuzz_npz_replay.dir/tests/fuzz/fuzz_npz.c.o"
  "CMakeFiles/fuzz_npz_replay.dir/tests/fuzz/fuzz_npz.c.o.d"
  "CMakeFiles/fuzz_npz_replay.dir/tests/fuzz/replay.c.o"
  "CMakeFiles/fuzz_npz_replay.dir/tests/fuzz/replay.c.o.d"
  "fuzz_npz_replay"
  "fuzz_npz_replay.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_npz_replay.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
