; Meterai Desk for Windows: an Inno Setup 6 script around the PyInstaller folder.
;
; Installs for the current user only, without admin rights (a CASN applicant's laptop, a
; kiosk account): the program under %LOCALAPPDATA%\Programs\Meterai Desk, Start-menu
; entries, "Open with Meterai Desk" for .pdf files (offered, never made the default
; PDF program) and an uninstaller in Settings -> Apps. Build it as packaging/README.md
; says:
;
;   pyinstaller --noconfirm packaging\meterai-desk.spec
;   iscc /DAppVersion=0.1.0 packaging\windows\meterai-desk.iss
;
; The user's data (%LOCALAPPDATA%\meterai-desk: the outbox, the stored and stamped
; documents, the settings) is never touched by the installer nor the uninstaller: it
; holds paid stamps. The password is in Windows Credential Manager, also left alone.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z (pyproject.toml's [project] version)
#endif
#ifndef BundleDir
  ; PyInstaller's default output, relative to this file.
  #define BundleDir "..\..\dist\meterai-desk"
#endif
#define AppName "Meterai Desk"
#define DeskExe "meterai-desk.exe"
#define CliExe "meterai.exe"
; The file type the "Open with" entry stands for. Ours alone: .pdf's default stays the
; user's PDF reader.
#define ProgId "MeteraiDesk.pdf"

[Setup]
; The AppId ties every version's installer to one uninstall entry: never change it.
AppId={{E25FDD3A-4B03-4343-8FB5-7C9793CCE28C}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Meterai Desk
VersionInfoVersion={#AppVersion}
; Per user, no elevation: {autopf} is then %LOCALAPPDATA%\Programs and HKA is HKCU.
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
ChangesAssociations=yes
; An update closes a running Meterai Desk through the Restart Manager, then restarts it.
CloseApplications=yes
RestartApplications=yes
UninstallDisplayIcon={app}\{#DeskExe}
UninstallDisplayName={#AppName}
OutputDir=..\..\dist
OutputBaseFilename=meterai-desk-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ShowLanguageDialog=auto

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
; Inno Setup ships no Indonesian wizard; with the community translation beside this file
; (packaging/README.md says where to get it) the installer speaks Bahasa Indonesia too.
#ifexist "Indonesian.isl"
Name: "id"; MessagesFile: "Indonesian.isl"
#endif

[CustomMessages]
en.PdfDocument=PDF document (Meterai Desk)
en.SelfTest=Meterai Desk self-test
en.SelfTestComment=Stamps a test document against the built-in demo service and checks it
en.DeskComment=Stamp PDF documents with e-Meterai
#ifexist "Indonesian.isl"
id.PdfDocument=Dokumen PDF (Meterai Desk)
id.SelfTest=Uji mandiri Meterai Desk
id.SelfTestComment=Membubuhkan meterai pada dokumen uji dengan layanan demo bawaan lalu memeriksanya
id.DeskComment=Membubuhkan e-Meterai pada dokumen PDF
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle: both programs share one Python, one Qt, one set of data.
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An update replaces the bundle whole: files a previous version had and this one dropped
; (a Qt plugin, a library) must not be loaded by the new program.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#DeskExe}"; Comment: "{cm:DeskComment}"
; The CLI's self-test in a console window that stays open, for a support desk to read.
Name: "{group}\{cm:SelfTest}"; Filename: "{cmd}"; Parameters: "/k ""{app}\{#CliExe}"" self-test"; WorkingDir: "{app}"; IconFilename: "{app}\{#DeskExe}"; Comment: "{cm:SelfTestComment}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#DeskExe}"; Tasks: desktopicon

[Registry]
; "Open with" for .pdf, per user (HKA = HKCU here). The ProgId says how to open one...
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "{cm:PdfDocument}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#DeskExe}"",0"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#DeskExe}"" ""%1"""
; ...OpenWithProgids lists it under .pdf without taking the default...
Root: HKA; Subkey: "Software\Classes\.pdf\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue
; ...and the application entry gives "Open with" its name and the types it takes.
Root: HKA; Subkey: "Software\Classes\Applications\{#DeskExe}"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "{#AppName}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\{#DeskExe}\SupportedTypes"; ValueType: string; ValueName: ".pdf"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\{#DeskExe}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#DeskExe}"" ""%1"""
; Win+R "meterai-desk" and "meterai" find the programs.
Root: HKA; Subkey: "Software\Microsoft\Windows\CurrentVersion\App Paths\{#DeskExe}"; ValueType: string; ValueName: ""; ValueData: "{app}\{#DeskExe}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Microsoft\Windows\CurrentVersion\App Paths\{#CliExe}"; ValueType: string; ValueName: ""; ValueData: "{app}\{#CliExe}"; Flags: uninsdeletekey

[Run]
Filename: "{app}\{#DeskExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
