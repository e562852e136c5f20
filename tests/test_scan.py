"""The scans equal the plain loops they replace."""
import pytest
import torch

from models.scan import linear_scan, reverse_linear_scan, shift_down


@pytest.mark.parametrize("T", [1, 2, 3, 5, 64, 100])
def test_scans_match_loops(T):
    gen = torch.Generator().manual_seed(T)
    decay = torch.rand(T, 2, 3, generator=gen, dtype=torch.float64)
    drive = torch.randn(T, 2, 3, generator=gen, dtype=torch.float64)
    forward, y = [], torch.zeros(2, 3, dtype=torch.float64)
    for t in range(T):
        y = decay[t] * y + drive[t]
        forward.append(y)
    torch.testing.assert_close(linear_scan(decay, drive), torch.stack(forward))
    backward, y = [None] * T, torch.zeros(2, 3, dtype=torch.float64)
    for t in reversed(range(T)):
        y = drive[t] + (decay[t + 1] * y if t + 1 < T else 0)
        backward[t] = y
    torch.testing.assert_close(reverse_linear_scan(decay, drive), torch.stack(backward))


def test_shifts():
    x = torch.arange(4.0)
    assert shift_down(x).tolist() == [0, 0, 1, 2]
    assert shift_down(x, torch.tensor(9.0)).tolist() == [9, 0, 1, 2]
