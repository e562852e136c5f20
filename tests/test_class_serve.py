"""`make class` (scripts.class_serve): two Streamlit processes behind HAProxy on loopback.

The links come first and name a class the store knows; a client keeps to the process its cookie names across
reloads while another cookie reaches the other process (checked at the processes themselves: a Streamlit process
accepts an upload only for a session it holds); an upload through the proxy reaches the right process; a killed
process is started again and served again; SIGTERM leaves no process behind. `make run` stays one process.
"""
import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from classroom import ClassStore
from scripts import class_serve, proxy, ws_class, ws_load
from scripts.browser import free_port, healthy
from scripts.class_child import started
from scripts.server_watch import tree
from scripts.ws_session import Session, connect

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    return tmp_path_factory.mktemp("class"), tmp_path_factory.mktemp("probes")


@pytest.fixture(scope="module")
def running(dirs):
    class_dir, probe_dir = dirs
    with started(2, extra=["--class-dir", str(class_dir), "--probe-cache", str(probe_dir)]) as run:
        yield run


def get(url: str, cookie: str = "") -> tuple[int, dict]:
    """(status, {cookie name: value} the response sets) of a GET."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as resp:
        cookies = dict(c.split(";", 1)[0].split("=", 1) for c in resp.headers.get_all("Set-Cookie") or [])
        return resp.status, cookies


def browser_cookies(url: str) -> dict:
    """The cookies a new browser holds after opening the page at `url`: the proxy's (set with the page), then
    Streamlit's XSRF cookie (set with the health check the page's script makes)."""
    status, cookies = get(url + "/lesson")
    assert status == 200
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return {**cookies, **get(url + "/_stcore/health", cookie)[1]}


def put_upload(url: str, session_id: str, cookies: dict) -> int:
    """Status of an upload PUT (one small file, multipart, with Streamlit's XSRF cookie and header)."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n1,2,3\r\n--{boundary}--\r\n").encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
               "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
               "X-Xsrftoken": cookies["_streamlit_xsrf"]}
    request = urllib.request.Request(f"{url}/_stcore/upload_file/{session_id}/{uuid.uuid4().hex}", data=body,
                                     method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


async def session_id(url: str, cookies: dict) -> tuple[str, object]:
    """Open a session through `url` with `cookies` and run its first page to the end; (its id, the open WebSocket:
    the session lives while it does)."""
    ws = await connect(url, 60, cookies)
    session = Session(ws, "", page="lesson")
    await session.rerun(120)
    return session.session_id, ws


def holder(running, sid: str, cookies: dict) -> list[int]:
    """Indices of the Streamlit processes that hold session `sid`, asked of each process directly."""
    return [i for i, port in enumerate(running.ports) if put_upload(f"http://127.0.0.1:{port}", sid, cookies) == 204]


def test_the_links_come_first_and_name_a_class_of_the_store(running, dirs):
    first, second = running.lines[:2]
    teacher = re.fullmatch(r"Teacher: (http://127\.0\.0\.1:\d+)/lesson\?class=([A-Z]{4,6})&key=([\w-]{22,})", first)
    students = re.fullmatch(r"Students: (http://127\.0\.0\.1:\d+)/lesson\?class=([A-Z]{4,6})", second)
    assert teacher and students, (first, second)
    assert teacher.group(1) == students.group(1) == running.url and teacher.group(2) == students.group(2)
    store = ClassStore(dirs[0])
    assert store.is_class(teacher.group(2)) and store.is_teacher(teacher.group(2), teacher.group(3))
    assert not store.is_teacher(teacher.group(2), teacher.group(3)[:-1] + "x")


def test_the_links_name_the_machine_by_its_network_address(monkeypatch):
    """Listening on every interface, the links carry an address of one of this machine's interfaces (not loopback
    if it has another one); with no route out (a laptop's own hotspot), its first non-loopback address."""
    addresses = class_serve.interface_addresses()
    host = class_serve.link_host("0.0.0.0")
    assert host in addresses and (host != "127.0.0.1" or addresses == ["127.0.0.1"])
    assert class_serve.link_host("127.0.0.1") == "127.0.0.1"

    class NoRoute(socket.socket):
        def connect(self, address):
            raise OSError(101, "Network is unreachable")
    monkeypatch.setattr(class_serve.socket, "socket", NoRoute)
    assert class_serve.lan_address() == next((a for a in addresses if not a.startswith("127.")), "127.0.0.1")


def test_a_cookie_keeps_a_client_on_its_process_and_uploads_reach_it(running):
    async def scenario():
        first = browser_cookies(running.url)  # a new browser: the proxy picks a process, sets the cookie
        assert first.get(proxy.COOKIE) in ("s1", "s2") and "_streamlit_xsrf" in first
        mine = int(first[proxy.COOKIE][1:]) - 1
        sockets, seen = [], []
        for _ in range(3):  # three reloads with the same cookie
            sid, ws = await session_id(running.url, first)
            sockets.append(ws)
            seen.append(holder(running, sid, first))
            assert put_upload(running.url, sid, first) == 204  # through the proxy: reaches the session's process
        other = {**first, proxy.COOKIE: f"s{2 - mine}"}  # a second browser, on the other process
        sid, ws = await session_id(running.url, other)
        sockets.append(ws)
        theirs = holder(running, sid, other)
        misrouted = put_upload(running.url, sid, first)  # its upload sent with the first browser's cookie
        for ws in sockets:
            await ws.close()
        return mine, seen, theirs, misrouted

    mine, seen, theirs, misrouted = asyncio.run(scenario())
    assert seen == [[mine]] * 3
    assert theirs == [1 - mine]
    assert misrouted == 400  # Streamlit's "Invalid session_id": the process behind that cookie does not hold it


def test_both_processes_warm_up_into_one_disk_cache(running, dirs):
    deadline = time.monotonic() + 120  # the warm-up runs in the background of a healthy server
    while len(list(dirs[1].glob("*.jac.npy"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(list(dirs[1].glob("*.npz"))) == 3 and len(list(dirs[1].glob("*.jac.npy"))) == 3  # RNN, LSTM, GRU


def test_teacher_and_student_on_two_processes_see_one_class(running, dirs):
    """Through the proxy: the teacher's browser on one process, a student's on the other (by their cookies); the
    student's page follows the teacher's Next, the student answers, the teacher's page counts the answer."""
    code = re.search(r"class=(\w+)", running.students).group(1)
    key = re.search(r"key=([\w-]+)", running.teacher).group(1)

    async def lesson(cookies: dict, query: str):
        ws = await connect(running.url, 60, cookies)
        session = Session(ws, query, page="lesson")
        return ws, session, await session.rerun(120)

    async def until(session, done, what: str, seconds: float = 60):
        """Rerun the page's timed fragments (as the browser does) until done(run)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for fragment in list(session.fragments):
                run = await session.rerun(120, fragment_id=fragment)
                assert not run.exceptions, run.exceptions
                if done(run):
                    return run
            await asyncio.sleep(0.3)
        raise AssertionError(f"no {what} within {seconds:.0f} s")

    async def scenario():
        cookies = browser_cookies(running.url)
        teacher_ws, teacher, _ = await lesson({**cookies, proxy.COOKIE: "s1"}, f"class={code}&key={key}&chapter=4")
        student_ws, student, run = await lesson({**cookies, proxy.COOKIE: "s2"}, f"class={code}")
        assert "chapter=4" in run.query  # the student's page took the teacher's chapter on opening
        places = [holder(running, s.session_id, cookies) for s in (teacher, student)]
        teacher.press("lesson_next_top")
        assert "chapter=5" in (await teacher.rerun(120)).query
        await until(student, lambda r: "chapter=5" in r.query, "follow")
        radio = student.elements["class_answer_lstm"]
        student.set_choice("class_answer_lstm", next(o for o in radio.options if "B_t" in o))
        assert not (await student.rerun(120)).exceptions
        seen = await until(teacher, lambda r: any("**1** of 1 students have answered" in t for t in r.texts),
                           "answer on the teacher's page")
        for ws in (teacher_ws, student_ws):
            await ws.close()
        return places, seen

    places, _ = asyncio.run(scenario())
    assert places == [[0], [1]]  # the teacher on the first process, the student on the second
    assert ClassStore(dirs[0]).results(code, "lstm", key=key) == ["forget_direct"]


def test_a_short_class_profile_runs_without_an_error(running):
    """scripts.ws_load's class profile in small (the teacher, 3 students, one in the explorer, 25 s), through the
    proxy: every run finishes, every following student reaches every teacher's change."""
    args = ws_load.parse(["--profile", "class", "--processes", "2", "--clients", "3", "--seconds", "25",
                          "--teacher-every", "5", "--explorers", "0.34", "--timeout", "60"])
    tally = asyncio.run(ws_class.run_class(running.url, running.teacher, running.students, args, None))
    assert not tally.errors, tally.details
    assert tally.changes >= 3 and tally.expected_follows >= 2 and len(tally.follow) >= 2
    assert tally.runs["explorer change"] and tally.opens and len(tally.opens) == 3


def test_a_killed_process_is_started_again_and_served_again(running):
    before = running.pids()
    os.kill(before[0], signal.SIGKILL)
    deadline = time.monotonic() + 240
    while running.pids()[0] == before[0] or not healthy(f"http://127.0.0.1:{running.ports[0]}"):
        assert time.monotonic() < deadline, running.lines[-5:]
        time.sleep(0.5)
    assert running.pids()[1] == before[1] and running.proc.poll() is None
    assert any("s1 (pid" in line and "exited with code -9" in line for line in running.lines)
    time.sleep(2.5)  # the proxy's next health check

    async def on_first():
        cookies = {**browser_cookies(running.url), proxy.COOKIE: "s1"}
        sid, ws = await session_id(running.url, cookies)
        where = holder(running, sid, cookies)
        await ws.close()
        return where
    assert asyncio.run(on_first()) == [0]


def test_make_run_is_one_process_without_a_proxy():
    port = free_port()
    env = {**os.environ, "STREAMLIT_SERVER_ADDRESS": "127.0.0.1"}
    make = subprocess.Popen(["make", "-s", "run", f"PYTHON={sys.executable}", f"PORT={port}"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not healthy(f"http://127.0.0.1:{port}"):
            assert make.poll() is None and time.monotonic() < deadline
            time.sleep(0.3)
        commands = [Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0") for p in tree(make.pid)[1:]]
        servers = [c for c in commands if b"scripts.serve" in c]
        assert len(servers) == 1 and not any(b"haproxy" in b" ".join(c) or b"class_serve" in b" ".join(c)
                                             for c in commands)
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=30)


def test_sigterm_stops_every_process_and_removes_the_temporary_directory(running):
    """Last: it stops the module's launcher."""
    family = tree(running.proc.pid)
    workdir = Path(re.search(r"config in (\S+)$", next(l for l in running.lines if l.startswith("proxy:"))).group(1))
    assert len(family) >= 4 and workdir.is_dir()  # launcher, haproxy, two streamlits
    running.proc.send_signal(signal.SIGTERM)
    assert running.proc.wait(timeout=40) == 0
    alive = [pid for pid in family if Path(f"/proc/{pid}").exists()
             and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    assert alive == [] and not workdir.exists()
