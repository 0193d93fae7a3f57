"""Walls and patrol tours in plain Python: layouts, tour frames and which frame shows when.

A tour is an ordered list of steps, each a camera or a group of cameras with a dwell time. On a wall
of `tiles` tiles a step becomes frames: a camera one frame of its own, a group its cameras in chunks
of `tiles`, each frame shown for the step's dwell. `frame_at` tells which frame a tour started at a
given moment shows now, so that every screen running the same tour agrees without talking.
"""

from __future__ import annotations

from dataclasses import dataclass

TILES = (1, 4, 9, 16)
DWELL_MIN, DWELL_MAX = 5, 3600
STEPS_MAX = 500


class WallRuleError(ValueError):
    def __init__(self, problem: str, message: str):
        super().__init__(message)
        self.problem = problem


def check_tiles(tiles: int) -> None:
    if tiles not in TILES:
        raise WallRuleError("tiles", "A wall has 1, 4, 9 or 16 tiles.")


def check_layout(tiles: int, positions: list[int]) -> None:
    """Slots of a layout: positions 0 … tiles-1, each at most once."""
    check_tiles(tiles)
    if len(set(positions)) != len(positions):
        raise WallRuleError("duplicate_position", "A tile position is used twice.")
    if any(p < 0 or p >= tiles for p in positions):
        raise WallRuleError("position", f"Tile positions run from 0 to {tiles - 1}.")


def check_dwell(seconds: int) -> None:
    if not DWELL_MIN <= seconds <= DWELL_MAX:
        raise WallRuleError("dwell", f"A dwell time is {DWELL_MIN} to {DWELL_MAX} seconds.")


@dataclass(frozen=True)
class Step:
    cameras: tuple[int, ...]  # one camera, or a group's cameras in order
    dwell: int
    group: bool = False


@dataclass(frozen=True)
class Frame:
    cameras: tuple[int, ...]
    dwell: int
    step: int  # index of the step it comes from


def check_steps(steps: list[Step]) -> None:
    if not steps:
        raise WallRuleError("empty", "A tour needs at least one step.")
    if len(steps) > STEPS_MAX:
        raise WallRuleError("too_many", f"A tour has at most {STEPS_MAX} steps.")
    for step in steps:
        check_dwell(step.dwell)


def frames(steps: list[Step], tiles: int) -> list[Frame]:
    """The frames of a tour on a wall of `tiles` tiles. A group with no camera (all withdrawn or
    not visible) gives no frame."""
    check_tiles(tiles)
    out: list[Frame] = []
    for index, step in enumerate(steps):
        if not step.group:
            out.extend(Frame(step.cameras[:1], step.dwell, index) for _ in [0] if step.cameras)
            continue
        for start in range(0, len(step.cameras), tiles):
            out.append(Frame(step.cameras[start : start + tiles], step.dwell, index))
    return out


def frame_at(tour_frames: list[Frame], elapsed_seconds: float) -> tuple[int, float]:
    """(index of the frame shown `elapsed_seconds` after the tour started, seconds left on it).
    The tour loops; a tour with no frame raises WallRuleError."""
    if not tour_frames:
        raise WallRuleError("empty", "The tour shows no camera.")
    cycle = sum(f.dwell for f in tour_frames)
    t = elapsed_seconds % cycle if elapsed_seconds >= 0 else 0.0
    for index, frame in enumerate(tour_frames):
        if t < frame.dwell:
            return index, frame.dwell - t
        t -= frame.dwell
    return len(tour_frames) - 1, 0.0  # float rounding at the cycle's end
