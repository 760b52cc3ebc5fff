# %% [markdown]
# # 00 — Are the runs converged? (every model family, T vs 2T epochs)
#
# **Why.** A table that compares models trained for a fraction of what they need is a
# statement about training length, not about the papers. Before reading any verdict of
# this profile, check that its training schedule converges.
#
# **What runs here.** One representative row of each model family
# (`reidlib.study.convergence.FAMILY_ROWS`: IDE, full MPM-LTL, MSCAN, MGCAM, MaskReID-MF,
# SemParts) and the ECN cross-domain trainer (market -> duke), each trained for the
# profile's epochs T (its own where the profile's `recipe_epochs` name its recipe) and,
# everything else equal, for 2T, with the profile's seeds (one family's T and 2T runs before
# the next family's). A row is
# **converged** when doubling the training gains less than 2 SQ mAP points or less than 3%.
# The doubling must change nothing but the length: a seed whose T and 2T runs were trained on
# different CPU kinds (AVX2 vs AVX-512: measured to move a MaskReID run by 3-4 points) is left
# out, the row judged on its other seeds where at least 2 remain (the verdict names the seed),
# else the row is **undecided**, not judged (the table's `CPU kind` column).
# The 2T runs are evaluated along the way for the learning curves.

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "00_convergence")

# %% tags=["parameters"]
profile = "smoke"   # smoke | quick | full | paper
seeds = None        # None: the profile's seeds, or e.g. [0, 1, 2]
dataset = "synth"   # synth, or market1501 ...
data_root = None    # folder of a real data set (None: $REIDLIB_DATA/<name>)
overrides = {}      # engine overrides for every row, e.g. {"profile.epochs": 4}
masks = None                # None: a segmenter's, as the papers (synth: extracted; real: the mask mirror) | true | none
segmenter = "reidlib_fcn"   # mask extractor of reidlib.masks.SEGMENTERS
families = None     # labels of FAMILY_ROWS to check; None: all
ecn = True          # check the ECN cross-domain trainer (market -> duke) too

# %%
import pandas as pd

from reidlib.study.convergence import (FAMILY_ROWS, convergence_sentence, convergence_table, cross_domain_epochs,
                                       doubled, learning_curve, row_epochs, with_curves)
from reidlib.study.cross_domain import run_cross_domain_grid
from reidlib.study.figures import save_figure
from reidlib.study.notebook_params import ConvergenceParams
from reidlib.study.plots import curve

params = nb.params(ConvergenceParams)
chosen = {k: FAMILY_ROWS[k] for k in (params.families or FAMILY_ROWS)}
rows = nb.with_data(chosen)
epochs = row_epochs(rows, params.profile, params.overrides)   # each family's T (profile.recipe_epochs)
print("T (epochs) per family:", epochs)
short, long = [], []
for label, row in rows.items():   # a family's T, then its 2T: a study stopped midway keeps whole checks
    short.append(nb.run({label: row}))
    long.append(nb.run(with_curves(doubled({label: row}, epochs), every=epochs[label] // 2)))
short, long = pd.concat(short, ignore_index=True), pd.concat(long, ignore_index=True)
if params.ecn:
    xd = {**params.overrides}
    ecn_t = cross_domain_epochs(params.profile, xd)
    ecn_short = run_cross_domain_grid(["market->duke"], ["ecn"], params.profile, params.seeds, overrides=xd)
    ecn_long = run_cross_domain_grid(["market->duke"], ["ecn"], params.profile, params.seeds,
                                     overrides={**xd, "profile.epochs": 2 * ecn_t})
    short = pd.concat([short, ecn_short.assign(row="ecn (market -> duke)")], ignore_index=True)
    long = pd.concat([long, ecn_long.assign(row="ecn (market -> duke)")], ignore_index=True)

# %% [markdown]
# ## T vs 2T, SQ mAP (mean over seeds, points)

# %%
table = convergence_table(short, long)
print(table.to_string(index=False))
verdict = convergence_sentence(table)
print(verdict)

# %% [markdown]
# ## Learning curves of the 2T runs (SQ mAP against training steps)

# %%
curves = pd.concat([learning_curve(r["run_dir"]).assign(row=r["row"], seed=r["seed"])
                    for _, r in long.iterrows() if r["row"] in chosen], ignore_index=True)
fig = curve(curves.rename(columns={"sq/mAP": "SQ mAP"}).pivot_table(index=["step", "seed"], columns="row",
                                                                      values="SQ mAP").reset_index(),
            "step", list(chosen), title=f"SQ mAP of the 2T runs ({params.profile})", xlabel="training step (batches)")
name = nb.figure_name("convergence_curves")
_ = save_figure(fig, name)

# %%
# NBVAL_CHECK_OUTPUT
_ = nb.finish("00 — Convergence: every model family, T vs 2T epochs", table,
              claim="(A check, not a paper claim.) Doubling the training changes SQ mAP by less than 2 points "
                    "or 3% for every family.", verdict=verdict, figures=[name], tidy=pd.concat(
                  [short.assign(length="T"), long.assign(length="2T")], ignore_index=True))
