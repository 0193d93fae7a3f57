"""The video app's rules in plain Python (no ORM): GB/T 28181 codes, who may watch, walls and tours."""
