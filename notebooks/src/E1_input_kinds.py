# %% [markdown]
# # E1 — Input kinds (MGCAM Table 2)
#
# **Paper's claim.** On MARS (XQDA distance), for MSCAN trained from scratch the input
# kinds rank RGB-M > RGB > Masked RGB >> Mask (the mask alone keeps little identity);
# MGCAM with RGB-M input beats MGCAM with RGB input, which beats MSCAN RGB-M; and
# MGCAM's learned soft attention beats the hard binary mask used as attention
# ("MGCAM hard").
#
# **What runs here.** The seven rows of `reidlib.study.rows.ROWS["E1"]` with the
# profile's seeds. Every run is evaluated with the Euclidean distance (`sq`) and with
# XQDA fitted on the training features (`sq@xqda`, the paper's column). Default data:
# SynthReID (`market` domain); for MARS set `dataset="mars"` and `profile="paper"`.

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "E1_input_kinds")

# %% tags=["parameters"]
profile = "smoke"   # smoke | quick | full | paper
seeds = None        # None: the profile's seeds, or e.g. [0, 1, 2]
dataset = "synth"   # synth, or mars / market1501 ...
data_root = None    # folder of a real data set (None: $REIDLIB_DATA/<name>)
overrides = {}      # engine overrides for every row, e.g. {"profile.epochs": 4}
masks = None                # None: a segmenter's, as the papers (synth: extracted; real: the mask mirror) | true | none
segmenter = "reidlib_fcn"   # mask extractor of reidlib.masks.SEGMENTERS

# %%
from reidlib.study import paper_numbers as paper
from reidlib.study.claims import verdicts_over_metrics
from reidlib.study.experiments import baseline_differences, paper_table
from reidlib.study.figures import save_figure
from reidlib.study.notebook_params import ExperimentParams
from reidlib.study.plots import bar_rows, beside_paper
from reidlib.study.verdict import headline

params = nb.params(ExperimentParams)
rows = nb.rows("E1")
tidy = nb.run(rows)

# %% [markdown]
# ## Table 2, here and in the paper
#
# Each cell: ours, mean ± std over seeds (the paper's number), single-query rank-1 / mAP
# in %. The paper reports XQDA only; its Euclidean cells are empty.

# %%
columns = {"Euclidean R1": "sq/rank1", "Euclidean mAP": "sq/mAP", "R1": "sq@xqda/rank1", "mAP": "sq@xqda/mAP"}
table = paper_table(tidy, paper.E1_INPUT_KINDS, columns, order=list(rows))
table = table.rename(columns={"R1": "XQDA R1", "mAP": "XQDA mAP"})
print(table.to_string(index=False))

# %% [markdown]
# ## Do the paper's orderings hold? (paired over seeds, XQDA mAP and Euclidean mAP)

# %%
claims = [("MSCAN RGB-M", "MSCAN RGB"), ("MSCAN RGB", "MSCAN Masked RGB"), ("MSCAN Masked RGB", "MSCAN Mask"),
          ("MGCAM RGB-M", "MGCAM RGB"), ("MGCAM RGB", "MSCAN RGB-M"), ("MGCAM RGB-M", "MGCAM hard")]
verdicts = verdicts_over_metrics(tidy, claims, ["sq@xqda/mAP", "sq/mAP"])
print(verdicts.to_string(index=False))
verdict = (f"XQDA mAP: {headline(verdicts[verdicts['metric'] == 'sq@xqda/mAP'])} "
           f"Euclidean mAP: {headline(verdicts[verdicts['metric'] == 'sq/mAP'])}")
print(verdict)

# %%
fig = bar_rows(tidy, ["sq@xqda/rank1", "sq@xqda/mAP", "sq/mAP"], title=f"E1 input kinds ({params.profile})",
               order=list(rows))
name = nb.figure_name("E1_input_kinds")
_ = save_figure(fig, name)

# %% [markdown]
# ## Gains over the baseline row, ours beside the paper's
#
# Absolute numbers cannot be compared (SynthReID against the paper's data), orderings can: each
# row's XQDA mAP gain over "MSCAN RGB", ours (paired per-seed differences, 95% interval) and the paper's.

# %%
diffs = baseline_differences(tidy, paper.E1_INPUT_KINDS, "sq@xqda/mAP", "mAP", baseline=list(rows)[0], order=list(rows))
print(diffs.round(2).to_string(index=False))
fig = beside_paper(diffs, title=f"E1: gain over {list(rows)[0]} ({params.profile})", metric="XQDA mAP")
name_paper = nb.figure_name("E1_vs_paper")
_ = save_figure(fig, name_paper)

# %%
# NBVAL_CHECK_OUTPUT
_ = nb.finish("E1 — Input kinds (MGCAM Table 2)", table,
              claim="MSCAN: RGB-M > RGB > Masked RGB >> Mask; MGCAM RGB-M > MGCAM RGB > MSCAN RGB-M; "
                    "MGCAM (soft attention) > MGCAM hard.", verdict=verdict, figures=[name, name_paper], tidy=tidy,
              also={"orderings": verdicts})
