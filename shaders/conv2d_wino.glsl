// Winograd F(4x4, 3x3) transform matrices (Lavin and Gray 2016): MT x MT outputs per tile
// from AL x AL inputs. The points 0, 1, -1, 1/2, -2 and infinity: the largest error is 2.5x
// below that of the usual 0, +-1, +-2 (simulated in float32 against a double reference, 64
// channels; Barabasz et al. 2020 found the same), which test_conv2d's tolerance needs.
// (F(2x2, 3x3) was no faster than the direct kernel on lavapipe.)
const uint MT = 4, AL = MT + 2u;
const float BT4[6][6] = {{1, -1.5, -2, 1.5, 1, 0},
                         {0, -1.0 / 3.0, 1.0 / 6.0, 5.0 / 6.0, 1.0 / 3.0, 0},
                         {0, -1.0 / 3.0, 5.0 / 6.0, -1.0 / 6.0, -1.0 / 3.0, 0},
                         {0, 32.0 / 15.0, 16.0 / 15.0, -32.0 / 15.0, -16.0 / 15.0, 0},
                         {0, 1.0 / 30.0, -1.0 / 15.0, -1.0 / 30.0, 1.0 / 15.0, 0},
                         {0, 1, -1.5, -2, 1.5, 1}};
const float G4[6][3] = {{1, 0, 0}, {1, 1, 1}, {1, -1, 1}, {1, 0.5, 0.25}, {1, -2, 4}, {0, 0, 1}};
const float AT4[4][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 0.5, -2, 0}, {0, 1, 1, 0.25, 4, 0},
                         {0, 1, -1, 0.125, -8, 1}};
float wino_bt(uint i, uint j) { return BT4[i][j]; }
float wino_g(uint i, uint j) { return G4[i][j]; }
float wino_at(uint i, uint j) { return AT4[i][j]; }
