"""Tests of the engine (``rendering/``): the door, the errors, the explanations and the shipped
templates here; each stage in a folder of its own."""
