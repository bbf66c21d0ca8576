file(REMOVE_RECURSE
  "CMakeFiles/fuzz_folder_replay.dir/tests/fuzz/fuzz_folder.c.o"
  "CMakeFiles/fuzz_folder_replay.dir/tests/fuzz/fuzz_folder.c.o.d"
  "CMakeFiles/fuzz_folder_replay.dir/tests/fuzz/replay.c.o"
  "CMakeFiles/fuzz_folder_replay.dir/tests/fuzz/replay.c.o.d"
  "fuzz_folder_replay"
  "fuzz_folder_replay.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_folder_replay.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
