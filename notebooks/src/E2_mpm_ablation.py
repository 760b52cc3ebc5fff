# %% [markdown]
# # E2 — MPM-LTL ablation (MPM-LTL Table 1)
#
# **Paper's claim.** On Market-1501 every component adds accuracy, in this order:
# (1) RGB baseline < (2) mask as a 4th conv channel < (3) mask downsampled bilinearly
# < (4) mask pooling < (5) + global triplet < (6) + local-level triplet (eq. 2)
# < (7) + mask-guided TriHard (algorithm 1), under single query (SQ), multi-query
# (MQ) and both with k-reciprocal re-ranking (RR).
#
# **What runs here.** The seven rows of `reidlib.study.rows.ROWS["E2"]` with the
# profile's seeds; every run is evaluated SQ, MQ, SQ+RR and MQ+RR. Default data:
# SynthReID (`market` domain). For Market-1501 set `dataset="market1501"` and
# `profile="paper"`.

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "E2_mpm_ablation")

# %% tags=["parameters"]
profile = "smoke"   # smoke | quick | full | paper
seeds = None        # None: the profile's seeds, or e.g. [0, 1, 2]
dataset = "synth"   # synth, or market1501 / dukemtmcreid / cuhk03 ...
data_root = None    # folder of a real data set (None: $REIDLIB_DATA/<name>)
overrides = {}      # engine overrides for every row, e.g. {"profile.epochs": 4}
masks = None                # None: a segmenter's, as the papers (synth: extracted; real: the mask mirror) | true | none
segmenter = "reidlib_fcn"   # mask extractor of reidlib.masks.SEGMENTERS

# %%
from IPython.display import display

from reidlib.study import paper_numbers as paper
from reidlib.study.experiments import baseline_differences, consecutive_claims, paper_table
from reidlib.study.figures import save_figure
from reidlib.study.notebook_params import ExperimentParams
from reidlib.study.plots import bar_rows, beside_paper
from reidlib.study.verdict import headline, ordering_verdicts

params = nb.params(ExperimentParams)
rows = nb.rows("E2")
tidy = nb.run(rows)

# %% [markdown]
# ## Table 1, here and in the paper
#
# Each cell: ours, mean ± std over seeds (the paper's number), rank-1 / mAP in %.

# %%
columns = {"SQ R1": "sq/rank1", "SQ mAP": "sq/mAP", "MQ R1": "mq/rank1", "MQ mAP": "mq/mAP",
           "SQ+RR R1": "sq+rr/rank1", "SQ+RR mAP": "sq+rr/mAP", "MQ+RR R1": "mq+rr/rank1",
           "MQ+RR mAP": "mq+rr/mAP"}
table = paper_table(tidy, paper.E2_MPM_ABLATION, columns, order=list(rows))
print(table.to_string(index=False))

# %% [markdown]
# ## Does the paper's ordering hold? (paired over seeds, SQ mAP and MQ+RR mAP)

# %%
claims = consecutive_claims(list(rows))
verdicts = ordering_verdicts(tidy, claims, metric="sq/mAP")
verdicts_rr = ordering_verdicts(tidy, claims, metric="mq+rr/mAP")
print(verdicts.to_string(index=False))
print(verdicts_rr.to_string(index=False))
verdict = f"SQ mAP: {headline(verdicts)} MQ+RR mAP: {headline(verdicts_rr)}"
print(verdict)

# %%
fig = bar_rows(tidy, ["sq/rank1", "sq/mAP", "mq+rr/mAP"], title=f"E2 MPM-LTL ablation ({params.profile})",
               order=list(rows))
name = nb.figure_name("E2_mpm_ablation")
_ = save_figure(fig, name)

# %% [markdown]
# ## Gains over the baseline row, ours beside the paper's
#
# Absolute numbers cannot be compared (SynthReID against the paper's data), orderings can: each
# row's SQ mAP gain over "row (1)", ours (paired per-seed differences, 95% interval) and the paper's.

# %%
diffs = baseline_differences(tidy, paper.E2_MPM_ABLATION, "sq/mAP", "SQ mAP", baseline=list(rows)[0], order=list(rows))
print(diffs.round(2).to_string(index=False))
fig = beside_paper(diffs, title=f"E2: gain over {list(rows)[0]} ({params.profile})", metric="SQ mAP")
name_paper = nb.figure_name("E2_vs_paper")
_ = save_figure(fig, name_paper)

# %%
# NBVAL_CHECK_OUTPUT
_ = nb.finish("E2 — MPM-LTL ablation (Table 1)", table,
          claim="Each component adds accuracy: rows (1) < (2) < ... < (7).", verdict=verdict,
          figures=[name, name_paper], tidy=tidy,
              also={"SQ mAP orderings": verdicts, "MQ+RR mAP orderings": verdicts_rr})
