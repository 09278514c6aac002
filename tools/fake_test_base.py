"""Start-up shared by the tests of the fake services: one fake per test class, on a free port.

A test class names the fake's script in SCRIPT and its extra arguments in fake_args(); the fake
writes the port it bound to a file, which is how we learn it (port 0 avoids clashes).
"""

import http.client
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class FakeServiceTest(unittest.TestCase):
    SCRIPT = ""
    HTTP_TIMEOUT = 30

    @classmethod
    def fake_args(cls):
        return []

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        port_file = os.path.join(cls.dir.name, "port")
        cls.proc = subprocess.Popen([sys.executable, os.path.join(HERE, cls.SCRIPT), "--port", "0",
                                     "--port-file", port_file] + cls.fake_args())
        deadline = time.time() + 10
        while not os.path.exists(port_file):
            if time.time() > deadline or cls.proc.poll() is not None:
                cls.tearDownClass()
                raise RuntimeError("%s did not start" % cls.SCRIPT)
            time.sleep(0.05)
        with open(port_file) as f:
            cls.port = int(f.read())
        cls.host = "127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        try:
            cls.proc.wait(10)
        except subprocess.TimeoutExpired:
            cls.proc.kill()
        cls.dir.cleanup()

    def http(self, method, target, body=b"", headers=()):
        """One request on its own connection: (status, headers with lower-case names, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.HTTP_TIMEOUT)
        try:
            conn.request(method, target, body=body, headers=dict(headers))
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()
