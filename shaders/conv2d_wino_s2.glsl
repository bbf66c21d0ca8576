// Winograd F(4x4, 2x2) (points 0, 1, -1, -2 and infinity: the most accurate in float32 of the
// point sets tried, largest error 0.9e-5 of the largest output for 2x2 filters over 256
// channels, against 1.1e-5 for 0, 1, -1, 1/2 and 2.1e-5 for 0, +-1/2, 1) for the
// pooled convolutions of conv2d_s2_*.comp: 2x2 average pooling after a 3x3 convolution is a
// 4x4 convolution of stride 2, that is four 2x2 convolutions, one per phase (row and column
// parity) of the input, summed. 25 products per 16 outputs per phase: 6.25 per pooled output
// and input channel, against 9 for F(4x4, 3x3) at full resolution (36 direct).
const uint S2_MT = 4, S2_AL = 5;
const float S2_BT[5][5] = {{-2, -1, 2, 1, 0}, {0, 2, 3, 1, 0}, {0, -2, 1, 1, 0}, {0, -1, 0, 1, 0},
                           {0, -2, -1, 2, 1}};
const float S2_G[5][2] = {{-0.5, 0}, {1.0 / 6.0, 1.0 / 6.0}, {0.5, -0.5}, {-1.0 / 6.0, 1.0 / 3.0},
                          {0, 1}};
const float S2_AT[4][5] = {{1, 1, 1, 1, 0}, {0, 1, -1, -2, 0}, {0, 1, 1, 4, 0}, {0, 1, -1, -8, 1}};

// res = B^T d B of a 5x5 patch, vec4 lanes independent
void s2_transform_input(vec4 d[S2_AL][S2_AL], out vec4 res[S2_AL][S2_AL]) {
    vec4 t[S2_AL][S2_AL];
    [[unroll]] for (uint i = 0; i < S2_AL; i++)
        [[unroll]] for (uint b = 0; b < S2_AL; b++) {
            vec4 s = vec4(0);
            [[unroll]] for (uint a = 0; a < S2_AL; a++) s += S2_BT[i][a] * d[a][b];
            t[i][b] = s;
        }
    [[unroll]] for (uint i = 0; i < S2_AL; i++)
        [[unroll]] for (uint j = 0; j < S2_AL; j++) {
            vec4 s = vec4(0);
            [[unroll]] for (uint b = 0; b < S2_AL; b++) s += t[i][b] * S2_BT[j][b];
            res[i][j] = s;
        }
}

// y = A^T m A (+ bias) of the 25 GEMM results of one tile
void s2_transform_output(vec4 m[S2_AL][S2_AL], vec4 bias, out vec4 y[S2_MT][S2_MT]) {
    vec4 t[S2_MT][S2_AL];
    [[unroll]] for (uint i = 0; i < S2_MT; i++)
        [[unroll]] for (uint b = 0; b < S2_AL; b++) {
            vec4 s = vec4(0);
            [[unroll]] for (uint a = 0; a < S2_AL; a++) s += S2_AT[i][a] * m[a][b];
            t[i][b] = s;
        }
    [[unroll]] for (uint i = 0; i < S2_MT; i++)
        [[unroll]] for (uint j = 0; j < S2_MT; j++) {
            vec4 s = bias;
            [[unroll]] for (uint b = 0; b < S2_AL; b++) s += t[i][b] * S2_AT[j][b];
            y[i][j] = s;
        }
}

// 4 consecutive vec4s of row y of an H x W plane starting at element `plane` of t, from vec4
// column q (W a multiple of 4; reads clamped into the plane), as 16 floats, zero outside the
// plane or when !ok: the patches of both s2 transforms are read this way
void s2_row16(samplerBuffer t, int plane, int y, int q, uint H, uint W, bool ok,
              out float e[16]) {
    int w4 = int(W / 4u), r4 = (plane + clamp(y, 0, int(H) - 1) * int(W)) / 4;
    [[unroll]] for (int v = 0; v < 4; v++) {
        int c = q + v;
        vec4 f = texelFetch(t, r4 + clamp(c, 0, w4 - 1));
        bool in_row = ok && y >= 0 && y < int(H) && c >= 0 && c < w4;
        [[unroll]] for (uint l = 0; l < 4u; l++) e[4 * v + l] = in_row ? f[l] : 0.0;
    }
}
