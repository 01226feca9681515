"""Piecewise-linear schedules for loss weights and rates, written `step:value,step:value` (e.g. `0:1,10000:0.1`)."""
from __future__ import annotations

import bisect


class PiecewiseLinear:
    """Linear between the given (step, value) points, constant before the first and after the last.

    `spec` is the text it was read from (a bare number is a constant), kept so a saved configuration shows the
    schedule the way its author wrote it."""

    def __init__(self, points: list[tuple[int, float]], spec: str | None = None):
        if not points:
            raise ValueError("a schedule needs at least one step:value point")
        steps = [s for s, _ in points]
        if steps != sorted(steps) or len(set(steps)) != len(steps):
            raise ValueError(f"schedule steps must increase strictly, got {steps}")
        self.points = tuple((int(s), float(v)) for s, v in points)
        self.steps = [s for s, _ in self.points]
        self.spec = spec if spec is not None else ",".join(f"{s}:{v:g}" for s, v in self.points)

    @classmethod
    def parse(cls, spec: str | float | int) -> "PiecewiseLinear":
        if isinstance(spec, bool) or not isinstance(spec, (str, int, float)):
            raise ValueError(f"cannot read schedule {spec!r}: write a number or step:value,step:value")
        if isinstance(spec, (int, float)):
            return cls([(0, float(spec))], str(spec))
        try:
            if ":" not in spec:
                return cls([(0, float(spec))], spec.strip())
            pairs = [item.split(":") for item in spec.split(",")]
            return cls([(int(step), float(value)) for step, value in pairs], spec.strip())
        except ValueError as error:
            raise ValueError(f"cannot read schedule {spec!r}: write a number or step:value,step:value") from error

    def __call__(self, step: int) -> float:
        i = bisect.bisect_right(self.steps, step)
        if i == 0:
            return self.points[0][1]
        if i == len(self.points):
            return self.points[-1][1]
        (s0, v0), (s1, v1) = self.points[i - 1], self.points[i]
        return v0 + (v1 - v0) * (step - s0) / (s1 - s0)

    def ever_positive(self) -> bool:
        """Whether the schedule is above 0 at any step (between points it is linear, so at a point)."""
        return any(value > 0 for _, value in self.points)

    def __eq__(self, other) -> bool:
        return isinstance(other, PiecewiseLinear) and self.points == other.points

    def __hash__(self) -> int:
        return hash(self.points)

    def __repr__(self) -> str:
        return repr(self.spec)
