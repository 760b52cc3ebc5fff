"""Models of the four papers; build any of them with :func:`build_model` (see registry)."""
from .backbones import BACKBONES, ResNetBackbone
from .ide import IDE
from .inputs import INPUT_KINDS, InputTrunk, MaskChannelStem
from .mask_pooling import MaskPool2d, mask_pool2d
from .mpm import MPM, MPMStem, PartHead
from .registry import MODELS, build_model, list_models
from .weights import LoadReport, load_weights

__all__ = ["BACKBONES", "IDE", "INPUT_KINDS", "InputTrunk", "LoadReport", "MODELS", "MPM", "MPMStem",
           "MaskChannelStem", "MaskPool2d", "PartHead", "ResNetBackbone", "build_model", "list_models",
           "load_weights", "mask_pool2d"]
