file(REMOVE_RECURSE
  "libnrt_static.a"
)
