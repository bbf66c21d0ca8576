# Empty compiler generated dependencies file for inception_dump.
# This may be replaced when dependencies are built.
