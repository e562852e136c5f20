# Two commands on a fresh machine: `make run` (the app) and `make test` (everything the tests need, then the tests).
PYTHON ?= python3
PORT ?= 8501
ADDRESS ?= 0.0.0.0

.PHONY: run class test deps dev-deps browser proxy bench

# Quiet, root warning included: `make class` prints its two links as its first lines.
deps:
	@$(PYTHON) -m pip install -q --disable-pip-version-check --root-user-action=ignore -r requirements.txt

dev-deps:
	$(PYTHON) -m pip install -q -r requirements-dev.txt

# Debian's chromium drives the browser tests (Playwright cannot download its own browser here); a CJK font, so the
# Chinese lesson is drawn with real glyphs (the one-screen test measures its text).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; }

# Debian's HAProxy is `make class`'s reverse proxy (scripts/proxy.py says why HAProxy); the tests start it too.
proxy:
	@command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; }

# scripts.serve = streamlit run app.py, with torch imported and the default probes cached before the first visitor.
# No file watching: Streamlit's watcher resolves the path of every loaded module (torch's thousands) for each new
# session, ~0.45 s of the server's time (for an editing session with reload on save: streamlit run app.py).
run: deps
	$(PYTHON) -m scripts.serve --server.port $(PORT) --server.fileWatcherType none --browser.gatherUsageStats false

# For a class: a class created and its two links printed first, then one warmed Streamlit process per core
# (PROCESSES=N for another count) on loopback behind HAProxy on ADDRESS:PORT (every interface unless
# ADDRESS=127.0.0.1); each process as `make run` starts one, plus uploads capped at 50 MB (README: Running it
# for a class). Recipes are silent (@) so that the links are the first lines. Ctrl-C stops it all.
class: deps proxy
	@$(PYTHON) -m scripts.class_serve --address $(ADDRESS) --port $(PORT) $(if $(PROCESSES),--processes $(PROCESSES))

test: dev-deps browser proxy
	$(PYTHON) -m pytest -q

bench: deps
	$(PYTHON) -m bench.probe
