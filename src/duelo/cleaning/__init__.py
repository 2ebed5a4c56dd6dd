"""Data cleaning (`duelo clean`): find what should not be trained on — unreadable or degenerate items, exact and
near duplicates, outliers, likely mislabelled items — report it in plain words and write a cleaned copy; the
original data is never modified. image_faults.py finds; report.py writes."""
