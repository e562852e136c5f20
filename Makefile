# Two commands on a fresh machine: `make run` (the app) and `make test` (everything the tests need, then the tests).
PYTHON ?= python3
PORT ?= 8501

.PHONY: run class test deps dev-deps browser bench

deps:
	$(PYTHON) -m pip install -q -r requirements.txt

dev-deps:
	$(PYTHON) -m pip install -q -r requirements-dev.txt

# Debian's chromium drives the browser tests (Playwright cannot download its own browser here); a CJK font, so the
# Chinese lesson is drawn with real glyphs (the one-screen test measures its text).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; }

# scripts.serve = streamlit run app.py, with torch imported and the default probes cached before the first visitor.
# No file watching: Streamlit's watcher resolves the path of every loaded module (torch's thousands) for each new
# session, ~0.45 s of the server's time (for an editing session with reload on save: streamlit run app.py).
run: deps
	$(PYTHON) -m scripts.serve --server.port $(PORT) --server.fileWatcherType none --browser.gatherUsageStats false

# For a class: every interface, uploads capped at 50 MB, no file watching (README: Running it for a class).
class: deps
	$(PYTHON) -m scripts.serve --server.address 0.0.0.0 --server.port $(PORT) \
		--server.maxUploadSize 50 --server.fileWatcherType none --server.headless true --browser.gatherUsageStats false

test: dev-deps browser
	$(PYTHON) -m pytest -q

bench: deps
	$(PYTHON) -m bench.probe
