# Empty compiler generated dependencies file for parity_dump.
# This may be replaced when dependencies are built.
