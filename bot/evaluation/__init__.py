"""Evaluation of answers against a fixed question set (`kiosque eval`)."""
