# Empty compiler generated dependencies file for nrt.
# This may be replaced when dependencies are built.
