"""Issue 13 items 5-6: the whole resolved config is checked before any data or model is built,
naming the key; real data's files are part of the run identity; data.root errors hint data.root."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from reidlib.engine import data_spec
from reidlib.engine.experiment import build_trainer, resolve_config, validate_config
from reidlib.engine.profiles import check_profile, get_profile
from reidlib.engine.runs import config_hash

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from fixtures import MARKET, make_market_style  # noqa: E402


@pytest.mark.parametrize("key, value, exc, message", [
    ("epochs", "abc", TypeError, "profile.epochs expects an int or null, got 'abc'"),
    ("epochs", 0, ValueError, "profile.epochs must be > 0 or null, got 0"),
    ("batch_p", 2.5, TypeError, "profile.batch_p expects an int, got 2.5"),
    ("batch_k", 0, ValueError, "profile.batch_k must be > 0, got 0"),
    ("cache_images", "yes", TypeError, "profile.cache_images expects a bool (true/false), got 'yes'"),
    ("image_size", [64], ValueError, "profile.image_size must be [H, W] with H, W > 0, got [64]"),
    ("seeds", [], ValueError, "profile.seeds must be a non-empty list, got []"),
    ("precision", "fp8", ValueError, "profile.precision must be one of fp32, bf16, fp16, auto, got 'fp8'"),
    ("device", "tpu", ValueError, "profile.device must be one of auto, cpu, cuda, got 'tpu'"),
    ("model_size", "huge", ValueError, "profile.model_size must be one of small, paper, got 'huge'"),
])
def test_profile_fields_are_checked_against_their_types(key, value, exc, message):
    prof = get_profile("smoke").to_dict()
    check_profile(prof)
    with pytest.raises(exc) as err:
        check_profile({**prof, key: value})
    assert str(err.value) == message
    with pytest.raises(exc) as err:  # the same message from config resolution
        resolve_config("ide", "smoke", {f"profile.{key}": value})
    assert str(err.value) == message


@pytest.mark.parametrize("key, value, exc, match", [
    ("eval.metric", "nope", ValueError, r"unknown protocols \[\] / metrics \['nope'\]"),
    ("eval.protocols", ["zz"], ValueError, r"unknown protocols \['zz'\]"),
    ("eval.flip", "maybe", TypeError, "eval.flip a bool"),
    ("model.kwargs.nope", 1, TypeError, r"unknown keyword argument\(s\) \['nope'\] for model"),
    ("data.masks", "optional", ValueError, "unknown data.masks 'optional'; valid: true, degraded, extracted, none"),
    ("data.mask_iou", 1.5, ValueError, r"data.mask_iou must be a number in \(0, 1\], got 1.5"),
    ("data.dataset", "nosuch", KeyError, "unknown data.dataset 'nosuch'; valid: synth, "),
])
def test_bad_configs_fail_before_building_data(monkeypatch, tmp_path, key, value, exc, match):
    def no_data(*a, **k):
        raise AssertionError("build_data was called before the config was validated")

    monkeypatch.setattr(data_spec, "build_data", no_data)
    if key == "data.dataset":  # resolution fingerprints real data: validate the synth config edited
        cfg = resolve_config("ide", "smoke")
        cfg["data"]["dataset"] = value
    else:
        cfg = resolve_config("ide", "smoke", {key: value})
    with pytest.raises(exc, match=match):
        validate_config(cfg)
    with pytest.raises(exc, match=match):
        build_trainer(cfg, runs_root=tmp_path)
    assert not any(tmp_path.iterdir())  # no run folder that could never finish


def _market_cfg(root: Path) -> dict:
    return resolve_config("ide", "smoke", {"data.dataset": "market1501", "data.root": str(root)})


def test_real_data_files_are_part_of_the_run_identity(tmp_path):
    root = tmp_path / "market"
    make_market_style(root, MARKET)
    a = _market_cfg(root)
    assert a["data"]["data_key"] and a == _market_cfg(root)  # deterministic
    img = root / "bounding_box_train" / MARKET["bounding_box_train"][1]
    st = img.stat()
    os.utime(img, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a fixed image: same name, new mtime
    b = _market_cfg(root)
    assert b["data"]["data_key"] != a["data"]["data_key"] and config_hash(a) != config_hash(b)
    mask = root / "masks" / "bounding_box_train" / (Path(MARKET["bounding_box_train"][1]).stem + ".png")
    mask.write_bytes((root / "masks" / "bounding_box_train" /
                      (Path(MARKET["bounding_box_train"][0]).stem + ".png")).read_bytes())  # a new mask
    c = _market_cfg(root)
    assert c["data"]["data_key"] not in (a["data"]["data_key"], b["data"]["data_key"])
    synth = resolve_config("ide", "smoke")
    assert "data_key" not in synth["data"] and "synth_key" in synth["data"]


def test_a_missing_data_root_names_data_root_not_the_env_variable(tmp_path):
    from reidlib.data.base import DatasetLayoutError

    cfg = _market_cfg(tmp_path / "nosuch")
    assert cfg["data"]["data_key"] is None  # resolvable (dry-run shows it), but training says why not
    with pytest.raises(DatasetLayoutError) as err:
        data_spec.read_records(cfg["data"], "smoke")
    msg = str(err.value)
    assert f"data.root={str(tmp_path / 'nosuch')!r} does not hold this data set" in msg
    assert "REIDLIB_DATA" not in msg and "missing folder" in msg


def test_recipe_epochs_give_each_family_its_own_length_and_run_identity():
    """profile.recipe_epochs: a run stores its own epochs (the recipe's entry, else profile.epochs),
    so changing one family's length leaves the other families' run ids unchanged; an explicit
    profile.epochs wins for every recipe; an unknown recipe name or a bad length is named."""
    per = {"profile.recipe_epochs": {"maskreid": 3}}
    mpm, mr = resolve_config("mpm_ltl", "smoke", per), resolve_config("maskreid", "smoke", per)
    assert mpm["profile"]["epochs"] == get_profile("smoke").epochs and mr["profile"]["epochs"] == 3
    assert "recipe_epochs" not in mpm["profile"] and sum(s["epochs"] for s in mr["recipe"]["stages"]) == 3
    assert config_hash(mpm) == config_hash(resolve_config("mpm_ltl", "smoke"))
    assert config_hash(mr) == config_hash(resolve_config("maskreid", "smoke", {"profile.epochs": 3}))
    assert resolve_config("maskreid", "smoke", {**per, "profile.epochs": 5})["profile"]["epochs"] == 5
    with pytest.raises(KeyError, match=r"profile.recipe_epochs names unknown recipes \['nope'\]; valid: mpm_ltl"):
        resolve_config("ide", "smoke", {"profile.recipe_epochs": {"nope": 3}})
    with pytest.raises(ValueError, match="profile.recipe_epochs must be a mapping of recipe names to epochs > 0"):
        resolve_config("ide", "smoke", {"profile.recipe_epochs": {"ide": 0}})
    quick = get_profile("quick")
    assert quick.recipe_epochs and quick.to_dict()["recipe_epochs"] == quick.recipe_epochs
    for exp, recipe in (("maskreid", "maskreid"), ("ide", "ide"), ("mscan", "mscan"), ("mgcam", "mgcam"), ("mpm_ltl", "mpm_ltl")):
        assert resolve_config(exp, "quick")["profile"]["epochs"] == quick.recipe_epochs.get(recipe, quick.epochs)
