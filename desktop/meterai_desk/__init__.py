"""Meterai Desk's Qt GUI (composition of widgets over the Qt-free ``meterai`` core)."""

from meterai_desk import pyside_fix, pyside_startup

pyside_fix.apply()
pyside_startup.apply()
