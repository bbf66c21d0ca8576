file(REMOVE_RECURSE
  "CMakeFiles/fuzz_safetensors_replay.dir/tests/fuzz/fuzz_safetensors.c.o"
  "CMakeFiles/fuzz_safetensors_replay.dir/tests/fuzz/fuzz_safetensors.c.o.d"
  "CMakeFiles/fuzz_safetensors_replay.dir/tests/fuzz/replay.c.o"
  "CMakeFiles/fuzz_safetensors_replay.dir/tests/fuzz/replay.c.o.d"
  "fuzz_safetensors_replay"
  "fuzz_safetensors_replay.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_safetensors_replay.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
