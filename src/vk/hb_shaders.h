/* The SPIR-V modules compiled at build time (tables made by CMake, cmake/embed_spirv.cmake). */
#ifndef HB_SHADERS_H
#define HB_SHADERS_H
#include <stddef.h>

typedef struct {
    const char *name; /* file name without .comp */
    const unsigned char *code;
    size_t size;
} hb_spirv;

/* shaders/: the kernels of the ops, in every binary */
extern const hb_spirv hb_spirv_table[];
extern const int hb_spirv_count;
/* tests/shaders/: kernels only tests use, linked into the test executables alone; weak, so
 * that elsewhere they are absent (null) rather than missing */
extern const hb_spirv hb_spirv_test_table[] __attribute__((weak));
extern const int hb_spirv_test_count __attribute__((weak));

#endif
