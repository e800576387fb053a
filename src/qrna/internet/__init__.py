"""Recursion (spec §5): networks of networks, their borders and the layer each one routes over.

Example:
    >>> from qrna.internet import Internetwork
    >>> Internetwork({"a.r": "a", "b.r": "b"}, [("a.r", "b.r")], {"a": "", "b": ""})
    Internetwork(networks=2, nodes=2, links=1)
"""

from qrna.control import offer  # a network's offer, planned as its own Responder would
from qrna.internet._domains import ROOT, Internetwork
from qrna.internet._errors import InternetError
from qrna.internet._rewrite import hand_over

__all__ = ["InternetError", "Internetwork", "ROOT", "hand_over", "offer"]
