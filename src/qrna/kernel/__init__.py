"""The event kernel: integer-picosecond scheduler, named RNG streams, tracing.

It imports nothing else from qrna but the root error: it knows no qubit, node or message.
"""

from qrna.kernel._errors import KernelError, SchedulingError
from qrna.kernel._rng import RngStreams, choice_index
from qrna.kernel._scheduler import Callback, Scheduler, Timer, TraceHook
from qrna.kernel._trace import TraceRecorder, callback_label
from qrna.kernel._units import PS_PER_S, ps_to_s, s_to_ps

__all__ = [
    "Callback",
    "KernelError",
    "PS_PER_S",
    "RngStreams",
    "Scheduler",
    "SchedulingError",
    "Timer",
    "TraceHook",
    "TraceRecorder",
    "callback_label",
    "choice_index",
    "ps_to_s",
    "s_to_ps",
]
