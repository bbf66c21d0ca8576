# Empty dependencies file for test_upsample.
# This may be replaced when dependencies are built.
