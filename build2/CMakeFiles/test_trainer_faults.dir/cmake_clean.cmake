file(REMOVE_RECURSE
  "CMakeFiles/test_trainer_faults.dir/tests/test_trainer_faults.c.o"
  "CMakeFiles/test_trainer_faults.dir/tests/test_trainer_faults.c.o.d"
  "test_trainer_faults"
  "test_trainer_faults.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_trainer_faults.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
