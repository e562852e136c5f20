"""The class profile of `scripts.ws_load`: one teacher and N students of one class, driven as their browsers would.

    python -m scripts.ws_load --profile class --clients 60 --processes 1,2 [--seconds 600] [--teacher-every 20]

- The teacher opens the `Teacher: ` link (with the key) and, every --teacher-every s, changes the chapter (Next, up
  to chapter 9, then Previous back down) or, every other time on a chapter with a knob, turns that knob one step.
- Each student opens the `Students: ` link and follows: the page's poll fragment reruns on its own timer (as the
  browser's does) and the page reruns whole when the class moved. Each answers the chapter's question once, 2-8 s
  after the chapter arrived (a random option, or a random number sent with its form).
- --explorers (a share, default 0.2) of the students leave the lesson for the explorer and change its sliders on
  their own every ~--pause s (at the default seed, as students would: their probes are shared).
- Every session also reruns its other timed fragments (the teacher's live answers) as a browser does.

Measured: follow, from the teacher's change (sent) to a following student's page finished at it (what a student
waits: poll delay, queue and the rerun); and, per kind of run, request -> script finished: the teacher's change,
a student's page rerun, a poll that found nothing new, an answer, an explorer change. Errors: exception elements,
runs not finished within --timeout, a follower that never caught up with a change, closed connections.
"""
from __future__ import annotations

import asyncio
import random
import time
import urllib.parse

import websockets

from .load_test import percentile
from .ws_session import Session, connect
from .ws_tally import CHANGES, Tally, memory_lines, watched

FOLLOW_GRACE_S = 15.0  # a change the run's last this-many seconds brought is not counted as missed


class Changes:
    """The teacher's changes in order: (time sent, chapter, knob name or None, knob value shown)."""

    def __init__(self):
        self.items: list[tuple[float, int, str | None, str | None]] = []

    def add(self, chapter: int, knob: str | None = None, value: str | None = None) -> None:
        self.items.append((time.monotonic(), chapter, knob, value))

    def reached(self, query: str, after: int) -> tuple[int, float] | None:
        """The newest change after index `after` that the page at `query` shows: (its index, its time sent)."""
        params = urllib.parse.parse_qs(query)
        chapter = params.get("chapter", ["1"])[0]
        for i in range(len(self.items) - 1, after, -1):
            sent, number, knob, value = self.items[i]
            if chapter == str(number) and (knob is None or params.get(knob) == [value]):
                return i, sent
        return None


def chapter_of(query: str) -> int:
    raw = urllib.parse.parse_qs(query).get("chapter", ["1"])[0]
    return int(raw) if raw.isdigit() else 1


async def timed_fragments(session, due: dict, args, tally, kind: str) -> bool:
    """Rerun every timed fragment of the page whose time has come; whether one of them reran the whole page."""
    whole = False
    now = time.monotonic()
    for fragment, interval in list(session.fragments.items()):
        if due.setdefault(fragment, now + interval) > now:
            continue
        run = await session.rerun(args.timeout, fragment_id=fragment)
        due[fragment] = time.monotonic() + interval
        if run.status == "FINISHED_SUCCESSFULLY":  # the fragment called st.rerun(): the whole page ran
            whole = True
            tally.runs.setdefault("student page rerun" if kind == "poll" else "teacher page rerun", []).append(
                run.finished)
            due.clear()  # the new page registered its fragments again
        else:
            tally.runs.setdefault(kind, []).append(run.finished)
        check(run, tally, kind)
    return whole


def check(run, tally, kind: str) -> None:
    if run.exceptions:
        tally.error(f"exception element ({kind})", run.exceptions[0][:160])
    elif run.status not in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"):
        tally.error(f"run ended {run.status} ({kind})")


async def next_due(session, due: dict, own: float) -> None:
    """Sleep until the next timed fragment or the client's own next action, whichever comes first."""
    soonest = min([own, *[due.get(f, 0.0) for f in session.fragments]])
    await asyncio.sleep(max(0.0, min(soonest - time.monotonic(), 1.0)))


async def teacher(url: str, query: str, args, tally, changes: Changes, deadline: float) -> None:
    rng = random.Random(-1)
    try:
        async with await connect(url, args.timeout) as ws:
            session = Session(ws, query, page="lesson")
            run = await session.rerun(args.timeout)
            check(run, tally, "teacher open")
            due, step, turn_knob = {}, 1, False
            next_change = time.monotonic() + args.teacher_every
            while time.monotonic() < deadline:
                await timed_fragments(session, due, args, tally, "teacher live answers")
                if time.monotonic() >= next_change:
                    number = chapter_of(session.query)
                    knobs = sorted(k for k in session.on_page if k.startswith(f"lesson_{number}_"))
                    if turn_knob and knobs:
                        key = rng.choice(knobs)
                        options = list(session.elements[key].options)
                        now = urllib.parse.parse_qs(session.query).get(key.split("_", 2)[2], [None])[0]
                        value = rng.choice([o for o in options if o != now] or options)
                        session.set_select_slider(key, value)
                        changes.add(number, key.split("_", 2)[2], value)
                    else:
                        if not 1 <= number + step <= 9:
                            step = -step
                        session.press(f"lesson_{'next' if step > 0 else 'prev'}_top")
                        changes.add(number + step)
                    turn_knob = not turn_knob
                    run = await session.rerun(args.timeout)
                    tally.runs.setdefault("teacher change", []).append(run.finished)
                    check(run, tally, "teacher change")
                    due.clear()
                    next_change += args.teacher_every
                await next_due(session, due, next_change)
    except TimeoutError:
        tally.error("teacher: run not finished within timeout")
    except (OSError, websockets.WebSocketException) as exc:
        tally.error(f"teacher connection: {type(exc).__name__}", str(exc))


async def student(url: str, query: str, index: int, args, tally, changes: Changes, deadline: float,
                  explorer: bool) -> None:
    rng = random.Random(index)
    await asyncio.sleep(index * args.stagger)
    try:
        async with await connect(url, args.timeout) as ws:
            session = Session(ws, query, page="lesson")
            run = await session.rerun(args.timeout)
            check(run, tally, "student open")
            tally.opens.append(run.finished)
            if explorer:
                session.navigate("explorer")
                run = await session.rerun(args.timeout)
                check(run, tally, "explorer open")
            due, seen, chapter, answer_at = {}, len(changes.items) - 1, chapter_of(session.query), None
            next_own = time.monotonic() + (rng.uniform(0.5, 1.5) * args.pause if explorer else 2.0)
            while time.monotonic() < deadline:
                if await timed_fragments(session, due, args, tally, "poll"):
                    found = changes.reached(session.query, seen)
                    if found is not None:
                        seen = found[0]
                        tally.follow.append(time.monotonic() - found[1])
                        tally.followed[index] = seen  # the newest change this student's page has reached
                    if chapter_of(session.query) != chapter:  # a new chapter: answer its question soon
                        chapter, answer_at = chapter_of(session.query), time.monotonic() + rng.uniform(2, 8)
                        session.states = {k: v for k, v in session.states.items() if not k.startswith("class_answer_")}
                now = time.monotonic()
                if explorer and now >= next_own:
                    key = rng.choice(list(CHANGES))
                    session.set_slider(key, rng.choice(CHANGES[key]))
                    run = await session.rerun(args.timeout)
                    tally.runs.setdefault("explorer change", []).append(run.finished)
                    check(run, tally, "explorer change")
                    next_own = time.monotonic() + rng.uniform(0.5, 1.5) * args.pause
                elif answer_at is not None and now >= answer_at:
                    answer_at = None
                    await answer(session, rng, args, tally)
                await next_due(session, due, next_own if explorer else (answer_at or now + 1.0))
    except TimeoutError:
        tally.error("student: run not finished within timeout", f"student {index}")
    except (OSError, websockets.WebSocketException) as exc:
        tally.error(f"student connection: {type(exc).__name__}", f"student {index}: {exc}")


async def answer(session, rng, args, tally) -> None:
    """Answer the chapter's question shown on the page (a choice, or a number sent with its form), if it has one."""
    keys = [k for k in session.on_page if k.startswith("class_answer_")]
    if not keys:
        return
    key = keys[0]
    element = session.elements[key]
    if hasattr(element, "options") and len(element.options):  # a radio
        session.set_choice(key, rng.choice(list(element.options)))
    else:  # a number input in a form, sent with its submit button
        lo, hi = element.min, element.max
        session.set_number(key, round(rng.uniform(lo, hi) / element.step) * element.step if element.step else lo)
        session.press(form=element.form_id)
    run = await session.rerun(args.timeout)
    tally.runs.setdefault("answer", []).append(run.finished)
    check(run, tally, "answer")


async def run_class(url: str, teacher_link: str, students_link: str, args, pid: int | None):
    """The teacher and --clients students against `url` (the links' own host replaced by it); returns the tally."""
    tally, changes, deadline = Tally(), Changes(), time.monotonic() + args.seconds
    explorers = set(random.Random(0).sample(range(args.clients), round(args.explorers * args.clients)))
    query = lambda link: urllib.parse.urlsplit(link).query
    users = [teacher(url, query(teacher_link), args, tally, changes, deadline)]
    users += [student(url, query(students_link), i, args, tally, changes, deadline, i in explorers)
              for i in range(args.clients)]
    await watched(users, args, pid, tally)
    counted = [i for i, c in enumerate(changes.items) if c[0] < deadline - FOLLOW_GRACE_S]
    followers = [i for i in range(args.clients) if i not in explorers]
    tally.expected_follows = len(counted) * len(followers)
    missed = sum(tally.followed.get(s, -1) < i for s in followers for i in counted)  # not reached, nor a later one
    if missed:
        tally.error("a follower did not reach a teacher's change", f"{missed} of {tally.expected_follows}")
    tally.changes = len(changes.items)
    return tally


def summary(tally) -> dict:
    """kind -> (count, p50 ms, p95 ms, max ms), follow first."""
    rows = {"follow (teacher's change -> student's page at it)": tally.follow, **tally.runs}
    return {kind: (len(xs), percentile([1000 * x for x in xs], 50), percentile([1000 * x for x in xs], 95),
                   1000 * max(xs or [float("nan")])) for kind, xs in rows.items()}


def report(args, tally) -> str:
    lines = [f"class profile: 1 teacher (a change every {args.teacher_every:g} s, {tally.changes} changes), "
             f"{args.clients} students ({round(args.explorers * args.clients)} in the explorer, think time "
             f"{args.pause:g} s), {args.seconds:.0f} s"]
    lines += [f"  {kind}: {n} runs, p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {top:.0f} ms"
              for kind, (n, p50, p95, top) in summary(tally).items()]
    lines += memory_lines(tally)
    lines.append(f"  follows timed: {len(tally.follow)}; (student, change) pairs expected: {tally.expected_follows} "
                 f"(following students x changes older than {FOLLOW_GRACE_S:.0f} s at the end); errors: "
                 f"{sum(tally.errors.values())} {tally.errors or ''}" + "".join(f"\n    {d}" for d in tally.details))
    return "\n".join(lines)


def side_by_side(args, tallies: dict) -> str:
    """The class profile: per process count, follow and every kind of run (count, p50 / p95 ms), errors, CPU, memory."""
    kinds = list(dict.fromkeys(k for t in tallies.values() for k in summary(t)))
    rows = ["| | " + " | ".join(f"{n} process{'es' if n > 1 else ''}" for n in tallies) + " |",
            "|---|" + "---|" * len(tallies)]
    for kind in kinds:
        cells = []
        for tally in tallies.values():
            n, p50, p95, top = summary(tally).get(kind, (0, float("nan"), float("nan"), float("nan")))
            cells.append(f"{p50:.0f} / {p95:.0f} ms (max {top:.0f}; {n})")
        rows.append(f"| {kind}, p50 / p95 | " + " | ".join(cells) + " |")
    rows.append("| errors | " + " | ".join(str(sum(t.errors.values())) for t in tallies.values()) + " |")
    rows.append("| server CPU, core-s a minute | " + " | ".join(f"{60 * (t.cpu or 0) / args.seconds:.0f}"
                                                         for t in tallies.values()) + " |")
    rows.append("| memory, start -> end (peak), MiB | " + " | ".join(
        f"{t.rss[0][1]:.0f} -> {t.rss[-1][1]:.0f} ({max(m for _, m in t.rss):.0f})" if t.rss else "?"
        for t in tallies.values()) + " |")
    return f"class profile, {args.clients} students, {args.seconds:.0f} s each run\n" + "\n".join(rows)
