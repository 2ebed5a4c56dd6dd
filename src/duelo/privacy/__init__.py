"""Differential privacy and privacy audits: the accountant (accounting), per-record clipped and noised gradients
(dpsgd), the guarded real data that only the accountant's sampler reads (records), membership-inference audits
(audit)."""
