"""Page script: the bare URL, forwarded with its query to the lesson or the explorer (ui.nav.landing)."""
from ui.nav import forward

forward()
