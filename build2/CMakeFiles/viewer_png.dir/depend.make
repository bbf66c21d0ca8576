# Empty dependencies file for viewer_png.
# This may be replaced when dependencies are built.
