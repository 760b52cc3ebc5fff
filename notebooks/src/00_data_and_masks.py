# %% [markdown]
# # 00 — Data, masks and part maps
#
# What every experiment eats: SynthReID samples per camera and domain with their
# true masks and part maps (0 background, 1 head, 2 upper body, 3 lower body);
# the mask channel after MPM-LTL's two mask-pooling steps at several thresholds
# (MPM-LTL Fig. 5); and the part grids k = 3, 6, 12 (6x2) and 18 (6x3) of the
# part head (MPM-LTL Fig. 6).

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "00_data_and_masks")

# %% tags=["parameters"]
profile = "smoke"   # smoke | quick | full | paper: picks the SynthReID preset
seeds = None        # unused here (kept for a uniform interface)
dataset = "synth"   # only synth has true masks and part maps
data_root = None    # unused for synth
overrides = {}      # unused here

# %%
from reidlib.data.io import read_image, read_mask
from reidlib.data.synth import ensure_synth
from reidlib.data.synthreid import read_synthreid
from reidlib.engine.profiles import get_profile
from reidlib.study.figures import save_figure
from reidlib.study.notebook_params import ExperimentParams
from reidlib.study.visuals import mask_pooling_figure, part_grid_figure

params = nb.params(ExperimentParams)
preset = get_profile(params.profile).data_preset
roots = {domain: ensure_synth(preset, domain, seed=0) for domain in ("market", "duke")}

# %%
# NBVAL_CHECK_OUTPUT
for domain, root in roots.items():  # counts of the generated data: the same on every machine
    print(read_synthreid(root).summary().split(" at ")[0], domain)
    print("\n".join(read_synthreid(root).summary().splitlines()[1:]))

# %% [markdown]
# ## Samples per camera
#
# The grid of samples per camera (image | mask | part map) is drawn once, by the
# `00_synthreid` notebook: `figures/synthreid_samples_<profile>.png`.

# %% [markdown]
# ## Mask pooling (MPM-LTL Fig. 5) and part grids (Fig. 6)

# %%
ds = read_synthreid(roots["market"])
rec = next(r for r in ds.train if r["mask_path"])
image, mask = read_image(rec["path"]), read_mask(rec["mask_path"])
fig5 = mask_pooling_figure(image, mask, thresholds=(0.0, 0.4, 0.7, 1.0))
_ = save_figure(fig5, nb.figure_name("00_mask_pooling"))
fig6 = part_grid_figure(image, (3, 6, 12, 18))
_ = save_figure(fig6, nb.figure_name("00_part_grids"))
