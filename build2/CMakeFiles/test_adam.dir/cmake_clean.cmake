file(REMOVE_RECURSE
  "CMakeFiles/test_adam.dir/tests/test_adam.c.o"
  "CMakeFiles/test_adam.dir/tests/test_adam.c.o.d"
  "test_adam"
  "test_adam.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_adam.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
