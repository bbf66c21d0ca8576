file(REMOVE_RECURSE
  "CMakeFiles/test_sphere.dir/tests/test_sphere.c.o"
  "CMakeFiles/test_sphere.dir/tests/test_sphere.c.o.d"
  "test_sphere"
  "test_sphere.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_sphere.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
