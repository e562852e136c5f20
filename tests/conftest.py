"""Suite-wide setting: every figure the tests build is validated by Plotly as it is built (`viz.style.VALIDATE`).

The app builds its figures unvalidated (the same JSON in a quarter of the time; `viz.style.figure`), so a property
Plotly does not know would pass silently there: here it raises, in whichever test builds that figure.

Fixture `one_torch_thread`: a module that trains takes it (`pytestmark = pytest.mark.usefixtures(...)`), to train
on one thread as the app does (two threads on a busy 2-core machine are slower)."""
import pytest
import torch

import viz.style

viz.style.VALIDATE = True


@pytest.fixture
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
