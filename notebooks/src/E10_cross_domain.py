# %% [markdown]
# # E10 — Cross-domain re-ID: ECN vs ECN + semantic parts (SemParts Tables 1-4)
#
# **Paper's claim.** Unsupervised domain adaptation with ECN's exemplar memory
# (exemplar-, camera- and neighbourhood-invariance) improves a source-trained model on
# the unlabelled target, and adding SemParts' semantic part features (ID losses on the
# global feature and the head, upper- and lower-body parts in both domains, eq. 2-5)
# improves ECN further, for Market -> Duke and Duke -> Market
# (->Market: ECN 75.1 / 43.0, + parts 77.6 / 44.8 rank-1 / mAP; ->Duke: ECN 63.3 / 40.4,
# + parts 65.7 / 42.3).
#
# **What runs here.** `reidlib.domain.run_cross_domain` for four methods, direct transfer
# (the floor), ECN, ECN + parts and the supervised target model (the ceiling; the
# target's labels are read only by this row), in both directions between SynthReID's
# `market` and `duke` domain styles, over the profile's seeds. Camera-invariance uses
# the per-camera colour-statistics stand-in for CamStyle images. For the real data set
# `directions=["market1501->dukemtmcreid", "dukemtmcreid->market1501"]`,
# `profile="paper"` and `data_root` the folder holding both data sets.

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "E10_cross_domain")

# %% tags=["parameters"]
profile = "smoke"   # smoke | quick | full | paper
seeds = None        # None: the profile's seeds, or e.g. [0, 1, 2]
directions = None   # source->target: market, duke (SynthReID) or market1501, dukemtmcreid; None: both
methods = ["direct", "ecn", "ecn_parts", "supervised"]   # reidlib.domain.METHODS
data_root = None    # parent folder of the real data sets (None: $REIDLIB_DATA)
overrides = {}      # dotted overrides of every run, e.g. {"profile.epochs": 4, "adaptation.lam": 0.3}

# %%
from reidlib.study import paper_numbers as paper
from reidlib.study.claims import verdicts_over_metrics
from reidlib.study.cross_domain import (cross_domain_claims, domain_roots, paper_columns, run_cross_domain_grid,
                                        widen_directions)
from reidlib.study.experiments import paper_table
from reidlib.study.figures import save_figure
from reidlib.study.notebook_params import CrossDomainParams
from reidlib.study.plots import bar_rows
from reidlib.study.sweeps import for_profile
from reidlib.study.verdict import headline

params = nb.params(CrossDomainParams)
directions = for_profile(params.directions, params.profile, ["market->duke", "duke->market"],
                         ["market->duke", "duke->market"])
roots = domain_roots(directions, params.data_root)
tidy = run_cross_domain_grid(directions, params.methods, params.profile, params.seeds, roots=roots,
                             overrides=params.overrides)
wide = widen_directions(tidy)
order = list(dict.fromkeys(tidy["row"]))
targets = list(dict.fromkeys(tidy["target"]))

# %% [markdown]
# ## SemParts Tables 1-2, here and in the paper
#
# Each cell: ours, mean ± std over seeds (the paper's number), rank-1/5/10 and mAP in %
# on the target's query/gallery. The paper has no direct-transfer or supervised row here.

# %%
table = paper_table(wide, paper.E10_CROSS_DOMAIN, paper_columns(tidy), order=order)
print(table.to_string(index=False))

# %% [markdown]
# ## Do the orderings hold? (paired over seeds, target mAP and rank-1 per direction)
#
# ECN > direct transfer; ECN + parts > ECN (the paper's finding); the supervised target
# model above every adapted one (the ceiling).

# %%
claims = cross_domain_claims(params.methods)
metrics = [f"{t}:sq/{m}" for t in targets for m in ("mAP", "rank1")]
verdicts = verdicts_over_metrics(wide, claims, metrics)
print(verdicts.to_string(index=False))
verdict = " ".join(f"{t} {m}: {headline(verdicts[verdicts['metric'] == f'{t}:sq/{m}'])}"
                   for t in targets for m in ("mAP", "rank1"))
print(verdict)

# %%
fig = bar_rows(wide, [f"{t}:sq/{m}" for t in targets for m in ("rank1", "mAP")],
               title=f"E10 cross-domain ({params.profile})", order=order)
name = nb.figure_name("E10_cross_domain")
_ = save_figure(fig, name)

# %%
# NBVAL_CHECK_OUTPUT
_ = nb.finish("E10 — Cross-domain (SemParts Tables 1-4)", table,
              claim="ECN > direct transfer; ECN + semantic parts > ECN, in both directions; "
                    "the supervised target model is the ceiling.", verdict=verdict, figures=[name], tidy=tidy,
              also={"orderings": verdicts})
