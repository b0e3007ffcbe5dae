"""`--plot FILE.png`: CPU per forwarded packet and loss against the number of subscribers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loadtest.sfu import SfuResult

GOAL_US_PER_PACKET = 15.0  # issue #3


def plot_sweep(results: list[SfuResult], path: Path, title: str) -> None:
    if path.suffix.lower() != ".png":
        raise ValueError(f"the plot is a PNG file: {path} does not end in .png")
    try:
        import matplotlib

        matplotlib.use("Agg")  # no screen needed
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise RuntimeError("--plot needs matplotlib: .venv/bin/pip install -e '.[bench]'") from exc
    counts = [r.subscribers for r in results]
    figure, (cpu, loss) = plt.subplots(2, 1, sharex=True, figsize=(7, 6), height_ratios=(2, 1))
    cpu.plot(counts, [r.sfu_cpu_us_per_packet for r in results], "o-", label="total")
    cpu.plot(counts, [r.sfu_cpu_user_us_per_packet for r in results], "s--", label="user")
    cpu.plot(counts, [r.sfu_cpu_sys_us_per_packet for r in results], "^--", label="kernel")
    floors = [r.floor_us_per_packet for r in results]
    if all(floor is not None for floor in floors):
        cpu.plot(counts, floors, "x:", color="black", label="bare relay (floor)")
    cpu.axhline(GOAL_US_PER_PACKET, color="grey", linestyle=":", label="goal")
    cpu.set_ylabel("SFU CPU per forwarded packet (µs)")
    cpu.set_ylim(bottom=0)
    cpu.legend()
    cpu.grid(alpha=0.3)
    cpu.set_title(title)
    loss.plot(counts, [100 * r.loss_ratio for r in results], "o-", color="tab:red")
    loss.set_ylabel("loss (%)")
    loss.set_ylim(bottom=0)
    loss.set_xlabel("subscribers")
    loss.set_xscale("log", base=2)
    loss.set_xticks(counts, [str(n) for n in counts])
    loss.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
