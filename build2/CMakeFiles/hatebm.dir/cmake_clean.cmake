file(REMOVE_RECURSE
  "CMakeFiles/hatebm.dir/src/cli/bench.c.o"
  "CMakeFiles/hatebm.dir/src/cli/bench.c.o.d"
  "CMakeFiles/hatebm.dir/src/cli/fid.c.o"
  "CMakeFiles/hatebm.dir/src/cli/fid.c.o.d"
  "CMakeFiles/hatebm.dir/src/cli/imageset.c.o"
  "CMakeFiles/hatebm.dir/src/cli/imageset.c.o.d"
  "CMakeFiles/hatebm.dir/src/cli/main.c.o"
  "CMakeFiles/hatebm.dir/src/cli/main.c.o.d"
  "CMakeFiles/hatebm.dir/src/cli/ood.c.o"
  "CMakeFiles/hatebm.dir/src/cli/ood.c.o.d"
  "CMakeFiles/hatebm.dir/src/cli/plan.c.o"
  "CMakeFiles/hatebm.dir/src/cli/plan.c.o.d"
  "CMakeFiles/hatebm.dir/src/cli/sample.c.o"
  "CMakeFiles/hatebm.dir/src/cli/sample.c.o.d"
  "CMakeFiles/hatebm.dir/src/cli/selfcheck.c.o"
  "CMakeFiles/hatebm.dir/src/cli/selfcheck.c.o.d"
  "CMakeFiles/hatebm.dir/src/cli/train.c.o"
  "CMakeFiles/hatebm.dir/src/cli/train.c.o.d"
  "CMakeFiles/hatebm.dir/src/cli/train_classifier.c.o"
  "CMakeFiles/hatebm.dir/src/cli/train_classifier.c.o.d"
  "hatebm"
  "hatebm.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/hatebm.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
