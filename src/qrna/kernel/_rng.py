"""Named random streams spawned from one seed.

Every component draws from its own ``numpy.random.Generator``, keyed by a stable name
(DESIGN.md: never the global numpy/random state). A stream depends only on the root seed and its
name, not on how many other streams exist or in which order they were asked for, so adding a node
to a scenario does not change the draws of the others.

Example:
    >>> streams = RngStreams(seed=7)
    >>> a = streams.stream("link/alice-bob").random()
    >>> b = RngStreams(seed=7).stream("link/alice-bob").random()
    >>> a == b
    True
"""

from __future__ import annotations

import hashlib

import numpy as np

from qrna.kernel._errors import KernelError

__all__ = ["RngStreams"]


class RngStreams:
    """A family of independent generators, one per name, all derived from ``seed``.

    Args:
        seed: a non-negative integer; the whole run is a function of it.

    Raises:
        KernelError: if ``seed`` is not a non-negative integer.
    """

    __slots__ = ("_streams", "seed")

    def __init__(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise KernelError(f"seed={seed!r} is not a non-negative integer")
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def stream(self, name: str) -> np.random.Generator:
        """The generator named ``name``; the same object on every call with that name."""
        gen = self._streams.get(name)
        if gen is None:
            if not isinstance(name, str) or not name:
                raise KernelError(f"stream name {name!r} must be a non-empty string")
            # spawn_key makes the child independent of its siblings (SeedSequence docs); a
            # cryptographic digest keeps the key stable across Python processes, unlike hash().
            digest = hashlib.blake2b(name.encode(), digest_size=16).digest()
            key = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
            seq = np.random.SeedSequence(entropy=self.seed, spawn_key=key)
            gen = np.random.Generator(np.random.PCG64(seq))
            self._streams[name] = gen
        return gen

    def names(self) -> list[str]:
        """Names of the streams handed out so far, sorted."""
        return sorted(self._streams)

    def __repr__(self) -> str:
        return f"RngStreams(seed={self.seed}, streams={len(self._streams)})"
