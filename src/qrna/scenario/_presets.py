"""Built-in scenarios (``qrna presets``); ``metro`` is what ``qrna run`` runs by default."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["DEFAULT_PRESET", "PRESETS"]

_METRO: dict[str, Any] = {
    "name": "metro",
    "description": (
        "A small metropolitan network: four end nodes, three routers, MIM and MM links. "
        "The direct r1-r2 link is poor, so qDijkstra routes high-fidelity traffic around it; "
        "QKD, teleportation and tomography run at once, with purification where the target "
        "needs it."
    ),
    "qnic": {"memories": 8, "t1_s": 10.0, "t2_s": 1.0, "cnot_error": 0.002, "readout_error": 0.001},
    "nodes": [
        {"name": "alice", "type": "COMP"},
        {"name": "bob", "type": "COMP"},
        {"name": "carol", "type": "COMP"},
        {"name": "dave", "type": "COMP"},
        {"name": "r1", "type": "RTR"},
        {"name": "r2", "type": "RTR"},
        {"name": "r3", "type": "RTR"},
    ],
    "links": [
        {"a": "alice", "b": "r1", "type": "MIM", "length_km": 8, "emission_fidelity": 0.98},
        {"a": "r1", "b": "r2", "type": "MIM", "length_km": 12, "emission_fidelity": 0.9},
        {"a": "r1", "b": "r3", "type": "MIM", "length_km": 10, "emission_fidelity": 0.98},
        {"a": "r3", "b": "r2", "type": "MIM", "length_km": 10, "emission_fidelity": 0.98},
        {"a": "r2", "b": "bob", "type": "MM", "length_km": 6, "emission_fidelity": 0.98},
        {"a": "carol", "b": "r3", "type": "MIM", "length_km": 5, "emission_fidelity": 0.98},
        {"a": "dave", "b": "r2", "type": "MIM", "length_km": 9, "emission_fidelity": 0.98},
    ],
    "traffic": [
        {
            "name": "qkd",
            "app": "qkd",
            "initiator": "alice",
            "responder": "bob",
            "fidelity": 0.85,
            "pairs": 2000,
            "memories": 4,
        },
        {
            "name": "teleport",
            "app": "teleport",
            "initiator": "carol",
            "responder": "dave",
            "fidelity": 0.9,
            "pairs": 1000,
            "memories": 4,
        },
        {
            "name": "tomography",
            "app": "tomography",
            "initiator": "dave",
            "responder": "alice",
            "fidelity": 0.8,
            "duration_s": 0.1,
            "memories": 2,
            "start_s": 0.002,
        },
    ],
    "simulation": {"duration_s": 0.5, "seed": 1},
}

# Hardware of today's better labs rather than ideal parts, so that delivered fidelities are
# below 1 and the plans have something to trade: memories keep coherence for about a second
# (T2 = 1 s, T1 = 10 s, trapped ions or NV centres), a memory emits a photon entangled with it
# at fidelity 0.98, two-qubit gates fail 0.2 % of the time and readout 1 %, detectors see 90 %
# of photons with a 1e-6 dark count per gate, and fibre loses 0.2 dB/km (the link default).
_NOISY_QNIC: dict[str, Any] = {
    "memories": 8,
    "t1_s": 10.0,
    "t2_s": 1.0,
    "emission_fidelity": 0.98,
    "cnot_error": 0.002,
    "single_qubit_error": 0.0005,
    "readout_error": 0.01,
}
_NOISY_LINK: dict[str, Any] = {
    "detector_efficiency": 0.9,
    "dark_count_probability": 1e-6,
    "loss_db_per_km": 0.2,
}

_CHAIN: dict[str, Any] = {
    "name": "chain",
    "description": (
        "Four nodes in a line, 10 km MIM links on noisy hardware; one connection end to end."
    ),
    "qnic": _NOISY_QNIC,
    "topology": {"kind": "chain", "nodes": 4, "link": _NOISY_LINK | {"length_km": 10}},
    "traffic": [{"initiator": "n0", "responder": "n3", "fidelity": 0.8, "pairs": 500}],
    "simulation": {"duration_s": 0.1, "seed": 1},
}

_RANDOM: dict[str, Any] = {
    "name": "random",
    "description": "30 routers on a random graph, 20 concurrent connections, noisy hardware.",
    "qnic": _NOISY_QNIC,
    "topology": {"kind": "random", "nodes": 30, "seed": 3, "degree": 3.0, "link": _NOISY_LINK},
    "traffic": [
        {
            "initiator": f"r{a}",
            "responder": f"r{b}",
            "fidelity": 0.8,
            "pairs": 50,
            "memories": 2,
            "start_s": 0.001 + i * 1e-4,
        }
        for i, (a, b) in enumerate(
            [
                (0, 17),
                (3, 22),
                (5, 11),
                (8, 29),
                (13, 2),
                (21, 7),
                (25, 14),
                (1, 19),
                (9, 27),
                (16, 4),
                (28, 6),
                (12, 23),
                (20, 10),
                (24, 15),
                (26, 18),
                (11, 3),
                (7, 29),
                (14, 0),
                (19, 22),
                (2, 27),
            ]
        )
    ],
    "simulation": {"duration_s": 1.0, "seed": 2},
}

# Recursion (spec §5): three networks of different technologies and one inside one of them.
# A node holds memories for each layer it runs, and a virtual link's ends up to twice the
# connection's: 16 per QNIC serve three connections of 2 through one border.
_INTERNET_QNIC: dict[str, Any] = _NOISY_QNIC | {"memories": 16}
_INTERNET: dict[str, Any] = {
    "name": "internet",
    "description": (
        "Networks of networks: a campus (MIM links) with a lab inside it (MM links, its own "
        "memories), a backbone provider of entangled-photon-source links (MSM) and a city "
        "network (MIM, shorter-lived memories), joined by border routers, and eve at the "
        "top; three connections cross two or three networks, each set up recursively (spec "
        "§5): every network crossed runs a connection of its own between its borders, "
        "planned by its own Responder and hidden from the layer above."
    ),
    "qnic": _INTERNET_QNIC,
    "nodes": [{"name": "eve", "type": "COMP"}],
    "networks": [
        {
            "name": "uni",
            "nodes": [
                {"name": "gw", "type": "REP1"},
                {"name": "r", "type": "RTR"},
                {"name": "carol", "type": "COMP"},
            ],
            "links": [
                {"a": "lab.hub", "b": "r", "length_km": 2} | _NOISY_LINK,
                {"a": "r", "b": "gw", "length_km": 4} | _NOISY_LINK,
                {"a": "carol", "b": "r", "length_km": 3} | _NOISY_LINK,
            ],
            "networks": [
                {
                    "name": "lab",
                    "qnic": _INTERNET_QNIC | {"t2_s": 2.0, "emission_fidelity": 0.99},
                    "nodes": [{"name": "hub", "type": "REP1"}, {"name": "alice", "type": "COMP"}],
                    "links": [{"a": "alice", "b": "hub", "type": "MM", "length_km": 0.5}],
                }
            ],
        },
        {
            "name": "telco",
            "nodes": [
                {"name": "t0", "type": "REP1"},
                {"name": "t1", "type": "RTR"},
                {"name": "t2", "type": "REP1"},
            ],
            "links": [
                {"a": "t0", "b": "t1", "type": "MSM", "length_km": 15} | _NOISY_LINK,
                {"a": "t1", "b": "t2", "type": "MSM", "length_km": 15} | _NOISY_LINK,
            ],
        },
        {
            "name": "city",
            "qnic": _INTERNET_QNIC | {"t2_s": 0.5},
            "nodes": [
                {"name": "gw", "type": "RTR"},
                {"name": "c1", "type": "REP1"},
                {"name": "bob", "type": "COMP"},
                {"name": "dave", "type": "COMP"},
            ],
            "links": [
                {"a": "gw", "b": "c1", "length_km": 5} | _NOISY_LINK,
                {"a": "c1", "b": "bob", "length_km": 4} | _NOISY_LINK,
                {"a": "gw", "b": "dave", "length_km": 6} | _NOISY_LINK,
            ],
        },
    ],
    "links": [
        {"a": "uni.gw", "b": "telco.t0", "length_km": 10} | _NOISY_LINK,
        {"a": "telco.t2", "b": "city.gw", "length_km": 10} | _NOISY_LINK,
        {"a": "eve", "b": "telco.t1", "type": "MM", "length_km": 3} | _NOISY_LINK,
    ],
    "traffic": [
        {
            "name": "alice-eve",
            "initiator": "uni.lab.alice",
            "responder": "eve",
            "fidelity": 0.75,
            "pairs": 200,
            "memories": 2,
        },
        {
            "name": "carol-dave",
            "initiator": "uni.carol",
            "responder": "city.dave",
            "fidelity": 0.75,
            "pairs": 200,
            "memories": 2,
            "start_s": 0.002,
        },
        {
            "name": "eve-bob",
            "initiator": "eve",
            "responder": "city.bob",
            "fidelity": 0.75,
            "pairs": 200,
            "memories": 2,
            "start_s": 0.003,
        },
    ],
    "simulation": {"duration_s": 0.5, "seed": 1},
}

PRESETS: Final[dict[str, dict[str, Any]]] = {
    "metro": _METRO,
    "chain": _CHAIN,
    "random": _RANDOM,
    "internet": _INTERNET,
}
DEFAULT_PRESET: Final = "metro"
