file(REMOVE_RECURSE
  "CMakeFiles/test_eltwise.dir/tests/test_eltwise.c.o"
  "CMakeFiles/test_eltwise.dir/tests/test_eltwise.c.o.d"
  "test_eltwise"
  "test_eltwise.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_eltwise.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
