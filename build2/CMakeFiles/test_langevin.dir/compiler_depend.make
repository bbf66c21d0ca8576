# Empty compiler generated dependencies file for test_langevin.
# This may be replaced when dependencies are built.
