# %% [markdown]
# # E4 — number of parts (MPM-LTL Fig. 6)
#
# **Paper's claim.** After mask pooling the feature tensor is divided into k parts,
# each with its own 256-d reduction and classifier and its own term of the
# local-level triplet loss (eq. 2). k = 3 and 6 are horizontal stripes, 12 and 18 are
# 6 stripes times 2 or 3 columns. On all three data sets, k = 6 is best (Fig. 6).
#
# **What runs here.** The full MPM-LTL model (engine experiment `mpm_ltl`) with
# `model.kwargs.parts` set to each k of `part_counts`, with the
# profile's seeds; every run is evaluated SQ, MQ, SQ+RR and MQ+RR. k = 18 does not
# tile the small profiles' feature map: it uses adaptive pooling bins
# (`uneven="adaptive"`). Default data: SynthReID (`market` domain).

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "E4_part_counts")

# %% tags=["parameters"]
profile = "smoke"            # smoke | quick | full | paper
seeds = None                 # None: the profile's seeds, or e.g. [0, 1, 2]
dataset = "synth"            # synth, or market1501 / dukemtmcreid / cuhk03 ...
data_root = None             # folder of a real data set (None: $REIDLIB_DATA/<name>)
overrides = {}               # engine overrides for every row, e.g. {"profile.epochs": 4}
masks = "extracted"          # extracted by `segmenter` (as the papers) | true (ground truth) | none
segmenter = "reidlib_fcn"    # mask extractor of reidlib.masks.SEGMENTERS
part_counts = [3, 6, 12, 18]  # the k compared (MPM-LTL Fig. 6)

# %%
from reidlib.study import paper_numbers as paper
from reidlib.study.figures import save_figure
from reidlib.study.notebook_params import PartCountParams
from reidlib.study.plots import bar_rows
from reidlib.study.sweeps import best_verdict, query_average, sweep_summary
from reidlib.study.verdict import summarise

params = nb.params(PartCountParams)
rows = nb.sweep("k", params.part_counts, lambda k: ("mpm_ltl", {"model.kwargs.parts": k}), label=lambda k: f"k = {k}")
tidy = query_average(nb.run(rows))

# %% [markdown]
# ## Fig. 6: each part count
#
# Ours, mean ± std over seeds, in %; `avg` is the mean over SQ, MQ, SQ+RR and MQ+RR
# (the paper gives the bars, not their numbers).

# %%
metrics = ["avg/rank1", "avg/mAP", "sq/rank1", "sq/mAP", "mq+rr/mAP"]
table = summarise(tidy, metrics=metrics, order=list(rows))
print(table.to_string(index=False))

# %% [markdown]
# ## Is k = 6 best? (each k paired over seeds with our best k, SQ mAP and avg mAP)

# %%
print(sweep_summary(tidy, "k", "sq/mAP").to_string(index=False))
_, sq_text = best_verdict(tidy, "k", "sq/mAP", paper.E4_BEST_K, name="Part count")
_, avg_text = best_verdict(tidy, "k", "avg/mAP", paper.E4_BEST_K, name="Part count")
verdict = f"{sq_text} {avg_text}"
print(verdict)

# %%
fig = bar_rows(tidy, ["avg/rank1", "avg/mAP", "sq/mAP"], title=f"E4 part count ({params.profile})",
               order=list(rows))
name = nb.figure_name("E4_part_counts")
_ = save_figure(fig, name)

# %%
# NBVAL_CHECK_OUTPUT
_ = nb.finish("E4 — number of parts (MPM-LTL Fig. 6)", table,
              claim="k = 6 parts is best (of 3, 6, 12, 18).", verdict=verdict, figures=[name], tidy=tidy)
