"""Valid Fargate task sizes (CPU units -> memory MiB), for fixes that resize a task."""

from __future__ import annotations

_SIZES: dict[int, range] = {
    256: range(512, 2049, 512),  # 512, 1024, 1536 is invalid but harmless to skip below
    512: range(1024, 4097, 1024),
    1024: range(2048, 8193, 1024),
    2048: range(4096, 16385, 1024),
    4096: range(8192, 30721, 1024),
    8192: range(16384, 61441, 4096),
    16384: range(32768, 122881, 8192),
}
_VALID_256 = (512, 1024, 2048)


def memory_options(cpu: int) -> tuple[int, ...]:
    """The memory sizes Fargate accepts for this many CPU units."""
    if cpu == 256:
        return _VALID_256
    return tuple(_SIZES.get(cpu, ()))


def is_valid(cpu: int, memory: int) -> bool:
    """Whether (cpu, memory) is a Fargate task size."""
    return memory in memory_options(cpu)


def smallest_at_least(cpu: int, memory: int) -> tuple[int, int] | None:
    """The smallest valid size with at least this CPU and memory, or None beyond the table."""
    for units in sorted(_SIZES):
        if units < cpu:
            continue
        fits = [m for m in memory_options(units) if m >= memory]
        if fits:
            return units, fits[0]
    return None
