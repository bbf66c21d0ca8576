CMakeFiles/hatebm_test_spirv.dir/hb_spirv_test_table.c.o: \
 /work/main/build2/hb_spirv_test_table.c /usr/include/stdc-predef.h \
 /work/main/src/vk/hb_shaders.h \
 /usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h
