"""Test suite of tap-telegram."""
