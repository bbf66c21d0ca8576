// Winograd F(MT x MT, 3x3) transform matrices (Lavin and Gray 2016), MT = 2 or 4 as the
// specialisation constant MT, alpha = MT + 2 points per axis. F(2,3) entries sit in the top
// left corner of 6x6 arrays so both share one indexing; zeros fold away once MT is known.
// F(4,3) uses the points 0, 1, -1, 1/2, -2 and infinity: its largest error is 2.5x below
// that of the usual 0, +-1, +-2 (simulated in float32 against a double reference, 64
// channels; Barabasz et al. 2020 found the same), which test_conv2d's tolerance needs.
const uint AL = MT + 2u;
const float BT4[6][6] = {{1, -1.5, -2, 1.5, 1, 0},
                         {0, -1.0 / 3.0, 1.0 / 6.0, 5.0 / 6.0, 1.0 / 3.0, 0},
                         {0, -1.0 / 3.0, 5.0 / 6.0, -1.0 / 6.0, -1.0 / 3.0, 0},
                         {0, 32.0 / 15.0, 16.0 / 15.0, -32.0 / 15.0, -16.0 / 15.0, 0},
                         {0, 1.0 / 30.0, -1.0 / 15.0, -1.0 / 30.0, 1.0 / 15.0, 0},
                         {0, 1, -1.5, -2, 1.5, 1}};
const float G4[6][3] = {{1, 0, 0}, {1, 1, 1}, {1, -1, 1}, {1, 0.5, 0.25}, {1, -2, 4}, {0, 0, 1}};
const float AT4[4][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 0.5, -2, 0}, {0, 1, 1, 0.25, 4, 0},
                         {0, 1, -1, 0.125, -8, 1}};
const float BT2[6][6] = {{1, 0, -1, 0, 0, 0}, {0, 1, 1, 0, 0, 0}, {0, -1, 1, 0, 0, 0},
                         {0, 1, 0, -1, 0, 0}, {0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0}};
const float G2[6][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}, {0, 0, 0}, {0, 0, 0}};
const float AT2[4][6] = {{1, 1, 1, 0, 0, 0}, {0, 1, -1, -1, 0, 0}, {0, 0, 0, 0, 0, 0},
                         {0, 0, 0, 0, 0, 0}};
float wino_bt(uint i, uint j) { return MT == 4u ? BT4[i][j] : BT2[i][j]; }
float wino_g(uint i, uint j) { return MT == 4u ? G4[i][j] : G2[i][j]; }
float wino_at(uint i, uint j) { return MT == 4u ? AT4[i][j] : AT2[i][j]; }
