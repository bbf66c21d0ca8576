file(REMOVE_RECURSE
  "libhatebm_testutil.a"
)
