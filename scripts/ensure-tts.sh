#!/usr/bin/env bash
# Synthetic test and demo audio (heard.ingest.audio.synth) speaks with Debian's espeak-ng and flite; sox is for
# listening to and converting the results. Nothing is downloaded but these packages.
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
versions() {
  echo "espeak-ng: $(espeak-ng --version 2>/dev/null | head -n 1)"
  echo "flite: $(flite --version 2>/dev/null | grep -m 1 -o 'flite-[^ ]*' || true)"
  echo "sox: $(sox --version 2>/dev/null | sed 's/^sox: *//' | head -n 1)"
}
if command -v espeak-ng >/dev/null && command -v flite >/dev/null && command -v sox >/dev/null; then
  versions; exit 0
fi
echo "tts: installing Debian's espeak-ng, flite and sox"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq espeak-ng flite sox libsox-fmt-all >/dev/null
versions
