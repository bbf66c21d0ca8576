# Empty dependencies file for test_resize.
# This may be replaced when dependencies are built.
