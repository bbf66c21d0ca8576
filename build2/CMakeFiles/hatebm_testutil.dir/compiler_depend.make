# Empty compiler generated dependencies file for hatebm_testutil.
# This may be replaced when dependencies are built.
