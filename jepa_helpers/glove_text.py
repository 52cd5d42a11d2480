"""Parse a GloVe / word2vec text file into a float32 matrix, fast.

Format: one word per line followed by ``d`` numbers, separated by single
spaces. Accepted variants (each tested):

- glove.6B / glove.twitter.27B / glove.42B: ``word v1 .. vd``;
- glove.840B: some words contain spaces (``". . ."``); the numbers are the
  *last* ``d`` fields of a line, everything before them is the word; some
  words repeat (the loader keeps the first row, see ``vocab``);
- word2vec text: a first line ``count dim`` (both checked);
- CRLF line ends, trailing spaces, a last line without a newline, blank
  lines at the very end.

Anything else raises ``GloVeFormatError`` naming the file, the line and
what was expected: a wrong count of numbers, a non-numeric or non-finite
field, bytes that are not UTF-8, a blank line, an empty file.

Speed: lines are split with numpy on the raw bytes and the numbers read by
numpy's C text reader in blocks of ``CHUNK_BYTES``; files larger than
``PARALLEL_BYTES`` are cut into blocks parsed by two worker processes that
write straight into the output memory map, so peak memory stays near one
matrix.

Introduced in 01_tokenising_and_loading_glove.
"""

from __future__ import annotations

import mmap
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

CHUNK_BYTES = 16 << 20
PARALLEL_BYTES = 64 << 20


class GloVeFormatError(ValueError):
    """A GloVe text file is malformed; names the file, line and problem."""

    def __init__(self, path: str | os.PathLike, line: int, problem: str):
        self.path, self.line, self.problem = str(path), int(line), problem
        super().__init__(f"{Path(path).name}, line {line}: {problem}")

    def __reduce__(self):  # survives the trip back from a worker process
        return (type(self), (self.path, self.line, self.problem))


def _header_and_dim(path: Path, data: bytes | mmap.mmap):
    """Return ``(data_start, dim, declared_count)`` from the first lines."""
    first_nl = data.find(b"\n")
    first = bytes(data[: first_nl if first_nl >= 0 else len(data)])
    first = first.rstrip(b"\r ")
    fields = first.split(b" ")
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        count, dim = int(fields[0]), int(fields[1])
        if dim <= 0:
            raise GloVeFormatError(path, 1, f"header declares dim {dim}")
        return first_nl + 1, dim, count
    if len(fields) < 2:
        raise GloVeFormatError(
            path, 1, "expected a word followed by numbers, found one field"
        )
    return 0, len(fields) - 1, None


def _line_ranges(buf: np.ndarray):
    """Start and end (CR and trailing spaces excluded) of every line."""
    nl = np.flatnonzero(buf == 10)
    starts = np.empty(nl.size, dtype=np.int64)
    starts[0:1] = 0
    starts[1:] = nl[:-1] + 1
    ends = nl.copy()
    while True:
        last = np.maximum(ends - 1, 0)
        trail = (ends > starts) & ((buf[last] == 13) | (buf[last] == 32))
        if not trail.any():
            return starts, ends, nl
        ends[trail] -= 1


def parse_block(
    path: str,
    start: int,
    stop: int,
    first_line: int,
    dim: int,
    out: np.ndarray,
    first_row: int,
) -> list[str]:
    """Parse bytes ``[start, stop)`` of ``path`` into ``out[first_row:]``.

    The block holds whole lines; ``first_line`` is the 1-based number of
    its first line. Returns the words in order.
    """
    with open(path, "rb") as fh:
        fh.seek(start)
        raw = fh.read(stop - start)
    if not raw.endswith(b"\n"):
        raw += b"\n"
    buf = np.frombuffer(raw, dtype=np.uint8)
    starts, ends, nl = _line_ranges(buf)
    n_lines = starts.size

    def fail(k: int, problem: str):
        raise GloVeFormatError(path, first_line + int(k), problem)

    blank = np.flatnonzero(ends == starts)
    if blank.size:
        fail(blank[0], "blank line (expected a word and numbers)")
    spaces = np.flatnonzero(buf == 32)
    owner = np.searchsorted(nl, spaces)
    inside = spaces < ends[owner]
    spaces, owner = spaces[inside], owner[inside]
    counts = np.bincount(owner, minlength=n_lines)
    short = np.flatnonzero(counts < dim)
    if short.size:
        k = short[0]
        fail(
            k,
            (
                f"expected a word and {dim} numbers, found {counts[k]} "
                "fields after the word"
                if counts[k]
                else f"expected a word and {dim} numbers, found none"
            ),
        )
    first_space = np.zeros(n_lines, dtype=np.int64)
    np.cumsum(counts[:-1], out=first_space[1:])
    word_end = spaces[first_space + counts - dim]
    words_b = [raw[a:z] for a, z in zip(starts.tolist(), word_end.tolist())]
    for k in np.flatnonzero(counts > dim).tolist():
        # A word with spaces (glove.840B: ". . .") or too many numbers? A
        # word whose last space-separated piece is a number is taken to be
        # the latter.
        if _is_number(words_b[k].rsplit(b" ", 1)[-1]):
            fail(
                k,
                f"expected a word and {dim} numbers, found "
                f"{counts[k]} numbers",
            )
    try:
        words = b"\n".join(words_b).decode("utf-8").split("\n")
    except UnicodeDecodeError:
        for k, w in enumerate(words_b):
            try:
                w.decode("utf-8")
            except UnicodeDecodeError as err:
                fail(
                    k,
                    f"the word is not valid UTF-8 ({err.reason} at "
                    f"byte {err.start})",
                )
        raise
    # Blank out the words and line ends; what is left is only numbers.
    text = bytearray(raw)
    mark = np.zeros(buf.size + 1, dtype=np.int8)
    mark[starts] += 1
    mark[word_end] -= 1
    cover = np.cumsum(mark[:-1]) > 0
    arr = np.frombuffer(text, dtype=np.uint8)
    arr.setflags(write=True)
    arr[cover | (arr == 13)] = 32
    values = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            values = np.fromstring(bytes(text), dtype=np.float32, sep=" ")
        except ValueError:
            values = None
    if values is None or values.size != n_lines * dim:
        _find_bad_number(raw, starts, ends, word_end, dim, fail)
        fail(0, "could not read the numbers of this block")
    values = values.reshape(n_lines, dim)
    finite = np.isfinite(values).all(axis=1)
    if not finite.all():
        fail(np.flatnonzero(~finite)[0], "a number is NaN or infinite")
    out[first_row : first_row + n_lines] = values
    return words


def _is_number(b: bytes) -> bool:
    try:
        float(b)
    except ValueError:
        return False
    return True


def _find_bad_number(raw, starts, ends, word_end, dim, fail) -> None:
    for k, (a, z) in enumerate(zip(word_end.tolist(), ends.tolist())):
        fields = raw[a + 1 : z].split(b" ")
        for n, f in enumerate(fields, start=1):
            if not _is_number(f):
                shown = f[:30].decode("utf-8", "replace")
                fail(k, f"number {n} of {dim} is {shown!r}, not a number")


def _blocks(data: mmap.mmap, start: int, stop: int) -> list[tuple[int, int]]:
    """Cut ``[start, stop)`` into line-aligned blocks of ~CHUNK_BYTES."""
    out, a = [], start
    while a < stop:
        z = min(stop, a + CHUNK_BYTES)
        if z < stop:
            nl = data.find(b"\n", z)
            z = stop if nl < 0 or nl >= stop else nl + 1
        out.append((a, z))
        a = z
    return out


def parse_glove_text(path: str | os.PathLike, out_path: Path):
    """Parse ``path`` into a new ``.npy`` file at ``out_path``.

    Returns ``(words, dim)``; the ``.npy`` holds ``[len(words), dim]``
    float32 rows in file order (duplicates included).
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise GloVeFormatError(path, 1, "the file is empty")
    with (
        open(path, "rb") as fh,
        mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data,
    ):
        start, dim, declared = _header_and_dim(path, data)
        stop = size
        while stop > start and data[stop - 1] in b"\r\n \t":
            stop -= 1
        if stop <= start:
            raise GloVeFormatError(path, 2 if start else 1, "no vectors")
        blocks = _blocks(data, start, stop)
        line0 = 2 if start else 1
        firsts, rows = [], 0
        for a, z in blocks:
            firsts.append(rows)
            rows += data[a:z].count(b"\n") + (data[z - 1] != 10)
    if declared is not None and declared != rows:
        raise GloVeFormatError(
            path, 1, f"header declares {declared} vectors, file has {rows}"
        )
    out = np.lib.format.open_memmap(
        out_path, mode="w+", dtype=np.float32, shape=(rows, dim)
    )
    jobs = [
        (str(path), a, z, line0 + f, dim, f)
        for (a, z), f in zip(blocks, firsts)
    ]
    words: list[str] = []
    bar = tqdm(
        total=size, unit="B", unit_scale=True, desc=path.name, leave=False
    )
    try:
        if (
            size < PARALLEL_BYTES
            or (os.cpu_count() or 1) < 2
            or not (sys.platform.startswith("linux"))
        ):
            for job in jobs:
                words += parse_block(*job[:5], out, job[5])
                bar.update(job[2] - job[1])
        else:
            words = _parse_parallel(jobs, out_path, rows, dim, bar)
    finally:
        bar.close()
    out.flush()
    del out
    return words, dim


def _worker(job, out_path: str, rows: int, dim: int) -> list[str]:
    out = np.load(out_path, mmap_mode="r+")
    try:
        return parse_block(*job[:5], out, job[5])
    finally:
        out.flush()


def _parse_parallel(jobs, out_path, rows, dim, bar) -> list[str]:
    with warnings.catch_warnings():
        # Python >= 3.12 warns about fork() in a threaded process (a
        # Jupyter kernel); the children only run numpy on their block.
        warnings.simplefilter("ignore", DeprecationWarning)
        pool = ProcessPoolExecutor(2, mp_context=get_context("fork"))
    words: list[str] = []
    with pool:
        futures = [
            pool.submit(_worker, j, str(out_path), rows, dim) for j in jobs
        ]
        for job, fut in zip(jobs, futures):
            words += fut.result()
            bar.update(job[2] - job[1])
    return words
