"""Tests of the HTTP app (``server/``): settings, metrics and the command line here; each
package in a folder of its own."""
