#!/usr/bin/env bash
# Takes assets/screenshot.png from the real app in a real terminal: tmux runs the release build
# on the sandbox, capture-pane -e keeps the colours, aha turns that into HTML and headless
# Chromium renders it. Needs the Debian packages tmux, aha, chromium and fonts-dejavu-core.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
bin=$PWD/target/release/autocalls-tui
work=$(mktemp -d)
trap 'tmux kill-session -t shot 2>/dev/null || true; rm -rf "$work"' EXIT
export XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
# A few leads in the sandbox history first, as after a morning at a trade fair.
"$bin" --sandbox create --phone '+49 170 1234567' --campaign 12 --var 'customer_name=Jürgen Müller' --var 'company_name=Müller Maschinenbau GmbH' >/dev/null
"$bin" --sandbox create --phone '+44 20 7946 0958' --campaign 12 --var 'customer_name=Grace Hopper' --secondary '+44 20 7946 0959,customer_name=Office' >/dev/null
"$bin" --sandbox create --phone '+1 (415) 555-0100' --campaign 17 --var 'customer_name=Ada Lovelace' --var 'email=ada@example.com' >/dev/null
"$bin" --sandbox create --phone '+33 1 42 68 53 00' --campaign 99 >/dev/null || true
tmux new-session -d -s shot -x 140 -y 32 \
  "env XDG_DATA_HOME=$XDG_DATA_HOME XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_STATE_HOME=$XDG_STATE_HOME XDG_CACHE_HOME=$XDG_CACHE_HOME TERM=xterm-256color $bin --sandbox --region DE"
sleep 1.5
tmux send-keys -t shot '0151 23456789' Tab 'hann' Enter 'Alan Turing' Tab Tab 'Bletchley Park Ltd'
sleep 0.5
tmux capture-pane -e -p -t shot > "$work/screen.ans"
{
  echo '<html><head><meta charset="utf-8"><style>'
  echo 'body{margin:0;background:#1e1e1e;color:#d4d4d4}'
  echo 'pre{margin:0;padding:12px;font:15px/1.25 "DejaVu Sans Mono",monospace}'
  echo '</style></head><body><pre>'
  aha --no-header --black < "$work/screen.ans"
  echo '</pre></body></html>'
} > "$work/screen.html"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/chrome" --hide-scrollbars --window-size=1310,640 \
  --screenshot="$PWD/assets/screenshot.png" "file://$work/screen.html" 2>/dev/null
echo "assets/screenshot.png"
