# Empty compiler generated dependencies file for test_conv2d_general.
# This may be replaced when dependencies are built.
