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

Speed: the file is cut into line-aligned blocks of ``CHUNK_BYTES``; in a
block, numpy finds the lines and the words and Arrow's C++ kernels split
and convert the numbers (about 40 ns a number). Those kernels release the
GIL, so files larger than ``PARALLEL_BYTES`` are parsed by two threads.
The blocks' rows are written to the output file in order as they come, so
peak memory is a few blocks' worth, not the matrix.

Introduced in 01_tokenising_and_loading_glove.
"""

from __future__ import annotations

import mmap
import os
from concurrent.futures import ThreadPoolExecutor
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


class _BlockError(Exception):
    """A malformed line, numbered within its block (0-based)."""

    def __init__(self, k: int, problem: str):
        super().__init__(k, problem)
        self.k, self.problem = k, problem


def parse_block(
    path: str, start: int, stop: int, dim: int
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Parse bytes ``[start, stop)`` of ``path`` (whole lines).

    Returns the words, their rows ``[lines, dim]`` float32 and the rows'
    norms ``[lines]``. A malformed line raises ``_BlockError`` with its
    index in the block; the caller knows the block's first line number.

    The line structure is found with numpy on the raw bytes (newlines, the
    first space of each line), the words are blanked out, and Arrow's C++
    kernels split the rest on whitespace (one list per line, so the count
    of numbers is checked per line) and convert it to float32. Only a
    handful of numpy calls hold the GIL, so two threads parse two blocks
    at once.
    """
    with open(path, "rb") as fh:
        fh.seek(start)
        raw = fh.read(stop - start)
    if not raw.endswith(b"\n"):
        raw += b"\n"

    def fail(k: int, problem: str):
        raise _BlockError(int(k), problem)

    buf = np.frombuffer(raw, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    starts = np.empty_like(nl)
    starts[0] = 0
    starts[1:] = nl[:-1] + 1
    blank = np.flatnonzero(_content_end(buf, starts, nl) == starts)
    if blank.size:
        fail(blank[0], "blank line (expected a word and numbers)")
    word_end = _first_spaces(raw, buf, starts, nl)
    alone = np.flatnonzero(word_end < 0)
    if alone.size:
        fail(alone[0], f"expected a word and {dim} numbers, found none")
    # Blank out every word: what is left of line i, from its word's end to
    # the next line's word, is whitespace and its numbers.
    text = bytearray(raw)
    view = np.frombuffer(text, dtype=np.uint8)
    lengths = word_end - starts
    view[_ranges(starts, lengths)] = 32
    bounds = np.append(word_end, len(raw)).astype(np.int32)
    lists = _pa().compute.ascii_split_whitespace(
        _pa().StringArray.from_buffers(
            nl.size, _pa().py_buffer(bounds), _pa().py_buffer(text)
        )
    )
    # Each line's list is ["", n_1 .. n_k, ""]: it starts at its word's
    # space and ends with the next line's blanked word or the newline.
    counts = lists.value_lengths().to_numpy(zero_copy_only=False) - 2
    rows = np.empty((nl.size, dim), dtype=np.float32)
    good = counts == dim
    values = lists if good.all() else lists.filter(_pa().array(good))
    inner = np.arange(1, dim + 1) + (dim + 2) * np.arange(len(values))[:, None]
    try:
        rows[good] = (
            _pa()
            .compute.cast(
                values.flatten().take(_pa().array(inner.ravel())),
                _pa().float32(),
            )
            .to_numpy(zero_copy_only=False)
            .reshape(-1, dim)
        )
    except (_pa().ArrowInvalid, ValueError):
        _find_bad_number(raw, word_end, nl, dim, fail)
        raise
    words_b = [raw[a:z] for a, z in zip(starts.tolist(), word_end.tolist())]
    for k in np.flatnonzero(~good).tolist():
        words_b[k], rows[k] = _odd_line(raw[starts[k] : nl[k]], dim, k, fail)
    finite = np.isfinite(rows).all(axis=1)
    if not finite.all():
        fail(np.flatnonzero(~finite)[0], "a number is NaN or infinite")
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
    return words, rows, np.linalg.norm(rows, axis=1)


def _pa():
    """pyarrow with its compute module, imported on first parse only."""
    import pyarrow
    import pyarrow.compute  # noqa: F401  (registers pyarrow.compute)

    return pyarrow


def _content_end(buf, starts, ends):
    """Line ends with trailing CR and spaces excluded."""
    ends = ends.copy()
    while True:
        last = np.maximum(ends - 1, 0)
        trail = (ends > starts) & ((buf[last] == 13) | (buf[last] == 32))
        if not trail.any():
            return ends
        ends[trail] -= 1


def _first_spaces(raw: bytes, buf, starts, ends, probe: int = 48):
    """Position of each line's first space (``-1``: none before its end).

    Words are short: test position ``start + k`` for every line at once,
    ``k < probe``; the few longer words are searched one by one.
    """
    out = np.full(starts.size, -1, dtype=np.int64)
    pending = np.arange(starts.size)
    for k in range(probe):
        pos = starts[pending] + k
        inside = pos < ends[pending]
        hit = inside & (buf[np.minimum(pos, buf.size - 1)] == 32)
        out[pending[hit]] = pos[hit]
        pending = pending[inside & ~hit]
        if not pending.size:
            return out
    for i in pending.tolist():
        out[i] = raw.find(b" ", int(starts[i]), int(ends[i]))
    return out


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for every (s, n)."""
    total = int(lengths.sum())
    base = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return base + np.arange(total)


def _odd_line(line: bytes, dim: int, k: int, fail):
    """A line whose count of fields is not ``dim + 1``.

    More fields: a word with spaces (glove.840B: ``". . ."``), unless the
    word's last space-separated piece is a number (then the line has too
    many numbers). Fewer fields: too few numbers.
    """
    line = line.rstrip(b"\r ")
    spaces = line.count(b" ")
    if spaces < dim:
        fail(
            k,
            f"expected a word and {dim} numbers, found {spaces} after "
            "the word",
        )
    word = line.rsplit(b" ", dim)[0]
    if _is_number(word.rsplit(b" ", 1)[-1]):
        fail(k, f"expected a word and {dim} numbers, found {spaces} numbers")
    fields = line[len(word) + 1 :].split(b" ")
    for n, f in enumerate(fields, start=1):
        if not _is_number(f):
            fail(k, f"number {n} of {dim} is {_shown(f)}, not a number")
    return word, np.array([float(f) for f in fields], dtype=np.float32)


def _shown(field: bytes) -> str:
    return repr(field[:30].decode("utf-8", "replace"))


def _is_number(b: bytes) -> bool:
    try:
        float(b)
    except ValueError:
        return False
    return True


def _find_bad_number(raw: bytes, word_end, ends, dim: int, fail) -> None:
    """Name the first field that is not a number (the slow path)."""
    for k, (a, z) in enumerate(zip(word_end.tolist(), ends.tolist())):
        for n, f in enumerate(raw[a + 1 : z].split(), start=1):
            if not _is_number(f):
                fail(k, f"number {n} of {dim} is {_shown(f)}, not a number")


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
    """Parse ``path`` into a raw float32 file at ``out_path``.

    Returns ``(words, dim, norms)``: ``out_path`` holds ``[len(words),
    dim]`` float32 rows in file order (duplicates included), C order, no
    header; ``norms`` ``[len(words)]`` their lengths. Blocks are parsed
    in two threads and written in order, so memory holds a few blocks,
    never the matrix.
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
    words: list[str] = []
    norms: list[np.ndarray] = []
    # tqdm.notebook ignores TQDM_DISABLE (it forces disable=False), so
    # pass it explicitly: no progress widget in stored notebook outputs.
    quiet = os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true")
    bar = tqdm(
        total=size,
        unit="B",
        unit_scale=True,
        desc=path.name,
        leave=False,
        **({"disable": True} if quiet else {}),
    )
    threads = 1 if size < PARALLEL_BYTES else min(2, os.cpu_count() or 1)
    pool = ThreadPoolExecutor(threads)
    try:
        futures = [
            pool.submit(parse_block, str(path), a, z, dim) for a, z in blocks
        ]
        with open(out_path, "wb") as out:
            for n, (a, z) in enumerate(blocks):
                fut, futures[n] = futures[n], None  # let the rows go
                try:
                    block_words, rows, block_norms = fut.result()
                except _BlockError as err:
                    line = line0 + len(words) + err.k
                    raise GloVeFormatError(path, line, err.problem) from None
                out.write(memoryview(rows).cast("B"))
                words += block_words
                norms.append(block_norms)
                bar.update(z - a)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    if declared is not None and declared != len(words):
        raise GloVeFormatError(
            path,
            1,
            f"header declares {declared} vectors, file has " f"{len(words)}",
        )
    return words, dim, np.concatenate(norms).astype(np.float32)
