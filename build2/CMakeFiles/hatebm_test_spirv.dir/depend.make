# Empty dependencies file for hatebm_test_spirv.
# This may be replaced when dependencies are built.
