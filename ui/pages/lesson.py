"""Page script: the lesson (ui.lesson)."""
from ui.lesson.page import render

render()
