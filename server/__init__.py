"""texrender's HTTP server: Quart-Trio wiring around the render pipeline, served by Hypercorn.

It knows no TeX command line and imports only ``rendering``'s public face. Packages: ``routes``
(the views), ``http`` (what the views share), ``serving`` (processes, signals, logs) and
``store`` (documents and keys).
"""
