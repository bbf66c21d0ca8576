file(REMOVE_RECURSE
  "CMakeFiles/test_eval.dir/tests/test_eval.c.o"
  "CMakeFiles/test_eval.dir/tests/test_eval.c.o.d"
  "test_eval"
  "test_eval.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_eval.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
