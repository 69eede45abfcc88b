"""The indicator engine: the catalogue, derived quantities, indicators per area level and year with intervals, the published-share check, and the data path as functions."""
