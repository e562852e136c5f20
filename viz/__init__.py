"""Pure figure builders: numpy arrays in, `plotly.graph_objects.Figure` out.

No Streamlit, no torch. Time is shown as t = 1..T (array index + 1) on every figure, with the
same x range, so the views line up. Colours for cells and gates live in `viz.style`.
"""
from .connectivity import connectivity_figure
from .contributions import contributions_figure
from .examples import decay_figure
from .gates import gate_figure
from .gradient_norm import gradient_norm_figure
from .heatmap import magnitude_heatmap_figure
from .paths import gradient_paths_figure
from .phase import phase_figure, phase_grids
from .style import CELL_COLORS, GATE_COLORS, label_colors

__all__ = ["CELL_COLORS", "GATE_COLORS", "connectivity_figure", "contributions_figure", "decay_figure", "gate_figure",
           "gradient_norm_figure", "gradient_paths_figure", "phase_figure", "phase_grids", "label_colors", "magnitude_heatmap_figure"]
