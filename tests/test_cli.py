"""python -m models probe writes probe.json and a weights-only-loadable model.pt."""
import json
import subprocess
import sys

import numpy as np
import torch

from models import ProbeConfig, probe


def test_probe_cli_writes_json_and_state_dict(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "models", "probe", "--cell", "gru", "--seq-len", "30",
                           "--hidden-size", "8", "--seed", "4", "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((out / "probe.json").read_text())
    expected = probe(ProbeConfig(cell="gru", seq_len=30, hidden_size=8, seed=4))
    np.testing.assert_allclose(np.array(data["grad_h"], dtype=float), expected.grad_h, rtol=1e-6)
    state = torch.load(out / "model.pt", weights_only=True)
    plain = torch.nn.GRU(1, 8)
    plain.load_state_dict(state)
    torch.testing.assert_close(plain.weight_hh_l0, expected.model.weight_hh_l0)


def test_probe_cli_bad_value_is_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "models", "probe", "--hidden-size", "0", "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "hidden_size=0 is out of range: allowed [1, 1024]" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_documents_every_option():
    proc = subprocess.run([sys.executable, "-m", "models", "probe", "--help"], capture_output=True, text=True)
    for flag in ("--cell", "--seq-len", "--hidden-size", "--input-size", "--num-layers", "--weight-scale", "--init",
                 "--activation", "--forget-bias", "--input-scale", "--batch-size", "--seed", "--dtype", "--out"):
        assert flag in proc.stdout


def test_probe_help_says_what_the_controls_drive_in_the_newer_cells(tmp_path):
    out = subprocess.run([sys.executable, "-m", "models", "probe", "--help"], capture_output=True, text=True).stdout
    assert "lru: weight-scale: top of the |λ| ring" in out and "mingru: weight-scale: -" in out
    proc = subprocess.run([sys.executable, "-m", "models", "probe", "--cell", "lru", "--seq-len", "20", "--hidden-size",
                           "8", "--out", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0 and (tmp_path / "probe.json").exists()
    bad = subprocess.run([sys.executable, "-m", "models", "probe", "--cell", "lru", "--hidden-size", "7", "--out",
                          str(tmp_path)], capture_output=True, text=True)
    assert bad.returncode == 2 and "must be even" in bad.stderr
