file(REMOVE_RECURSE
  "CMakeFiles/test_conv2d_general.dir/tests/test_conv2d_general.c.o"
  "CMakeFiles/test_conv2d_general.dir/tests/test_conv2d_general.c.o.d"
  "test_conv2d_general"
  "test_conv2d_general.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_conv2d_general.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
