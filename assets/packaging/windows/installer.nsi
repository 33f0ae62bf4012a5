; Workshop Login's Windows installer. make dist builds it on Linux with
; Debian's NSIS, as a 64-bit installer for the 64-bit program:
; makensis -XTarget amd64-unicode -DVERSION=0.1.0 -DVERSION4=0.1.0.0 -DEXE=... -DOUTFILE=...
!if ${NSIS_PTR_SIZE} != 8
  !error "build the 64-bit installer: makensis -XTarget amd64-unicode (make dist does)"
!endif
Unicode true
SetCompressor /SOLID lzma
RequestExecutionLevel admin

!ifndef VERSION
  !error "VERSION is not defined (make dist sets it)"
!endif

!define APP "Workshop Login"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\WorkshopLogin"

Name "${APP}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${APP}"
InstallDirRegKey HKLM "Software\WorkshopLogin" "InstallDir"
Icon "${ICON}"
UninstallIcon "${ICON}"

VIProductVersion "${VERSION4}"
VIAddVersionKey "ProductName" "${APP}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP} installer"
VIAddVersionKey "CompanyName" "Workshop Login"
VIAddVersionKey "LegalCopyright" "Workshop Login"

; A 64-bit installer sees 64-bit Windows as it is: Program Files, not
; Program Files (x86), and the registry without WOW6432Node.
Function .onInit
  SetRegView 64
FunctionEnd
Function un.onInit
  SetRegView 64
FunctionEnd

Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

Section "Install"
  SetShellVarContext all
  SetOutPath "$INSTDIR"
  File "/oname=workshop-login.exe" "${EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; The machine's configuration: written once, never overwritten by an
  ; upgrade, kept by the uninstaller.
  CreateDirectory "$APPDATA\WorkshopLogin"
  IfFileExists "$APPDATA\WorkshopLogin\config.toml" +2 0
    File "/oname=$APPDATA\WorkshopLogin\config.toml" "${CONFIG}"

  CreateDirectory "$SMPROGRAMS\${APP}"
  CreateShortcut "$SMPROGRAMS\${APP}\${APP}.lnk" "$INSTDIR\workshop-login.exe"
  CreateShortcut "$SMPROGRAMS\${APP}\Uninstall ${APP}.lnk" "$INSTDIR\uninstall.exe"

  WriteRegStr HKLM "Software\WorkshopLogin" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "Workshop Login"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\workshop-login.exe"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  SetShellVarContext all
  Delete "$INSTDIR\workshop-login.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${APP}\${APP}.lnk"
  Delete "$SMPROGRAMS\${APP}\Uninstall ${APP}.lnk"
  RMDir "$SMPROGRAMS\${APP}"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  DeleteRegKey HKLM "Software\WorkshopLogin"
  ; $APPDATA\WorkshopLogin\config.toml (ProgramData) stays: it is the
  ; machine's configuration, as a .deb keeps /etc/workshop-login.
SectionEnd
