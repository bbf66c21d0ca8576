/* The SPIR-V modules compiled from the shaders/ folder at build time (table made by CMake). */
#ifndef HB_SHADERS_H
#define HB_SHADERS_H
#include <stddef.h>

typedef struct {
    const char *name; /* file name without .comp */
    const unsigned char *code;
    size_t size;
} hb_spirv;

extern const hb_spirv hb_spirv_table[];
extern const int hb_spirv_count;

#endif
