# Empty dependencies file for nrt_static.
# This may be replaced when dependencies are built.
