#version 450
#extension GL_GOOGLE_include_directive : require
// Softmax cross-entropy per row (src/ops/xent.c): one invocation per sample reads its C logits
// and its label (a class index held as a float), and writes loss = -log softmax(logits)[label],
// correct = 1 when the arg-max is the label, and grad = scale * (softmax - onehot(label)).
// Classifier heads have few classes, so a row per invocation keeps it simple and exact.
#define HB_KERNEL_1D
#include "common.glsl"

layout(binding = 0) uniform samplerBuffer Logits;
layout(binding = 1) uniform samplerBuffer Labels;
layout(binding = 2) uniform writeonly imageBuffer Grad;
layout(binding = 3) uniform writeonly imageBuffer Loss;
layout(binding = 4) uniform writeonly imageBuffer Correct;

layout(push_constant) uniform PC {
    uint N, C;
    uint logits_off, labels_off, grad_off, loss_off, correct_off;
    uint want_grad;
    float scale;
};

void main() {
    uint n = hb_global_index();
    if (n >= N) return;
    uint row = logits_off + n * C;
    int label = clamp(int(texelFetch(Labels, int(labels_off + n)).x), 0, int(C) - 1); // in range: callers check
    float top = texelFetch(Logits, int(row)).x;
    uint arg = 0u;
    for (uint c = 1u; c < C; c++) {
        float v = texelFetch(Logits, int(row + c)).x;
        if (v > top) top = v, arg = c;
    }
    float sum = 0.0;
    for (uint c = 0u; c < C; c++) sum += exp(texelFetch(Logits, int(row + c)).x - top);
    float at_label = texelFetch(Logits, int(row + uint(label))).x;
    imageStore(Loss, int(loss_off + n), vec4(log(sum) - (at_label - top)));
    imageStore(Correct, int(correct_off + n), vec4(arg == uint(label) ? 1.0 : 0.0));
    if (want_grad == 0u) return;
    for (uint c = 0u; c < C; c++) {
        float p = exp(texelFetch(Logits, int(row + c)).x - top) / sum;
        imageStore(Grad, int(grad_off + n * C + c), vec4(scale * (p - (c == uint(label) ? 1.0 : 0.0))));
    }
}
