# texrender: `make run` serves on 127.0.0.1:8000, `make test` runs the whole suite.
# Both first install whatever is missing (TeX Live from Debian packages, the locked Python env).
.PHONY: setup run test lint format bench soak fuzz previews screenshot
BIN := .venv/bin
HOST ?= 127.0.0.1
PORT ?= 8000

setup:
	@./.ci/install-deps

# On loopback, API keys are off unless asked for: TEXRENDER_AUTH=on make run.
run: setup
	TEXRENDER_AUTH=$${TEXRENDER_AUTH:-off} $(BIN)/texrender serve --bind $(HOST):$(PORT)

# The suite in one worker a core (at most four): most of its time is one TeX run or server at a
# time, so on two cores it takes about 6 minutes instead of 11.
test:
	@./.ci/install-deps --tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest --numprocesses=auto --maxprocesses=4

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python -m loadtest.bench

soak: setup
	$(BIN)/python -m loadtest.soak

# Schemathesis against a live server, every phase and 200 examples an operation (a few minutes).
fuzz: setup
	API_FUZZ=full $(BIN)/pytest tests/server/http/test_openapi.py -k schemathesis -o timeout=1800

# The README's picture of each template: page 1 of its sample at 60 dpi.
previews: setup
	for folder in templates/*/; do \
		[ -f $$folder/template.tex.j2 ] || continue; \
		name=$$(basename $$folder); \
		$(BIN)/texrender render $$name $$folder/sample.json -o $$folder/preview.png --dpi 60 || exit 1; \
	done

# The README's picture of the playground: Debian's chromium (a test package), driven by
# Playwright, against a server of its own with the real templates.
screenshot:
	@./.ci/install-deps --tests
	$(BIN)/python -m tests.browser.screenshot docs/playground.png

# The container image (README, Container image), built with buildah; the base is Debian's slim
# image, or one made here with debootstrap where no registry answers (deploy/image/base.py).
.PHONY: image image-report image-test lint-image
image:
	$(BIN)/python -m deploy.image build

image-report:
	$(BIN)/python -m deploy.image report

# The image built (its build time and size printed), then run read-only: ready, a render, a
# drain on SIGTERM (tests/deploy/test_image.py; its own build is then the cached one, seconds).
# Minutes from cold; .ci/run runs it after make test.
image-test: image
	TEXRENDER_IMAGE_TEST=1 $(BIN)/pytest -p no:cacheprovider -s tests/deploy/test_image.py

lint-image:
	$(BIN)/hadolint Containerfile
