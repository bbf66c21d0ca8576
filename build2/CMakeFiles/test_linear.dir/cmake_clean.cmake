file(REMOVE_RECURSE
  "CMakeFiles/test_linear.dir/tests/test_linear.c.o"
  "CMakeFiles/test_linear.dir/tests/test_linear.c.o.d"
  "test_linear"
  "test_linear.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_linear.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
