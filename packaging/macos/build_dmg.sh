#!/usr/bin/env bash
# macOS steps of the SparkDesk build (run on a Mac; `python packaging/build.py` calls them).
#
#   build_dmg.sh icns SRC.png OUT.icns   the app icon: an .iconset made with sips, then iconutil
#   build_dmg.sh dmg APP OUT.dmg         a compressed disk image holding APP and an Applications link
#   build_dmg.sh                         the whole build: python3 packaging/build.py, which runs
#                                        `icns`, PyInstaller (the spec's BUNDLE step writes
#                                        dist/SparkDesk.app with its Info.plist and bundle id) and `dmg`
#
# The .app is ad-hoc signed by PyInstaller (enough to run on Apple Silicon). For distribution
# outside the building Mac, sign it with a Developer ID and notarise the .dmg; set
# CODESIGN_IDENTITY to sign the .app and the image here (notarisation needs an Apple account).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

make_icns() {
    local src="$1" out="$2"
    local set
    set="$(mktemp -d)/SparkDesk.iconset"
    mkdir -p "$set"
    # The sizes iconutil expects: 16, 32, 128, 256, 512 points at 1x and 2x.
    for size in 16 32 128 256 512; do
        sips -z "$size" "$size" "$src" --out "$set/icon_${size}x${size}.png" >/dev/null
        sips -z $((size * 2)) $((size * 2)) "$src" --out "$set/icon_${size}x${size}@2x.png" >/dev/null
    done
    mkdir -p "$(dirname "$out")"
    iconutil --convert icns --output "$out" "$set"
    rm -rf "$(dirname "$set")"
    echo "build_dmg.sh: wrote $out"
}

make_dmg() {
    local app="$1" out="$2"
    [ -d "$app/Contents/MacOS" ] || { echo "build_dmg.sh: $app is not an application bundle" >&2; exit 1; }
    if [ -n "${CODESIGN_IDENTITY:-}" ]; then
        codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$app"
    fi
    local stage
    stage="$(mktemp -d)"
    # ditto keeps the bundle's symlinks, permissions and signatures as they are.
    ditto "$app" "$stage/$(basename "$app")"
    ln -s /Applications "$stage/Applications"
    rm -f "$out"
    hdiutil create -volname "SparkDesk" -srcfolder "$stage" -fs HFS+ -format UDZO -imagekey zlib-level=9 \
        -ov "$out"
    rm -rf "$stage"
    if [ -n "${CODESIGN_IDENTITY:-}" ]; then
        codesign --force --timestamp --sign "$CODESIGN_IDENTITY" "$out"
    fi
    hdiutil verify "$out" >/dev/null
    echo "build_dmg.sh: wrote $out"
}

case "${1:-all}" in
    icns) make_icns "$2" "$3" ;;
    dmg) make_dmg "$2" "$3" ;;
    all) cd "$root" && exec python3 packaging/build.py "${@:2}" ;;
    *) echo "usage: build_dmg.sh [icns SRC.png OUT.icns | dmg APP OUT.dmg]" >&2; exit 2 ;;
esac
