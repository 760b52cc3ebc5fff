# %% [markdown]
# # E7 — Ranking loss alpha x lambda (MaskReID Table 4)
#
# **Paper's claim.** On Market-1501, the ranking loss (eq. 5) with the negative-pair
# term on (lambda > 0) beats lambda = 0 at both margins alpha; the best setting is
# alpha = 0.15, lambda = 2 (75.30 mAP), with a flat optimum (all lambda > 0 cells
# within about 1 mAP point).
#
# **What runs here.** The MaskReID model (engine experiment `maskreid`) with the ranking
# loss's `alpha` and `lam` set to every pair of the `alphas` x `lambdas` parameters (any
# values), with the profile's seeds; the
# grid as heatmaps (rank-1 and mAP) beside the paper's. Default data: SynthReID
# (`market` domain); for Market-1501 set `dataset="market1501"` and `profile="paper"`.

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "E7_ranking_loss_grid")

# %% tags=["parameters"]
profile = "smoke"   # smoke | quick | full | paper
seeds = None        # None: the profile's seeds, or e.g. [0, 1, 2]
dataset = "synth"   # synth, or market1501 ...
data_root = None    # folder of a real data set (None: $REIDLIB_DATA/<name>)
overrides = {}      # engine overrides for every row, e.g. {"profile.epochs": 4}
masks = None                # None: a segmenter's, as the papers (synth: extracted; real: the mask mirror) | true | none
segmenter = "reidlib_fcn"   # mask extractor of reidlib.masks.SEGMENTERS
alphas = [0.1, 0.15]            # ranking-loss margins alpha (the paper: 0.1, 0.15)
lambdas = None                  # negative-pair weights lambda (must include 0); None: smoke and
                                # quick [0, 2] (the default study), others [0, 1, 2, 5, 10]

# %%
from reidlib.study import paper_numbers as paper
from reidlib.study.sweeps import for_profile
from reidlib.study.claims import (best_value_verdict, claims_against, grid_labels, paper_grid, paper_grid_frame,
                                  verdicts_over_metrics)
from reidlib.study.experiments import paper_table
from reidlib.study.figures import save_figure
from reidlib.study.notebook_params import RankingGridParams
from reidlib.study.plots import heatmap
from reidlib.study.verdict import headline

params = nb.params(RankingGridParams)
grid = grid_labels(params.alphas, for_profile(params.lambdas, params.profile, [0, 2], [0, 1, 2, 5, 10],
                                              quick=[0, 2]))
rows = nb.with_data({label: ("maskreid", {"losses.ranking.alpha": a, "losses.ranking.lam": lam},
                             {"alpha": a, "lambda": lam}) for label, (a, lam) in grid.items()})
tidy = nb.run(rows)

# %% [markdown]
# ## Table 4, here and in the paper
#
# Each cell: ours, mean ± std over seeds (the paper's number), single-query rank-1 / mAP in %.

# %%
table = paper_table(tidy, paper_grid(paper.E7_RANKING_GRID, grid), {"R1": "sq/rank1", "mAP": "sq/mAP"},
                    order=list(grid))
print(table.to_string(index=False))

# %% [markdown]
# ## Does the paper's finding hold? (paired over seeds, SQ mAP)
#
# (a) each lambda > 0 beats lambda = 0 at the same alpha; (b) the paper's best cell
# (highest mAP in Table 4) is the best here, or within the seed spread of it.

# %%
verdicts = verdicts_over_metrics(tidy, claims_against(grid, 1, 0.0), ["sq/mAP"])
paper_best = max(paper.E7_RANKING_GRID, key=lambda k: paper.E7_RANKING_GRID[k][1])
best_label = grid_labels([paper_best[0]], [paper_best[1]]).popitem()[0]
best = best_value_verdict(tidy, best_label, "sq/mAP") if best_label in grid else None
print(verdicts.to_string(index=False))
print(best.to_string(index=False) if best is not None else f"{best_label} not in this grid: no best-value verdict")
best_text = f"{best_label}: {best.loc[0, 'verdict']}" if best is not None else "not run"
verdict = f"lambda > 0 vs lambda = 0: {headline(verdicts)} Paper's best ({best_text})."
print(verdict)

# %%
figs = {"rank1": heatmap(tidy, "alpha", "lambda", "sq/rank1", title=f"E7 rank-1, ours ({params.profile})"),
        "mAP": heatmap(tidy, "alpha", "lambda", "sq/mAP", title=f"E7 mAP, ours ({params.profile})"),
        "paper_mAP": heatmap(paper_grid_frame(paper.E7_RANKING_GRID), "alpha", "lambda", "paper/mAP",
                             title="E7 mAP, MaskReID Table 4 (Market-1501)")}
names = [nb.figure_name("E7_ranking_grid") + f"_{k}" for k in figs]
_ = [save_figure(f, n) for f, n in zip(figs.values(), names)]

# %%
# NBVAL_CHECK_OUTPUT
_ = nb.finish("E7 — Ranking loss alpha x lambda (MaskReID Table 4)",
              table, claim="lambda > 0 beats lambda = 0 at both alphas; alpha 0.15, lambda 2 is best.",
              verdict=verdict, figures=names, tidy=tidy,
              also={"lambda orderings": verdicts})
