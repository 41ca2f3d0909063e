"""Use cases, one package per bounded context; each package's docstring says what it holds.

Services flush; the edge of a use case (a request, a CLI command, a job) commits. The three modules
beside the packages (``alerts``, ``geocoding``, ``notifications``) only keep old RQ job paths working.
"""
