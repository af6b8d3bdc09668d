# Replaces PyInstaller's hook: the same collection, less the plugins the app never loads.
# They are dropped here, before PyInstaller follows each plugin's libraries (the GTK 3
# theme alone would pull in GTK, GDK, cairo and pango). The spec sets which to keep.
from PyInstaller.utils.hooks import get_hook_config
from PyInstaller.utils.hooks.qt import add_qt6_dependencies

hiddenimports, _binaries, datas = add_qt6_dependencies(__file__)


def hook(hook_api):
    keep = get_hook_config(hook_api, "meterai_qt", "keep_plugin")
    hook_api.add_binaries([entry for entry in _binaries if keep(entry[1], entry[0])])
