file(REMOVE_RECURSE
  "libhatebm_core.a"
)
