/* The general-geometry convolution (any kernel size, stride, padding; a channel range of the
 * output), called by src/ops/conv2d.c's entry points when a descriptor asks for it. */
#ifndef HB_CONV2D_GENERAL_H
#define HB_CONV2D_GENERAL_H

#include "ops/ops.h"

/* 1 when d sets a general geometry or a channel range (kh > 0 or out_c_total > 0) */
int hb_conv2d_is_general(const hb_conv2d_desc *d);
int hb_conv2d_general_supports(const hb_conv2d_desc *d, hb_conv2d_pass pass);
/* prepared: HB_NONE, or the weights hb_conv2d_general_prepare rearranged (faster) */
void hb_conv2d_general_forward(hb_cmd *cmd, const hb_conv2d_desc *d, hb_tensor out, hb_tensor in,
                               hb_tensor w, hb_tensor b, hb_tensor prepared);
void hb_conv2d_general_prepare(hb_cmd *cmd, const hb_conv2d_desc *d, hb_tensor w,
                               hb_tensor *prepared);

#endif
