# Empty dependencies file for hatebm-view.
# This may be replaced when dependencies are built.
