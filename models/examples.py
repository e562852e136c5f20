"""The tutorials' worked examples, computed by the engine rather than typed in.

- `toy_rnn_example`: the RNN of “史上最详细循环神经网络讲解” with every weight 1, no bias, linear activation, 2-d input,
  hidden and output; inputs [1,1], [1,1], [2,2] give outputs [4,4], [12,12], [32,32].
- `decay_example`: “从 RNN 到 LSTM”'s 0.8^50 = 0.0000142725, as the gradient of a one-unit linear RNN with
  W_hh = 0.8 after 50 steps back, next to the plain power.
- `parameter_counts`: “从 RNN 到 LSTM”'s LSTM count 4(n(m+n)+n) next to PyTorch's 4(n(m+n)+2n).
"""
from __future__ import annotations

import torch

from .cells import ElementwiseRNN, build_model, parameter_count, seed_parameter_count
from .config import ProbeConfig
from .probe import probe


def toy_rnn_example(inputs=((1.0, 1.0), (1.0, 1.0), (2.0, 2.0))) -> dict:
    """s_t = U x_t + W s_{t-1}, o_t = V s_t with U = W = V = all-ones 2x2, s_0 = 0 (“史上最详细循环神经网络讲解”)."""
    rnn = ElementwiseRNN(2, 2, nonlinearity="linear", dtype=torch.float64)
    with torch.no_grad():
        for name, p in rnn.named_parameters():
            p.fill_(1.0 if name.startswith("weight") else 0.0)
    readout = torch.ones(2, 2, dtype=torch.float64)  # V
    x = torch.tensor(inputs, dtype=torch.float64).unsqueeze(1)  # (T, 1, 2)
    with torch.no_grad():
        hidden, _ = rnn(x)  # (T, 1, 2)
        outputs = hidden @ readout.T
    return {
        "inputs": x[:, 0].tolist(),
        "hidden": hidden[:, 0].tolist(),
        "outputs": outputs[:, 0].tolist(),
    }


def decay_example(base: float = 0.8, steps: int = 50) -> dict:
    """||dL/dh_1|| of the linear RNN h_t = base * h_{t-1} + u x_t over steps+1 steps: base^steps.

    Returns the probe's curve (gradient at distance k = 0..steps from the loss), the final value,
    and base**steps computed directly, so the two can be shown (and tested) side by side.
    """
    cfg = ProbeConfig(cell="rnn", activation="linear", init="identity", weight_scale=base,
                      hidden_size=1, seq_len=steps + 1, batch_size=1, dtype="float64")
    r = probe(cfg)
    curve = r.grad_h[0][::-1].tolist()  # distance from the loss: 0, 1, ..., steps
    return {"base": base, "steps": steps, "curve": curve, "final": curve[-1], "power": base**steps}


def parameter_counts(cell: str, input_size: int, hidden_size: int, num_layers: int = 1) -> dict:
    """The tutorial's count (one bias per gate) and PyTorch's (b_ih and b_hh per gate), for these sizes."""
    cfg = ProbeConfig(cell=cell, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers,
                      seq_len=1, batch_size=1)
    seed_count = seed_parameter_count(cell, input_size, hidden_size, num_layers)
    torch_count = parameter_count(build_model(cfg))
    return {"seed": seed_count, "pytorch": torch_count, "difference": torch_count - seed_count}
