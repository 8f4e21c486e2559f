"""Process-wide threading choices for CPU inference; they only take effect before torch is imported.

OpenMP threads that spin-wait after each parallel region hold on to the core that other work (the
attention workers, another process) needs. On the 2-core benchmark machine, shared with other
processes, the default spinning made the packed encoder several times slower whenever another
process was busy; passive waits cost nothing measurable when the machine is idle.
"""

from __future__ import annotations

import os
import sys


def prefer_passive_waits() -> bool:
    """Ask OpenMP for passive waits unless the user chose a policy. Returns whether it can still
    apply (False once torch, and with it the OpenMP runtime, is loaded)."""
    if "torch" in sys.modules:
        return False
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return True
