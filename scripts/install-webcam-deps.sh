#!/usr/bin/env bash
# System packages the `webcam` example needs (Debian 12 / Ubuntu), as root or through sudo.
#
# Build time: nokhwa's Linux backend (v4l2-sys-mit) generates its V4L2 bindings with bindgen,
# which loads libclang and needs clang's own headers (libclang-dev pulls both) and the kernel's
# videodev2.h (linux-libc-dev). minifb is built with its X11 backend only; it links libX11 and
# libXcursor via x11-dl at run time, so only the shared libraries are needed.
# Run time: a V4L2 camera (/dev/video*) for live capture; an X server for the window (the
# `--headless` and `--replay` modes need neither).
#
# `--xvfb` also installs what scripts/webcam-screenshot.sh needs: a virtual X server and
# ImageMagick's `import` to grab the screen.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
pkgs=(libclang-dev linux-libc-dev pkg-config libx11-6 libxcursor1 libxrandr2 libxi6 libxkbcommon0)
if [ "${1:-}" = "--xvfb" ]; then
  pkgs+=(xvfb x11-utils imagemagick)
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
