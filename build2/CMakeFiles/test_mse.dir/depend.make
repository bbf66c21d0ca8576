# Empty dependencies file for test_mse.
# This may be replaced when dependencies are built.
