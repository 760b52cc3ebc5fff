"""The papers' published numbers, as data (rank-1 / mAP in percent).

Sources: MPM-LTL Table 1 (Market-1501), MaskReID Tables 1-4, MGCAM Tables 2-3
(MARS), SemParts Tables 1-4. ``None`` marks a cell the paper leaves empty.
Each entry maps a row label (the labels of ``reidlib.engine.rows.ROWS``) to a dict of
``"<protocol> <metric>"`` -> value.
"""
from __future__ import annotations

from typing import Optional

Num = Optional[float]


def _rows(cols: list[str], table: dict[str, list[Num]]) -> dict[str, dict[str, Num]]:
    return {row: dict(zip(cols, vals)) for row, vals in table.items()}


_SQMQ = ["SQ R1", "SQ mAP", "MQ R1", "MQ mAP", "SQ+RR R1", "SQ+RR mAP", "MQ+RR R1", "MQ+RR mAP"]

#: MPM-LTL Table 1: ablation on Market-1501, rows (1)-(7)
E2_MPM_ABLATION = _rows(_SQMQ, {
    "(1) baseline RGB": [86.55, 69.07, 91.48, 77.57, 88.39, 82.50, 92.93, 88.57],
    "(2) + mask (conv)": [88.45, 69.87, 91.86, 77.70, 90.29, 84.56, 92.84, 88.29],
    "(3) + mask (bilinear)": [88.66, 70.86, 93.20, 78.57, 90.56, 84.88, 93.29, 88.84],
    "(4) + mask pooling": [89.82, 73.67, 93.29, 80.31, 92.10, 86.30, 94.21, 89.90],
    "(5) + global triplet": [90.59, 75.35, 94.03, 81.96, 92.73, 87.60, 94.83, 91.16],
    "(6) + local triplet": [92.87, 79.53, 94.83, 85.27, 94.30, 90.94, 95.72, 93.31],
    "(7) + TriHard (full MPM-LTL)": [93.38, 80.45, 95.40, 86.47, 94.39, 91.39, 95.72, 93.76],
})

#: MGCAM Table 2 (MARS, XQDA): input kinds
E1_INPUT_KINDS = _rows(["R1", "mAP"], {
    "MSCAN RGB": [69.70, 52.41], "MSCAN Mask": [29.34, 12.83], "MSCAN Masked RGB": [68.13, 51.49],
    "MSCAN RGB-M": [71.26, 55.44], "MGCAM hard": [70.40, 54.27], "MGCAM RGB": [72.83, 57.39],
    "MGCAM RGB-M": [74.19, 59.13],
})

#: MaskReID Tables 2-3: losses on Market-1501 (SQ, MQ) and Duke (SQ)
E6_LOSSES = _rows(["SQ R1", "SQ mAP", "MQ R1", "MQ mAP", "Duke R1", "Duke mAP"], {
    "softmax": [88.18, 70.57, 91.48, 78.06, 78.01, 59.08],
    "triplet": [85.30, 65.84, 90.71, 74.71, None, None],
    "ranking": [90.02, 75.30, 93.32, 82.29, 78.86, 61.89],
    "ranking + RR": [92.04, 88.03, 94.18, 91.94, 84.07, 79.73],
})

#: MaskReID Table 4 (Market-1501): ranking loss alpha x lambda, (R1, mAP)
E7_RANKING_GRID = {
    (0.1, 0): (89.79, 72.78), (0.1, 1): (89.85, 74.97), (0.1, 2): (90.05, 75.12),
    (0.1, 5): (89.90, 75.23), (0.1, 10): (89.88, 74.90),
    (0.15, 0): (89.76, 72.71), (0.15, 1): (89.93, 75.22), (0.15, 2): (90.02, 75.30),
    (0.15, 5): (89.88, 75.04), (0.15, 10): (89.22, 74.42),
}

#: MaskReID Table 1: rank-1 of base (DGD), M and MF
E8_FUSION = _rows(["VIPeR", "PRID", "3DPeS", "iLIDS", "CUHK01", "CUHK03"], {
    "base (DGD)": [38.6, 64.0, 56.0, 64.6, 66.6, 75.3],
    "M (original + masked image)": [44.62, 65.00, 66.12, 69.57, 84.26, 88.75],
    "MF (both + fusion)": [45.57, 70.00, 68.60, 70.43, 84.05, 92.25],
})

#: E13 (real pixels): MaskReID Table 1's CUHK01 rank-1, and MPM-LTL Table 1's Market-1501 rows
#: (1), (4), (7) (the paper has no CUHK01 numbers: shown for the ordering only)
E13_REAL_PIXELS = {
    "MaskReID base": {"CUHK01 R1": 66.6}, "MaskReID M": {"CUHK01 R1": 84.26},
    "MaskReID MF": {"CUHK01 R1": 84.05},
    **{f"MPM-LTL {row}": {"Market SQ R1": E2_MPM_ABLATION[row]["SQ R1"]}
       for row in ("(1) baseline RGB", "(4) + mask pooling", "(7) + TriHard (full MPM-LTL)")},
}

#: MGCAM Table 3 (MARS, RGB-M): distance metrics, (R1, mAP) per metric
E9_DISTANCES = _rows(["Euclidean R1", "Euclidean mAP", "KISSME R1", "KISSME mAP", "XQDA R1", "XQDA mAP",
                      "RR R1", "RR mAP"], {
    "MSCAN": [71.21, 54.92, 67.22, 47.47, 71.26, 55.44, 72.32, 66.01],
    "MGCAM": [74.29, 59.59, 70.96, 51.26, 74.19, 59.13, 76.01, 70.13],
    "MGCAM + Siamese": [75.66, 61.29, 72.42, 53.13, 75.35, 60.34, 77.17, 71.17],
})

#: SemParts Tables 1-4: cross-domain R1/R5/R10/mAP
E10_CROSS_DOMAIN = _rows(["->Market R1", "->Market R5", "->Market R10", "->Market mAP",
                          "->Duke R1", "->Duke R5", "->Duke R10", "->Duke mAP"], {
    "ECN": [75.1, 87.6, 91.6, 43.0, 63.3, 75.8, 80.4, 40.4],
    "ECN + parts": [77.6, 88.4, 91.9, 44.8, 65.7, 77.9, 81.8, 42.3],
})

#: MPM-LTL Fig. 7: best mask-pooling threshold per data set
E3_BEST_THRESHOLD = {"Market-1501": [0.4], "DukeMTMC-reID": [0.5], "CUHK03 old": [0.5, 0.6],
                     "CUHK03 new": [0.4, 0.5]}
E3_BEST_GROUP = "0.4-0.7"

#: MPM-LTL Fig. 6: best part count
E4_BEST_K = 6
#: MPM-LTL Fig. 9: triplet selection, best first
E5_ORDER = ["mask-guided TriHard", "batch hard", "random"]
