"""Deployment: the Debian package list, the container image tooling and Kubernetes manifests."""
