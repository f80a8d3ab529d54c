#!/usr/bin/env bash
# Installs the Debian 12 packages ordo needs. Idempotent, and quick when all are present:
# apt is only touched when something is missing.
#   tools/setup-deps.sh            build and run (compiler, CMake, oneDNN, SentencePiece, GoogleTest, JSON)
#   tools/setup-deps.sh --tests    also what only tools/test.sh needs (lint and the aarch64 compile check,
#                                  fuzzing, the browser check)
#   tools/setup-deps.sh --tools    also PyTorch & co. for the fixture and reference scripts
#   tools/setup-deps.sh --train    also the Debian packages the bundled models' corpus comes from
#   tools/setup-deps.sh --aarch64  also the cross compiler, debootstrap and qemu-user (tools/test-aarch64.sh)
set -euo pipefail

packages=(g++ cmake make pkg-config clang-format libdnnl-dev ocl-icd-opencl-dev libsentencepiece-dev
          sentencepiece libicu-dev libgtest-dev libgmock-dev nlohmann-json3-dev libxml2-utils
          fonts-noto-cjk  # the SVGs' Chinese labels: Noto Sans CJK SC
          python3-dev pybind11-dev python3-numpy python3-pytest  # the Python module (tools/python/)
          libcpp-httplib-dev curl)  # ordo serve, and its tests' client
tests=(clang-14 libclang-rt-14-dev libomp-14-dev clang-tidy-14 cppcheck  # fuzz/, tools/lint.sh
       g++-aarch64-linux-gnu  # tools/lint.sh: the sources compile for aarch64 (no x86 code leaks)
       chromium)  # tests/browser/: every picture opened in headless Chromium
tools=(python3-torch python3-numpy python3-sentencepiece libopenblas0-pthread)
aarch64=(g++-aarch64-linux-gnu debootstrap qemu-user)
train=(debian-reference-en debian-reference-zh-cn manpages manpages-dev manpages-zh groff-base man-db bsdextrautils)
for argument in "$@"; do
  case "$argument" in
    --tests) packages+=("${tests[@]}") ;;
    --tools) packages+=("${tools[@]}") ;;
    --train) packages+=("${tools[@]}" "${train[@]}") ;;
    --aarch64) packages+=("${aarch64[@]}") ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup-deps.sh: unknown option '$argument'" >&2; exit 2 ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  # Several lines when other architectures are known (multiarch): one installed is enough.
  [[ "$status" == *"install ok installed"* ]] || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "setup-deps.sh: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
