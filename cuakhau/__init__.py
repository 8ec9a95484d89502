"""Cửa khẩu số — the Digital Border Gate Platform."""
