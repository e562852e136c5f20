"""Page script: the explorer (ui.explorer_page)."""
from ui.explorer_page import render

render()
