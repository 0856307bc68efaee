"""The creator report drawn for people: one self-contained HTML page (``--format html``).

``svg`` draws shapes and axes, ``charts`` the report's charts from plain arrays, ``page`` picks
each creator's likes and the model's reference and lays out the page.
"""

from detector.visual.page import DETAIL, AgeReference, render_html

__all__ = ["DETAIL", "AgeReference", "render_html"]
