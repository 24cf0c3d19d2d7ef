"""Start callables together in threads, as concurrent requests or runners would."""

import threading


def run_together(*calls, timeout=120):
    """Run ``calls`` in threads released together; return their results in order.

    Each call opens its own app context (and so its own database session), as
    a second scheduler process or a concurrent request would.
    """
    start = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = []

    def worker(index, call):
        start.wait()
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(error))

    threads = [
        threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert errors == [], errors
    return results
