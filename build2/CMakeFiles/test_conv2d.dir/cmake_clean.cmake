file(REMOVE_RECURSE
  "CMakeFiles/test_conv2d.dir/tests/test_conv2d.c.o"
  "CMakeFiles/test_conv2d.dir/tests/test_conv2d.c.o.d"
  "test_conv2d"
  "test_conv2d.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_conv2d.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
