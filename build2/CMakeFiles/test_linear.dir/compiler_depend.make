# Empty compiler generated dependencies file for test_linear.
# This may be replaced when dependencies are built.
