"""``train --dry-run`` prints the iterations a recipe means on Market, Duke, CUHK03 and MARS."""
from reidlib.__main__ import main
from reidlib.engine.experiment import resolve_config
from reidlib.engine.paper_scale import TRAIN_SETS, iterations_table, steps_per_epoch

PROFILE = {"batch_p": 16, "batch_k": 4}


def test_steps_per_epoch_by_hand():
    assert steps_per_epoch({"name": "pk"}, PROFILE, 12_936, 751) == 202          # 12,936 // 64
    assert steps_per_epoch({"name": "triplet"}, PROFILE, 12_936, 751) == 202
    assert steps_per_epoch({"name": "siamese"}, PROFILE, 12_936, 751) == 404     # 12,936 // 32 pairs
    assert steps_per_epoch({"name": "siamese", "kwargs": {"batch_size": 64}}, PROFILE, 12_936, 751) == 202
    assert steps_per_epoch({"name": "maskreid"}, PROFILE, 12_936, 751) == 751    # one batch per identity
    assert steps_per_epoch({"name": "pk", "kwargs": {"batch_p": 8}}, PROFILE, 509_914, 625) == 15_934


def _row(text, name):
    return next(line for line in text.splitlines() if line.startswith(name + " ")).split()


def test_table_rows_are_epochs_times_steps():
    cfg = {"recipe": {"name": "r", "stages": [{"name": "a", "epochs": 60, "lrs": {"base": 1}},
                                              {"name": "b", "epochs": 20, "lrs": {"base": 1}}]},
           "sampler": {"name": "pk", "kwargs": {}}, "profile": {**PROFILE, "max_steps_per_epoch": None}}
    text = iterations_table(cfg)
    assert _row(text, "a")[1:] == ["pk", "60", "ep", f"{60 * 202:,}", f"{60 * (16_522 // 64):,}",
                                   f"{60 * (7_365 // 64):,}", f"{60 * (509_914 // 64):,}"]
    assert set(TRAIN_SETS) == {"Market", "Duke", "CUHK03", "MARS"}
    assert "caps" not in text


def test_mgcam_paper_schedule_is_75k_iterations_of_random_128_batches():
    """Issue 14 item 3 (MGCAM sec. 4.1): phase 1 is ~75k iterations of 128 random images on every
    set (it was 75 epochs of Siamese pairs: ~30k on Market, over a million on MARS)."""
    cfg = resolve_config("mgcam", "paper", {"profile.from_scratch": True})
    text = iterations_table(cfg)
    market = 12_936 // 128                                   # 101 random batches per epoch
    assert _row(text, "mgcam")[1:4] == ["random", "75,000", "it"]
    assert _row(text, "mgcam")[4] == f"{743 * market:,}"     # round(75,000 / 101) = 743 epochs
    assert _row(text, "mgcam")[7] == f"{19 * (509_914 // 128):,}"   # MARS: 3,983 steps, 19 epochs
    pairs = 12_936 // 32                                     # phase 2: 404 Siamese batches of 32 pairs
    assert _row(text, "siamese")[1:5] == ["siamese", "15,000", "it", f"{37 * pairs:,}"]


def test_dry_run_prints_the_table_to_stderr(capsys):
    assert main(["train", "--experiment", "mgcam", "--profile", "paper", "--dry-run"]) == 0
    out = capsys.readouterr()
    assert '"experiment": "mgcam"' in out.out
    assert "iterations per stage of recipe 'mgcam'" in out.err
    for name in ("Market", "Duke", "CUHK03", "MARS", "mgcam", "siamese", "total"):
        assert name in out.err
