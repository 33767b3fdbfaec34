"""Pure analyzers: `analyze(snapshot)` returns ranked findings, the first is the root cause."""

from ecs_medic.analyzers.registry import ANALYZERS, Analysis, Analyzer, analyze

__all__ = ["ANALYZERS", "Analysis", "Analyzer", "analyze"]
