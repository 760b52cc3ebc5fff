# %% [markdown]
# # E9 — Distance metrics (MGCAM Table 3)
#
# **Paper's claim.** On MARS with RGB-M input: MGCAM beats MSCAN under every
# distance (Euclidean, KISSME, XQDA, k-reciprocal re-ranking RR); fine-tuning with
# the Siamese loss (eq. 7) adds to MGCAM under every distance; across distances,
# RR is the best and KISSME the worst (Euclidean and XQDA are close).
#
# **What runs here.** The three rows of `reidlib.study.rows.ROWS["E9"]` with the
# profile's seeds. Every run is evaluated once per distance: Euclidean (`sq`), KISSME
# (`sq@kissme`) and XQDA (`sq@xqda`), both fitted on the training features, and RR
# (`sq+rr`, re-ranking the Euclidean distances). Default data: SynthReID (`market`
# domain); for MARS set `dataset="mars"` and `profile="paper"`.

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "E9_distance_metrics")

# %% tags=["parameters"]
profile = "smoke"   # smoke | quick | full | paper
seeds = None        # None: the profile's seeds, or e.g. [0, 1, 2]
dataset = "synth"   # synth, or mars / market1501 ...
data_root = None    # folder of a real data set (None: $REIDLIB_DATA/<name>)
overrides = {}      # engine overrides for every row, e.g. {"profile.epochs": 4}
masks = None                # None: a segmenter's, as the papers (synth: extracted; real: the mask mirror) | true | none
segmenter = "reidlib_fcn"   # mask extractor of reidlib.masks.SEGMENTERS

# %%
import pandas as pd

from reidlib.study import paper_numbers as paper
from reidlib.study.claims import column_verdicts, verdicts_over_metrics
from reidlib.study.experiments import baseline_differences, column_differences, paper_table
from reidlib.study.figures import save_figure
from reidlib.study.notebook_params import ExperimentParams
from reidlib.study.plots import bar_rows, beside_paper
from reidlib.study.verdict import headline

params = nb.params(ExperimentParams)
rows = nb.rows("E9")
tidy = nb.run(rows)

# %% [markdown]
# ## Table 3, here and in the paper
#
# Each cell: ours, mean ± std over seeds (the paper's number), single-query rank-1 / mAP in %.

# %%
distances = {"Euclidean": "sq", "KISSME": "sq@kissme", "XQDA": "sq@xqda", "RR": "sq+rr"}
columns = {f"{d} {m}": f"{p}/{k}" for d, p in distances.items() for m, k in [("R1", "rank1"), ("mAP", "mAP")]}
table = paper_table(tidy, paper.E9_DISTANCES, columns, order=list(rows))
print(table.to_string(index=False))

# %% [markdown]
# ## Do the paper's orderings hold? (paired over seeds, mAP)
#
# Rows: MGCAM > MSCAN and MGCAM + Siamese > MGCAM under each distance.
# Distances, within each row: RR above Euclidean and XQDA, KISSME below both.

# %%
mAPs = [f"{p}/mAP" for p in distances.values()]
row_verdicts = verdicts_over_metrics(tidy, [("MGCAM", "MSCAN"), ("MGCAM + Siamese", "MGCAM")], mAPs)
metric_verdicts = column_verdicts(tidy, list(rows), [("sq+rr/mAP", "sq/mAP"), ("sq+rr/mAP", "sq@xqda/mAP"),
                                                     ("sq/mAP", "sq@kissme/mAP"), ("sq@xqda/mAP", "sq@kissme/mAP")])
print(row_verdicts.to_string(index=False))
print(metric_verdicts.to_string(index=False))
verdict = f"Rows, every distance: {headline(row_verdicts)} Distances, every row: {headline(metric_verdicts)}"
print(verdict)

# %%
fig = bar_rows(tidy, mAPs, title=f"E9 distance metrics, mAP ({params.profile})", order=list(rows))
name = nb.figure_name("E9_distance_metrics")
_ = save_figure(fig, name)

# %% [markdown]
# ## Beside the paper
#
# The paper's numbers are MARS, ours SynthReID: the absolute values cannot be compared, the
# orderings can. Left, ours (mean of the paired per-seed gains, 95% interval); right, the
# paper's. First each model's gain over MSCAN under each distance, then each distance's gain
# over the Euclidean distance within each model (mAP points).

# %%
gains = [baseline_differences(tidy, paper.E9_DISTANCES, f"{p}/mAP", f"{d} mAP", baseline="MSCAN", order=list(rows)[1:])
         .assign(row=lambda x, d=d: x["row"] + f" - MSCAN ({d})") for d, p in distances.items()]
gains += [column_differences(tidy, paper.E9_DISTANCES, r, {d: (f"{p}/mAP", f"{d} mAP") for d, p in distances.items()},
                             baseline="Euclidean").assign(row=lambda x: x["row"] + " - Euclidean") for r in rows]
diffs = pd.concat(gains, ignore_index=True)
print(diffs.round(2).to_string(index=False))
fig = beside_paper(diffs, title=f"E9: gains, ours beside the paper's ({params.profile})", metric="mAP")
name_paper = nb.figure_name("E9_vs_paper")
_ = save_figure(fig, name_paper)

# %%
# NBVAL_CHECK_OUTPUT
_ = nb.finish("E9 — Distance metrics (MGCAM Table 3)", table,
              claim="MGCAM > MSCAN and + Siamese adds under every distance; RR is the best distance, "
                    "KISSME the worst.", verdict=verdict, figures=[name, name_paper], tidy=tidy,
              also={"rows": row_verdicts, "distances": metric_verdicts})
