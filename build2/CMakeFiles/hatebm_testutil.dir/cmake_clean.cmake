file(REMOVE_RECURSE
  "CMakeFiles/hatebm_testutil.dir/tests/testutil.c.o"
  "CMakeFiles/hatebm_testutil.dir/tests/testutil.c.o.d"
  "libhatebm_testutil.a"
  "libhatebm_testutil.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/hatebm_testutil.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
