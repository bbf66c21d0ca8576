# Empty compiler generated dependencies file for test_eltwise.
# This may be replaced when dependencies are built.
