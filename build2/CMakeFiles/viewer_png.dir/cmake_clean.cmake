file(REMOVE_RECURSE
  "CMakeFiles/viewer_png.dir/tests/viewer_png.c.o"
  "CMakeFiles/viewer_png.dir/tests/viewer_png.c.o.d"
  "viewer_png"
  "viewer_png.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/viewer_png.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
