# Empty compiler generated dependencies file for test_pool2d.
# This may be replaced when dependencies are built.
