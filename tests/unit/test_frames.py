"""Frames off a stream: split exactly, and every bound (size, deadline, shared budget) held."""

from __future__ import annotations

import asyncio

import pytest

from striatum.daemon.frames import Budget, FrameProblem, FrameReader


def feed(*chunks: bytes, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    for chunk in chunks:
        reader.feed_data(chunk)
    if eof:
        reader.feed_eof()
    return reader


def frames_of(
    chunks: tuple[bytes, ...], budget: Budget, *, eof: bool = True, **bounds: float
) -> list[bytes]:
    return asyncio.run(read_all(chunks, eof, budget, bounds))


async def read_all(
    chunks: tuple[bytes, ...], eof: bool, budget: Budget, bounds: dict[str, float]
) -> list[bytes]:
    reader = feed(*chunks, eof=eof)  # made inside the loop that reads it
    frames = FrameReader(
        reader,
        budget,
        max_bytes=int(bounds.get("max_bytes", 100)),
        deadline_s=bounds.get("deadline_s", 5),
    )
    got = []
    try:
        while (frame := await frames.next()) is not None:
            got.append(frame)
    finally:
        frames.release()
    return got


def test_frames_split_across_and_within_chunks() -> None:
    budget = Budget(1000)
    got = frames_of((b"one\ntw", b"o\nthr", b"ee\n\n", b"four\n"), budget)
    assert got == [b"one\n", b"two\n", b"three\n", b"\n", b"four\n"]
    assert budget.used == 0 and budget.peak > 0


@pytest.mark.parametrize(
    ("chunks", "kind"),
    [
        ((b"x" * 101,), "too_big"),
        ((b"x" * 60, b"x" * 60 + b"\n"), "too_big"),
        ((b"partial",), "unterminated"),
    ],
)
def test_a_broken_bound_is_named_and_its_bytes_given_back(
    chunks: tuple[bytes, ...], kind: str
) -> None:
    budget = Budget(1000)
    with pytest.raises(FrameProblem) as problem:
        frames_of(chunks, budget)
    assert problem.value.kind == kind
    assert budget.used == 0


def test_the_shared_budget_refuses_the_bytes_beyond_it() -> None:
    budget = Budget(50)
    budget.take(40)  # another connection's unfinished frame
    with pytest.raises(FrameProblem) as problem:
        frames_of((b"y" * 20,), budget)
    assert problem.value.kind == "buffers_full"
    assert budget.used == 40


def test_a_frame_that_stalls_misses_its_deadline_and_an_idle_peer_is_let_go() -> None:
    budget = Budget(1000)
    with pytest.raises(FrameProblem) as problem:
        frames_of((b"half",), budget, eof=False, deadline_s=0.2)
    assert problem.value.kind == "deadline" and budget.used == 0
    assert frames_of((), budget, eof=False, deadline_s=0.2) == []
