file(REMOVE_RECURSE
  "CMakeFiles/inception_dump.dir/tests/parity/inception_dump.c.o"
  "CMakeFiles/inception_dump.dir/tests/parity/inception_dump.c.o.d"
  "inception_dump"
  "inception_dump.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/inception_dump.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
