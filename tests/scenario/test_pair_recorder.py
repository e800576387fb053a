"""The pair recorder behind ``pairs.csv`` and the summary: it appends the delivered pairs to a
Parquet file in batches of ``batch`` rows, and keeps per connection the count, the mean
fidelity, the mean latency (delivery − creation) and the last delivery."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from qrna.link import PairName
from qrna.rules import DeliveredPair
from qrna.scenario._pairs import PAIR_SCHEMA, PairRecorder

PS = 10**12  # picoseconds in a second


def _pair(connection: str, k: int, created_ps: int, delivered_ps: int, f: float) -> DeliveredPair:
    w = (f, (1 - f) / 2, (1 - f) / 3, (1 - f) / 6)
    return DeliveredPair(
        PairName("n0", k), created_ps, delivered_ps, f, connection=connection, weights=w
    )


PAIRS = [
    _pair("c1", 1, 1 * PS, 3 * PS, 0.9),
    _pair("c2", 2, 2 * PS, 7 * PS, 0.8),
    _pair("c1", 3, 4 * PS, 9 * PS, 0.7),
    _pair("c1", 4, 5 * PS, 6 * PS, 0.95),  # delivered before the previous one of c1
    _pair("c2", 5, 6 * PS, 8 * PS, 0.6),
    _pair("c1", 6, 8 * PS, 12 * PS, 0.85),
    _pair("c2", 7, 9 * PS, 10 * PS, 0.75),
]


def test_statistics_per_connection(tmp_path: Path) -> None:
    recorder = PairRecorder(tmp_path / "pairs.parquet", batch=3)
    for p in PAIRS:
        recorder.add(p)
    recorder.close()
    c1, c2 = recorder.stats["c1"], recorder.stats["c2"]
    assert (c1.count, c2.count) == (4, 3)
    assert c1.fidelity.mean == pytest.approx((0.9 + 0.7 + 0.95 + 0.85) / 4, rel=1e-12)
    assert c2.fidelity.mean == pytest.approx((0.8 + 0.6 + 0.75) / 3, rel=1e-12)
    # Latencies 2, 5, 1, 4 s and 5, 2, 1 s: delivery minus creation.
    assert c1.latency_s.mean == pytest.approx(12 / 4, rel=1e-12)
    assert c2.latency_s.mean == pytest.approx(8 / 3, rel=1e-12)
    assert (c1.last_ps, c2.last_ps) == (12 * PS, 10 * PS)  # the latest, not the last added


def test_the_file_holds_every_pair_in_batches_of_batch_rows(tmp_path: Path) -> None:
    path = tmp_path / "pairs.parquet"
    recorder = PairRecorder(path, batch=3)
    for p in PAIRS:
        recorder.add(p)
    recorder.close()
    meta = pq.ParquetFile(path).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [3, 3, 1]
    rows = pq.read_table(path).to_pylist()
    assert [r["name_ps"] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    first = rows[1]
    assert first["connection"] == "c2"
    assert first["creator"] == "n0"
    assert (first["created_ps"], first["delivered_ps"]) == (2 * PS, 7 * PS)
    assert first["latency_s"] == pytest.approx(5.0, rel=1e-12)
    assert first["fidelity"] == 0.8
    weights = [first[k] for k in ("w_phi_plus", "w_psi_minus", "w_psi_plus", "w_phi_minus")]
    assert weights == list(PAIRS[1].weights)


def test_close_twice_and_an_empty_recorder_leave_a_readable_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "pairs.parquet"
    recorder = PairRecorder(path)
    recorder.close()
    recorder.close()
    assert pq.read_table(path).num_rows == 0
    assert recorder.stats == {}


def test_the_columns_keep_their_types_whatever_numbers_a_pair_carries(tmp_path: Path) -> None:
    """A perfect pair may carry its fidelity and weights as ints (a float field takes an int):
    the file's columns are the schema's floats all the same, batch after batch."""
    path = tmp_path / "pairs.parquet"
    recorder = PairRecorder(path, batch=1)
    recorder.add(DeliveredPair(PairName("n0", 1), 0, PS, 1, connection="c", weights=(1, 0, 0, 0)))
    recorder.add(PAIRS[0])
    recorder.close()
    table = pq.read_table(path)
    assert table.schema.equals(PAIR_SCHEMA)
    assert table.column("fidelity").to_pylist() == [1.0, 0.9]
    assert table.column("w_phi_plus").to_pylist() == [1.0, 0.9]


def test_the_default_batch_is_8192_rows(tmp_path: Path) -> None:
    path = tmp_path / "pairs.parquet"
    recorder = PairRecorder(path)
    for i in range(8193):
        recorder.add(replace(PAIRS[0], name=PairName("n0", i + 1)))
    recorder.close()
    meta = pq.ParquetFile(path).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [8192, 1]
