# %% [markdown]
# # E13 — Real pixels: CUHK01 (MaskReID Table 1, MPM-LTL Table 1 rows 1, 4, 7)
#
# **Paper's claims.**
# - MaskReID Table 1, CUHK01 column (rank-1): the masked image as an additional input (M) beats
#   the RGB base network (66.6 -> 84.26). Fusion (MF) does not add on CUHK01 (84.05).
# - MPM-LTL Table 1 (Market-1501 only): mask pooling (4) beats the RGB baseline (1), and the
#   full MPM-LTL (7) beats (4).
#
# **What runs here.** The rows of `reidlib.study.rows.ROWS["E13"]` on the real CUHK01 images
# (`reidlib.study.real_pixels`).
# - Backbone: an ImageNet EfficientNet-Lite0 in every row, not the papers' backbones: on 2 CPU
#   cores small models from scratch learn nothing on real crops, and Lite0 is the ImageNet
#   network that installs offline.
# - Masks: extracted by `segmenter` (CUHK01 ships none).
# - Protocol: 485 / 486 identities (split seed 0); query = the camera-A images, gallery = the
#   camera-B images; single-query rank-1 / mAP; repeats = the profile's seeds.
# - The smoke profile trains on 16 identities for seconds: a check that the arm runs, not a
#   result. When CUHK01 is not found the arm is skipped with a note (the data set is given on
#   request by its owners; see the README).

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "E13_real_pixels")

# %% tags=["parameters"]
profile = "smoke"           # smoke | quick | full | paper
seeds = None                # None: the profile's seeds, or e.g. [0, 1, 2]
cuhk01_root = None          # None: ../shared/data/cuhk01 or $REIDLIB_DATA/cuhk01
cuhk01_split = None         # None: the profile's ("485/486"; smoke 8/8 of 16 ids); DGD's: "871/100"
segmenter = "reidlib_fcn"   # mask extractor of reidlib.masks.SEGMENTERS
overrides = {}              # engine overrides for every row, e.g. {"profile.epochs": 4}

# %%
import pandas as pd

from reidlib.study.figures import save_figure
from reidlib.study.notebook_params import RealPixelParams
from reidlib.study.plots import bar_rows
from reidlib.study.real_pixels import CLAIMS, SKIPPED, arm_rows, arm_table, default_root
from reidlib.study.rows import ROWS
from reidlib.study.verdict import headline, ordering_verdicts

params = nb.params(RealPixelParams)
root = params.cuhk01_root or default_root()
skipped = SKIPPED.get(params.profile) if root is not None else (
    "CUHK01 not found (../shared/data/cuhk01, $REIDLIB_DATA/cuhk01): pass -p cuhk01_root /path/to/cuhk01")
if skipped:
    print(f"the real-pixel arm is skipped: {skipped}")
    rows, tidy = {}, pd.DataFrame(columns=["row", "seed", "sq/rank1", "sq/mAP"])
else:
    rows = arm_rows(ROWS["E13"], params.profile, root, params.cuhk01_split, params.segmenter, params.overrides)
    tidy = nb.run(rows)

# %% [markdown]
# ## The rows, here and in the papers
#
# Each cell: ours on CUHK01, mean ± std over seeds, in %; in brackets the paper's number
# (MaskReID: CUHK01 rank-1; MPM-LTL: Market-1501, shown for the ordering only).

# %%
table = arm_table(tidy, list(rows))
print(table.to_string(index=False))

# %% [markdown]
# ## Do the papers' orderings hold on real pixels? (paired over seeds)
#
# MaskReID: base < M (the masked input), M vs MF (the paper: no gain on CUHK01).
# MPM-LTL: (1) < (4) < (7).

# %%
verdicts = ordering_verdicts(tidy, CLAIMS, metric="sq/rank1") if rows else pd.DataFrame()
verdicts_map = ordering_verdicts(tidy, CLAIMS, metric="sq/mAP") if rows else pd.DataFrame()
if rows:
    print(verdicts.to_string(index=False))
    print(verdicts_map.to_string(index=False))
verdict = f"rank-1: {headline(verdicts)} mAP: {headline(verdicts_map)}" if rows else f"skipped: {skipped}"
print(verdict)

# %%
figures = []
if rows:
    fig = bar_rows(tidy, ["sq/rank1", "sq/mAP"], title=f"E13 CUHK01, real pixels ({params.profile})", order=list(rows))
    name = nb.figure_name("E13_real_pixels")
    _ = save_figure(fig, name)
    figures.append(name)

# %%
# NBVAL_CHECK_OUTPUT
_ = nb.finish("E13 — Real pixels: CUHK01 (MaskReID Table 1; MPM-LTL Table 1 rows 1, 4, 7)", table,
              claim="MaskReID: M > base on CUHK01 (MF = M there); MPM-LTL: (1) < (4) < (7).",
              verdict=verdict, figures=figures, tidy=tidy,
              also={"rank-1 orderings": verdicts, "mAP orderings": verdicts_map} if rows else {})
