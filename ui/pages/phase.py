"""Page script: the phase diagrams (ui.phase_page, listed in ui.nav only once it exists)."""
from ui.phase_page import render

render()
