"""Issue 13 item 8: user errors print one message and exit 2 (no traceback; --debug shows it),
run in-process through ``reidlib.__main__.main``; nothing already written is touched."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reidlib import __main__ as cli
from reidlib.__main__ import main

TRAIN = ["train", "--experiment", "ide", "--profile", "smoke"]


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its digest (to show nothing was written or changed)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("sets, message", [
    (["data.nope=1"], "error: unknown config key 'data.nope'; valid at this level: dataset, "),
    (["profile.epochs=abc"], "error: profile.epochs expects an int or null, got 'abc'"),
    (["profile.batch_p=0"], "error: profile.batch_p must be > 0, got 0"),
    (["eval.metric=nope"], "error: unknown protocols [] / metrics ['nope']"),
    (["model.kwargs.nope=1"], "error: unknown keyword argument(s) ['nope'] for model 'ide_rgb'"),
    (["data.masks=optional"], "error: unknown data.masks 'optional'; valid: true, degraded, extracted, none"),
])
@pytest.mark.parametrize("dry", [True, False])
def test_bad_config_is_one_message_and_exit_2(tmp_path, capsys, sets, message, dry):
    (tmp_path / "keep.txt").write_text("already here")
    before = snapshot(tmp_path)
    argv = TRAIN + ["--runs", str(tmp_path), "--quiet"] + [a for s in sets for a in ("--set", s)]
    assert main(argv + (["--dry-run"] if dry else [])) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and "Traceback" not in err and "--debug" in err
    assert snapshot(tmp_path) == before  # no run folder, nothing changed


def test_debug_shows_the_traceback():
    with pytest.raises(KeyError, match="valid at this level"):
        main(TRAIN + ["--set", "data.nope=1", "--dry-run", "--debug"])


def test_forced_precision_typo_is_a_user_error(monkeypatch, capsys):
    monkeypatch.setenv("REIDLIB_PRECISION", "half")
    assert main(TRAIN + ["--dry-run"]) == 2
    assert "error: REIDLIB_PRECISION='half' is not a precision; valid: fp32, bf16, auto" in capsys.readouterr().err


def test_missing_run_folder_is_a_user_error(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope")]) == 2
    assert "is not a run folder (no config.json)" in capsys.readouterr().err


def test_a_command_that_fails_to_import_is_loud(monkeypatch):
    monkeypatch.setitem(cli.COMMANDS, "broken", "reidlib.no_such_command_module")
    with pytest.raises(ImportError, match="command 'broken': cannot import its module reidlib.no_such_command_module"):
        cli.build_parser()


def test_study_only_lists_the_valid_notebooks(tmp_path, monkeypatch, capsys):
    pytest.importorskip("papermill")
    from reidlib.study.driver import list_notebooks

    if not list_notebooks():
        pytest.skip("no notebooks/ in this checkout")
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    assert main(["study", "--profile", "smoke", "--only", "NOPE"]) == 2
    err = capsys.readouterr().err
    assert "error: --only ['NOPE']: no such notebook; valid: " in err
    assert list_notebooks()[0].stem in err
    assert not any(tmp_path.iterdir())


def test_study_outside_a_checkout_fails(tmp_path, monkeypatch, capsys):
    pytest.importorskip("papermill")
    from reidlib import paths

    monkeypatch.setattr(paths, "notebooks_dir", lambda: tmp_path / "notebooks")
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path / "runs"))
    assert main(["study", "--profile", "smoke"]) == 2
    err = capsys.readouterr().err
    assert f"error: no experiment notebooks in {tmp_path / 'notebooks'}: run the study from a reidlib checkout" in err
    assert not (tmp_path / "runs").exists()


def test_study_summary_of_an_unknown_profile_fails(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    assert main(["study", "--summary-only", "--profile", "nosuch"]) == 2
    assert "error: unknown profile 'nosuch'; valid: smoke, quick, full, paper" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def _market(root: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent / "data"))
    from fixtures import MARKET, make_market_style

    make_market_style(root, MARKET)


def test_a_missing_data_root_is_a_user_error_naming_data_root(tmp_path, capsys):
    runs = tmp_path / "runs"
    argv = TRAIN + ["--runs", str(runs), "--quiet", "--set", "data.dataset=market1501",
                    "--set", f"data.root={tmp_path / 'nosuch'}"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: missing folder: {tmp_path / 'nosuch'}")
    assert f"data.root='{tmp_path / 'nosuch'}' does not hold this data set" in err and "REIDLIB_DATA" not in err
    assert not runs.exists()


def test_a_mask_of_the_wrong_size_is_a_user_error_naming_both_files(tmp_path, capsys):
    from PIL import Image

    root, runs = tmp_path / "market", tmp_path / "runs"
    _market(root)
    mask = next((root / "masks" / "bounding_box_train").glob("*.png"))
    Image.new("L", (40, 80), 255).save(mask)  # the images are 4 x 8
    before = snapshot(root)
    argv = TRAIN + ["--runs", str(runs), "--quiet", "--set", "data.dataset=market1501", "--set", f"data.root={root}"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    image = root / "bounding_box_train" / (mask.stem + ".jpg")
    assert err.startswith(f"error: {mask} is 80x40 (HxW) but its image {image} is 8x4") and "Traceback" not in err
    assert snapshot(root) == before and not runs.exists()
