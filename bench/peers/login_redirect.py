"""Installed as sitecustomize.py in a peer's virtual environment: the connector's requests to
Salesforce's login hosts go to the simulator named by BENCH_SALESFORCE_LOGIN_URL. Nothing else is
changed; the instance URL the token answer gives is the simulator's already."""

import os

_TARGET = os.environ.get("BENCH_SALESFORCE_LOGIN_URL")
_HOSTS = ("https://login.salesforce.com", "https://test.salesforce.com")

if _TARGET:
    import requests

    _send = requests.Session.send

    def _redirected(self, request, **kwargs):
        # send, not request: connectors that prepare their requests themselves call only send
        for host in _HOSTS:
            if request.url.startswith(host):
                request.url = _TARGET + request.url[len(host):]
        return _send(self, request, **kwargs)

    requests.Session.send = _redirected
