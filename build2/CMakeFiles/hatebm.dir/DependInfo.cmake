
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/cli/bench.c" "CMakeFiles/hatebm.dir/src/cli/bench.c.o" "gcc" "CMakeFiles/hatebm.dir/src/cli/bench.c.o.d"
  "/work/main/src/cli/fid.c" "CMakeFiles/hatebm.dir/src/cli/fid.c.o" "gcc" "CMakeFiles/hatebm.dir/src/cli/fid.c.o.d"
  "/work/main/src/cli/imageset.c" "CMakeFiles/hatebm.dir/src/cli/imageset.c.o" "gcc" "CMakeFiles/hatebm.dir/src/cli/imageset.c.o.d"
  "/work/main/src/cli/main.c" "CMakeFiles/hatebm.dir/src/cli/main.c.o" "gcc" "CMakeFiles/hatebm.dir/src/cli/main.c.o.d"
  "/work/main/src/cli/ood.c" "CMakeFiles/hatebm.dir/src/cli/ood.c.o" "gcc" "CMakeFiles/hatebm.dir/src/cli/ood.c.o.d"
  "/work/main/src/cli/plan.c" "CMakeFiles/hatebm.dir/src/cli/plan.c.o" "gcc" "CMakeFiles/hatebm.dir/src/cli/plan.c.o.d"
  "/work/main/src/cli/sample.c" "CMakeFiles/hatebm.dir/src/cli/sample.c.o" "gcc" "CMakeFiles/hatebm.dir/src/cli/sample.c.o.d"
  "/work/main/src/cli/selfcheck.c" "CMakeFiles/hatebm.dir/src/cli/selfcheck.c.o" "gcc" "CMakeFiles/hatebm.dir/src/cli/selfcheck.c.o.d"
  "/work/main/src/cli/train.c" "CMakeFiles/hatebm.dir/src/cli/train.c.o" "gcc" "CMakeFiles/hatebm.dir/src/cli/train.c.o.d"
  "/work/main/src/cli/train_classifier.c" "CMakeFiles/hatebm.dir/src/cli/train_classifier.c.o" "gcc" "CMakeFiles/hatebm.dir/src/cli/train_classifier.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build2/CMakeFiles/hatebm_core.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
