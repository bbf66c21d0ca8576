file(REMOVE_RECURSE
  "CMakeFiles/hatebm_test_spirv.dir/hb_spirv_test_table.c.o"
  "CMakeFiles/hatebm_test_spirv.dir/hb_spirv_test_table.c.o.d"
  "hb_spirv_test_table.c"
  "spv/hb_spirv_test/iota.spv"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/hatebm_test_spirv.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
