"""The quantum socket API (spec §2.2): applications use the network only through it."""

from qrna.api._socket import Delivery, QuantumSocket, SocketError, socket

__all__ = ["Delivery", "QuantumSocket", "SocketError", "socket"]
