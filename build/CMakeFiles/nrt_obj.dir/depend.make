# Empty dependencies file for nrt_obj.
# This may be replaced when dependencies are built.
