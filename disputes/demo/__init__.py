"""Demo data of the disputes app: a mediation committee at every center (and, in `year`, a year of
Wenjiang's disputes made through the services)."""
