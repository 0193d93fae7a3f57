"""Clocks shared by every case type: calendars, deadlines counted on them, and the sweep.

Layering (imports run one way, downwards):

    events, disputes, video …   case types: their own limits, schedule tables and steps
            │
          grids                  centers (each center names the calendar it counts on)
            │
         clocks                  calendars and holidays, phase moments and marks, the sweep driver
            │
         Django

`clocks` imports nothing from the apps above it. A case type keeps its own schedule table (a row
per case with a moment pending, `next_due_at` indexed) and registers a step with
`clocks.sweep.register`; the driver claims due rows batch by batch in its own transactions, and the
case type makes each step once, recorded with its cycle and mark (`clocks.moments`), under a unique
constraint of its own timeline.
"""
