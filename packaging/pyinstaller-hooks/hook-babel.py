# Replaces PyInstaller's hook: Babel's locale data for the app's two languages only
# (all 1,100 locales are 35 MB; number formats in id and en need these and root).
from PyInstaller.utils.hooks import collect_data_files

LOCALES = ["root", "id", "id_ID", "en", "en_001", "en_US", "en_US_POSIX", "en_ID"]

datas = collect_data_files(
    "babel", includes=["global.dat", *(f"locale-data/{name}.dat" for name in LOCALES)]
)
hiddenimports = ["babel.dates", "babel.localedata", "babel.plural", "babel.numbers"]
