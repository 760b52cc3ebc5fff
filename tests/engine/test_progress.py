"""Issue 13 item 9: the progress shows the whole run's ETA; TeeLog copies stdout to a file."""
from __future__ import annotations

import sys
from types import SimpleNamespace

from reidlib.engine import hooks
from reidlib.engine.hooks import ProgressBar, TeeLog, format_seconds


def test_run_eta_counts_every_remaining_epoch(monkeypatch):
    clock = iter([100.0, 110.0])
    monkeypatch.setattr(hooks.time, "perf_counter", lambda: next(clock))
    t = SimpleNamespace(global_step=4, epochs=5, steps_per_epoch=4, total_steps=20)  # resumed at step 4 of 20
    bar = ProgressBar(quiet=True)
    bar.on_train_start(t)
    assert bar.run_eta(t) is None  # no step done in this session yet: no rate
    t.global_step = 9  # 5 steps in 10 s -> 2 s per step, 11 steps left
    assert bar.run_eta(t) == 22.0


def test_format_seconds():
    assert [format_seconds(s) for s in (0, 59.4, 75, 3700)] == ["0s", "59s", "1m15s", "1h01m"]


def test_tee_log_copies_what_is_printed(tmp_path, capsys):
    log = tmp_path / "run" / "train.log"
    (log.parent).mkdir()
    log.write_text("earlier session\n")
    real = sys.stdout
    with TeeLog(log):
        print("epoch 1/2 loss=1.0")
    assert sys.stdout is real
    print("after")
    assert log.read_text() == "earlier session\nepoch 1/2 loss=1.0\n"
    assert capsys.readouterr().out == "epoch 1/2 loss=1.0\nafter\n"
