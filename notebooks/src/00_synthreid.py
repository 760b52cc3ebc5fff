# %% [markdown]
# # 00 — SynthReID: samples and difficulty
#
# **Claim to check.** SynthReID, the study's embedded data set, is hard in the way the
# papers' data sets are: a colour-histogram baseline and a small CNN trained on RGB score
# rank-1 well above chance and well below 100%, and the same CNN given the true masks
# (masked RGB, or RGB-M as a 4th input channel as in MGCAM Table 2) scores higher,
# because camera-specific, cluttered backgrounds full of other people's colours mislead
# appearance matching.
#
# **What runs here.** A grid of samples (image | mask | part map) per camera for each
# domain style; the histogram baseline (`reidlib.study.baselines`) on the full and the
# masked image; the IDE CNN (engine experiment `ide`) with RGB, masked RGB and RGB-M
# input over the profile's seeds (quick: RGB and masked RGB on the market style only); chance level of the Market-1501 protocol. The issue
# asks for the larger `cpu` SynthReID preset (`-p overrides '{"profile.data_preset": "cpu"}'`); the stored smoke run is tiny and noisy.

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "00_synthreid")

# %% tags=["parameters"]
profile = "smoke"   # smoke | quick | full | paper: the SynthReID preset and the CNN's scale
seeds = None        # None: the profile's seeds, or e.g. [0, 1, 2]
domains = ["market", "duke"]             # SynthReID domain styles (samples, chance, histogram)
cnn_domains = None  # domain styles the CNN trains on; None: both (quick: market; E10 trains on duke)
kinds = None        # CNN input kinds: rgb, masked_rgb, rgbm; None: all three (quick: rgb and
                    # masked_rgb, to fit the default study; E1 compares RGB-M with RGB)
overrides = {}      # engine overrides for every CNN row, e.g. {"profile.epochs": 4}

# %%
import matplotlib.pyplot as plt
import pandas as pd

from reidlib.data.synth import ensure_synth, sample_grid
from reidlib.data.synthreid import read_synthreid
from reidlib.engine.profiles import get_profile
from reidlib.study.difficulty import (chance_table, difficulty_rows, difficulty_verdict, histogram_results,
                                      mask_claims, range_verdicts, row_domains)
from reidlib.study.experiments import with_overrides
from reidlib.study.figures import save_figure, set_style
from reidlib.study.notebook_params import SynthReIDParams
from reidlib.study.plots import bar_rows
from reidlib.study.sweeps import for_profile
from reidlib.study.verdict import ordering_verdicts, summarise

params = nb.params(SynthReIDParams)
kinds = for_profile(params.kinds, params.profile, ["rgb", "masked_rgb", "rgbm"], ["rgb", "masked_rgb", "rgbm"],
                    quick=["rgb", "masked_rgb"])
cnn_domains = for_profile(params.cnn_domains, params.profile, params.domains, params.domains, quick=params.domains[:1])
preset = get_profile(params.profile).data_preset
roots = {d: ensure_synth(preset, d, seed=0) for d in params.domains}
datasets = {d: read_synthreid(root) for d, root in roots.items()}

# %% [markdown]
# ## Samples per camera: image | mask | part map (0 background, 1 head, 2 upper, 3 lower)

# %%
set_style()
fig, axes = plt.subplots(1, len(roots), figsize=(5.5 * len(roots), 6), squeeze=False)
for ax, (d, root) in zip(axes[0], roots.items()):
    ax.imshow(sample_grid(root, per_cam=3))
    ax.set_title(f"SynthReID '{d}' (one row per camera)")
    ax.axis("off")
samples = nb.figure_name("synthreid_samples")
_ = save_figure(fig, samples)

# %% [markdown]
# ## Chance level (Market-1501 protocol)

# %%
# NBVAL_CHECK_OUTPUT
chance = chance_table(datasets)  # counts of the generated data: the same on every machine
print(chance.to_string(index=False))

# %%
rows = difficulty_rows(cnn_domains, kinds)
cnn = nb.run(with_overrides(rows, params.overrides))
cnn["domain"] = cnn["row"].map(row_domains(rows))
hist = histogram_results(datasets)
tidy = pd.concat([hist, cnn], ignore_index=True)
order = [r for d in params.domains for r in tidy["row"].unique() if r.endswith(f"[{d}]")]

# %% [markdown]
# ## The difficulty table
#
# Mean ± std over seeds, single-query rank-1 and mAP in %; chance per domain; is rank-1
# well above chance (at least 2x) and below 100% (at most 95%)?

# %%
table = summarise(tidy, metrics=("sq/rank1", "sq/mAP"), order=order)
ranges = range_verdicts(tidy, dict(zip(tidy["row"], tidy["domain"])),
                        {d: c / 100 for d, c in zip(chance["domain"], chance["chance rank-1 (%)"])})
table = table.merge(ranges.drop(columns=["sq/rank1 (%)"]), on="row")
print(table.to_string(index=False))

# %% [markdown]
# ## Do masks help? (paired over seeds, rank-1 and mAP)

# %%
claims = mask_claims(params.domains, cnn_domains, kinds)
verdicts = pd.concat([ordering_verdicts(tidy, claims, metric=m) for m in ("sq/rank1", "sq/mAP")], ignore_index=True)
print(verdicts.to_string(index=False))
verdict = difficulty_verdict(ranges, verdicts)
print(verdict)

# %%
fig = bar_rows(tidy, ["sq/rank1", "sq/mAP"], title=f"SynthReID difficulty ({params.profile})", order=order)
name = nb.figure_name("synthreid_difficulty")
_ = save_figure(fig, name)

# %%
# NBVAL_CHECK_OUTPUT
_ = nb.finish("00 — SynthReID difficulty", table,
              claim="Histogram and RGB CNN score well above chance and below 100%; the CNN with true masks "
                    "(masked RGB or RGB-M) scores higher than on RGB.", verdict=verdict,
              figures=[samples, name], tidy=tidy,
              also={"mask orderings": verdicts})
