"""`python -m models sweep`: axis parsing, --help, files written, refusals, resuming."""
import json

import pandas as pd
import pytest

from models.cli.main import main
from models.config import SWEEP_AXES
from models.cli.sweep import flag, parse_axis


def test_axis_specs():
    scales = parse_axis("weight_scale", "0.5:1.5:21")
    assert len(scales) == 21 and scales[0] == 0.5 and scales[-1] == 1.5 and scales[1] == 0.55
    assert parse_axis("seq_len", "10:500:3") == [10, 255, 500]
    assert parse_axis("seq_len", "200") == [200]
    assert parse_axis("cell", "rnn,lstm,gru") == ["rnn", "lstm", "gru"]
    assert parse_axis("forget_bias", "0:3:7") == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    with pytest.raises(ValueError, match="--weight-scale 0:1:0: the range is empty"):
        parse_axis("weight_scale", "0:1:0")
    with pytest.raises(ValueError, match="--seq-len 'ten'"):
        parse_axis("seq_len", "ten")


def test_help_documents_every_axis(capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    text = capsys.readouterr().out
    for name in SWEEP_AXES:
        assert flag(name) in text, name
    assert "probe-units" in text and "--scheduler" in text


def test_sweep_writes_table_and_settings_and_a_rerun_skips_everything(tmp_path, capsys):
    args = ["sweep", "--cells", "rnn,lstm", "--weight-scale", "0.5:1.5:3", "--seq-len", "20", "--forget-bias", "0,2",
            "--hidden-size", "4", "--batch-size", "2", "--seeds", "2", "--workers", "1", "--out", str(tmp_path)]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "12 points" not in err and "24 points" in err and "18 probes" in err and "probe-units" in err
    assert "18/18 probes" in err
    table = pd.read_parquet(tmp_path / "sweep.parquet")
    assert len(table) == 2 * 3 * 2 * 2 and set(table["forget_bias"]) == {0.0, 2.0}
    settings = json.loads((tmp_path / "sweep.json").read_text())
    assert settings["axes"]["weight_scale"] == [0.5, 1.0, 1.5] and settings["seeds"] == 2
    assert main(args) == 0
    assert "18/18 probes" in capsys.readouterr().err.split("\r")[1]  # the first report: all found on disk
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "sweep.parquet"), table)


@pytest.mark.parametrize("extra, words", [
    (["--weight-scale", "0.5:1.5:0"], "range is empty"),
    (["--init", "ortho"], "init='ortho'"),
    (["--seq-len", "5000", "--hidden-size", "1024", "--batch-size", "1", "--cells", "rnn",
      "--weight-scale", "0.5:1.5:200"], "past the cap"),
])
def test_bad_input_is_a_cli_error_naming_the_value(tmp_path, capsys, extra, words):
    assert main(["sweep", "--out", str(tmp_path), *extra]) == 2
    assert words in capsys.readouterr().err
