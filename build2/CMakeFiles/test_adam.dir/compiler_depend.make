# Empty compiler generated dependencies file for test_adam.
# This may be replaced when dependencies are built.
