"""Disputes (矛盾纠纷) and mediation. Not built yet."""
