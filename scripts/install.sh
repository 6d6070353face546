#!/bin/sh
# Installs the agentgateway binary for this machine, verified against the release's SHA256SUMS.
#
#   curl -fsSL <release url>/install.sh | sh
#   curl -fsSL <release url>/install.sh | AGW_INSTALL_DIR=$HOME/bin sh
#
# AGW_RELEASE_URL   where the release files are (default: the release this script came with)
# AGW_INSTALL_DIR   where to put the binary (default: /usr/local/bin when writable, else ~/.local/bin)
# AGW_TARGET        force a platform: linux-x64, linux-arm64, linux-x64-musl, darwin-arm64, darwin-x64
set -eu

RELEASE_URL="${AGW_RELEASE_URL:-__RELEASE_URL__}"
VERSION="__VERSION__"

fail() { echo "agentgateway install: $*" >&2; exit 1; }

detect_target() {
  os="$(uname -s)"
  arch="$(uname -m)"
  case "$arch" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "no prebuilt binary for CPU '$arch'" ;;
  esac
  case "$os" in
    Linux)
      if [ "$arch" = x64 ] && { ls /lib/ld-musl-* >/dev/null 2>&1 || (ldd --version 2>&1 | grep -qi musl); }; then
        echo linux-x64-musl
      else
        echo "linux-$arch"
      fi ;;
    Darwin) echo "darwin-$arch" ;;
    *) fail "no prebuilt binary for '$os' (on Windows, download agentgateway-windows-x64.exe)" ;;
  esac
}

download() { # url file
  if command -v curl >/dev/null 2>&1; then curl -fsSL "$1" -o "$2"
  elif command -v wget >/dev/null 2>&1; then wget -q "$1" -O "$2"
  else fail "needs curl or wget"; fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else fail "needs sha256sum or shasum to verify the download"; fi
}

case "$RELEASE_URL" in *__RELEASE_URL__*) fail "set AGW_RELEASE_URL to the release's download address" ;; esac
target="${AGW_TARGET:-$(detect_target)}"
file="agentgateway-$target"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "agentgateway $VERSION for $target from $RELEASE_URL"
download "$RELEASE_URL/SHA256SUMS" "$tmp/SHA256SUMS" || fail "cannot download SHA256SUMS"
download "$RELEASE_URL/$file" "$tmp/$file" || fail "cannot download $file"
expected="$(awk -v f="$file" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")"
[ -n "$expected" ] || fail "$file is not listed in SHA256SUMS"
actual="$(sha256_of "$tmp/$file")"
[ "$expected" = "$actual" ] || fail "checksum mismatch for $file (expected $expected, got $actual): not installed"

dir="${AGW_INSTALL_DIR:-}"
if [ -z "$dir" ]; then
  if [ -w /usr/local/bin ]; then dir=/usr/local/bin; else dir="$HOME/.local/bin"; fi
fi
mkdir -p "$dir"
chmod 755 "$tmp/$file"
mv "$tmp/$file" "$dir/agentgateway"
echo "installed $dir/agentgateway (sha256 $actual)"
"$dir/agentgateway" -V || true
case ":$PATH:" in *":$dir:"*) ;; *) echo "note: $dir is not on your PATH" ;; esac
