"""The scans equal the plain loops they replace."""
import pytest
import torch

from models.scan import diagonal_recurrence, linear_scan, reverse_linear_scan, shift_down


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


@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128])
@pytest.mark.parametrize("T", [1, 2, 17])
def test_diagonal_recurrence_values_and_gradients(dtype, T):
    """h_t = a_t h_{t-1} + b_t from h0, against a plain loop, and its backward (one reverse scan) by gradcheck;
    a shared decay (N,) broadcasts, as the LRU's lambda does."""
    gen = torch.Generator().manual_seed(T)
    a = (torch.rand(T, 3, 4, generator=gen, dtype=torch.float64) * 0.9).to(dtype).requires_grad_(True)
    b = torch.randn(T, 3, 4, generator=gen, dtype=torch.float64).to(dtype).requires_grad_(True)
    h0 = torch.randn(3, 4, generator=gen, dtype=torch.float64).to(dtype).requires_grad_(True)
    h, expected = h0, []
    for t in range(T):
        h = a[t] * h + b[t]
        expected.append(h)
    torch.testing.assert_close(diagonal_recurrence(a, b, h0), torch.stack(expected), rtol=1e-12, atol=1e-12)
    assert torch.autograd.gradcheck(diagonal_recurrence, (a, b, h0), fast_mode=True)
    lam = (torch.rand(4, generator=gen, dtype=torch.float64) * 0.9).to(dtype).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda l, b: diagonal_recurrence(l, b), (lam, b), fast_mode=True)
