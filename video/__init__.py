"""Camera registry and video wall. Not built yet."""
