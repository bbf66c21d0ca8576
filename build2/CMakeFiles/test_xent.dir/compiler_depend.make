# Empty compiler generated dependencies file for test_xent.
# This may be replaced when dependencies are built.
