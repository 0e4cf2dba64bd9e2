"""Tests of the lint rules, one module per module of streamconf/lint/."""
