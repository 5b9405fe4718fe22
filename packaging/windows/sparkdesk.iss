; Inno Setup 6 script: SparkDesk-Setup-<version>.exe from the PyInstaller bundle (dist\sparkdesk).
;
; Built by `python packaging\build.py` on Windows when ISCC.exe (Inno Setup 6) is found, as
;   ISCC /DMyAppVersion=0.1.0 /DSourceDir=...\dist\sparkdesk /DOutputDir=...\dist ^
;        /DIconFile=...\build\icons\sparkdesk.ico packaging\windows\sparkdesk.iss
; The defaults below let `ISCC packaging\windows\sparkdesk.iss` work from the repository root too.
;
; A per-user install that needs no administrator rights (PrivilegesRequired=lowest): {autopf} is
; then %LOCALAPPDATA%\Programs, {autoprograms} the user's Start menu, and the uninstaller is
; registered under HKCU (Settings > Apps). SparkDesk writes nothing into its install folder (its
; settings and log live in the user's AppData), so uninstalling removes the whole folder.

#ifndef MyAppVersion
  #error Pass the version: ISCC /DMyAppVersion=X.Y.Z sparkdesk.iss
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\sparkdesk"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\icons\sparkdesk.ico"
#endif
#define MyAppName "SparkDesk"
#define MyAppExeName "sparkdesk.exe"
#define MyAppPublisher "SparkDesk"

[Setup]
; AppId identifies the application for upgrades and the uninstaller: never change it.
AppId={{6F0F3C2A-5D8B-4C1E-9A57-3B2E8D41C7A9}
AppName={#MyAppName}
AppVersion={#MyAppVersion}
AppVerName={#MyAppName} {#MyAppVersion}
AppPublisher={#MyAppPublisher}
VersionInfoVersion={#MyAppVersion}
DefaultDirName={autopf}\{#MyAppName}
DefaultGroupName={#MyAppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=SparkDesk-Setup-{#MyAppVersion}
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#MyAppExeName}
UninstallDisplayName={#MyAppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "spanish"; MessagesFile: "compiler:Languages\Spanish.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"; WorkingDir: "{userdocs}"
Name: "{autodesktop}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"; WorkingDir: "{userdocs}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#MyAppExeName}"; Description: "{cm:LaunchProgram,{#StringChange(MyAppName, '&', '&&')}}"; Flags: nowait postinstall skipifsilent
