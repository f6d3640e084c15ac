"""The container image (built and run with buildah) and the Kubernetes manifests."""
