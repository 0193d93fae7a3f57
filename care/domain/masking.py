"""Masking a person's name for lists, exports and messages. Plain Python."""


def mask_name(name: str) -> str:
    """张*明, 张* (two characters), 欧**明; the first and last characters kept, so that a worker
    can tell their persons apart in a list without the list naming anyone."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name and "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
