"""Delivered pairs, streamed to disk as a run goes: one row per pair in a Parquet file, and
running statistics per connection so that the summary never needs the rows.

A long run delivers millions of pairs; held as Python objects they cost about a kilobyte each.
The ``PairRecorder`` takes each checked pair from the delivery ledger
(``DeliveryLedger.stream_to``), buffers ``batch`` rows as plain columns, and appends them to
the file as one row group; memory stays bounded by the batch.

Per connection it keeps the count, the first and last delivery times, and the mean and spread
of fidelity and latency (``qrna.apps.RunningStats``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from qrna.apps import RunningStats
from qrna.rules import DeliveredPair

__all__ = ["PAIR_SCHEMA", "ConnectionPairs", "PairRecorder"]

PAIR_SCHEMA = pa.schema(
    [
        ("connection", pa.string()),
        ("creator", pa.string()),
        ("name_ps", pa.int64()),
        ("created_ps", pa.int64()),
        ("delivered_ps", pa.int64()),
        ("latency_s", pa.float64()),
        ("fidelity", pa.float64()),
        ("w_phi_plus", pa.float64()),
        ("w_psi_minus", pa.float64()),
        ("w_psi_plus", pa.float64()),
        ("w_phi_minus", pa.float64()),
    ]
)


@dataclass(slots=True)
class ConnectionPairs:
    """What the summary needs of one connection's delivered pairs."""

    fidelity: RunningStats
    latency_s: RunningStats
    last_ps: int

    @property
    def count(self) -> int:
        return self.fidelity.n


class PairRecorder:
    """Receives delivered pairs, appends them to ``path`` (Parquet) in batches of ``batch``
    rows, and keeps per-connection statistics (``stats``). ``close`` writes the last rows;
    the file is complete (a readable Parquet file) only after it."""

    def __init__(self, path: Path, batch: int = 8192) -> None:
        self.path = path
        self.batch = batch
        self.stats: dict[str, ConnectionPairs] = {}
        self._rows: list[DeliveredPair] = []
        self._writer: pq.ParquetWriter | None = pq.ParquetWriter(path, PAIR_SCHEMA)

    def add(self, p: DeliveredPair) -> None:
        """One checked pair (a ``DeliveryLedger`` sink)."""
        self._rows.append(p)
        latency = (p.delivered_ps - p.created_ps) * 1e-12
        s = self.stats.get(p.connection)
        if s is None:
            s = self.stats[p.connection] = ConnectionPairs(
                RunningStats(), RunningStats(), p.delivered_ps
            )
        s.fidelity.add(p.fidelity)
        s.latency_s.add(latency)
        s.last_ps = max(s.last_ps, p.delivered_ps)
        if len(self._rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        """Append the buffered rows to the file."""
        if not self._rows or self._writer is None:
            return
        rows, self._rows = self._rows, []
        columns: dict[str, Any] = {
            "connection": [p.connection for p in rows],
            "creator": [p.name.creator for p in rows],
            "name_ps": [p.name.t_ps for p in rows],
            "created_ps": [p.created_ps for p in rows],
            "delivered_ps": [p.delivered_ps for p in rows],
            "latency_s": [(p.delivered_ps - p.created_ps) * 1e-12 for p in rows],
            "fidelity": [p.fidelity for p in rows],
        }
        for i, name in enumerate(("w_phi_plus", "w_psi_minus", "w_psi_plus", "w_phi_minus")):
            columns[name] = [p.weights[i] for p in rows]
        self._writer.write_table(pa.table(columns, schema=PAIR_SCHEMA))

    def close(self) -> None:
        """Write what is buffered and finish the file."""
        if self._writer is None:
            return
        self.flush()
        self._writer.close()
        self._writer = None
