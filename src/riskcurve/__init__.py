"""riskcurve: monitor and test the thesis that liquidity rotates down the risk curve.

Layers, left to right (a layer imports only from layers to its left):
sources -> store -> panel -> measures -> stages -> study -> report / web / alerts.
"""

__version__ = "0.1.0"
