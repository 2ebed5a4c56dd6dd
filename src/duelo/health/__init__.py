"""Training health: the reader behind `duelo doctor` (diagnosis and plot of a run's health signals)."""
