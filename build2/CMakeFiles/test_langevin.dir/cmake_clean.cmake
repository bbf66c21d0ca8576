file(REMOVE_RECURSE
  "CMakeFiles/test_langevin.dir/tests/test_langevin.c.o"
  "CMakeFiles/test_langevin.dir/tests/test_langevin.c.o.d"
  "test_langevin"
  "test_langevin.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_langevin.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
