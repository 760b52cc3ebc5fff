# %% [markdown]
# # E6 — Losses (MaskReID Tables 2-3)
#
# **Paper's claim.** On Market-1501, MaskReID-MF trained with the proposed ranking loss
# (eq. 5) beats the softmax (ID) loss, which beats the triplet loss, under single query
# (SQ) and multi-query (MQ); k-reciprocal re-ranking (RR) on the ranking model adds
# further (most of all to mAP).
#
# **What runs here.** The rows of `reidlib.study.rows.ROWS["E6"]` with the profile's
# seeds. "ranking + RR" is the ranking run itself (trained once), read at its `sq+rr`
# and `mq+rr` protocols. Default data: SynthReID (`market` domain); for Market-1501
# set `dataset="market1501"` and `profile="paper"`. The paper's Duke column is not run
# here (set `dataset="dukemtmcreid"`, or `overrides={"data.domain": "duke"}` for
# SynthReID's Duke-like domain).

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "E6_losses")

# %% tags=["parameters"]
profile = "smoke"   # smoke | quick | full | paper
seeds = None        # None: the profile's seeds, or e.g. [0, 1, 2]
dataset = "synth"   # synth, or market1501 / dukemtmcreid ...
data_root = None    # folder of a real data set (None: $REIDLIB_DATA/<name>)
overrides = {}      # engine overrides for every row, e.g. {"profile.epochs": 4}
masks = None                # None: a segmenter's, as the papers (synth: extracted; real: the mask mirror) | true | none
segmenter = "reidlib_fcn"   # mask extractor of reidlib.masks.SEGMENTERS

# %%
from reidlib.study import paper_numbers as paper
from reidlib.study.claims import substitute_protocols, verdicts_over_metrics
from reidlib.study.experiments import baseline_differences, consecutive_claims, paper_table
from reidlib.study.figures import save_figure
from reidlib.study.notebook_params import ExperimentParams
from reidlib.study.plots import bar_rows, beside_paper
from reidlib.study.verdict import headline

params = nb.params(ExperimentParams)
rows = nb.rows("E6")
tidy = nb.run(rows)
tidy = substitute_protocols(tidy, "ranking + RR", {"sq": "sq+rr", "mq": "mq+rr"})

# %% [markdown]
# ## Tables 2-3, here and in the paper
#
# Each cell: ours, mean ± std over seeds (the paper's Market-1501 number), rank-1 / mAP in %.

# %%
columns = {"SQ R1": "sq/rank1", "SQ mAP": "sq/mAP", "MQ R1": "mq/rank1", "MQ mAP": "mq/mAP"}
table = paper_table(tidy, paper.E6_LOSSES, columns, order=list(rows))
print(table.to_string(index=False))

# %% [markdown]
# ## Does the paper's ordering hold? (paired over seeds, SQ mAP and MQ mAP)
#
# triplet < softmax < ranking < ranking + RR.

# %%
claims = consecutive_claims(["triplet", "softmax", "ranking", "ranking + RR"])
verdicts = verdicts_over_metrics(tidy, claims, ["sq/mAP", "mq/mAP"])
print(verdicts.to_string(index=False))
verdict = (f"SQ mAP: {headline(verdicts[verdicts['metric'] == 'sq/mAP'])} "
           f"MQ mAP: {headline(verdicts[verdicts['metric'] == 'mq/mAP'])}")
print(verdict)

# %%
fig = bar_rows(tidy, ["sq/rank1", "sq/mAP", "mq/mAP"], title=f"E6 losses ({params.profile})", order=list(rows))
name = nb.figure_name("E6_losses")
_ = save_figure(fig, name)

# %% [markdown]
# ## Gains over the baseline row, ours beside the paper's
#
# Absolute numbers cannot be compared (SynthReID against the paper's data), orderings can: each
# row's SQ mAP gain over "softmax", ours (paired per-seed differences, 95% interval) and the paper's.

# %%
diffs = baseline_differences(tidy, paper.E6_LOSSES, "sq/mAP", "SQ mAP", baseline=list(rows)[0], order=list(rows))
print(diffs.round(2).to_string(index=False))
fig = beside_paper(diffs, title=f"E6: gain over {list(rows)[0]} ({params.profile})", metric="SQ mAP")
name_paper = nb.figure_name("E6_vs_paper")
_ = save_figure(fig, name_paper)

# %%
# NBVAL_CHECK_OUTPUT
_ = nb.finish("E6 — Losses (MaskReID Tables 2-3)", table,
              claim="ranking > softmax > triplet (SQ and MQ); re-ranking the ranking model adds.",
              verdict=verdict, figures=[name, name_paper], tidy=tidy,
              also={"orderings": verdicts})
