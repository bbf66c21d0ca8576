file(REMOVE_RECURSE
  "CMakeFiles/hatebm-view.dir/viewer/attach.c.o"
  "CMakeFiles/hatebm-view.dir/viewer/attach.c.o.d"
  "CMakeFiles/hatebm-view.dir/viewer/main.c.o"
  "CMakeFiles/hatebm-view.dir/viewer/main.c.o.d"
  "CMakeFiles/hatebm-view.dir/viewer/render.c.o"
  "CMakeFiles/hatebm-view.dir/viewer/render.c.o.d"
  "hatebm-view"
  "hatebm-view.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/hatebm-view.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
