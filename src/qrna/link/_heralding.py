"""Per-attempt success probability, heralded state and timing of each link type, in closed form.

One *attempt* is one memory pair (one time bin) in one round. The round period is
T = max(n·τ, (n − 1)·τ + base) for n time bins spaced τ apart, where ``base`` is how long a bin's
memories are committed (from emission or absorption until the herald is back): a round ends
when the last herald of its train is back, so every bin's memories are free again at the next
round (physics.md: the longer of the emission train and the heralding round trip). With one
memory this is the familiar L/c (MIM, MSM) or 2L/c (MM).

Heralded states (after the Pauli-frame correction to Φ+):

- **double click** (MIM, and MM through the receiver's BSA): the two memory–photon pairs
  (Werner, emission fidelity) are swapped by the BSA, photons depolarise in the fibre
  (``pauli_error_per_km``), imperfect visibility V dephases with probability (1 − V)/2. With
  per-arm efficiency η_x (emission × fibre × detector) and dark-count probability d per detector,
  true heralds come with p_true = ½·η_a·η_b·(1 − d)², false ones (one photon plus a dark count
  completing one of the 2 valid patterns with its detector, or two dark counts in one of the 4
  patterns) with p_false = [η_a(1−η_b) + (1−η_a)η_b]·2d(1−d)² + (1−η_a)(1−η_b)·4d²(1−d)², and
  leave I/4 (the memories' photons were lost, so the memories are uncorrelated).
- **single click** (MIM): each memory is √(1−θ)|0⟩|vac⟩ + √θ|1⟩|photon⟩. One detected photon
  (from either side, which-path erased with visibility V) heralds Ψ±; two bright memories herald
  |11⟩ when the photons bunch (HOM) or one is lost; a dark count with no photon heralds the
  memories' diagonal state. The exact state is built in the computational basis below; the
  Bell-diagonal backend uses its twirl. With η_a = η_b = η, V = 1, d = 0:
  p = 2θ(1−θ)η + θ²(2η − η²) and F = 2θ(1−θ)η/p ≈ 1 − θ.
- **MM with a MEAS receiver**: the photon is measured at b: p = η_emit·η_fibre·η_det.
- **MSM**: a pair per pulse with probability η_s; each end stores (or detects) its photon with
  η_x; a false absorption herald fires with probability d. True heralds: η_s·η_a·η_b; all:
  η_s·h_a·h_b + (1 − η_s)·d² with h_x = η_x + (1 − η_x)·d. False heralds leave I/4.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass

import numpy as np

from qrna.hardware import QNIC, Fibre, Node, NodeType
from qrna.link._spec import LinkSpec, LinkType
from qrna.physics import BellDiagonal, DensityMatrix, depolarize, pauli_channel, swap

__all__ = ["HeraldModel", "herald_model", "single_click_state"]


@dataclass(frozen=True, slots=True)
class HeraldModel:
    """What one attempt of a link does, and when.

    Times are seconds relative to a bin's slot time t_slot = t_round + bin·τ.

    Attributes:
        p_success: probability that one attempt heralds a pair (true or false herald).
        p_true: the part of ``p_success`` from genuine entanglement.
        state: the heralded state (Bell-diagonal backend).
        state_dm: the heralded state (density-matrix backend).
        bins: n, the number of time bins (parallel attempts) per round.
        slot_s: τ, the spacing of bins.
        base_s: how long a bin's memories stay committed.
        period_s: the round period T.
        commit_s: per end, when its half starts to exist in memory (emission or absorption),
            or when a MEAS end measures it.
        herald_s: per end, when the herald reaches it.
        name_s: the time stamp in the pair's name (the heralding event).
        creator: the address that names pairs (BSA, receiver or EPPS).
        measured: per end, True for a MEAS end (measures its photon, stores nothing).
        reinit_s: the longer of the two ends' memory re-initialisation times: a round lasts
            at least that long (``QNIC.reinit_s``).
    """

    p_success: float
    p_true: float
    state: BellDiagonal
    state_dm: DensityMatrix
    bins: int
    slot_s: float
    base_s: float
    period_s: float
    commit_s: tuple[float, float]
    herald_s: tuple[float, float]
    name_s: float
    creator: str
    measured: tuple[bool, bool]
    reinit_s: float = 0.0

    def rate_hz(self, bins: int | None = None) -> float:
        """Expected heralds per second with ``bins`` bins always filled (default: all)."""
        m = self.bins if bins is None else bins
        return m * self.p_success / self.period_s

    @property
    def fidelity(self) -> float:
        """Fidelity of the heralded state, before any storage."""
        return self.state.fidelity


def _werner_pair_swap(fa: float, fb: float) -> BellDiagonal:
    return swap(BellDiagonal.werner(fa), BellDiagonal.werner(fb))


def _double_click(
    eta_a: float,
    eta_b: float,
    d: float,
    visibility: float,
    fid_a: float,
    fid_b: float,
    dep_a: float,
    dep_b: float,
) -> tuple[float, float, BellDiagonal]:
    p_true = 0.5 * eta_a * eta_b * (1.0 - d) ** 2
    one = eta_a * (1.0 - eta_b) + (1.0 - eta_a) * eta_b
    none = (1.0 - eta_a) * (1.0 - eta_b)
    p_false = one * 2.0 * d * (1.0 - d) ** 2 + none * 4.0 * d * d * (1.0 - d) ** 2
    true_state = _werner_pair_swap(fid_a, fid_b)
    if visibility < 1.0:
        true_state = pauli_channel(true_state, (0.0, 0.0, (1.0 - visibility) / 2.0), (0,))
    true_state = depolarize(depolarize(true_state, dep_a, (0,)), dep_b, (1,))
    return p_true, p_false, _mix(true_state, p_true, p_false)


def _mix(true_state: BellDiagonal, p_true: float, p_false: float) -> BellDiagonal:
    total = p_true + p_false
    if total <= 0.0:
        return true_state
    w = p_false / total
    return BellDiagonal.from_weights([(1.0 - w) * x + w * 0.25 for x in true_state.as_tuple()])


def single_click_state(
    theta: float, eta_a: float, eta_b: float, d: float, visibility: float
) -> tuple[float, float, DensityMatrix]:
    """(p_success, p_true, corrected heralded state) of single-click heralding, exactly.

    Basis |s_a s_b⟩ with s = 1 the bright state. The Pauli-frame correction is X on b, taking
    the heralded Ψ+ to Φ+ (the D− detector's Ψ− gets a Z as well, which leaves every other term,
    all diagonal, unchanged).
    """
    m = np.zeros((4, 4))
    i00, i01, i10, i11 = 0, 1, 2, 3
    one = (1.0 - d) * theta * (1.0 - theta)
    m[i10, i10] += one * eta_a
    m[i01, i01] += one * eta_b
    coherence = one * visibility * math.sqrt(eta_a * eta_b)
    m[i10, i01] += coherence
    m[i01, i10] += coherence
    # Both bright: one click unless both photons are detected and, being distinguishable with
    # probability 1 − V, leave by different ports (two clicks, rejected).
    both_seen = eta_a * eta_b
    single_seen = eta_a * (1.0 - eta_b) + (1.0 - eta_a) * eta_b
    m[i11, i11] += theta**2 * (1.0 - d) * (single_seen + both_seen * (1.0 + visibility) / 2.0)
    dark = 2.0 * d * (1.0 - d)
    m[i00, i00] += dark * (1.0 - theta) ** 2
    m[i10, i10] += dark * theta * (1.0 - theta) * (1.0 - eta_a)
    m[i01, i01] += dark * theta * (1.0 - theta) * (1.0 - eta_b)
    m[i11, i11] += dark * theta**2 * (1.0 - eta_a) * (1.0 - eta_b)
    p = float(np.trace(m))
    p_true = one * (eta_a + eta_b)
    x_on_b = np.kron(np.eye(2), np.array([[0.0, 1.0], [1.0, 0.0]]))
    corrected = x_on_b @ m @ x_on_b
    return p, p_true, DensityMatrix(corrected / p) if p > 0 else DensityMatrix.perfect()


def _qnic(node: Node, index: int) -> QNIC | None:
    return None if node.type is NodeType.MEAS else node.qnics[index]


# A network asks once per link and connection (each connection's share of a link is a link
# spec of its own, most of them equal): 120 µs each to build, 6 µs to hash a spec.
@functools.lru_cache(maxsize=4096)
def herald_model(spec: LinkSpec) -> HeraldModel:
    """The closed-form model of ``spec``'s attempts (see the module docstring); equal specs
    give the same (immutable) model. A memory that must be re-initialised between attempts
    (``QNIC.reinit_s``) makes a round last at least that long."""
    model = _model(spec)
    reinit = max(
        (q.reinit_s for q in (_qnic(spec.a, spec.qnic_a), _qnic(spec.b, spec.qnic_b)) if q),
        default=0.0,
    )
    if reinit > model.period_s:
        model = dataclasses.replace(model, period_s=reinit, reinit_s=reinit)
    return model


def _model(spec: LinkSpec) -> HeraldModel:
    qa, qb = _qnic(spec.a, spec.qnic_a), _qnic(spec.b, spec.qnic_b)
    speed = spec.fibre.speed_m_per_s
    whole = spec.fibre.length_km * 1e3 / speed
    measured = (qa is None, qb is None)
    if spec.type is LinkType.MM:
        return _mm(spec, qa, qb, whole, measured)
    fa, fb = spec.fibre.split(spec.middle_fraction)
    ta, tb = fa.delay_s, fb.delay_s
    if spec.type is LinkType.MIM:
        assert qa is not None
        assert qb is not None
        assert spec.middle is not None
        bsa = spec.middle.bsa
        assert bsa is not None
        eta_a = qa.emission_efficiency * fa.transmittance * bsa.detector_efficiency
        eta_b = qb.emission_efficiency * fb.transmittance * bsa.detector_efficiency
        d = bsa.dark_count_probability
        if spec.heralding == "single_click":
            p, p_true, dm = single_click_state(
                spec.bright_state_population, eta_a, eta_b, d, bsa.visibility
            )
            bd = dm.twirl()
        else:
            p_true, p_false, bd = _double_click(
                eta_a,
                eta_b,
                d,
                bsa.visibility,
                qa.emission_fidelity,
                qb.emission_fidelity,
                fa.depolarising_probability,
                fb.depolarising_probability,
            )
            p, dm = p_true + p_false, DensityMatrix.from_bell_diagonal(bd)
        far = max(ta, tb)
        n = min(qa.memories, qb.memories)
        slot = max(qa.emission_interval_s, qb.emission_interval_s)
        return _finish(
            p,
            p_true,
            bd,
            dm,
            n,
            slot,
            base=2.0 * far,
            commit=(far - ta, far - tb),
            herald=(far + ta, far + tb),
            name=far,
            creator=spec.middle.address,
            measured=measured,
        )
    return _msm(spec, qa, qb, fa, fb, whole, measured)


def _mm(
    spec: LinkSpec, qa: QNIC | None, qb: QNIC | None, whole: float, measured: tuple[bool, bool]
) -> HeraldModel:
    assert qa is not None
    fibre = spec.fibre
    if qb is None:  # MEAS receiver measures the photon itself
        p = qa.emission_efficiency * fibre.transmittance * spec.b.detector_efficiency
        bd = depolarize(
            BellDiagonal.werner(qa.emission_fidelity), fibre.depolarising_probability, (1,)
        )
        n, p_true = qa.memories, p
    else:
        bsa = spec.receiver_bsa
        eta_a = qa.emission_efficiency * fibre.transmittance * bsa.detector_efficiency
        eta_b = qb.emission_efficiency * bsa.detector_efficiency
        p_true, p_false, bd = _double_click(
            eta_a,
            eta_b,
            bsa.dark_count_probability,
            bsa.visibility,
            qa.emission_fidelity,
            qb.emission_fidelity,
            fibre.depolarising_probability,
            0.0,
        )
        p = p_true + p_false
        n = min(qa.memories, qb.memories)
    return _finish(
        p,
        p_true,
        bd,
        DensityMatrix.from_bell_diagonal(bd),
        n,
        qa.emission_interval_s,
        base=2.0 * whole,
        commit=(0.0, whole),
        herald=(2.0 * whole, whole),
        name=whole,
        # The receiving QNIC names the pair, not the node: a node receiving on two MM links,
        # or swapping at the instant a pair is heralded, must never reuse a name (spec §3.1).
        creator=spec.b.address
        if spec.b.type is NodeType.MEAS
        else spec.b.qnic_address(spec.qnic_b),
        measured=measured,
    )


def _msm(
    spec: LinkSpec,
    qa: QNIC | None,
    qb: QNIC | None,
    fa: Fibre,
    fb: Fibre,
    whole: float,
    measured: tuple[bool, bool],
) -> HeraldModel:
    assert spec.middle is not None
    epps = spec.middle.epps
    assert epps is not None
    d = epps.dark_count_probability

    def eta(node: Node, q: QNIC | None, f: Fibre) -> float:
        if q is None:
            return f.transmittance * node.detector_efficiency
        return f.transmittance * q.absorption_efficiency * epps.detector_efficiency

    eta_a, eta_b = eta(spec.a, qa, fa), eta(spec.b, qb, fb)
    ps = epps.pair_probability
    p_true = ps * eta_a * eta_b
    h_a, h_b = eta_a + (1.0 - eta_a) * d, eta_b + (1.0 - eta_b) * d
    p = ps * h_a * h_b + (1.0 - ps) * d * d
    true_state = BellDiagonal.werner(epps.source_fidelity)
    true_state = depolarize(true_state, fa.depolarising_probability, (0,))
    true_state = depolarize(true_state, fb.depolarising_probability, (1,))
    bd = _mix(true_state, p_true, p - p_true)
    ta, tb = fa.delay_s, fb.delay_s
    near = min(ta, tb)
    commit = (ta - near, tb - near)  # the nearer end stores at the slot time
    herald = (commit[1] + whole, commit[0] + whole)  # each learns of the other's absorption
    memory_ends = [q for q in (qa, qb) if q is not None]
    if memory_ends:
        n = min(q.memories for q in memory_ends)
        base = max(h for h, q in zip(herald, (qa, qb), strict=True) if q is not None)
    else:
        n, base = 1, 0.0
    return _finish(
        p,
        p_true,
        bd,
        DensityMatrix.from_bell_diagonal(bd),
        n,
        epps.pulse_interval_s,
        base=base,
        commit=commit,
        herald=herald,
        name=-near,
        creator=spec.middle.address,
        measured=measured,
    )


def _finish(
    p: float,
    p_true: float,
    bd: BellDiagonal,
    dm: DensityMatrix,
    n: int,
    slot: float,
    *,
    base: float,
    commit: tuple[float, float],
    herald: tuple[float, float],
    name: float,
    creator: str,
    measured: tuple[bool, bool],
) -> HeraldModel:
    period = max(n * slot, (n - 1) * slot + base)
    return HeraldModel(
        p_success=min(1.0, p),
        p_true=p_true,
        state=bd,
        state_dm=dm,
        bins=n,
        slot_s=slot,
        base_s=base,
        period_s=period,
        commit_s=commit,
        herald_s=herald,
        name_s=name,
        creator=creator,
        measured=measured,
    )
