"""The parts of ``manage.py wristband_check``: the package's log records kept out of its
output (``logs``), the session store and lock cache pings (``stores``), and the calls to
Wristband with what their failures mean (``wristband_calls``)."""
