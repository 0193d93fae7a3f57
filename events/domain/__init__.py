"""Plain-Python workflow rules: no ORM, no Django models, testable exhaustively."""
