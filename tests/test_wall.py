"""Pascanu, Mikolov & Bengio (2013)'s one-unit RNN (`models.wall`) against an independent computation: plain Python
floats, the recurrence unrolled by hand, its gradient by forward-mode differentiation (dx_t/dw, dx_t/db carried
along the loop), checked in turn against central finite differences. Then the descent, clipped and not, step by
step, and chapter 3's figure (`viz.wall`) as drawn data.
"""
import math

import numpy as np
import pytest
import torch

from models import wall
from viz.wall import wall_figure


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def reference(w: float, b: float) -> tuple[float, float, float]:
    """E_50 = (σ(x_50) − 0.7)² and (∂E/∂w, ∂E/∂b), x_t = w σ(x_{t−1}) + b from x_0 = 0.5, in plain floats."""
    x, dx_dw, dx_db = 0.5, 0.0, 0.0
    for _ in range(50):
        s = sigmoid(x)
        ds = s * (1.0 - s)
        x, dx_dw, dx_db = w * s + b, s + w * ds * dx_dw, 1.0 + w * ds * dx_db
    s = sigmoid(x)
    dE_dx = 2.0 * (s - 0.7) * s * (1.0 - s)
    return (s - 0.7) ** 2, dE_dx * dx_dw, dE_dx * dx_db


def reference_descent(start, lr: float, steps: int, tau: float) -> list[tuple[float, float]]:
    w, b = start
    path = [(w, b)]
    for _ in range(steps):
        _, gw, gb = reference(w, b)
        norm = math.hypot(gw, gb)
        scale = tau / norm if norm > tau else 1.0
        w, b = w - lr * scale * gw, b - lr * scale * gb
        path.append((w, b))
    return path


POINTS = [(1.5, -3.0), (3.0, 1.0), (4.5, -3.0), (6.0, -4.0), (8.0, 2.0), (9.5, -5.5)]


@pytest.fixture(scope="module")
def surface():
    return wall.surface(n_w=46, n_b=36)


@pytest.fixture(scope="module")
def runs():
    return wall.clipping_runs(1.0)


def test_reference_gradient_is_the_finite_difference():
    """The forward-mode reference itself, against central differences (away from the wall)."""
    for w, b in POINTS:
        _, gw, gb = reference(w, b)
        h = 1e-6
        fw = (reference(w + h, b)[0] - reference(w - h, b)[0]) / (2 * h)
        fb = (reference(w, b + h)[0] - reference(w, b - h)[0]) / (2 * h)
        assert gw == pytest.approx(fw, rel=1e-4, abs=1e-9) and gb == pytest.approx(fb, rel=1e-4, abs=1e-9)


def test_surface_and_its_gradient_match_plain_python(surface):
    w, b = surface["w"], surface["b"]
    assert w[0] == wall.W_RANGE[0] and w[-1] == wall.W_RANGE[1] and b[0] == wall.B_RANGE[0] and b[-1] == wall.B_RANGE[1]
    for j in (0, 7, 17, 35):  # rows are b, columns w
        for i in (0, 11, 30, 45):
            e, gw, gb = reference(float(w[i]), float(b[j]))
            assert surface["error"][j, i] == pytest.approx(e, rel=1e-10, abs=1e-15)
            assert surface["grad_norm"][j, i] == pytest.approx(math.hypot(gw, gb), rel=1e-8, abs=1e-14)
    ws, bs = (torch.tensor(v, dtype=torch.float64) for v in zip(*POINTS))
    error, grad = wall.error_and_gradient(ws, bs)
    for (w0, b0), e, g in zip(POINTS, error.tolist(), grad.tolist()):
        ref = reference(w0, b0)
        assert e == pytest.approx(ref[0], rel=1e-10) and g == pytest.approx(ref[1:], rel=1e-8, abs=1e-14)


def test_the_wall_is_steep_and_the_plateaus_flat(surface):
    """Across the wall E falls by about 0.4 and the gradient is 1e1 or more; on the plateaus it is tiny."""
    assert surface["error"].max() > 0.45 and surface["error"].min() < 1e-3
    start, landing = wall.START, (8.970609302891905, 7.1296478492346935)
    assert math.hypot(*reference(*landing)[1:]) < 1e-6 and math.hypot(*reference(*start)[1:]) < 1.0


def reference_step(point, lr: float, tau: float) -> tuple[float, float]:
    return tuple(reference_descent(point, lr, 1, tau)[1])


@pytest.mark.parametrize("tau", [0.3, 1.0, 3.0, math.inf])
def test_descent_is_plain_python_descent(tau):
    """Every step is the reference's step from the same point (near the wall the path is chaotic: a 1e-16
    difference grows, so whole paths are compared only up to the wall, where they agree to 1e-9)."""
    runs = wall.descend([tau])
    path = runs["path"][0]
    for k in range(wall.STEPS_SHOWN):
        assert path[k + 1] == pytest.approx(reference_step(tuple(path[k]), wall.LR, tau), rel=1e-8, abs=1e-10)
    ref = np.array(reference_descent(wall.START, wall.LR, 19, tau))  # up to and across the first step at the wall
    np.testing.assert_allclose(path[:20], ref, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(runs["error"][0], [reference(*p)[0] for p in path], rtol=1e-9, atol=1e-15)
    assert np.linalg.norm(np.diff(path, axis=0), axis=1).max() <= wall.LR * tau + 1e-9  # never longer than lr * tau


def test_unclipped_step_is_thrown_off_the_wall_and_stays_there(runs):
    plain, cut = runs["unclipped"], runs["clipped"]
    jump = plain["jump"]
    ref = np.array(reference_descent(wall.START, wall.LR, wall.STEPS_SHOWN, math.inf))
    lengths = np.linalg.norm(np.diff(ref, axis=0), axis=1)
    k = int(lengths.argmax())
    assert jump["step"] == k and jump["length"] == pytest.approx(lengths[k], rel=1e-9) and lengths[k] > 5
    assert jump["to"] == pytest.approx(ref[k + 1].tolist(), rel=1e-9)
    assert plain["error"][-1] == pytest.approx(0.09, abs=0.005)  # the far plateau: σ(x_50) -> 1
    assert cut["error"][-1] < 1e-3 and cut["jump"]["length"] <= 1.0 + 1e-9
    assert cut["clipped"].sum() >= 1 and not plain["clipped"].any()


def test_bad_thresholds_are_refused_with_a_reason():
    for bad in ([0.0], [-1.0], [float("nan")], []):
        with pytest.raises(ValueError, match="positive"):
            wall.descend(bad)
    with pytest.raises(ValueError, match="positive finite"):
        wall.clipping_runs(math.inf)


def test_figure_draws_the_surface_both_runs_and_the_jump(surface, runs):
    pieces = {"steps": np.array([0.0, 1.0, 2.0, 4.0]), "factor": 0.5}
    fig = wall_figure(surface, runs, 1.0, pieces, title="t")
    contour = fig.data[0]
    np.testing.assert_allclose(contour.z, np.log10(np.maximum(surface["error"], 1e-4)))
    np.testing.assert_allclose(contour.customdata, surface["error"])
    plain, cut = fig.data[1], fig.data[2]
    np.testing.assert_allclose(np.c_[plain.x, plain.y], runs["unclipped"]["path"])
    np.testing.assert_allclose(np.c_[cut.x, cut.y], runs["clipped"]["path"])
    before, after = (t for t in fig.data if t.xaxis == "x2")
    np.testing.assert_allclose(np.asarray(after.y) / np.asarray(before.y), 0.5)  # every piece scaled alike
    arrow = next(a for a in fig.layout.annotations if a.showarrow and a.axref == "x")
    assert (arrow.ax, arrow.ay) == tuple(runs["unclipped"]["jump"]["from"])
    assert (arrow.x, arrow.y) == tuple(runs["unclipped"]["jump"]["to"])
