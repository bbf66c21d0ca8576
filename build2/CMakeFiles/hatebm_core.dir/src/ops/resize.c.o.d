CMakeFiles/hatebm_core.dir/src/ops/resize.c.o: \
 /work/main/src/ops/resize.c /usr/include/stdc-predef.h \
 /work/main/src/ops/op_common.h /work/main/src/ops/ops.h \
 /work/main/src/vk/hb_vk.h \
 /usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h \
 /usr/lib/gcc/x86_64-linux-gnu/12/include/stdint.h /usr/include/stdint.h \
 /usr/include/x86_64-linux-gnu/bits/libc-header-start.h \
 /usr/include/features.h /usr/include/features-time64.h \
 /usr/include/x86_64-linux-gnu/bits/wordsize.h \
 /usr/include/x86_64-linux-gnu/bits/timesize.h \
 /usr/include/x86_64-linux-gnu/sys/cdefs.h \
 /usr/include/x86_64-linux-gnu/bits/long-double.h \
 /usr/include/x86_64-linux-gnu/gnu/stubs.h \
 /usr/include/x86_64-linux-gnu/gnu/stubs-64.h \
 /usr/include/x86_64-linux-gnu/bits/types.h \
 /usr/include/x86_64-linux-gnu/bits/typesizes.h \
 /usr/include/x86_64-linux-gnu/bits/time64.h \
 /usr/include/x86_64-linux-gnu/bits/wchar.h \
 /usr/include/x86_64-linux-gnu/bits/stdint-intn.h \
 /usr/include/x86_64-linux-gnu/bits/stdint-uintn.h \
 /usr/include/vulkan/vulkan.h /usr/include/vulkan/vk_platform.h \
 /usr/include/vulkan/vulkan_core.h \
 /usr/include/vk_video/vulkan_video_codec_h264std.h \
 /usr/include/vk_video/vulkan_video_codec_h264std_decode.h \
 /usr/include/vk_video/vulkan_video_codec_h265std.h \
 /usr/include/vk_video/vulkan_video_codec_h265std_decode.h \
 /work/main/src/base/base.h
