file(REMOVE_RECURSE
  "CMakeFiles/fuzz_config_replay.dir/tests/fuzz/fuzz_config.c.o"
  "CMakeFiles/fuzz_config_replay.dir/tests/fuzz/fuzz_config.c.o.d"
  "CMakeFiles/fuzz_config_replay.dir/tests/fuzz/replay.c.o"
  "CMakeFiles/fuzz_config_replay.dir/tests/fuzz/replay.c.o.d"
  "fuzz_config_replay"
  "fuzz_config_replay.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_config_replay.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
