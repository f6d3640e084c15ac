"""The container image, built with buildah: its base (``base``), the build (``build``), what it
weighs (``report``), and the formats step run inside it (``formats``). ``python -m deploy.image``
is what ``make image`` runs."""
