file(REMOVE_RECURSE
  "CMakeFiles/test_upsample.dir/tests/test_upsample.c.o"
  "CMakeFiles/test_upsample.dir/tests/test_upsample.c.o.d"
  "test_upsample"
  "test_upsample.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_upsample.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
