"""Suite-wide setting: every figure the tests build is validated by Plotly as it is built (`viz.style.VALIDATE`).

The app builds its figures unvalidated (the same JSON in a quarter of the time; `viz.style.figure`), so a property
Plotly does not know would pass silently there: here it raises, in whichever test builds that figure."""
import viz.style

viz.style.VALIDATE = True
