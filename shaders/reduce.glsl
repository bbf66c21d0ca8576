// Deterministic workgroup sum shared by reduce.comp, reduce_subgroup.comp and mse.comp (needs
// HB_KERNEL_1D): the partials are folded in a fixed pattern, so the same inputs give the same
// bits every run.
shared vec4 hb_part[HB_LOCAL_SIZE];

// Sum of v over the workgroup, valid in invocation 0. Every invocation must call it.
#ifdef HB_SUBGROUP_SUM
// Each subgroup sums its lanes (subgroupAdd), and the subgroups' sums are summed again by
// subgroups (subgroup s the sums s * size onwards, whatever invocations it holds) until one is
// left: a round through shared memory per factor of the subgroup size (3 at 8, 1 at 32 or 64
// for 1024 invocations) rather than the tree's 10 halvings. The order is the device's, the
// same on every run.
vec4 hb_workgroup_sum(vec4 v) {
    uint q = gl_SubgroupID * gl_SubgroupSize + gl_SubgroupInvocationID;
    barrier(); // an earlier call may still be reading hb_part
    v = subgroupAdd(v);
    if (gl_SubgroupInvocationID == 0u) hb_part[gl_SubgroupID] = v;
    for (uint live = gl_NumSubgroups; live > 1u;) {
        barrier();
        v = subgroupAdd(q < live ? hb_part[q] : vec4(0));
        barrier();
        if (gl_SubgroupInvocationID == 0u && q < live) hb_part[gl_SubgroupID] = v;
        live = (live + gl_SubgroupSize - 1u) / gl_SubgroupSize;
    }
    barrier();
    return hb_part[0];
}
#else
vec4 hb_workgroup_sum(vec4 v) {
    uint t = gl_LocalInvocationIndex;
    barrier(); // an earlier call may still be reading hb_part
    hb_part[t] = v;
    // fold the upper half onto the lower half; works for any workgroup size
    for (uint live = HB_LOCAL_SIZE; live > 1u;) {
        uint h = (live + 1u) / 2u;
        barrier();
        if (t < live - h) hb_part[t] += hb_part[t + h];
        live = h;
    }
    return hb_part[0];
}
#endif

// A running sum in two levels: terms go into a block of 256, blocks into the total, so the
// rounding error grows with 256 + terms/256 rather than with the number of terms.
struct hb_sum {
    vec4 total, block;
    uint count;
};
hb_sum hb_sum_new() { return hb_sum(vec4(0), vec4(0), 0u); }
void hb_sum_add(inout hb_sum s, vec4 v) {
    s.block += v;
    if (++s.count == 256u) {
        s.total += s.block;
        s.block = vec4(0);
        s.count = 0u;
    }
}
vec4 hb_sum_value(hb_sum s) { return s.total + s.block; }

// The four lanes of a vec4 partial, in a fixed order.
float hb_lanes_sum(vec4 s) { return (s.x + s.y) + (s.z + s.w); }
