"""Pure domain model of hvgui: plain dataclasses, enums and rules.

Nothing in this package does I/O or imports anything beyond the standard library, so every rule here
can be tested without a host, a network or a display.
"""
