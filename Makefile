# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
export CLINIC_PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export CLINIC_AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/

.PHONY: run test lint bench infra browser kubectl wrk clean

$(VENV)/.installed: requirements.txt requirements-dev.txt scripts/ensure-venv.sh
	VENV=$(VENV) bash scripts/ensure-venv.sh

infra:
	bash scripts/ensure-infra.sh

# The browser tests: Debian's chromium, and libatomic1, which Playwright's node driver links.
browser:
	bash scripts/ensure-chromium.sh

# The manifest tests render deploy/k8s with `kubectl kustomize`.
kubectl:
	bash scripts/ensure-kubectl.sh

# The booking benchmark's load generator.
wrk:
	bash scripts/ensure-wrk.sh

## run: the whole system (services, gateway, portal, admin console, mail sink, demo data)
run: $(VENV)/.installed infra
	$(PY) -m devstack

## test: lint, then every test against real PostgreSQL, RabbitMQ, SMTP and chromium
test: $(VENV)/.installed infra browser kubectl wrk lint
	$(PY) -m pytest

# Checked strictly by mypy: all of shared/, services/, gateway/ and devstack/ (tests excepted, pyproject.toml [tool.mypy]).
TYPED := shared services gateway devstack

## lint: ruff (style and format), import-linter (the layout's boundaries, pyproject.toml [tool.importlinter]), mypy strict
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy $(TYPED)

## bench: booking, gateway hop, notification latency, search, login, the pipeline end to end at 400/700/1,000 bookings/s, a rush of 0.5x-3x capacity against the waiting room, memory (about 20 min, 127.0.0.1 only); writes bench/report.json, bench/report.md, bench/sweep.png, bench/pipeline.png
bench: $(VENV)/.installed infra wrk
	$(PY) -m bench.booking

## verify: chaos, fuzz, authz, code brute-force and privacy checks; writes bench/verify.json, fails on any failure
verify: $(VENV)/.installed infra
	$(PY) -m bench.verify

clean:
	rm -rf $(VENV) .run .pytest_cache .ruff_cache
