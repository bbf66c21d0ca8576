file(REMOVE_RECURSE
  "CMakeFiles/parity_dump.dir/tests/parity/dump.c.o"
  "CMakeFiles/parity_dump.dir/tests/parity/dump.c.o.d"
  "parity_dump"
  "parity_dump.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parity_dump.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
