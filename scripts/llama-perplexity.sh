#!/usr/bin/env bash
# Builds llama.cpp's llama-perplexity beside llama-server (same vendored source, same build folder; about
# 20 seconds once llama-server is built) and prints its path. The adapter test scores held-out text with it.
set -euo pipefail
version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
cache="${TWIN_CACHE:-$HOME/.cache/twin}"
bin="$cache/llama-server-$version/bin/llama-perplexity"
if [ -n "${TWIN_LLAMA_PERPLEXITY:-}" ]; then
  echo "$TWIN_LLAMA_PERPLEXITY"
  exit 0
fi
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
src="$cache/build/llama_cpp_python-$version/vendor/llama.cpp"
server="$cache/llama-server-$version/bin/llama-server"
if [ ! -f "$src/build/CMakeCache.txt" ] && [ -x "$server" ]; then
  # llama-server is cached but its build folder is gone: build it again to get the folder back.
  mv "$server" "$server.kept"
  if ! bash "$(dirname "$0")/llama-server.sh" >/dev/null; then
    mv "$server.kept" "$server"
    exit 1
  fi
  rm -f "$server.kept"
else
  bash "$(dirname "$0")/llama-server.sh" >/dev/null
fi
mkdir -p "$cache/build"
echo "llama-perplexity: building (log in $cache/build/llama-perplexity-$version.log)" >&2
# The tools (perplexity among them) are on by default in a standalone build; say so explicitly.
{
  cmake -S "$src" -B "$src/build" -DLLAMA_BUILD_TOOLS=ON &&
    cmake --build "$src/build" --target llama-perplexity -j"$(nproc)"
} >"$cache/build/llama-perplexity-$version.log" 2>&1 || {
  echo "llama-perplexity: build failed; last lines of the log:" >&2
  tail -n 30 "$cache/build/llama-perplexity-$version.log" >&2
  exit 1
}
cp "$src/build/bin/llama-perplexity" "$bin.tmp" && mv "$bin.tmp" "$bin"
echo "$bin"
