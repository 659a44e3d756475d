"""The liveView keywords that need the page's own JavaScript, over the Browser library.

The resources (``resources/ui*.resource``) say what a user does; when a check needs to
look inside the page (wait in the page instead of polling it from outside, count the
colours of a canvas, time a row by the page's own clock), they call a keyword of this
library instead of carrying inline JavaScript. The scripts are in
:mod:`libraries.ui.scripts`; this module runs them through the Browser library of the
current run (``Evaluate JavaScript``, ``Wait For Function``).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

from libraries.ui import scripts

DEFAULT_WAIT = timedelta(seconds=10)
POLLING = "100ms"


@library(scope="GLOBAL", auto_keywords=False, listener="SELF")
class LiveViewPage:
    """Typed keywords over the Browser library for what liveView's page knows.

    = Waits in the page =

    The ``Wait In Page For ...`` keywords poll inside the page (every 100 ms) until a
    condition holds, for at most ``timeout``, and return whether it did. They never fail:
    the caller's Browser assertion (``Get Attribute ... ==``) then passes at once, or fails
    saying what the page shows, with Browser's screenshot. One in-page wait costs the
    machine far less than Browser's own retries (a call every 10 ms), which parallel
    tests need.

    | ${shown} = | `Wait In Page For View` | task | timeout=30s |
    | Get Attribute | css=body | data-view | ``==`` | task |

    Selectors are CSS (``css=[data-testid="task-status"]``): the page looks them up itself.

    = Checks =

    The other keywords read the page once and assert (a canvas that is not one flat
    colour, a bright column, a row that appeared in time): on failure they take Browser's
    failure screenshot, as Browser's own keywords do.

    = The tester's session =

    `Save Tester Session` keeps a logged-in context's cookies (Playwright storage state)
    for the suite's next context, in a private temporary directory, never in the output
    directory: the cookie is a credential. `Forget Tester Session` removes it; whatever is
    left is removed when the run ends.
    """

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        self._sessions: dict[str, Path] = {}  # suite's full name -> its storage-state file

    # ------------------------------------------------------------------ Browser

    @staticmethod
    def _browser() -> Any:
        return BuiltIn().get_library_instance("Browser")

    def _evaluate(
        self, function: str, selector: str | None = None, arg: Any = None, **options: Any
    ) -> Any:
        return self._browser().evaluate_javascript(selector, function, arg=arg, **options)

    def _wait(self, function: str, timeout: timedelta, what: str) -> bool:
        start = time.monotonic()
        try:
            self._browser().wait_for_function(function, polling=POLLING, timeout=timeout)
        except Exception as error:  # Playwright's timeout: the caller's assertion reports
            logger.info(
                f"Waited {time.monotonic() - start:.1f} s in the page for {what}: not yet "
                f"({str(error).splitlines()[0][:200]})"
            )
            return False
        logger.debug(f"In the page after {time.monotonic() - start:.2f} s: {what}")
        return True

    def _fail(self, message: str) -> None:
        """Fail with ``message`` after Browser's failure screenshot (its ``run_on_failure``)."""
        self._browser().keyword_error(None)
        raise AssertionError(message)

    # ------------------------------------------------------------------ waits

    @keyword
    def wait_in_page_for_view(self, view: str, timeout: timedelta = DEFAULT_WAIT) -> bool:
        """Waits until the page shows the view ``view`` (``<body data-view>``); returns
        whether it did within ``timeout``.

        | `Wait In Page For View` | task | timeout=30s |
        """
        return self._wait(scripts.body_data_is("view", [view]), timeout, f"view '{view}'")

    @keyword
    def wait_in_page_for_view_other_than(
        self, *views: str, timeout: timedelta = DEFAULT_WAIT
    ) -> bool:
        """Waits until the page shows a view that is none of ``views``; returns whether it
        did within ``timeout``.

        | `Wait In Page For View Other Than` | login | loading |
        """
        return self._wait(
            scripts.body_data_is_not("view", views), timeout, f"a view other than {views}"
        )

    @keyword
    def wait_in_page_for_ready_view(self, *views: str, timeout: timedelta = DEFAULT_WAIT) -> bool:
        """Waits until one of ``views`` has loaded its data (``<body data-ready>``); returns
        whether it did within ``timeout``.

        | `Wait In Page For Ready View` | login | alerts |
        """
        return self._wait(scripts.body_data_is("ready", views), timeout, f"view ready in {views}")

    @keyword
    def wait_in_page_for_element_data(
        self, selector: str, name: str, value: str, timeout: timedelta = DEFAULT_WAIT
    ) -> bool:
        """Waits until the element ``selector`` has ``data-<name>`` equal to ``value``
        (``name`` as in JavaScript's ``dataset``: ``rowsDrawn`` for ``data-rows-drawn``);
        returns whether it did within ``timeout``.

        | `Wait In Page For Element Data` | css=[data-testid="task-status"] | status | running |
        """
        return self._wait(
            scripts.element_data_is(selector, name, value),
            timeout,
            f"{selector} with data {name}={value!r}",
        )

    @keyword
    def wait_in_page_for_element_number(
        self, selector: str, name: str, minimum: float, timeout: timedelta = DEFAULT_WAIT
    ) -> bool:
        """Waits until the element ``selector`` has a number of at least ``minimum`` in
        ``data-<name>``; returns whether it did within ``timeout``.

        | `Wait In Page For Element Number` | css=[data-testid="waterfall-canvas"] | rowsDrawn | 2 |
        """
        return self._wait(
            scripts.element_number_at_least(selector, name, minimum),
            timeout,
            f"{selector} with data {name} >= {minimum:g}",
        )

    @keyword
    def wait_in_page_for_visible_element(
        self, selector: str, timeout: timedelta = DEFAULT_WAIT
    ) -> bool:
        """Waits until the element ``selector`` exists and is visible; returns whether it
        did within ``timeout``.

        | `Wait In Page For Visible Element` | css=[data-alert-id="${id}"] |
        """
        return self._wait(scripts.element_visible(selector), timeout, f"{selector} visible")

    @keyword
    def wait_in_page_for_element_count(
        self, selector: str, count: int, timeout: timedelta = DEFAULT_WAIT
    ) -> bool:
        """Waits until ``selector`` matches exactly ``count`` elements; returns whether it
        did within ``timeout``.

        | `Wait In Page For Element Count` | css=[data-testid="alert-row"] | 100 | timeout=20s |
        """
        return self._wait(
            scripts.element_count_is(selector, count), timeout, f"{count} x {selector}"
        )

    @keyword
    def wait_for_page_counter_to_grow(
        self, name: str, by: int = 1, timeout: timedelta = DEFAULT_WAIT
    ) -> int:
        """Waits until the page's counter ``<body data-<name>>`` has grown by ``by`` from
        its value now, and returns the new value; fails, naming both values, when it has not
        within ``timeout``. For a list that refreshes itself: two more refreshes mean that
        a fetch started after this call has been rendered.

        | `Wait For Page Counter To Grow` | alertsRefreshes | by=2 |
        """
        start = self._evaluate(scripts.BODY_NUMBER, arg=name)
        if not isinstance(start, int | float):
            self._fail(f"The page has no counter data-{name}")
        target = float(start) + by
        self._wait(scripts.body_number_at_least(name, target), timeout, f"{name} >= {target:g}")
        now = self._evaluate(scripts.BODY_NUMBER, arg=name)
        if not isinstance(now, int | float) or now < target:
            self._fail(
                f"The page's {name} did not grow by {by} within {timeout}: {start:g} -> {now}"
            )
        return int(now)

    @keyword
    def hold_back_page_answers(self, path: str, delay: timedelta) -> None:
        """From now on the page gets its answers to requests whose path ends with ``path``
        ``delay`` late (its ``fetch`` waits), for tests of what a view does with an answer
        that arrives after the user left it. Lasts until the page is reloaded. Wait on it
        with `Wait For Held Back Requests`.

        | `Hold Back Page Answers` | /tasks | 2 s |
        | `Wait For Held Back Requests` | started |
        | Go To View | configure |
        | `Wait For Held Back Requests` | answered |
        """
        held = {"path": path, "ms": round(delay.total_seconds() * 1000)}
        self._evaluate(scripts.HOLD_BACK_ANSWERS, arg=held)

    @keyword
    def wait_for_held_back_requests(
        self, what: str = "started", count: int = 1, timeout: timedelta = DEFAULT_WAIT
    ) -> int:
        """Waits until ``count`` requests of `Hold Back Page Answers` were sent
        (``started``) or their answers delivered to the page's code (``answered``), and
        returns how many; fails naming the count when it does not happen within ``timeout``.

        | `Wait For Held Back Requests` | answered | timeout=10 s |
        """
        if what not in ("started", "answered"):
            raise ValueError(f"what must be 'started' or 'answered', got {what!r}")
        if not isinstance(self._evaluate(scripts.HELD_BACK, arg=what), int | float):
            self._fail("The page holds back no answers: call Hold Back Page Answers first")
        self._wait(scripts.held_back_at_least(what, count), timeout, f"{count} held back {what}")
        seen = self._evaluate(scripts.HELD_BACK, arg=what)
        if seen < count:
            self._fail(f"{seen:g} held-back request(s) {what} within {timeout}, wanted {count}")
        return int(seen)

    # ------------------------------------------------------------------ checks

    @keyword
    def set_input_value(self, selector: str, value: str) -> None:
        """Sets the value of the input ``selector`` as the page's script would (for inputs a
        user can not type into, like a hidden test setting).

        | `Set Input Value` | css=[data-testid="login-session-lifetime"] | 5 |
        """
        self._evaluate(scripts.SET_VALUE, selector, arg=value)

    @keyword
    def canvas_should_not_be_one_colour(self, selector: str) -> int:
        """The canvas ``selector`` has more than one colour (it is drawn, not blank or
        flat); returns how many distinct colours it has.

        | `Canvas Should Not Be One Colour` | css=[data-testid="waterfall-canvas"] |
        """
        colours = int(self._evaluate(scripts.DISTINCT_COLOURS, selector))
        logger.info(f"{selector} has {colours} distinct colour(s)")
        if colours <= 1:
            self._fail(f"The canvas {selector} is one flat colour")
        return colours

    @keyword
    def canvas_column_should_stand_out(
        self, selector: str, column: int, first: int = 0, ratio: float = 1.5
    ) -> float:
        """The pixel column ``column`` of the canvas ``selector`` is on average more than
        ``ratio`` times as bright as the median column; returns how many times brighter it
        is. Columns are numbered from ``first`` at the left edge: for the waterfall, give
        the channel and the task's first channel.

        | `Canvas Column Should Stand Out` | ${WATERFALL} | 50 | first=11 | ratio=1.5 |
        """
        columns = [float(value) for value in self._evaluate(scripts.COLUMN_BRIGHTNESS, selector)]
        index = column - first
        if not 0 <= index < len(columns):
            self._fail(
                f"The canvas {selector} has columns {first}..{first + len(columns) - 1}, "
                f"no column {column}"
            )
        median = sorted(columns)[len(columns) // 2]
        brightness = columns[index]
        times = brightness / median if median else float("inf")
        logger.info(
            f"Column {column}: brightness {brightness:.1f}, median column {median:.1f} "
            f"({times:.2f} x, more than {ratio:g} x asked)"
        )
        if not brightness > ratio * median:
            self._fail(
                f"Column {column} of {selector} is not brighter than {ratio:g} x the median "
                f"column: {brightness:.1f} vs median {median:.1f}"
            )
        return times

    @keyword
    def element_number_should_be_at_least(self, selector: str, name: str, minimum: float) -> float:
        """The number in ``data-<name>`` of the element ``selector`` is at least ``minimum``;
        returns it. Fails naming what the page shows.

        | `Element Number Should Be At Least` | ${WATERFALL} | rowsDrawn | 2 |
        """
        read = self._evaluate(
            scripts.ELEMENT_DATA, arg={"selector": scripts.css(selector), "name": name}
        )
        if read is None:
            self._fail(f"{selector} is not on the page or has no data-{name}")
        number = float(read)
        if number < minimum:
            self._fail(f"{selector} has data-{name} {read}, expected at least {minimum:g}")
        return number

    @keyword
    def element_number_should_equal_row_count(
        self, selector: str, name: str, rows: str, minimum: int = 0
    ) -> int:
        """The number in ``data-<name>`` of ``selector`` equals how many elements ``rows``
        matches, both read in the same instant (a list that refreshes itself can not change
        in between), and is at least ``minimum``. Returns the number.

        | `Element Number Should Equal Row Count` | ${CAPACITY} | active | ${ROWS} | minimum=1 |
        """
        query = {"element": scripts.css(selector), "name": name, "rows": scripts.css(rows)}
        read = self._evaluate(scripts.DATA_AND_COUNT, arg=query)
        value, count = read["value"], int(read["count"])
        if value is None:
            self._fail(f"{selector} has no data-{name}")
        number = int(value)
        logger.info(f"{selector} data-{name} = {number}; {count} x {rows}")
        if number < minimum:
            self._fail(f"{selector} shows {number}, expected at least {minimum}")
        if number != count:
            self._fail(f"{selector} shows {number} but {count} rows are listed ({rows})")
        return number

    @keyword
    def get_attribute_of_each(self, selector: str, name: str) -> list[str | None]:
        """The attribute ``name`` of every element ``selector`` matches, in page order
        (``None`` where one lacks it; an empty list when none matches).

        | ${ids} = | `Get Attribute Of Each` | css=[data-testid="alert-row"] | data-alert-id |
        """
        values = self._evaluate(
            scripts.ATTRIBUTE_OF_EACH, arg={"selector": scripts.css(selector), "name": name}
        )
        return list(values)

    @keyword
    def get_inputs_without_label(self, form: str) -> list[str]:
        """The inputs, lists and text areas inside ``form`` that have neither a
        ``<label for>`` with text nor an ``aria-label`` (named by ``data-testid`` or name);
        fails when the form has no input at all.

        | ${unlabelled} = | `Get Inputs Without Label` | ${CONFIGURE_FORM} |
        """
        inputs = int(self._evaluate(scripts.INPUT_COUNT, form))
        if inputs == 0:
            self._fail(f"{form} has no input")
        unlabelled = [str(name) for name in self._evaluate(scripts.INPUTS_WITHOUT_LABEL, form)]
        logger.info(f"{inputs} input(s) in {form}; without a label: {unlabelled or 'none'}")
        return unlabelled

    @keyword
    def record_when_rows_appear(self, list_selector: str, id_attribute: str) -> None:
        """From now on the page notes its own ``Date.now()`` when a row with a new
        ``id_attribute`` is added to ``list_selector``, for `Row Should Have Appeared Within`.

        | `Record When Rows Appear` | css=[data-testid="alerts-list"] | data-alert-id |
        """
        query = {"list": scripts.css(list_selector), "id": id_attribute}
        if not self._evaluate(scripts.RECORD_ROW_ARRIVALS, arg=query):
            self._fail(f"No {list_selector} on the page to watch")

    @keyword
    def row_should_have_appeared_within(self, row_id: str, sent: float, limit: timedelta) -> int:
        """The row ``row_id`` was added at most ``limit`` after ``sent`` (seconds since the
        epoch, as ``Get Current Date    result_format=epoch`` gives). The page's own clock
        stamped the row (`Record When Rows Appear`), so a slow Browser call on a loaded
        machine neither hides a late row nor fails a timely one. Returns the milliseconds.

        | ${sent} = | Get Current Date | result_format=epoch |
        | `Row Should Have Appeared Within` | ${alert}[alertId] | ${sent} | 2s |
        """
        seen = self._evaluate(scripts.ROW_ARRIVAL, arg=row_id)
        if seen is None or seen == "":
            self._fail(
                f"The page did not record when row {row_id} appeared: is it listed? "
                "(call Record When Rows Appear before it is added)"
            )
        after = round(float(seen) - sent * 1000)
        limit_ms = round(limit.total_seconds() * 1000)
        logger.info(f"Row {row_id} appeared {after} ms after it was sent (limit {limit_ms} ms)")
        if after > limit_ms:
            self._fail(
                f"Row {row_id} appeared {after} ms after it was sent: later than {limit_ms} ms"
            )
        return after

    @keyword
    def get_row_arrival_times(self) -> dict[str, float]:
        """Every row `Record When Rows Appear` saw added: its id to the page's ``Date.now()``
        (milliseconds since the epoch) when it was.

        | ${arrivals} = | `Get Row Arrival Times` |
        """
        arrivals = self._evaluate(scripts.ROW_ARRIVALS)
        if arrivals is None:
            self._fail("The page records no row arrivals: call Record When Rows Appear first")
        return {str(key): float(value) for key, value in arrivals.items()}

    @keyword
    def mark_page(self) -> None:
        """Puts a marker on the page's window that a reload would wipe.

        | `Mark Page` |
        | Filter Alerts | severity=3 |
        | `Page Should Not Have Reloaded` |
        """
        self._evaluate(scripts.MARK_PAGE)

    @keyword
    def page_should_not_have_reloaded(self) -> None:
        """The marker of `Mark Page` is still there: nothing reloaded the page.

        | `Page Should Not Have Reloaded` |
        """
        if self._evaluate(scripts.PAGE_MARKED) is not True:
            self._fail("The page reloaded (the marker of Mark Page is gone)")

    @keyword
    def get_page_cookie_text(self) -> str:
        """``document.cookie`` as the page's script sees it (an HttpOnly cookie is not in it).

        | ${visible} = | `Get Page Cookie Text` |
        """
        return str(self._evaluate(scripts.READ_COOKIE))

    # ------------------------------------------------------------------ screenshots

    @keyword
    def wait_for_fonts(self) -> str:
        """Waits until the page's fonts are loaded; returns ``document.fonts.status``.

        | `Wait For Fonts` |
        """
        return str(self._evaluate(scripts.FONTS_READY))

    @keyword
    def get_bounding_boxes(self, selector: str, page: bool = False) -> list[dict[str, float]]:
        """The box (``x``, ``y``, ``width``, ``height``) of every element ``selector``
        matches (none: an empty list), in the viewport's coordinates, or the page's when
        ``page`` (unchanged by scrolling).

        | ${boxes} = | `Get Bounding Boxes` | css=[data-testid="alert-row"] |
        """
        boxes = self._evaluate(scripts.BOUNDING_BOXES, selector, arg=page, all_elements=True)
        return [dict(box) for box in boxes]

    @keyword
    def get_layout(self, element: str | None, *selectors: str) -> dict[str, Any]:
        """Where ``element`` is (``origin``: the viewport's corner when ``None``) and the
        DocTest masks (pixel rectangles relative to it, 2 px larger) over every element
        of ``selectors``: ``{"origin": {"x", "y"}, "masks": [{"page": "all", "type":
        "coordinates", "x", "y", "width", "height"}, ...]}``. Two layouts are equal when
        nothing moved.

        | ${layout} = | `Get Layout` | ${None} | css=[data-testid="clock"] |
        """
        origin = {"x": 0.0, "y": 0.0}
        if element is not None:
            boxes = self.get_bounding_boxes(element, page=True)
            if not boxes:
                self._fail(f"No element {element} to take a screenshot of")
            origin = {"x": boxes[0]["x"], "y": boxes[0]["y"]}
        masks = [
            {
                "page": "all",
                "type": "coordinates",
                "x": int(box["x"] - origin["x"]),
                "y": int(box["y"] - origin["y"]),
                "width": int(box["width"]) + 2,
                "height": int(box["height"]) + 2,
            }
            for selector in selectors
            for box in self.get_bounding_boxes(selector, page=element is not None)
        ]
        return {"origin": origin, "masks": masks}

    # ------------------------------------------------------------------ session

    @staticmethod
    def _suite() -> str:
        return str(BuiltIn().get_variable_value("${SUITE NAME}", ""))

    @keyword
    def get_tester_session(self) -> str | None:
        """The storage-state file `Save Tester Session` saved for this suite, or ``None``.

        | ${state} = | `Get Tester Session` |
        """
        path = self._sessions.get(self._suite())
        return str(path) if path is not None and path.exists() else None

    @keyword
    def save_tester_session(self) -> str:
        """Saves the current context's session (its cookies and storage) for this suite's
        next `Open Live View As Tester`, in a private temporary directory; returns the file.

        | `Save Tester Session` |
        """
        path = self._sessions.get(self._suite())
        if path is None:
            directory = Path(tempfile.mkdtemp(prefix="liveview-session-"))
            path = self._sessions[self._suite()] = directory / "state.json"
        self._browser().save_storage_state(path)
        return str(path)

    @keyword
    def forget_tester_session(self) -> None:
        """Removes the session `Save Tester Session` saved for this suite, if any (the end
        of the suite removes it too): the next `Open Live View As Tester` logs in again.

        | `Forget Tester Session` |
        """
        path = self._sessions.pop(self._suite(), None)
        if path is not None:
            shutil.rmtree(path.parent, ignore_errors=True)

    def end_suite(self, data: Any, result: Any) -> None:
        """A suite's saved session ends with the suite (also when its teardown failed)."""
        path = self._sessions.pop(str(result.full_name), None)
        if path is not None:
            shutil.rmtree(path.parent, ignore_errors=True)

    def close(self) -> None:
        """At the end of the run: no saved session outlives it."""
        for path in self._sessions.values():
            shutil.rmtree(path.parent, ignore_errors=True)
        self._sessions.clear()
