"""Page objects: a notebook open in JupyterLab, and an explorer in it.

Everything here acts the way a person does (menus, clicks, keys) and
reads what the page shows (prompts, rendered outputs, images), never the
notebook file.
"""

from __future__ import annotations

import base64
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from lab_server import LabServer

#: Per rendered cell: its kind, prompt, top-level outputs (mime type and,
#: for stderr/errors, the text), images and widgets anywhere inside it.
_CELLS_JS = """
() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map(c => {
  const outs = [...c.querySelectorAll(
    '.jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output')];
  const prompt = c.querySelector('.jp-InputArea-prompt');
  return {
    code: c.classList.contains('jp-CodeCell'),
    prompt: prompt ? prompt.textContent.trim() : '',
    outputs: outs.map(o => ({
      mime: o.dataset.mimeType || null,
      text: o.dataset.mimeType === 'application/vnd.jupyter.stderr'
        ? o.textContent.slice(0, 2000) : '',
    })),
    images: [...c.querySelectorAll('.jp-OutputArea-output img')]
      .filter(i => i.complete && i.naturalWidth > 0).length,
    widgets: c.querySelectorAll('.jupyter-widgets').length,
    widget_text: [...c.querySelectorAll('.jp-OutputArea-output')]
      .map(o => o.textContent).join(' ').slice(0, 4000),
  };
})
"""

_PROMPT_DONE = re.compile(r"\[\d+\]:")


@dataclass
class CellView:
    """One rendered cell, as ``_CELLS_JS`` reports it."""

    code: bool
    prompt: str
    outputs: list[dict]
    images: int
    widgets: int
    widget_text: str

    @property
    def count(self) -> int | None:
        """The execution count the prompt shows, or None."""
        m = re.fullmatch(r"\[(\d+)\]:", self.prompt)
        return int(m.group(1)) if m else None


def decode_img_src(src: str) -> np.ndarray:
    """RGBA pixels ``[h, w, 4]`` of a ``data:image/png;base64,`` source."""
    head, _, payload = src.partition(",")
    if not head.startswith("data:image/png;base64"):
        raise ValueError(f"not an inline PNG: {head[:60]!r}")
    return png_pixels(base64.b64decode(payload))


def png_pixels(png: bytes) -> np.ndarray:
    """RGBA pixels ``[h, w, 4]`` of PNG bytes."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


@dataclass
class NotebookPage:
    """A notebook opened in JupyterLab through ``server`` in ``page``."""

    server: LabServer
    page: Page
    name: str
    timings: dict[str, float] = field(default_factory=dict)

    def open(self, timeout: float = 60.0) -> None:
        t = time.monotonic()
        self.page.goto(self.server.lab_url(self.name))
        self.page.wait_for_selector(
            ".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout * 1000
        )
        # Fold the file browser away: the notebook gets the whole width.
        current = self.page.locator(
            ".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current"
        )
        if current.count():
            current.first.click()
        deadline = t + timeout
        while self.server.kernel_state(self.name) != "idle":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: no idle kernel in time")
            time.sleep(0.25)
        self.timings["open"] = time.monotonic() - t

    def menu(self, menu: str, command: str) -> None:
        """Click ``menu`` in the menu bar, then the item of ``command``."""
        self.page.get_by_role("menuitem", name=menu, exact=True).click()
        self.page.click(f".lm-Menu li[data-command='{command}']")

    def cells(self) -> list[CellView]:
        return [CellView(**c) for c in self.page.evaluate(_CELLS_JS)]

    def run_all(self, runnable: list[bool], timeout: float) -> None:
        """Clear every output, then Run > Run All Cells, and wait.

        ``runnable[i]`` says whether cell ``i`` is a non-empty code cell
        (JupyterLab sends nothing to the kernel for an empty one). Done
        means: no prompt shows ``[*]``, the kernel is idle (asked of the
        server), twice in a row half a second apart, and some cell was
        seen pending or every runnable cell has its count.
        """
        self.menu("Edit", "editmenu:clear-all")
        self.page.wait_for_function(
            "() => !document.querySelector("
            "'.jp-Notebook .jp-Cell-outputArea .jp-OutputArea-output')"
        )
        t = time.monotonic()
        self.menu("Run", "runmenu:run-all")
        deadline = t + timeout
        seen_pending, calm = False, 0
        while True:
            cells = self.cells()
            prompts = [c.prompt for c, r in zip(cells, runnable) if r]
            pending = any("*" in p for p in prompts)
            seen_pending |= pending
            counted = all(_PROMPT_DONE.fullmatch(p) for p in prompts)
            idle = self.server.kernel_state(self.name) == "idle"
            if not pending and idle and (seen_pending or counted):
                calm += 1
                if calm == 2:
                    break
            else:
                calm = 0
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.name}: Run All not finished after {timeout:.0f}"
                    f" s; prompts {prompts}"
                )
            time.sleep(0.5)
        self.timings["run"] = time.monotonic() - t

    def screenshot(self, path: Path) -> Path:
        """The whole notebook, scrolled through and stitched into one PNG."""
        scroller = self.page.locator(
            ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer"
        ).first
        box = scroller.bounding_box()
        total, view = scroller.evaluate(
            "e => [e.scrollHeight, e.clientHeight]"
        )
        clip = {
            "x": box["x"],
            "y": box["y"],
            "width": box["width"],
            "height": view,
        }
        pieces, y = [], 0
        while True:
            top = scroller.evaluate(
                "(e, y) => { e.scrollTop = y; return e.scrollTop; }", y
            )
            self.page.wait_for_timeout(150)
            shot = self.page.screenshot(clip=clip)
            pieces.append((top, Image.open(io.BytesIO(shot)).convert("RGB")))
            if top + view >= total or top < y:
                break
            y += view
        scale = pieces[0][1].height / view
        sheet = Image.new(
            "RGB", (pieces[0][1].width, round(total * scale)), "white"
        )
        for top, image in pieces:
            sheet.paste(image, (0, round(top * scale)))
        path.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(path)
        scroller.evaluate("e => { e.scrollTop = 0; }")
        return path

    def code_cell(self, text: str) -> Locator:
        """The one code cell whose source contains ``text``."""
        cell = self.page.locator(".jp-Notebook .jp-CodeCell").filter(
            has=self.page.locator(".jp-InputArea-editor", has_text=text)
        )
        n = cell.count()
        if n != 1:
            raise LookupError(f"{self.name}: {n} code cells contain {text!r}")
        return cell


class ExplorerView:
    """An explorer widget rendered in a cell: its controls, its image."""

    def __init__(self, cell: Locator):
        self.cell = cell
        self.page = cell.page
        self.widget = cell.locator(".jp-Cell-outputArea .widget-vbox").first
        try:
            self.widget.wait_for(timeout=30_000)
        except PlaywrightTimeout:
            shown = cell.locator(".jp-Cell-outputArea").inner_text()
            raise AssertionError(
                "no explorer widget rendered (is the ipywidgets JupyterLab"
                f" extension, jupyterlab_widgets, installed?); shows {shown!r}"
            ) from None

    def _control(self, kind: str, label: str) -> Locator:
        control = self.widget.locator(kind).filter(
            has=self.page.locator(
                "label.widget-label",
                has_text=re.compile(f"^{re.escape(label)}$"),
            )
        )
        if control.count() != 1:
            raise LookupError(f"no single {kind} labelled {label!r}")
        return control

    # ---------------------------------------------------------- reads

    def image_src(self) -> str:
        img = self.widget.locator(".widget-output img")
        img.first.wait_for()
        return img.first.get_attribute("src")

    def image(self) -> np.ndarray:
        return decode_img_src(self.image_src())

    def text_value(self, label: str) -> str:
        field_ = self._control(".widget-text, .widget-textarea", label)
        return field_.locator("input, textarea").input_value()

    def slider_position(self, label: str) -> float:
        """The slider's own value (for a log slider: the exponent)."""
        handle = self._control(".widget-slider", label).locator(".noUi-handle")
        return float(handle.get_attribute("aria-valuetext"))

    def readout(self, label: str) -> str:
        slider = self._control(".widget-slider", label)
        return slider.locator(".widget-readout").inner_text().strip()

    def toggled(self, label: str) -> str:
        buttons = self._control(".widget-toggle-buttons", label)
        return buttons.locator("button.mod-active").get_attribute("data-value")

    # -------------------------------------------------------- actions

    def press_slider(self, label: str, key: str, times: int = 1) -> None:
        """Focus the slider's handle and press ``key`` ``times`` times."""
        handle = self._control(".widget-slider", label).locator(".noUi-handle")
        handle.focus()
        for _ in range(times):
            handle.press(key)

    def type_text(self, label: str, text: str) -> None:
        """Replace the text box's content by typing; submit it.

        A ``Text`` submits on Enter; a ``Textarea`` on losing the focus
        (Tab), which is what ``continuous_update=False`` reacts to.
        """
        field_ = self._control(".widget-text, .widget-textarea", label)
        box = field_.locator("input, textarea")
        box.click()
        box.press("Control+a")
        box.press("Delete")
        self.page.keyboard.type(text)
        box.press("Tab" if field_.locator("textarea").count() else "Enter")

    def click_toggle(self, label: str, value: str) -> None:
        buttons = self._control(".widget-toggle-buttons", label)
        buttons.locator(f"button[data-value='{value}']").click()

    def wait_new_image(
        self, before: str, settled: Callable[[], bool], timeout: float = 60.0
    ) -> str:
        """Wait until the figure differs from ``before`` and stays put.

        One action may send several changes (a key held down); the figure
        counts as final when ``settled()`` (the kernel is idle) and the
        source is the same over a second.
        """
        deadline = time.monotonic() + timeout
        last, since = before, time.monotonic()
        while time.monotonic() < deadline:
            img = self.widget.locator(".widget-output img")
            src = img.first.get_attribute("src") if img.count() else None
            now = time.monotonic()
            if src != last:
                last, since = src, now
            elif src and src != before and now - since > 1.0 and settled():
                return src
            time.sleep(0.1)
        raise TimeoutError(f"the figure did not change in {timeout:.0f} s")

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.cell.scroll_into_view_if_needed()
        self.cell.screenshot(path=path)
        return path
