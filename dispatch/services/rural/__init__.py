"""Rural county networks: a kitchen's village points, the county plan's trunk runs and village rounds.

``points`` adds village points (refusing one no car reaches in time), ``county`` builds the routing core's
``NetworkProblem`` from the database, ``plans`` plans both legs, checks them together with
``routing.network_check`` before storing and publishing, and reads a stored plan back for the check;
``travel`` is the county's travel model. Coverage through points lives with coverage (``coverage.points``).
"""
