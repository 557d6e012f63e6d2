"""What an OWS answer's validator and the capabilities cache depend on
(services/ows/validators.py)."""

from __future__ import annotations

from services.ows.kvp import Params
from services.ows.service import Response
from services.ows.validators import CapabilitiesCache, request_tag

CAPS = Params((("service", "WMS"), ("REQUEST", "GetCapabilities")))


def test_the_tag_ignores_key_case_and_order_but_not_values_or_state():
    one = Params((("LAYERS", "A"), ("width", "256")))
    same = Params((("WIDTH", "256"), ("layers", "A")))
    other = Params((("LAYERS", "A"), ("WIDTH", "512")))
    tag = request_tag((1, "f", 7), one, "WMS", "http://x/wms?")
    assert tag == request_tag((1, "f", 7), same, "WMS", "http://x/wms?")
    assert tag != request_tag((1, "f", 7), other, "WMS", "http://x/wms?")
    assert tag != request_tag((2, "f", 7), one, "WMS", "http://x/wms?"), "an ingest"
    assert tag != request_tag((1, "f", 7), one, "WMS", "http://y/wms?"), "another address"


class Counting:
    def __init__(self, status: int = 200):
        self.calls, self.status = 0, status

    def handle(self, params, default_service="WMS", post=None, online_resource=None):
        self.calls += 1
        return Response(self.status, "text/xml", f"<doc n='{self.calls}'/>".encode())


def test_capabilities_are_drawn_once_per_state():
    drawer, state = Counting(), [1]
    cache = CapabilitiesCache(drawer, lambda: (state[0],))
    first = cache.handle(CAPS, "WMS", None, "http://x/wms?")
    assert cache.handle(CAPS, "WMS", None, "http://x/wms?") is first and drawer.calls == 1
    state[0] = 2
    assert cache.handle(CAPS, "WMS", None, "http://x/wms?").body != first.body


def test_maps_errors_and_posts_are_not_kept():
    drawer = Counting()
    cache = CapabilitiesCache(drawer, lambda: (1,))
    getmap = Params((("REQUEST", "GetMap"),))
    cache.handle(getmap)
    cache.handle(getmap)
    cache.handle(CAPS, post=(b"<x/>", "application/xml"))
    cache.handle(CAPS, post=(b"<x/>", "application/xml"))
    assert drawer.calls == 4
    failing = Counting(status=500)
    cache = CapabilitiesCache(failing, lambda: (1,))
    cache.handle(CAPS)
    cache.handle(CAPS)
    assert failing.calls == 2


def test_the_cache_is_bounded():
    drawer = Counting()
    cache = CapabilitiesCache(drawer, lambda: (1,), size=2)
    for language in ("en", "nl", "fr", "en"):
        cache.handle(Params(CAPS.items + (("LANGUAGE", language),)))
    assert drawer.calls == 4, "en was dropped when fr came"


def test_requests_for_a_document_being_drawn_wait_for_it():
    import threading
    import time

    class Slow(Counting):
        def handle(self, *args, **kwargs):
            time.sleep(0.3)
            return super().handle(*args, **kwargs)

    drawer = Slow()
    cache = CapabilitiesCache(drawer, lambda: (1,))
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(cache.handle(CAPS)))
               for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(answers) == 5 and drawer.calls == 1
    assert len({answer.body for answer in answers}) == 1


def test_a_failed_drawing_lets_the_waiting_request_draw_its_own():
    import threading
    import time

    class FailingOnce(Counting):
        def handle(self, *args, **kwargs):
            time.sleep(0.2)
            self.calls += 1
            status = 503 if self.calls == 1 else 200
            return Response(status, "text/xml", b"<x/>")

    drawer = FailingOnce()
    cache = CapabilitiesCache(drawer, lambda: (1,))
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(cache.handle(CAPS).status))
               for _ in range(2)]
    threads[0].start()
    time.sleep(0.05)
    threads[1].start()
    for thread in threads:
        thread.join(5)
    assert sorted(statuses) == [200, 503] and drawer.calls == 2
