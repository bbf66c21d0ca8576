file(REMOVE_RECURSE
  "CMakeFiles/test_mse.dir/tests/test_mse.c.o"
  "CMakeFiles/test_mse.dir/tests/test_mse.c.o.d"
  "test_mse"
  "test_mse.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_mse.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
