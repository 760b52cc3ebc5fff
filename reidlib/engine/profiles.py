"""Compute profiles: one data object per scale, not if-branches in the code.

``smoke``  CI: seconds per experiment (tiny synthetic set, 32x16... 64x32, 1-2 epochs).
``quick``  the default ``make study``: every experiment, 3 seeds, 512-epoch runs (MPM-LTL
           and MSCAN 256, MGCAM and SemParts 1,024, MaskReID and IDE 2,048: ``recipe_epochs``; 2-3
           days on 2 AVX2 cores, resumable across sessions: README "The converged study"):
           SynthReID preset ``study`` (50 training identities, the quick preset's 100 test
           identities) at 96x32 (MPM's 6x2 map), ``epochs`` epochs of at
           most 14 steps of 32 images (one pass over the training images; it caps only the
           samplers whose epoch is longer: MaskReID's one batch per identity and the Siamese
           pairs, so MGCAM's phases keep the paper's 75 : 15 iterations); the E3 / E7 / E12
           sweeps at fewer points (reidlib.study.sweeps.for_profile).
``full``   the same runs over 5 seeds and every sweep point of the papers (E3 0.0-1.0 in
           0.1 steps, E7's ten cells, E12 IoU 0.9 / 0.7 / 0.5, 00 on both domain styles and all
           input kinds); resumable (``make study PROFILE=full`` continues where it stopped).
``paper``  the papers' data, backbones (``model_size="paper"``), sizes and schedules (GPUs),
           images decoded by 8 DataLoader workers (``num_workers``, reidlib.engine.loader);
           its 256 x 128 is replaced by an experiment's own ``paper_image_size`` (MPM-LTL
           384 x 128, MGCAM / MSCAN 160 x 64; reidlib.engine.recipes).

``epochs`` is the total epoch budget a recipe is scaled to
(:meth:`reidlib.engine.schedule.Recipe.scaled`); ``None`` keeps the paper's epochs;
``recipe_epochs`` gives named recipes their own budget (a run's config stores its own
``epochs`` only, so changing one family's length leaves the other families' runs reusable).
Any field can be overridden with ``--set profile.<field>=value``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
import typing
from typing import Any, Mapping


PRECISIONS = ("fp32", "bf16", "fp16", "auto")
DEVICES = ("auto", "cpu", "cuda")


def resolve_precision(precision: str, capability: str | None = None, cuda: bool | None = None,
                      cuda_bf16: bool | None = None) -> str:
    """The numeric format a run trains in. ``"auto"``: on CUDA ``"bf16"`` where the device has it
    (Ampere and newer) else ``"fp16"`` (autocast with a gradient scaler); on the CPU ``"bf16"`` when
    it has native bf16 (``capability`` AVX-512 / AMX: bench/train.py measured ~1.5-2x there) else
    ``"fp32"`` (on an AVX2-only CPU bench/train.py measured bf16 autocast 2-9x *slower*: it is
    emulated). ``fp16`` is a CUDA format. ``capability`` / ``cuda`` / ``cuda_bf16`` default to
    this machine (:mod:`reidlib.engine.machine`, the one place that reads it)."""
    from . import machine

    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    on_cuda = machine.cuda_available() if cuda is None else bool(cuda)
    if precision == "fp16" and not on_cuda:
        raise ValueError("precision 'fp16' (autocast + gradient scaler) is for CUDA devices; on the CPU use "
                         "bf16, fp32 or auto")
    if precision != "auto":
        return precision
    if on_cuda:
        return "bf16" if (machine.cuda_bf16_supported() if cuda_bf16 is None else cuda_bf16) else "fp16"
    cap = (machine.cpu_capability() if capability is None else str(capability)).upper()
    return "bf16" if "AVX512" in cap or "AMX" in cap else "fp32"


def concrete_precision(profile: Mapping[str, Any], capability: str | None = None, cuda: bool | None = None) -> str:
    """The profile dict's precision with ``"auto"`` resolved for the device the run trains on
    (``device="cpu"``: this CPU's capability; ``"cuda"``; ``"auto"``: CUDA when there is one).
    Run configs store this, not ``"auto"``, so a run's id names the numeric format it trained
    in: a run trained in fp32 on an AVX2 CPU is never reused as the bf16 run of an AMX CPU
    (their numbers differ), which matters once a study's runs span sessions on other machines."""
    precision = str(profile.get("precision", "fp32"))
    if precision != "auto":
        return precision
    device = profile.get("device", "cpu")
    if cuda is None and device != "auto":
        cuda = device == "cuda"
    return resolve_precision("auto", capability, cuda)


def resolve_run_profile(profile: dict[str, Any], recipe: str, overrides: Mapping[str, Any]) -> None:
    """In place, what a run's stored profile says about *this* run (the engine's and the
    cross-domain trainer's configs both call it): ``precision`` with ``"auto"`` resolved
    (:func:`concrete_precision`), and ``epochs`` = ``recipe_epochs[recipe]`` where the profile
    names the recipe, else ``epochs``; an explicit ``profile.epochs`` in ``overrides`` (e.g.
    ``--set profile.epochs=4``) wins for every recipe. ``recipe_epochs`` is dropped: a run's
    identity is its own length, not the other families'. An unknown recipe name is an error
    naming the valid ones."""
    from .recipes import RECIPES

    profile["precision"] = concrete_precision(profile)
    per = profile.pop("recipe_epochs", None) or {}
    unknown = sorted(set(per) - set(RECIPES))
    if unknown:
        raise KeyError(f"profile.recipe_epochs names unknown recipes {unknown}; valid: {', '.join(RECIPES)}")
    explicit = "profile.epochs" in overrides or "epochs" in (overrides.get("profile") or {})
    if not explicit:
        profile["epochs"] = recipe_length({**profile, "recipe_epochs": per}, recipe)


def recipe_length(profile: Mapping[str, Any], recipe: str) -> int | None:
    """The epochs ``recipe`` trains under ``profile`` (a profile's dict, :meth:`Profile.to_dict`):
    its ``recipe_epochs`` entry, else the profile's ``epochs`` (``None``: the paper's)."""
    per = profile.get("recipe_epochs") or {}
    return int(per[recipe]) if recipe in per else profile.get("epochs")


@dataclass(frozen=True)
class Profile:
    """Scale of a run (see module docstring)."""

    name: str
    data_preset: str = "quick"           # SynthReID preset (reidlib.data.synth.ensure_synth)
    image_size: tuple[int, int] = (128, 64)
    model_size: str = "small"            # build_model(size=...)
    epochs: int | None = 10              # total epochs the recipe is scaled to; None = paper's
    seeds: tuple[int, ...] = (0,)
    batch_p: int = 8                     # identities per batch
    batch_k: int = 4                     # images per identity
    eval_every: int = 0                  # 0 = evaluate at the end only
    cache_images: bool = True
    checkpoint_every: int = 0            # steps between mid-epoch checkpoints (0 = per epoch)
    max_steps_per_epoch: int | None = None
    precision: str = "fp32"              # "bf16" / "fp16" (CUDA): autocast + channels_last; "auto"
    device: str = "cpu"                  # "cpu", "cuda" or "auto" (CUDA when there is one)
    channels_last: tuple[str, ...] = ()  # model families (name prefixes) trained fp32 in NHWC order
    from_scratch: bool = False           # no pretrained backbone: base layers train at the new layers' lr
    num_workers: int = 0                 # DataLoader processes decoding batches (reidlib.engine.loader)
    #: epochs per recipe name where a family needs another length than ``epochs`` to converge
    #: (measured: README "Convergence"); resolved into a run's ``profile.epochs``
    recipe_epochs: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.image_size) != 2 or min(self.image_size) <= 0:
            raise ValueError(f"profile {self.name!r}: image_size must be (H, W), got {self.image_size}")
        if self.epochs is not None and self.epochs <= 0:
            raise ValueError(f"profile {self.name!r}: epochs must be > 0 or None, got {self.epochs}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"profile {self.name!r}: unknown precision {self.precision!r}; valid: {', '.join(PRECISIONS)}")
        if not self.seeds or self.batch_p <= 0 or self.batch_k <= 0:
            raise ValueError(f"profile {self.name!r}: needs seeds and positive batch_p/batch_k")
        bad = {k: v for k, v in self.recipe_epochs.items() if not isinstance(v, int) or isinstance(v, bool) or v <= 0}
        if bad:
            raise ValueError(f"profile {self.name!r}: recipe_epochs must map recipe names to epochs > 0, got {bad}")

    @property
    def batch_size(self) -> int:
        return self.batch_p * self.batch_k

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["image_size"], d["seeds"] = list(self.image_size), list(self.seeds)
        d["channels_last"] = list(self.channels_last)
        d["recipe_epochs"] = dict(self.recipe_epochs)
        return d

    def override(self, **kw: Any) -> "Profile":
        valid = {f.name for f in fields(self)} - {"name"}
        bad = sorted(set(kw) - valid)
        if bad:
            raise KeyError(f"unknown profile fields {bad}; valid: {', '.join(sorted(valid))}")
        kw = {k: tuple(v) if k in ("image_size", "seeds", "channels_last") else v for k, v in kw.items()}
        return replace(self, **kw)


#: model families that train faster in fp32 channels_last on this project's 2-core AVX2 CPU
#: (bench/train.py, 96x32, 2 threads: maskreid_mf x1.62, semparts x1.21, mpm x1.13, ide x1.05;
#: mscan and mgcam x0.85, so they stay NCHW)
CPU_CHANNELS_LAST = ("maskreid", "semparts", "mpm")


def use_channels_last(profile: Any, model_name: str, capability: str | None = None,
                      cuda: bool | None = None) -> bool:
    """Does ``profile`` (a Profile or its dict) train ``model_name`` in fp32 channels_last?
    Not with autocast (that path is channels_last already); ``capability`` / ``cuda`` as in
    :func:`resolve_precision` (:func:`reidlib.engine.precision.plan_format` decides)."""
    from .precision import plan_format

    prof = profile if isinstance(profile, dict) else profile.to_dict()
    plan = plan_format(prof, model_name, capability, cuda)
    return plan.channels_last and plan.autocast is None


#: the epochs T of the quick / full profiles, from 00_convergence's doubling check on the
#: segmenter's masks (the papers' kind), fp32 (README "The converged study", issue 16); seed 0
#: unless said. SQ mAP at 128 / 256 / 512 / 1,024 / 2,048 (/ 4,096) epochs: IDE 55.6 / 64.6 /
#: 68.2 / 72.1 / 74.3 / 70.2, MPM-LTL 60.2 / 64.9 / 63.7, MSCAN 50.7 / 52.5 / 54.0, MGCAM 53.2 /
#: 56.5 / 58.7 / 60.8 / 62.6, SemParts 48.3 / 54.9 / 58.6 / 62.9 / 62.8; MaskReID 42.1 / 48.2 /
#: 55.2 / 57.1 at 64 / 128 / 256 / 512 (3 seeds on one CPU kind: 56.0 / 58.1 at 512 / 1,024);
#: ECN (target) 29.0 / 33.5 / 35.2 at 256 / 512 / 1,024.
#: Each family trains the shortest length that passed, else the length the check asks for next:
#: MPM-LTL and MSCAN 256 (passed at 3 seeds: 256 -> 512 gains +0.55 and +0.93), MaskReID 2,048
#: (and its softmax-only recipe with it; its softmax stage at 0.1 from scratch failed at 512
#: and 1,024 at seed 0: 62.45 -> 68.18 -> 78.19 (+5.73, +10.01), the ranking stage adding 3-4;
#: ``runs/quick/checks/maskreid_rate/``);
#: at 0.01 it failed at every length: 30 + 60 split 1,024 -> 2,048 +3.39 = 6.1%, 60 + 30 split
#: +4.93 = 8.3% at seed 0, SQ mAP following the epochs spent at 0.01),
#: MGCAM and SemParts 1,024
#: (passed: 1,024 -> 2,048 gains +1.8 and -0.1), IDE 2,048 (failed at 1,024: +2.2 = 3.05%;
#: passed at 2,048: -4.1 at 4,096); the
#: cross-domain runs (recipe ``cross_domain``, 00's ECN row) 512 (failed at 256: +4.5; passed at
#: 512: +1.7 at 1,024).
#: 00_convergence checks T against 2T in every study; a family's length changes only its own
#: run ids.
QUICK_EPOCHS = 512
QUICK_RECIPE_EPOCHS = {"mpm_ltl": 256, "mscan": 256, "maskreid": 2048, "maskreid_softmax": 2048,
                       "ide": 2048, "mgcam": 1024, "semparts": 1024}

QUICK = Profile("quick", data_preset="study", image_size=(96, 32), epochs=QUICK_EPOCHS, seeds=(0, 1, 2),
                batch_p=8, batch_k=4, max_steps_per_epoch=14, precision="auto", from_scratch=True,
                channels_last=CPU_CHANNELS_LAST, recipe_epochs=dict(QUICK_RECIPE_EPOCHS))

PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", data_preset="smoke", image_size=(64, 32), epochs=2, seeds=(0,),
                     batch_p=4, batch_k=4, max_steps_per_epoch=4, from_scratch=True),
    "quick": QUICK,
    # the default study's runs over 5 seeds (and, in the notebooks, every sweep point): the same training
    "full": replace(QUICK, name="full", seeds=(0, 1, 2, 3, 4)),
    "paper": Profile("paper", data_preset="cpu", image_size=(256, 128), model_size="paper",
                     epochs=None, seeds=(0,), batch_p=16, batch_k=4, eval_every=20,
                     cache_images=False, precision="auto", device="auto", num_workers=8),
}


_TYPE_NAMES = {int: "an int", str: "a string", bool: "a bool (true/false)", float: "a number", dict: "an object"}
#: range checks of profile fields: field -> (test, what it must be)
_RANGES: dict[str, tuple[Any, str]] = {
    "epochs": (lambda v: v is None or v > 0, "> 0 or null"),
    "batch_p": (lambda v: v > 0, "> 0"), "batch_k": (lambda v: v > 0, "> 0"),
    "eval_every": (lambda v: v >= 0, ">= 0"), "num_workers": (lambda v: v >= 0, ">= 0"), "checkpoint_every": (lambda v: v >= 0, ">= 0"),
    "max_steps_per_epoch": (lambda v: v is None or v > 0, "> 0 or null"),
    "image_size": (lambda v: len(v) == 2 and min(v) > 0, "[H, W] with H, W > 0"),
    "seeds": (lambda v: len(v) > 0, "a non-empty list"),
    "precision": (lambda v: v in PRECISIONS, "one of " + ", ".join(PRECISIONS)),
    "model_size": (lambda v: v in ("small", "paper"), "one of small, paper"),
    "device": (lambda v: v in DEVICES, "one of " + ", ".join(DEVICES)),
    "recipe_epochs": (lambda v: all(isinstance(e, int) and not isinstance(e, bool) and e > 0 for e in v.values()),
                      "a mapping of recipe names to epochs > 0"),
}


def _describe(hint: Any) -> str:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin is tuple:
        return f"a list of {_TYPE_NAMES.get(args[0], 'values').split(' ', 1)[1]}s"
    if args and origin is not dict:  # X | None
        return _describe(args[0]) + " or null"
    return _TYPE_NAMES.get(origin or hint, str(hint))


def _matches(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is type(None):
        return value is None
    if origin is tuple:
        return isinstance(value, (list, tuple)) and all(_matches(v, args[0]) for v in value)
    if origin is dict or hint is dict:
        return isinstance(value, dict)
    if args:  # a union (X | None)
        return any(_matches(value, a) for a in args)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, hint)


def check_profile(profile: Mapping[str, Any]) -> None:
    """Check a resolved profile dict against the :class:`Profile` field types and ranges, naming the key: ``profile.epochs expects an int or null, got 'abc'``.
    Unknown fields are a ``KeyError`` listing the valid ones."""
    hints = typing.get_type_hints(Profile)
    bad = sorted(set(profile) - set(hints))
    if bad:
        raise KeyError(f"unknown profile fields {bad}; valid: {', '.join(sorted(hints))}")
    for key, value in profile.items():
        if not _matches(value, hints[key]):
            raise TypeError(f"profile.{key} expects {_describe(hints[key])}, got {value!r}")
        if key in _RANGES and not _RANGES[key][0](value):
            raise ValueError(f"profile.{key} must be {_RANGES[key][1]}, got {value!r}")


def get_profile(name: str) -> Profile:
    """The named profile; unknown names raise KeyError listing the valid ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown profile {name!r}; valid: {', '.join(PROFILES)}") from None
