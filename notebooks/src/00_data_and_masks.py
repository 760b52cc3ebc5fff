# %% [markdown]
# # 00 — Data, masks and part maps
#
# What every experiment eats: SynthReID samples per camera and domain with their
# true masks and part maps (0 background, 1 head, 2 upper body, 3 lower body);
# the mask channel after MPM-LTL's two mask-pooling steps at several thresholds
# (MPM-LTL Fig. 5); and the part grids k = 3, 6, 12 (6x2) and 18 (6x3) of the
# part head (MPM-LTL Fig. 6).

# %%
_before = set(globals())

# %% tags=["parameters"]
profile = "smoke"   # smoke | quick | cpu | paper: picks the SynthReID preset
seeds = None        # unused here (kept for a uniform interface)
dataset = "synth"   # only synth has true masks and part maps
data_root = None    # unused for synth
overrides = {}      # unused here

# %%
import matplotlib.pyplot as plt

from reidlib.data.io import read_image, read_mask
from reidlib.data.synth import ensure_synth, sample_grid
from reidlib.data.synthreid import read_synthreid
from reidlib.engine.profiles import get_profile
from reidlib.study.figures import save_figure, set_style
from reidlib.study.notebook_params import ExperimentParams
from reidlib.study.params import collect_params
from reidlib.study.visuals import mask_pooling_figure, part_grid_figure

params = collect_params(ExperimentParams, globals(), _before)
preset = get_profile(params.profile).data_preset
roots = {domain: ensure_synth(preset, domain, seed=0) for domain in ("market", "duke")}

# %%
# NBVAL_CHECK_OUTPUT
for domain, root in roots.items():
    print(read_synthreid(root).summary().split(" at ")[0], domain)
    print("\n".join(read_synthreid(root).summary().splitlines()[1:]))

# %% [markdown]
# ## Samples per camera: image | mask | part map

# %%
set_style()
fig, axes = plt.subplots(1, 2, figsize=(11, 6))
for ax, (domain, root) in zip(axes, roots.items()):
    ax.imshow(sample_grid(root, per_cam=3, cams=6))
    ax.set_title(f"SynthReID '{domain}' (one row per camera)")
    ax.axis("off")
_ = save_figure(fig, f"00_synthreid_samples_{params.profile}")

# %% [markdown]
# ## Mask pooling (MPM-LTL Fig. 5) and part grids (Fig. 6)

# %%
ds = read_synthreid(roots["market"])
rec = next(r for r in ds.train if r["mask_path"])
image, mask = read_image(rec["path"]), read_mask(rec["mask_path"])
fig5 = mask_pooling_figure(image, mask, thresholds=(0.0, 0.4, 0.7, 1.0))
_ = save_figure(fig5, f"00_mask_pooling_{params.profile}")
fig6 = part_grid_figure(image, (3, 6, 12, 18))
_ = save_figure(fig6, f"00_part_grids_{params.profile}")
