"""SQLite backend whose write transactions queue on a process-wide lock (see base.py)."""
