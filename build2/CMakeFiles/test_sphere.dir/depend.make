# Empty dependencies file for test_sphere.
# This may be replaced when dependencies are built.
