"""Starter workflows (`striatum workflow init`) and the examples built from them."""
