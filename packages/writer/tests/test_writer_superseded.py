"""A save superseded while its upload was in flight, then failed, is not sent again once the store is back.

The store is moto behind a small TCP relay on 127.0.0.1 that the test can make
*hold* requests (the upload is in flight), then *refuse* them (the outage), then
pass them on again; it counts the PUTs of each key that reach moto.
"""

import json
import socket
import threading
import time

from lab_workbook_writer import new_experiment
import pytest


class Relay:
    """127.0.0.1:<port> → moto; ``mode`` is "pass", "hold" or "refuse"."""

    def __init__(self, target_url):
        host, port = target_url.removeprefix("http://").rstrip("/").split(":")
        self.target = (host, int(port))
        self.mode = "pass"
        self.held = []
        self.puts = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if self.mode == "refuse":
                client.close()
            else:
                threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        upstream = socket.create_connection(self.target)
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream, requests=True)

    def _pipe(self, source, sink, requests=False):
        try:
            while data := source.recv(65536):
                if requests and self.mode != "pass":  # also on a kept-alive connection
                    self.held.append(data)
                    while self.mode == "hold":
                        time.sleep(0.01)
                    return  # then the request fails: the connection is cut
                if requests and data.startswith(b"PUT "):
                    self.puts.append(data.split(b" ", 2)[1].decode())
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self._server.close()


@pytest.fixture
def relay(s3_prefix, s3_server, monkeypatch):
    relay = Relay(s3_server.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", relay.url)
    yield relay
    relay.close()


def _until(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_save_superseded_in_flight_is_not_resent_after_the_outage(s3_prefix, relay, capsys):
    wb = new_experiment(s3_prefix, max_retry_seconds=0.2)
    relay.mode = "hold"
    wb.save_json("model", {"version": 1})
    _until(lambda: any(b"/model.json " in request for request in relay.held))  # its upload is in flight
    wb.save_json("model", {"version": 2})
    relay.mode = "refuse"  # the in-flight upload fails, and its retries
    # Only once the writer has given up on version 1 may the store come back: any request held
    # meanwhile (the run record, the environment) fails too, and prints the same notice earlier.
    _until(lambda: len([e for e in wb._state.uploader.unsent() if e.key.endswith("/model.json")]) == 1, seconds=60)
    assert "cannot upload" in capsys.readouterr().err
    relay.mode = "pass"
    assert wb.close(timeout=30) is True
    model_puts = [p for p in relay.puts if p.endswith("/model.json")]
    assert len(model_puts) == 1  # only the newer save went out
    from lab_workbook_core import load_config, open_storage

    stored = open_storage(load_config(s3_prefix)).get_bytes(f"{wb.tag}/model.json")
    assert json.loads(stored) == {"version": 2}
