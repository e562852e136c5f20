"""The teacher's class bar: the class code, how many students joined, and the students' link as text and as a QR
code to project (`segno`, an SVG image sent with the page: no network, sharp at any size).

The link's address is `$GRADIENT_FLOW_PUBLIC_URL` if the server was started with one (`make class` knows the
address students reach), else the address the teacher's own browser used; a loopback address gets a warning,
since no phone can reach it.
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit

import segno
import streamlit as st

from classroom import links

from ..i18n import tr
from .room import Room

PUBLIC_URL_ENV = "GRADIENT_FLOW_PUBLIC_URL"
LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0")
QR_PX = 220  # about 5 cm on a laptop screen: big enough to scan from a projector's screen across a room


def base_url() -> str:
    """scheme://host:port the students should open."""
    configured = os.environ.get(PUBLIC_URL_ENV, "").strip()
    if configured:
        return configured.rstrip("/")
    try:
        seen = st.context.url
    except Exception:  # noqa: BLE001 - no browser context (AppTest)
        seen = None
    parts = urlsplit(seen or "http://localhost:8501")
    return f"{parts.scheme}://{parts.netloc}"


def qr_svg(text: str, px: int = QR_PX) -> str:
    """An <svg> QR code of `text` (error correction M, 4-module quiet zone), about `px` pixels wide."""
    qr = segno.make(text, error="m", micro=False)
    width, _ = qr.symbol_size(scale=1, border=4)
    scale = max(1, px // width)
    return qr.svg_inline(scale=scale, border=4, dark="#000000", light="#ffffff", omitsize=False)


def students_link(link: str, base: str) -> None:
    """The QR code beside the link as text (with a warning when the address is this machine's own)."""
    qr_col, text_col = st.columns([1, 2], vertical_alignment="center")
    with qr_col:
        st.image(qr_svg(link), width=QR_PX)
    with text_col:
        st.markdown(tr("Students scan the code or open:", "学生扫描二维码,或打开:"))
        st.code(link, language=None)
        if urlsplit(base).hostname in LOOPBACK:
            st.warning(tr("This address is this computer's own: phones cannot reach it. Open the teacher's link "
                          "with the machine's network address (the one `make class` prints).",
                          "这是本机自己的地址:手机无法访问。请用本机的网络地址打开老师链接(`make class` 打印的那个)。"))


def teachers_link(link: str) -> None:
    st.code(link, language=None)
    st.caption(tr("Whoever holds it leads the class. This browser remembers it for the day.",
                  "持有它的人即可主持课堂。本浏览器会记住它一天。"))


def teacher_bar(room: Room, students: int, present: bool) -> None:
    """Class code and size, the students' link with its QR code, and the teacher's own link (kept folded). On a
    projector (`present`) one line, the links in pop-overs, so the chapter still fits the screen."""
    base = base_url()
    teacher_link, student_link = links(base, room.code, room.key)
    qr_label = tr("Students' link and QR code", "学生链接与二维码")
    own_label = tr("Your teacher link (keep it off the projector)", "你的老师链接(不要投影)")
    if present:
        text_col, qr_col, own_col = st.columns([4, 2, 2], vertical_alignment="center")
        text_col.markdown(tr(f"**Class {room.code}**: you lead it; {students} student(s) joined.",
                             f"**课堂 {room.code}**:由你主持;已有 {students} 名学生加入。"))
        with qr_col.popover(qr_label, icon=":material/qr_code_2:", width="stretch"):
            students_link(student_link, base)
        with own_col.popover(tr("Teacher link", "老师链接"), icon=":material/key:", width="stretch"):
            teachers_link(teacher_link)
        return
    st.success(tr(f"**Class {room.code}**: you lead it. {students} student(s) joined. Students follow your chapter "
                  "and knobs; their answers appear under the question; **Reveal to the class** shows them the answer.",
                  f"**课堂 {room.code}**:由你主持。已有 {students} 名学生加入。学生跟随你的章节和旋钮;他们的答案显示在"
                  "问题下方;点击 **向全班揭晓** 后他们会看到答案。"), icon=":material/co_present:")
    with st.expander(qr_label, expanded=True):
        students_link(student_link, base)
    with st.expander(own_label):
        teachers_link(teacher_link)
