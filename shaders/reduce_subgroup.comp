#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
// reduce.comp with the workgroup sum by subgroup operations (reduce.glsl): the gpu kernel
// profile's, where the device's compute shaders have subgroupAdd (hb_tuning.subgroup_reduce).
#define HB_KERNEL_1D
#define HB_SUBGROUP_SUM
#include "common.glsl"
#include "reduce.glsl"
#include "reduce_main.glsl"
