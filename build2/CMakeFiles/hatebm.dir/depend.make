# Empty dependencies file for hatebm.
# This may be replaced when dependencies are built.
