# %% [markdown]
# # Masks — extraction measured against ground truth
#
# The papers' methods eat person masks (MPM-LTL, MaskReID, MGCAM) and body-part
# maps (SemParts) that real re-ID sets do not ship. `python -m reidlib masks ROOT`
# makes them offline. Here each available segmenter is scored by mean IoU against
# ground truth — Penn-Fudan held-out pedestrian crops (when the data is on this
# machine) and SynthReID's true masks — with MPM-LTL's recipe (pad to 3x, segment,
# keep the covering person, crop back, dilate 3 px) and without it (plain FCN use,
# as MaskReID and MGCAM did). Then typical successes and failures on SynthReID.

# %%
from reidlib.study.notebook import Notebook

nb = Notebook(globals(), "masks")

# %% tags=["parameters"]
profile = "smoke"        # smoke | quick | full: the SynthReID preset scored
segmenters = ["reidlib_fcn"]   # names from reidlib.masks.SEGMENTERS (mediapipe_* need the [mediapipe] extra)
recipes = ["fcn", "mpm_ltl"]   # reidlib.masks.pipeline.RECIPES
synth_limit = 60         # SynthReID test crops scored
pennfudan_root = None    # Penn-Fudan folder; None: the development copy if present, else skipped

# %%
import matplotlib.pyplot as plt
import numpy as np

from reidlib.data.synth import ensure_synth
from reidlib.engine.profiles import get_profile
from reidlib.masks.evaluate import iou_table, load_synth_arrays, mask_grid, mask_iou, to_frame
from reidlib.masks.pipeline import extract_masks
from reidlib.masks.segmenters import build_segmenter
from reidlib.paths import shared_data_dir
from reidlib.study.figures import save_figure, set_style
from reidlib.study.notebook_params import MaskExtractionParams

params = nb.params(MaskExtractionParams)
synth_root = ensure_synth(get_profile(params.profile).data_preset, "market", seed=0)
pf = params.pennfudan_root or (shared_data_dir() / "PennFudanPed" if shared_data_dir() else None)
print("Penn-Fudan:", "scored" if pf else "not available here: skipped")

# %% [markdown]
# ## Mean IoU per segmenter, recipe and data

# %%
table = to_frame(iou_table(params.segmenters, pf, synth_root, recipes=params.recipes,
                           synth_limit=params.synth_limit))
shown = table.drop(columns=[c for c in table.columns if c.startswith("ms")])
print(shown.round(3).to_string(index=False))

# %%
print(shown[shown["data"].str.startswith("synth")].round(3).to_string(index=False))  # same everywhere

# %% [markdown]
# ## Typical successes and failures on SynthReID (best and worst IoU, plain FCN recipe)

# %%
images, truth = load_synth_arrays(synth_root, limit=params.synth_limit)
pred = extract_masks(list(images), build_segmenter(params.segmenters[0]), recipe="fcn")
ious = np.array([mask_iou(p, t) for p, t in zip(pred, truth)])
order = np.argsort(ious)
set_style()
fig, axes = plt.subplots(2, 1, figsize=(9, 4.6))
for ax, idx, title in [(axes[0], order[::-1][:6], "best"), (axes[1], order[:6], "worst")]:
    ax.imshow(mask_grid([images[i] for i in idx], [pred[i] for i in idx], ncols=12))
    ax.set_title(f"{title}: IoU " + ", ".join(f"{ious[i]:.2f}" for i in idx))
    ax.axis("off")
name = nb.figure_name("masks_success_failure")
_ = save_figure(fig, name)
means = table.groupby("recipe")["mean_iou"].mean()
verdict = (f"Mean IoU over segmenters and data: plain FCN use {means.get('fcn', float('nan')):.3f}, "
           f"MPM-LTL's pad-and-dilate recipe {means.get('mpm_ltl', float('nan')):.3f}.")
print(verdict)

# %%
# NBVAL_CHECK_OUTPUT
_ = nb.finish("Masks — segmenter IoU against ground truth", shown.round(3),
              claim="MPM-LTL extracts masks by padding to 3x, segmenting and dilating 3 px.",
              verdict=verdict, figures=[name], tidy=table)
