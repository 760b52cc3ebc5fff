# %% [markdown]
# # E8 — Masked input and feature fusion (MaskReID Table 1)
#
# **Paper's claim.** Feeding the masked image (M) beats the RGB base network (DGD) on
# every data set, and fusing the original and masked streams (MF) adds on most of them
# (VIPeR, PRID, 3DPeS, iLIDS, CUHK03; not CUHK01, where M 84.26 > MF 84.05), rank-1.
#
# **What runs here.** The rows of `reidlib.study.rows.ROWS["E8"]` (base, M, MF) with
# the profile's seeds on SynthReID (`market` domain), masks extracted by `segmenter`.
# The paper's CUHK01 column (real pixels) is E13 (`E13_real_pixels.ipynb`).

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "E8_feature_fusion")

# %% tags=["parameters"]
profile = "smoke"       # smoke | quick | full | paper
seeds = None            # None: the profile's seeds, or e.g. [0, 1, 2]
dataset = "synth"       # synth, or a real data set for the first column
data_root = None        # folder of that real data set (None: $REIDLIB_DATA/<name>)
overrides = {}          # engine overrides for every row, e.g. {"profile.epochs": 4}
masks = None            # None: a segmenter's, as the papers (synth: extracted) | true (ground truth) | none
segmenter = "reidlib_fcn"   # mask extractor of reidlib.masks.SEGMENTERS

# %%
from reidlib.study import paper_numbers as paper
from reidlib.study.claims import verdicts_over_metrics, widen
from reidlib.study.experiments import baseline_differences, consecutive_claims, paper_table
from reidlib.study.figures import save_figure
from reidlib.study.notebook_params import ExperimentParams
from reidlib.study.plots import bar_rows, beside_paper
from reidlib.study.verdict import headline

params = nb.params(ExperimentParams)
first = "SynthReID" if params.dataset == "synth" else params.dataset
rows = nb.rows("E8")
tidy = nb.run(rows).assign(data=first)

# %%
datasets = list(dict.fromkeys(tidy["data"]))

# %% [markdown]
# ## Table 1, here and in the paper
#
# Each cell: ours, mean ± std over seeds (the paper's number, where it has this data
# set), single-query rank-1 and mAP in %.

# %%
wide = widen(tidy, "data")
columns = {f"{first} R1": f"{first}:sq/rank1", f"{first} mAP": f"{first}:sq/mAP"}
table = paper_table(wide, paper.E8_FUSION, columns, order=list(rows))
print(table.to_string(index=False))

# %% [markdown]
# ## Does the paper's ordering hold? (paired over seeds, rank-1 per data set)
#
# base < M < MF (the paper's rows only: the masked-image-only ablation is ours, not a claim).

# %%
paper_rows = [r for r in rows if r in paper.E8_FUSION]
verdicts = verdicts_over_metrics(wide, consecutive_claims(paper_rows), [f"{d}:sq/rank1" for d in datasets])
print(verdicts.to_string(index=False))
verdict = " ".join(f"{d} rank-1: {headline(verdicts[verdicts['metric'] == f'{d}:sq/rank1'])}" for d in datasets)
print(verdict)

# %%
fig = bar_rows(wide, [f"{d}:sq/rank1" for d in datasets], title=f"E8 feature fusion, rank-1 ({params.profile})",
               order=list(rows))
name = nb.figure_name("E8_feature_fusion")
_ = save_figure(fig, name)

# %% [markdown]
# ## Gains over the baseline row, ours beside the paper's
#
# Absolute numbers cannot be compared (SynthReID against the paper's data), orderings can: each
# row's rank-1 (paper: CUHK01) gain over "base (DGD)", ours (paired per-seed differences, 95% interval) and the paper's.

# %%
diffs = baseline_differences(wide, paper.E8_FUSION, f"{datasets[0]}:sq/rank1", "CUHK01", baseline=list(rows)[0], order=list(rows))
print(diffs.round(2).to_string(index=False))
fig = beside_paper(diffs, title=f"E8: gain over {list(rows)[0]} ({params.profile})", metric="rank-1 (paper: CUHK01)")
name_paper = nb.figure_name("E8_vs_paper")
_ = save_figure(fig, name_paper)

# %%
# NBVAL_CHECK_OUTPUT
_ = nb.finish("E8 — Masked input and feature fusion (MaskReID Table 1)",
              table, claim="M > base on every data set; MF > M on most (not CUHK01 in the paper).",
              verdict=verdict, figures=[name, name_paper], tidy=tidy,
              also={"orderings": verdicts})
