# Writes OUT: a C file holding every SPIR-V module in SPVS as a uint32 array, plus a
# name -> bytes table TABLE_table of TABLE_count entries (src/vk/hb_shaders.h), so the binaries
# carry their shaders and run from any directory.
set(body "#include \"vk/hb_shaders.h\"\n")
set(table "const hb_spirv ${TABLE}_table[] = {\n")
set(count 0)
foreach(spv ${SPVS})
  get_filename_component(name ${spv} NAME_WE)
  file(READ ${spv} hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR nbytes "${hexlen} / 2")
  # SPIR-V is little-endian words; emit bytes and let the array be 4-byte aligned.
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND body "static const unsigned char spv_${name}[] __attribute__((aligned(4))) = {${bytes}};\n")
  string(APPEND table "  {\"${name}\", spv_${name}, ${nbytes}},\n")
  math(EXPR count "${count} + 1")
endforeach()
string(APPEND table "};\nconst int ${TABLE}_count = ${count};\n")
file(WRITE ${OUT}.tmp "${body}${table}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
