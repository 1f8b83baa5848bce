"""/proc figures shared by the benchmarks."""

from __future__ import annotations

from pathlib import Path


def peak_rss_mb(pid: int) -> float:
    """Peak resident set (VmHWM) of a live process, in MB; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
