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
block, a short Python pass splits off the words and Arrow's C++ kernels
split and convert the numbers (about 60 ns a number). Those kernels release
the GIL, so files larger than ``PARALLEL_BYTES`` are parsed by two threads,
each writing its rows straight into the output memory map: peak memory
stays near one matrix plus two blocks.

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
    its first line. Returns the words in order. Splitting the fields and
    reading the numbers happen in Arrow's C++ kernels, which release the
    GIL, so two threads parse two blocks at once.
    """
    with open(path, "rb") as fh:
        fh.seek(start)
        raw = fh.read(stop - start)
    lines = raw.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()

    def fail(k: int, problem: str):
        raise GloVeFormatError(path, first_line + int(k), problem)

    words_b: list[bytes] = []
    numbers: list[bytes] = []
    for k, line in enumerate(lines):
        line = line.rstrip(b"\r ")
        spaces = line.count(b" ")
        if spaces == dim:
            word, rest = line.split(b" ", 1)
        elif spaces > dim:
            # A word with spaces (glove.840B: ". . .") or too many numbers?
            # A word whose last space-separated piece is a number is taken
            # to be the latter.
            word = line.rsplit(b" ", dim)[0]
            if _is_number(word.rsplit(b" ", 1)[-1]):
                fail(
                    k,
                    f"expected a word and {dim} numbers, found "
                    f"{spaces} numbers",
                )
            rest = line[len(word) + 1 :]
        elif not line:
            fail(k, "blank line (expected a word and numbers)")
        else:
            fail(
                k,
                (
                    f"expected a word and {dim} numbers, found "
                    f"{spaces} after the word"
                    if spaces
                    else f"expected a word and {dim} numbers, found none"
                ),
            )
        words_b.append(word)
        numbers.append(rest)
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
    values = _read_numbers(b" ".join(numbers), len(lines) * dim)
    if values is None:
        _find_bad_number(numbers, dim, fail)
        fail(0, "could not read the numbers of this block")
    values = values.reshape(len(lines), dim)
    finite = np.isfinite(values).all(axis=1)
    if not finite.all():
        fail(np.flatnonzero(~finite)[0], "a number is NaN or infinite")
    out[first_row : first_row + len(lines)] = values
    return words


def _read_numbers(text: bytes, expected: int) -> np.ndarray | None:
    """Space-separated decimal numbers -> float32 ``[expected]`` or None."""
    import pyarrow as pa  # imported here: a cache hit never needs it
    import pyarrow.compute as pc

    offsets = np.array([0, len(text)], dtype=np.int32)
    arr = pa.StringArray.from_buffers(
        1, pa.py_buffer(offsets), pa.py_buffer(text)
    )
    try:
        fields = pc.split_pattern(arr, " ").flatten()
        if len(fields) != expected:
            return None
        return pc.cast(fields, pa.float32()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _is_number(b: bytes) -> bool:
    try:
        float(b)
    except ValueError:
        return False
    return True


def _find_bad_number(numbers: list[bytes], dim: int, fail) -> None:
    for k, rest in enumerate(numbers):
        for n, f in enumerate(rest.split(b" "), start=1):
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
        (str(path), a, z, line0 + f, dim, out, f)
        for (a, z), f in zip(blocks, firsts)
    ]
    words: list[str] = []
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
        futures = [pool.submit(parse_block, *job) for job in jobs]
        for job, fut in zip(jobs, futures):
            words += fut.result()
            bar.update(job[2] - job[1])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    out.flush()
    del out
    return words, dim
