import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from reidlib.study.figures import save_figure, set_style


def test_save_figure_writes_png_and_pdf_deterministically(tmp_path) -> None:
    set_style()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    paths = save_figure(fig, "demo", tmp_path)
    assert [p.name for p in paths] == ["demo.png", "demo.pdf"]
    first = [p.read_bytes() for p in paths]
    save_figure(fig, "demo", tmp_path)
    assert [p.read_bytes() for p in paths] == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    plt.close(fig)


@pytest.mark.parametrize("bad", ["", "a/b", "x.png"])
def test_bad_names_raise(tmp_path, bad) -> None:
    fig = plt.figure()
    with pytest.raises(ValueError, match="bare name"):
        save_figure(fig, bad, tmp_path)
    plt.close(fig)


def test_save_figure_follows_the_umask(tmp_path) -> None:
    import os
    import stat

    fig = plt.figure()
    old = os.umask(0o022)
    try:
        paths = save_figure(fig, "perm", tmp_path)
        os.umask(0o077)
        private = save_figure(fig, "private", tmp_path, formats=("png",))
    finally:
        os.umask(old)
    assert [stat.S_IMODE(p.stat().st_mode) for p in paths] == [0o644, 0o644]
    assert stat.S_IMODE(private[0].stat().st_mode) == 0o600
    plt.close(fig)
