/* stb_image's implementation for the folder harness, built with the fuzzer's sanitizers (the
 * trainer links Debian's libstb, built from the same header). */
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
