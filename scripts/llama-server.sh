#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the llama-cpp-python sdist on PyPI (it vendors llama.cpp),
# once per machine, and prints the binary's path. Cached outside the clone, keyed by version.
set -euo pipefail
version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
cache="${TWIN_CACHE:-$HOME/.cache/twin}"
dest="$cache/llama-server-$version"
bin="$dest/bin/llama-server"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
work="$cache/build/llama_cpp_python-$version"
mkdir -p "$cache/build" "$dest/bin"
command -v cmake >/dev/null || { echo "llama-server: installing cmake" >&2; apt-get update -qq >&2 && apt-get install -y -qq cmake >&2; }
if [ ! -d "$work" ]; then
  echo "llama-server: downloading llama-cpp-python==$version sdist from PyPI" >&2
  tmp=$(mktemp -d)
  # pip prepares the sdist's metadata even to download it; without build isolation and with Debian's cmake
  # it does not compile a cmake of its own first.
  python3 -m pip install --quiet scikit-build-core >&2
  python3 -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation -d "$tmp" "llama-cpp-python==$version" >&2
  tar -xzf "$tmp"/llama_cpp_python-"$version".tar.gz -C "$cache/build"
  rm -rf "$tmp"
fi
src="$work/vendor/llama.cpp"
echo "llama-server: building (about 5 minutes on 2 cores; log in $cache/build/llama-server-$version.log)" >&2
(
  cd "$src" || exit 1
  cmake -B build -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DBUILD_SHARED_LIBS=OFF -DCMAKE_BUILD_TYPE=Release
  cmake --build build --target llama-server -j"$(nproc)"
) >"$cache/build/llama-server-$version.log" 2>&1 || {
  echo "llama-server: build failed; last lines of the log:" >&2
  tail -n 30 "$cache/build/llama-server-$version.log" >&2
  exit 1
}
cp "$src/build/bin/llama-server" "$bin.tmp" && mv "$bin.tmp" "$bin"
echo "$bin"
