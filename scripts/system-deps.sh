#!/usr/bin/env bash
# Install the Debian packages contentloop uses (ffmpeg, espeak-ng, fonts, chromium, servers),
# only those missing. Needs root (or sudo). Nothing is downloaded at run time afterwards.
set -euo pipefail
pkgs=(ffmpeg espeak-ng fonts-noto-core fonts-dejavu-core fonts-noto-color-emoji chromium)
[ "${1:-}" = "--with-servers" ] && pkgs+=(postgresql redis-server)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
