"""How the login talks to the user: on the terminal itself, never on stdout.

stdout carries only the session string. Prompts and the QR code go to ``/dev/tty``:
``meltano invoke`` reads a plugin's stderr line by line, so a prompt without a newline
would never show there. Without a terminal (a pipe, CI), prompts go to stderr and
answers come from stdin.
"""

from __future__ import annotations

import getpass
import io
import os
import sys
from collections.abc import Callable
from typing import TextIO

#: ``prompt(text, secret)`` returns what the user typed; secret input is not echoed.
Prompter = Callable[[str, bool], str]
#: ``show(text)`` puts a block of lines in front of the user (the QR code of ``login --qr``).
Screen = Callable[[str], None]


def terminal_prompt(stream: TextIO | None = None) -> Prompter:
    """Prompts on the terminal itself (``/dev/tty``), secrets hidden.

    Not on stdout, which carries only the session string, and not on stderr:
    ``meltano invoke`` reads a plugin's stderr line by line, so a prompt without a
    newline would never show. Without a terminal: prompts on stderr, answers on stdin.
    """
    fallback = stream or sys.stderr

    def ask(text: str, secret: bool) -> str:
        if secret:
            return getpass.getpass(text)  # /dev/tty when there is one
        try:
            # As getpass does it: an unbuffered read-write file (a tty cannot seek).
            tty = io.TextIOWrapper(io.FileIO(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY), "w+"))
        except OSError:
            fallback.write(text)
            fallback.flush()
            line = sys.stdin.readline()
        else:
            with tty:
                tty.write(text)
                tty.flush()
                line = tty.readline()
        if not line:
            raise EOFError
        return line.rstrip("\r\n")

    return ask


def terminal_screen(fallback: TextIO | None = None) -> Screen:
    """Show blocks on the terminal itself (``/dev/tty``); without one, on stderr.

    Not on stdout, which carries only the session string.
    """
    stream = fallback or sys.stderr

    def show(text: str) -> None:
        try:
            tty = io.TextIOWrapper(io.FileIO(os.open("/dev/tty", os.O_WRONLY | os.O_NOCTTY), "w"))
        except OSError:
            stream.write(text)
            stream.flush()
            return
        with tty:
            tty.write(text)
            tty.flush()

    return show
