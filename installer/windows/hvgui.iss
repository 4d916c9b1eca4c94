; Inno Setup script for hvgui: a per-user install (no administrator rights) of the PyInstaller folder,
; with a Start-menu entry and an uninstaller (Settings > Apps).
; installer/build.py runs it on Windows when Inno Setup 6's iscc is on PATH:
;   iscc /DAppVersion=0.1.0 /DDistDir=C:\path\to\dist /OC:\path\to\dist installer\windows\hvgui.iss

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef DistDir
  #define DistDir "..\..\dist"
#endif

[Setup]
AppId={{6D3F2A5C-8B41-4E0C-9A57-2F1C0B7E4D19}
AppName=hvgui
AppVersion={#AppVersion}
AppVerName=hvgui {#AppVersion}
AppPublisher=hvgui maintainers
; Per-user: {autopf} is %LOCALAPPDATA%\Programs when the installer runs without elevation.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\hvgui
DefaultGroupName=hvgui
DisableProgramGroupPage=yes
UninstallDisplayIcon={app}\hvgui.exe
OutputBaseFilename=hvgui-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible

[Files]
Source: "{#DistDir}\hvgui\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\hvgui"; Filename: "{app}\hvgui.exe"; Comment: "Hyper-V console"
Name: "{autoprograms}\hvgui demo"; Filename: "{app}\hvgui.exe"; Parameters: "--demo"; Comment: "hvgui with an emulated Hyper-V host"

[Run]
Filename: "{app}\hvgui.exe"; Parameters: "--demo"; Description: "Start the hvgui demo"; Flags: nowait postinstall skipifsilent
