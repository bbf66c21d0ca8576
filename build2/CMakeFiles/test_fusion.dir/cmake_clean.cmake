file(REMOVE_RECURSE
  "CMakeFiles/test_fusion.dir/tests/test_fusion.c.o"
  "CMakeFiles/test_fusion.dir/tests/test_fusion.c.o.d"
  "test_fusion"
  "test_fusion.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_fusion.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
