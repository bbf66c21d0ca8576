file(REMOVE_RECURSE
  "CMakeFiles/test_pool2d.dir/tests/test_pool2d.c.o"
  "CMakeFiles/test_pool2d.dir/tests/test_pool2d.c.o.d"
  "test_pool2d"
  "test_pool2d.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_pool2d.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
