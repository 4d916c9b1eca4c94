"""The WS-Management side of the emulator: HTTP, SOAP envelopes, faults and the shell operations."""
