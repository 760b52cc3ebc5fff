"""``train --dry-run`` prints the iterations a recipe means on Market, Duke, CUHK03 and MARS."""
from reidlib.__main__ import main
from reidlib.engine.paper_scale import TRAIN_SETS, iterations_table, steps_per_epoch

PROFILE = {"batch_p": 16, "batch_k": 4}


def test_steps_per_epoch_by_hand():
    assert steps_per_epoch({"name": "pk"}, PROFILE, 12_936, 751) == 202          # 12,936 // 64
    assert steps_per_epoch({"name": "triplet"}, PROFILE, 12_936, 751) == 202
    assert steps_per_epoch({"name": "siamese"}, PROFILE, 12_936, 751) == 404     # 12,936 // 32 pairs
    assert steps_per_epoch({"name": "siamese", "kwargs": {"batch_size": 64}}, PROFILE, 12_936, 751) == 202
    assert steps_per_epoch({"name": "maskreid"}, PROFILE, 12_936, 751) == 751    # one batch per identity
    assert steps_per_epoch({"name": "pk", "kwargs": {"batch_p": 8}}, PROFILE, 509_914, 625) == 15_934


def test_table_rows_are_epochs_times_steps():
    cfg = {"recipe": {"name": "r", "stages": [{"name": "a", "epochs": 60}, {"name": "b", "epochs": 20}]},
           "sampler": {"name": "pk", "kwargs": {}}, "profile": {**PROFILE, "max_steps_per_epoch": None}}
    text = iterations_table(cfg)
    row = next(line for line in text.splitlines() if line.startswith("a "))
    assert row.split()[1:] == ["60", f"{60 * 202:,}", f"{60 * (16_522 // 64):,}", f"{60 * (7_365 // 64):,}",
                               f"{60 * (509_914 // 64):,}"]
    assert set(TRAIN_SETS) == {"Market", "Duke", "CUHK03", "MARS"}
    assert "caps" not in text


def test_dry_run_prints_the_table_to_stderr(capsys):
    assert main(["train", "--experiment", "mgcam", "--profile", "paper", "--dry-run"]) == 0
    out = capsys.readouterr()
    assert '"experiment": "mgcam"' in out.out
    assert "iterations per stage of recipe 'mgcam'" in out.err
    for name in ("Market", "Duke", "CUHK03", "MARS", "mgcam", "siamese", "total"):
        assert name in out.err
