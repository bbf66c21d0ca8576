# Empty dependencies file for hatebm_core.
# This may be replaced when dependencies are built.
