"""Measured evidence: readiness metrics computed from the files teams already have.

:mod:`readiness.evidence.dispatch` recognises files and runs the adapters of
:mod:`readiness.evidence.loadtest` (Locust, JMeter, k6) and :mod:`readiness.evidence.records` (production
data sample, usage log, incident log); what they share is in :mod:`readiness.evidence.base`.
"""
